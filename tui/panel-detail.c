/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The detail view of one container: a summary of its configuration, its limits, mounts and
 * addresses, its snapshots (selectable, for restore and delete) and the tail of its console
 * log. Every value comes from the container's side of the world and is escaped. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "format.h"
#include "panels.h"
#include "strv.h"

#define LABEL_WIDTH 11
/* Mounts and network interfaces beyond these are summed up in one "... more" line. */
#define DETAIL_LIST_MAX 3
#define SNAPSHOT_LINES_MAX 6

/* A labelled line: the label, then display-safe text. */
static int line(Frame *f, int y, const char *label, Role role, const char *text)
{
        frame_put(f, y, 1, LABEL_WIDTH, ROLE_LABEL, label);
        frame_put(f, y, 1 + LABEL_WIDTH, -1, role, text);
        return 1;
}

/* conf's value at path, escaped; dflt (a literal) when absent. */
static char *cval(const Conf *c, const char *path, const char *dflt)
{
        const char *v = conf_get(c, path);
        return v ? escape_str(v) : xstrdup(dflt);
}

static char *join_seq(const Conf *c, const char *path, const char *sep)
{
        _cleanup_strv_free_ char **items = NULL;
        size_t n = conf_count(c, path);
        for (size_t i = 0; i < n && i < 16; i++) {
                _cleanup_free_ char *p = xasprintf("%s.%zu", path, i);
                strv_push(&items, cval(c, p, ""));
        }
        return items ? strv_join(items, sep) : xstrdup("");
}

static int draw_config(App *app, Frame *f, int y, int max)
{
        const Conf *c = app->detail.conf;
        int n = 0;
        if (!c) {
                return line(f, y, "Config", ROLE_ERROR,
                            app->detail.conf_error ? app->detail.conf_error : "-");
        }
        _cleanup_free_ char *backend = cval(c, "rootfs.backend", "?");
        _cleanup_free_ char *cmd = join_seq(c, "init.cmd", " ");
        _cleanup_free_ char *kind = cval(c, "init.kind", "");
        _cleanup_free_ char *timeout = cval(c, "init.stop_timeout", "?");
        const char *priv = conf_get(c, "privileged");
        _cleanup_free_ char *text = xasprintf(
                "%s rootfs, %s, init %s%s%s%s, stop timeout %ss", backend,
                priv && streq(priv, "true") ? "privileged" : "unprivileged", cmd,
                *kind ? " (" : "", kind, *kind ? ")" : "", timeout);
        n += line(f, y + n, "Config", ROLE_NORMAL, text);
        if (n >= max)
                return n;

        _cleanup_free_ char *host = cval(c, "hostname", app->detail.name);
        _cleanup_free_ char *live = app->detail.hostname ? escape_str(app->detail.hostname) : NULL;
        _cleanup_free_ char *htext = live ? xasprintf("%s (live: %s)", host, live)
                                          : xstrdup(host);
        n += line(f, y + n, "Hostname", ROLE_NORMAL, htext);
        return n;
}

static int draw_limits(App *app, Frame *f, int y, const Row *row)
{
        const Conf *c = app->detail.conf;
        const BerthInfo *i = row ? &row->info : NULL;
        char cur[16] = "-", lim[16] = "-", pcur[24] = "-", plim[24] = "-";
        if (i && i->memory_current != UINT64_MAX && i->state != BERTH_STATE_STOPPED)
                format_size(cur, sizeof(cur), i->memory_current);
        if (i && i->memory_limit != UINT64_MAX)
                format_size(lim, sizeof(lim), i->memory_limit);
        if (i && i->pids_current != UINT64_MAX && i->state != BERTH_STATE_STOPPED)
                snprintf(pcur, sizeof(pcur), "%" PRIu64, i->pids_current);
        if (i && i->pids_limit != UINT64_MAX)
                snprintf(plim, sizeof(plim), "%" PRIu64, i->pids_limit);
        _cleanup_free_ char *swap = cval(c, "limits.swap", "-");
        _cleanup_free_ char *cpus = cval(c, "limits.cpus", "-");
        _cleanup_free_ char *text = xasprintf("memory %s / %s   swap %s   cpus %s   pids %s / %s",
                                              cur, lim, swap, cpus, pcur, plim);
        return line(f, y, "Limits", ROLE_NORMAL, text);
}

