/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth autostart, as lxc-autostart: the containers with autostart.enabled started in
 * autostart.order, each followed by its autostart.delay, and stopped in the reverse order, each
 * within its stop timeout. berth.service runs it at boot and shutdown. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autostart.h"
#include "config/config.h"
#include "container-internal.h"
#include "strv.h"
#include "time-util.h"

/* ---- the pure half ---------------------------------------------------------------------------- */

typedef struct SortKey {
        size_t index;
        size_t group_rank;
        const AutostartCandidate *c;
} SortKey;

static int cmp_key(const void *a, const void *b)
{
        const SortKey *x = a, *y = b;
        if (x->group_rank != y->group_rank)
                return x->group_rank < y->group_rank ? -1 : 1;
        if (x->c->order != y->c->order)
                return x->c->order < y->c->order ? -1 : 1;
        return strcmp(x->c->name, y->c->name);
}

size_t autostart_select(const AutostartCandidate *c, size_t n, char *const *groups, bool all,
                        size_t *ret_index)
{
        SortKey *keys = xcalloc(n ? n : 1, sizeof(SortKey));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (!all && !c[i].enabled)
                        continue;
                size_t rank = 0;
                if (groups) {
                        const char *g = c[i].group ?: "";
                        size_t j = 0;
                        while (groups[j] && !streq(groups[j], g))
                                j++;
                        if (!groups[j])
                                continue;
                        rank = j;
                }
                keys[k++] = (SortKey){.index = i, .group_rank = rank, .c = &c[i]};
        }
        qsort(keys, k, sizeof(SortKey), cmp_key);
        for (size_t i = 0; i < k; i++)
                ret_index[i] = keys[i].index;
        free(keys);
        return k;
}

/* ---- the containers --------------------------------------------------------------------------- */

void berth_autostart_entries_free(BerthAutostartEntry *e, size_t n)
{
        for (size_t i = 0; e && i < n; i++) {
                free(e[i].name);
                free(e[i].group);
        }
        free(e);
}

static int check_groups(char *const *groups, BerthError **reterr)
{
        /* The config's own rule for group names; "" is the containers without one. */
        STRV_FOREACH(g, groups)
                if (**g && !config_group_is_valid(*g)) {
                        _cleanup_free_ char *esc = berth_escape(*g);
                        return berth_error_setf(reterr, EINVAL,
                                                "autostart: invalid group '%s': use letters, "
                                                "digits, '-' and '_'",
                                                esc);
                }
        return 0;
}

int berth_autostart_list(BerthContext *ctx, const BerthAutostartOptions *opts,
                         BerthAutostartEntry **ret, size_t *ret_n, BerthError **reterr)
{
        static const BerthAutostartOptions none = {.timeout_sec = -1};
        if (!opts)
                opts = &none;
        int r = check_groups(opts->groups, reterr);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **names = NULL;
        r = berth_list(ctx, &names, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "autostart");

        size_t n = strv_length(names);
        BerthAutostartEntry *all = xcalloc(n ? n : 1, sizeof(BerthAutostartEntry));
        AutostartCandidate *cand = xcalloc(n ? n : 1, sizeof(AutostartCandidate));
        for (size_t i = 0; i < n; i++) {
                _cleanup_(config_freep) BerthConfig *c = NULL;
                _cleanup_free_ char *path = context_config_path(ctx, names[i]);
                all[i].name = xstrdup(names[i]);
                /* A container whose config does not load is not started: the start would fail
                 * on it anyway, and `berth config validate` tells why. */
                if (config_load_file(path, &c, NULL) >= 0) {
                        all[i].enabled = c->autostart;
                        all[i].order = c->autostart_order;
                        all[i].delay_usec = c->autostart_delay_usec;
                        all[i].group = c->autostart_group ? xstrdup(c->autostart_group) : NULL;
                        all[i].timeout_sec = (int)(c->stop_timeout_usec / 1000000);
                }
                cand[i] = (AutostartCandidate){
                        .name = all[i].name,
                        .enabled = all[i].enabled,
                        .order = all[i].order,
                        .delay_usec = all[i].delay_usec,
                        .group = all[i].group,
                };
        }
        size_t *idx = xcalloc(n ? n : 1, sizeof(size_t));
        size_t k = autostart_select(cand, n, opts->groups, opts->all, idx);
        BerthAutostartEntry *sel = xcalloc(k ? k : 1, sizeof(BerthAutostartEntry));
        for (size_t i = 0; i < k; i++) {
                sel[i] = all[idx[i]];
                all[idx[i]] = (BerthAutostartEntry){};
        }
        berth_autostart_entries_free(all, n);
        free(cand);
        free(idx);
        *ret = sel;
        *ret_n = k;
        return 0;
}

/* Sleeps for usec, through signals (a delay is a promise to the next container). */
static void delay(uint64_t usec)
{
        struct timespec ts = {.tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int berth_autostart(BerthContext *ctx, BerthAutostartAction action,
                    const BerthAutostartOptions *opts, BerthAutostartFunc report, void *userdata,
                    BerthError **reterr)
{
        static const BerthAutostartOptions none = {.timeout_sec = -1};
        if (!opts)
                opts = &none;
        if (action < 0 || action >= _BERTH_AUTOSTART_ACTION_MAX)
                return berth_error_setf(reterr, EINVAL, "autostart: invalid action");
        BerthAutostartEntry *e = NULL;
        size_t n = 0;
        int r = berth_autostart_list(ctx, opts, &e, &n, reterr);
        if (r < 0)
                return r;

        size_t failed = 0;
        int first = 0;
        for (size_t k = 0; k < n; k++) {
                /* Stopping goes backwards: what started last goes first. */
                size_t i = action == BERTH_AUTOSTART_START ? k : n - 1 - k;
                BerthError *err = NULL;
                BerthInfo info = {};
                bool running = berth_info(ctx, e[i].name, &info, NULL) >= 0 &&
                               info.state != BERTH_STATE_STOPPED;
                berth_info_clear(&info);
                BerthAutostartOutcome outcome;
                if (action == BERTH_AUTOSTART_START) {
                        if (running)
                                outcome = BERTH_AUTOSTART_ALREADY;
                        else {
                                r = berth_start(ctx, e[i].name, NULL, &err);
                                outcome = r < 0 ? BERTH_AUTOSTART_FAILED : BERTH_AUTOSTART_DONE;
                        }
                } else if (!running)
                        outcome = BERTH_AUTOSTART_ALREADY;
                else {
                        int t = opts->timeout_sec >= 0 ? opts->timeout_sec : -1;
                        r = berth_stop(ctx, e[i].name, t, action == BERTH_AUTOSTART_KILL, &err);
                        /* Stopped by someone else meanwhile: stopped is what was asked. */
                        outcome = r < 0 && r != -ESRCH ? BERTH_AUTOSTART_FAILED
                                                       : BERTH_AUTOSTART_DONE;
                }
                if (outcome == BERTH_AUTOSTART_FAILED) {
                        failed++;
                        if (!first)
                                first = r;
                }
                if (report)
                        report(e[i].name, action, outcome, err, userdata);
                berth_error_free(err);
                /* The delay follows each container this run started, before the next one. */
                if (action == BERTH_AUTOSTART_START && outcome == BERTH_AUTOSTART_DONE &&
                    e[i].delay_usec > 0 && k + 1 < n)
                        delay(e[i].delay_usec);
        }
        berth_autostart_entries_free(e, n);
        if (failed > 0)
                return berth_error_setf(reterr, -first, "autostart: %zu of %zu containers failed",
                                        failed, n);
        return 0;
}
