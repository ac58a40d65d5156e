/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berthd: the org.berth.Berth1 service. Sets up the bus objects, libberth's live event source
 * and machined's watch in one sd-event loop, takes the bus name last (once everything answers),
 * and runs until SIGTERM or the bus goes away. Containers do not depend on it: they run under
 * their monitors, and a restarted berthd finds them as they are. */
#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "berthd.h"
#include "log.h"
#include "path-util.h"
#include "time-util.h"

/* A property read asks a container's monitor; a monitor that hangs must not hold the bus long. */
#define BERTHD_CALL_TIMEOUT_USEC (2 * USEC_PER_SEC)

static char *arg_store = NULL;
static char *arg_rundir = NULL;
static char *arg_cgroup_parent = NULL;
static char *arg_config = NULL;

static void help(void)
{
        printf("Usage: berthd [OPTIONS...]\n"
               "\n"
               "The berth D-Bus service (" BUS_NAME " on the system bus, or the bus in\n"
               "$DBUS_SYSTEM_BUS_ADDRESS).\n"
               "\n"
               "  --store DIR           container store (default: $BERTH_STORE or\n"
               "                        " BERTH_STORE_DEFAULT ")\n"
               "  --rundir DIR          runtime directory (default: $BERTH_RUNDIR or\n"
               "                        " BERTH_RUNDIR_DEFAULT ")\n"
               "  --cgroup-parent NAME  parent cgroup of the containers (default: $BERTH_CGROUP\n"
               "                        or berth)\n"
               "  --config FILE         global configuration (default: $BERTH_CONFIG or\n"
               "                        " BERTH_SYSCONFDIR "/berth.yaml)\n"
               "  --debug               log debug messages\n"
               "  -h, --help            show this help\n"
               "  --version             show the version\n");
}

/* Workers change their working directory: every path they get must be absolute. */
static char *absolute(const char *option, const char *env)
{
        const char *p = option ? option : getenv(env);
        if (!p || !*p)
                return NULL;
        if (path_is_absolute(p))
                return xstrdup(p);
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        if (!cwd)
                oom();
        return path_join(cwd, p);
}

static int parse_argv(int argc, char *argv[])
{
        enum { ARG_STORE = 0x100, ARG_RUNDIR, ARG_CGROUP_PARENT, ARG_CONFIG, ARG_DEBUG, ARG_VERSION };
        static const struct option options[] = {
                {"store", required_argument, NULL, ARG_STORE},
                {"rundir", required_argument, NULL, ARG_RUNDIR},
                {"cgroup-parent", required_argument, NULL, ARG_CGROUP_PARENT},
                {"config", required_argument, NULL, ARG_CONFIG},
                {"debug", no_argument, NULL, ARG_DEBUG},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {},
        };
        const char *store = NULL, *rundir = NULL, *config = NULL;
        int c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                switch (c) {
                case ARG_STORE:
                        store = optarg;
                        break;
                case ARG_RUNDIR:
                        rundir = optarg;
                        break;
                case ARG_CGROUP_PARENT:
                        arg_cgroup_parent = optarg;
                        break;
                case ARG_CONFIG:
                        config = optarg;
                        break;
                case ARG_DEBUG:
                        log_set_max_level(LOG_LEVEL_DEBUG);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("berthd %s\n", PACKAGE_VERSION);
                        return 0;
                case ':':
                        log_error("option '%s' needs an argument", argv[optind - 1]);
                        return -EINVAL;
                default:
                        log_error("unknown option '%s'", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument '%s'", argv[optind]);
                return -EINVAL;
        }
        arg_store = absolute(store, "BERTH_STORE");
        arg_rundir = absolute(rundir, "BERTH_RUNDIR");
        arg_config = absolute(config, "BERTH_CONFIG");
        return 1;
}

static Manager *manager_free(Manager *m)
{
        if (!m)
                return NULL;
        auth_queries_free(m);
        workers_free(m);
        manager_forget_info(m);
        for (size_t i = 0; i < m->n_containers; i++)
                container_free(m->containers[i]);
        free(m->containers);
        sd_bus_slot_unref(m->machined_watch);
        sd_event_source_disable_unref(m->events_source);
        berth_events_free(m->events);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        berth_context_free(m->ctx);
        free(m);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

static int manager_setup_bus(Manager *m)
{
        int r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "connect to the system bus: %s", strerror(-r));
        r = sd_bus_add_object_vtable(m->bus, NULL, MANAGER_PATH, MANAGER_IFACE, manager_vtable, m);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(m->bus, NULL, CONTAINER_PREFIX, CONTAINER_IFACE,
                                               container_vtable, container_object_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(m->bus, NULL, CONTAINER_PREFIX,
                                               container_node_enumerator, m);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(m->bus, NULL, JOB_PREFIX, JOB_IFACE, job_vtable,
                                               job_object_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(m->bus, NULL, JOB_PREFIX, job_node_enumerator, m);
        if (r >= 0)
                r = sd_bus_add_object_manager(m->bus, NULL, MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "register bus objects: %s", strerror(-r));
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                return log_error_errno(r, "attach the bus: %s", strerror(-r));
        return 0;
}

int main(int argc, char *argv[])
{
        log_set_prefix("berthd");
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        /* sd-event takes these through signalfd and child sources; workers unblock them. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        _cleanup_(manager_freep) Manager *m = xcalloc(1, sizeof(Manager));
        m->options = (BerthContextOptions){
                .store = arg_store,
                .rundir = arg_rundir,
                .cgroup_parent = arg_cgroup_parent,
                .config_file = arg_config,
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        r = berth_context_new(&m->options, &m->ctx, &err);
        if (r < 0) {
                log_error("%s", berth_error_message(err, r));
                return EXIT_FAILURE;
        }
        berth_context_set_call_timeout(m->ctx, BERTHD_CALL_TIMEOUT_USEC);

        r = sd_event_default(&m->event);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r < 0) {
                log_error("set up the event loop: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        (void)sd_bus_error_add_map(berth_error_map);
        if (manager_setup_bus(m) < 0)
                return EXIT_FAILURE;
        events_setup(m);
        machined_setup(m);

        /* The name last: a caller that sees it can use every object. */
        r = sd_bus_request_name(m->bus, BUS_NAME, 0);
        if (r < 0) {
                log_error("take the bus name " BUS_NAME ": %s", strerror(-r));
                return EXIT_FAILURE;
        }
        log_info("serving %s: store '%s', %zu containers%s", BUS_NAME,
                 berth_context_store(m->ctx), m->n_containers,
                 m->events_live ? "" : " (no live events)");

        r = sd_event_loop(m->event);
        if (r < 0) {
                log_error("event loop: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