static int draw_autostart(App *app, Frame *f, int y, const Row *row)
{
        const BerthInfo *i = row ? &row->info : NULL;
        if (!i)
                return 0;
        _cleanup_free_ char *group = i->autostart_group ? escape_str(i->autostart_group) : NULL;
        _cleanup_free_ char *delay = cval(app->detail.conf, "autostart.delay", "0");
        _cleanup_free_ char *text =
                i->autostart ? xasprintf("yes, order %" PRId64 ", delay %ss%s%s",
                                         i->autostart_order, delay, group ? ", group " : "",
                                         group ? group : "")
                             : xstrdup("no");
        return line(f, y, "Autostart", ROLE_NORMAL, text);
}

static int draw_network(App *app, Frame *f, int y, int max, const Row *row)
{
        const Conf *c = app->detail.conf;
        size_t count = conf_count(c, "network");
        int n = 0;

        for (size_t k = 0; k < count && n < max && k < DETAIL_LIST_MAX; k++) {
                _cleanup_free_ char *pfx = xasprintf("network.%zu", k);
                _cleanup_free_ char *pt = xasprintf("%s.type", pfx), *pn = xasprintf("%s.name", pfx),
                                    *pb = xasprintf("%s.bridge", pfx),
                                    *pa = xasprintf("%s.ipv4", pfx);
                _cleanup_free_ char *type = cval(c, pt, "?"), *ifname = cval(c, pn, "?"),
                                    *bridge = cval(c, pb, ""), *addr = cval(c, pa, "");
                _cleanup_free_ char *text =
                        xasprintf("%s: %s%s%s%s%s", ifname, type, *bridge ? " on " : "", bridge,
                                  *addr ? ", " : "", addr);
                n += line(f, y + n, k == 0 ? "Network" : "", ROLE_NORMAL, text);
        }
        if (count == 0 && n < max)
                n += line(f, y + n, "Network", ROLE_DIM, "none configured");

        /* Live addresses from inside the container's network namespace. */
        if (n < max && row) {
                _cleanup_free_ char *joined = NULL;
                if (row->info.addresses && row->info.addresses[0]) {
                        _cleanup_strv_free_ char **esc = NULL;
                        STRV_FOREACH(a, row->info.addresses)
                                strv_push(&esc, escape_str(*a));
                        joined = strv_join(esc, ", ");
                } else if (row->info.ipv4)
                        joined = escape_str(row->info.ipv4);
                n += line(f, y + n, "Addresses", joined ? ROLE_NORMAL : ROLE_DIM,
                          joined ? joined : "-");
        }
        return n;
}

static int draw_mounts(App *app, Frame *f, int y, int max)
{
        const Conf *c = app->detail.conf;
        size_t count = conf_count(c, "mounts");
        int n = 0;
        if (count == 0)
                return max > 0 ? line(f, y, "Mounts", ROLE_DIM, "none besides the rootfs") : 0;
        for (size_t k = 0; k < count && n < max; k++) {
                if (k == DETAIL_LIST_MAX || (n + 1 == max && k + 1 < count)) {
                        _cleanup_free_ char *more = xasprintf("... %zu more", count - k);
                        n += line(f, y + n, "", ROLE_DIM, more);
                        break;
                }
                _cleanup_free_ char *ps = xasprintf("mounts.%zu.source", k),
                                    *pt = xasprintf("mounts.%zu.target", k),
                                    *po = xasprintf("mounts.%zu.options", k);
                _cleanup_free_ char *src = cval(c, ps, "?"), *tgt = cval(c, pt, "?"),
                                    *opts = join_seq(c, po, ",");
                _cleanup_free_ char *text = xasprintf("%s -> %s%s%s%s", src, tgt,
                                                      *opts ? " (" : "", opts, *opts ? ")" : "");
                n += line(f, y + n, k == 0 ? "Mounts" : "", ROLE_NORMAL, text);
        }
        return n;
}

static int draw_snapshots(App *app, Frame *f, int y, int max)
{
        Detail *d = &app->detail;
        if (max <= 0)
                return 0;
        if (d->snaps_error)
                return line(f, y, "Snapshots", ROLE_ERROR, d->snaps_error);
        if (d->n_snaps == 0)
                return line(f, y, "Snapshots", ROLE_DIM, "none (n: take one)");

        char head[64];
        snprintf(head, sizeof(head), "%zu   r: restore  x: delete", d->n_snaps);
        int n = line(f, y, "Snapshots", ROLE_NORMAL, head);
        int rows = MIN(max - 1, SNAPSHOT_LINES_MAX);
        size_t top = d->snap_selected >= (size_t)rows ? d->snap_selected - (size_t)rows + 1 : 0;
        for (size_t k = top; k < d->n_snaps && n <= rows; k++, n++) {
                const BerthSnapshot *s = &d->snaps[k];
                char date[32], size[16] = "-";
                if (s->size != UINT64_MAX)
                        format_size(size, sizeof(size), s->size);
                _cleanup_free_ char *name = escape_str(s->name);
                _cleanup_free_ char *comment = escape_str(s->comment);
                int yy = y + n;
                Role r = k == d->snap_selected ? ROLE_SELECTED : ROLE_NORMAL;
                frame_fill(f, yy, 1 + LABEL_WIDTH, f->width - 1 - LABEL_WIDTH, r, ' ');
                frame_printf(f, yy, 1 + LABEL_WIDTH, -1, r, "%-16s %s %6s%s %s", name,
                             format_date(date, sizeof(date), s->created_usec), size,
                             s->scheduled ? " (scheduled)" : "", comment);
        }
        return n;
}

