/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "berth-tool.h"
#include "strv.h"

static const char network_help[] =
        "Usage: berth network up|down|status [BRIDGE] [--force] [--json]\n"
        "\n"
        "Bring berth's managed bridge (the global config's 'network:' section; berth0 by\n"
        "default) up or down, or show its state. Up makes the bridge and its address, dnsmasq\n"
        "(DHCP, and DNS where every running container is NAME.berth and its bare name) and the\n"
        "NAT rules; it does nothing when all of that is there. Down removes all of it.\n"
        "\n"
        "Options:\n"
        "  -f, --force  down: also while running containers use the network\n"
        "  -j, --json   status: print one JSON object\n"
        "  -h, --help   show this help\n";

static void print_strv_json(const char *key, char **l)
{
        printf(", \"%s\": [", key);
        STRV_FOREACH(s, l)
        {
                if (s != l)
                        printf(", ");
                json_print_string(stdout, *s);
        }
        printf("]");
}

static void print_status(const BerthNetworkStatus *s, bool json)
{
        if (json) {
                printf("{\"bridge\": ");
                json_print_string(stdout, s->bridge);
                printf(", \"up\": %s, \"ipv4\": ", s->up ? "true" : "false");
                json_print_string(stdout, s->ipv4);
                printf(", \"ipv6\": ");
                if (s->ipv6)
                        json_print_string(stdout, s->ipv6);
                else
                        printf("null");
                printf(", \"domain\": ");
                json_print_string(stdout, s->domain);
                printf(", \"dnsmasq_pid\": ");
                if (s->dnsmasq_pid > 0)
                        printf("%d", (int)s->dnsmasq_pid);
                else
                        printf("null");
                printf(", \"nat\": %s", s->nat ? "true" : "false");
                print_strv_json("containers", s->containers);
                print_strv_json("leases", s->leases);
                printf("}\n");
                return;
        }
        printf("Bridge: %s\n", s->bridge);
        printf("State: %s\n", s->up ? "up" : "down");
        printf("IPv4: %s\n", s->ipv4);
        printf("IPv6: %s\n", s->ipv6 ? s->ipv6 : "-");
        printf("Domain: %s\n", s->domain);
        if (s->dnsmasq_pid > 0)
                printf("dnsmasq: running (PID %d)\n", (int)s->dnsmasq_pid);
        else
                printf("dnsmasq: not running\n");
        printf("NAT rules: %s\n", s->nat ? "loaded" : "not loaded");
        printf("Containers:%s\n", s->containers ? "" : " -");
        STRV_FOREACH(c, s->containers)
                printf("  %s\n", *c);
        printf("Leases:%s\n", s->leases ? "" : " -");
        STRV_FOREACH(l, s->leases)
                printf("  %s\n", *l);
}

int verb_network(int argc, char *argv[])
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'},
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        bool force = false, json = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":fjh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        return tool_help(network_help);
                default:
                        return tool_option_error("network", c, argv);
                }
        }
        r = tool_check_args("network", argc, argv, optind, 1, 2, "action (up, down or status)");
        if (r != 0)
                return r;
        const char *action = argv[optind];
        const char *bridge = optind + 1 < argc ? argv[optind + 1] : NULL;
        bool up = streq(action, "up"), down = streq(action, "down"),
             status = streq(action, "status");
        if (!up && !down && !status)
                return tool_usage_error("network: unknown action '%s' (up, down or status)",
                                        action);
        if (force && !down)
                return tool_usage_error("network %s: --force is for down", action);
        if (json && !status)
                return tool_usage_error("network %s: --json is for status", action);

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        if (up)
                r = berth_network_up(ctx, bridge, &err);
        else if (down)
                r = berth_network_down(ctx, bridge, force, &err);
        else {
                BerthNetworkStatus s = {};
                r = berth_network_status(ctx, bridge, &s, &err);
                if (r >= 0)
                        print_status(&s, json);
                berth_network_status_clear(&s);
        }
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
