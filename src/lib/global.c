/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The global config, /etc/berth/berth.yaml ($BERTH_CONFIG): sections, each read by the module
 * it concerns. 'defaults' is a container config fragment that every new container starts
 * from, so a container nobody configured still has pids and memory limits. */
#include <sys/sysinfo.h>

#include "container-internal.h"
#include "global.h"

/* A fork bomb stops at this many tasks; a busy Debian guest uses a few hundred. */
#define DEFAULT_PIDS 4096
/* A memory hog is stopped at half the host's RAM, and never above this. */
#define DEFAULT_MEMORY_MAX (4ULL << 30)

const char *const global_sections[] = {"defaults", "network", NULL};

static uint64_t default_memory(void)
{
        struct sysinfo si;
        if (sysinfo(&si) < 0 || si.totalram == 0)
                return DEFAULT_MEMORY_MAX;
        uint64_t half = (uint64_t)si.totalram * si.mem_unit / 2;
        half &= ~((1ULL << 20) - 1); /* whole MiB */
        return MIN(half, DEFAULT_MEMORY_MAX);
}

int global_read(BerthContext *ctx, char **ret_text, size_t *ret_size, BerthError **reterr)
{
        int r = config_read_file(ctx->config_file, "global config ", ret_text, ret_size, reterr);
        if (r == -ENOENT) {
                if (reterr)
                        *reterr = berth_error_free(*reterr);
                *ret_text = NULL;
                *ret_size = 0;
                return 0;
        }
        return r;
}

int global_defaults(BerthContext *ctx, BerthConfig **ret, BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = config_new();
        c->limits.pids = DEFAULT_PIDS;
        c->limits.memory = default_memory();

        _cleanup_free_ char *text = NULL;
        size_t size;
        int r = global_read(ctx, &text, &size, reterr);
        if (r < 0)
                return r;
        if (text) {
                r = config_parse_section(c, text, size, ctx->config_file, "defaults",
                                         global_sections, reterr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}
