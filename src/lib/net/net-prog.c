/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The programs berth drives for a network: nft (rulesets) and dnsmasq (DHCP and DNS). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "fileio.h"
#include "net-internal.h"
#include "parse.h"
#include "path-util.h"

char *net_find_program(const char *name)
{
        static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char *p = path_join(dirs[i], name);
                if (access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

int net_nft_run(const char *script, BerthError **reterr)
{
        _cleanup_free_ char *nft = net_find_program("nft");
        if (!nft)
                return berth_error_setf(reterr, ENOENT, "nft not found (install nftables)");
        char *args[] = {(char *)"-f", (char *)"-", NULL};
        _cleanup_free_ char *last = NULL;
        int st;
        int r = net_spawn(nft, args, script, -EBADF, -EBADF, &st, &last);
        if (r < 0)
                return berth_error_set(reterr, r, "run '%s'", nft);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        /* nft's last line is the caret under the error; the one before says what it is, but a
         * one-line message can only carry one: the status is what matters to a caller. */
        return berth_error_setf(reterr, EIO, "nft failed%s%s", *last ? ": " : "", last);
}

bool net_nft_table_exists(const char *table)
{
        _cleanup_free_ char *nft = net_find_program("nft");
        if (!nft)
                return false;
        char *args[] = {(char *)"list", (char *)"table", (char *)"inet", (char *)table, NULL};
        int st;
        if (net_spawn(nft, args, NULL, -EBADF, -EBADF, &st, NULL) < 0)
                return false;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

pid_t net_dnsmasq_pid(const char *dir)
{
        _cleanup_free_ char *pidfile = path_join(dir, NET_DNSMASQ_PID);
        _cleanup_free_ char *line = NULL;
        uint64_t pid;
        if (read_one_line_at(AT_FDCWD, pidfile, &line) < 0 || parse_uint64(line, &pid) < 0 ||
            pid == 0 || pid > INT32_MAX)
                return 0;

        /* A pid file outlives its process, and the pid may be someone else's by now: only a
         * dnsmasq started with this directory's config counts. */
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        _cleanup_free_ char *cmdline = NULL;
        size_t size;
        if (read_full_file_at(AT_FDCWD, path, SMALL_FILE_MAX, &cmdline, &size) < 0)
                return 0;
        _cleanup_free_ char *want = xasprintf("--conf-file=%s/" NET_DNSMASQ_CONF, dir);
        for (size_t off = 0; off < size; off += strlen(cmdline + off) + 1)
                if (streq(cmdline + off, want))
                        return (pid_t)pid;
        return 0;
}