/* The last lines of the console log that fit, escaped one by one. */
static int draw_log(App *app, Frame *f, int y, int max)
{
        Detail *d = &app->detail;
        if (max <= 0)
                return 0;
        frame_put(f, y, 1, -1, ROLE_LABEL, "Console log");
        if (d->log_error) {
                frame_put(f, y, 1 + LABEL_WIDTH + 1, -1, ROLE_ERROR, d->log_error);
                return 1;
        }
        int rows = max - 1;
        if (rows <= 0 || !d->log)
                return 1;

        /* Walk back from the end for the last rows lines (a final newline ends the last). */
        size_t end = d->log_size;
        if (end > 0 && d->log[end - 1] == '\n')
                end--;
        size_t starts[256];
        int found = 0;
        size_t pos = end;
        while (found < rows && found < (int)ELEMENTSOF(starts)) {
                size_t s = pos;
                while (s > 0 && d->log[s - 1] != '\n')
                        s--;
                starts[found++] = s;
                if (s == 0)
                        break;
                pos = s - 1;
        }
        for (int k = 0; k < found; k++) {
                size_t s = starts[found - 1 - k];
                size_t e = s;
                while (e < end && d->log[e] != '\n')
                        e++;
                size_t len = e - s;
                /* CR LF line ends (and getty's extra CRs) mean nothing on a screen line. */
                while (len > 0 && d->log[s + len - 1] == '\r')
                        len--;
                _cleanup_free_ char *text = escape_text(d->log + s, len, ESCAPE_EXPAND_TABS);
                frame_put(f, y + 1 + k, 2, -1, ROLE_NORMAL, text);
        }
        return 1 + found;
}

void panel_detail_draw(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        Detail *d = &app->detail;
        Row *row = d->name ? table_find(app->table, d->name) : NULL;
        int end = y + height;

        /* The title line: name, state, pid, uptime. */
        frame_fill(f, y, 0, f->width, ROLE_HEADER, ' ');
        _cleanup_free_ char *name = escape_str(d->name);
        int x = 1 + frame_printf(f, y, 1, -1, ROLE_HEADER, "%s  ", name);
        if (!row) {
                frame_put(f, y, x, -1, ROLE_HEADER, "(removed)");
                return;
        }
        const char *st = berth_state_to_string(row->info.state);
        x += frame_printf(f, y, x, -1, state_role(row->info.state, row->info.orphaned), "%s%s",
                          st ? st : "?", row->info.orphaned ? " (orphaned)" : "");
        if (row->info.init_pid > 0)
                x += frame_printf(f, y, x, -1, ROLE_HEADER, "  pid %d", (int)row->info.init_pid);
        if (row->info.started_usec && now_real > row->info.started_usec) {
                char up[16];
                x += frame_printf(f, y, x, -1, ROLE_HEADER, "  up %s",
                                  format_duration(up, sizeof(up),
                                                  now_real - row->info.started_usec));
        }
        if (row->info.ephemeral)
                frame_put(f, y, x, -1, ROLE_HEADER, "  ephemeral");
        y++;

        y += draw_config(app, f, y, end - y);
        if (y < end)
                y += draw_limits(app, f, y, row);
        if (y < end)
                y += draw_autostart(app, f, y, row);
        if (y < end)
                y += draw_network(app, f, y, MIN(end - y, DETAIL_LIST_MAX + 1), row);
        if (y < end)
                y += draw_mounts(app, f, y, MIN(end - y, DETAIL_LIST_MAX + 1));
        if (y < end)
                y += draw_snapshots(app, f, y, MIN(end - y, SNAPSHOT_LINES_MAX + 1));
        if (y < end)
                draw_log(app, f, y, end - y);
}
