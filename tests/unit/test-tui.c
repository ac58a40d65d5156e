/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's pure parts and its logic over a fake backend: escaping, the frame, the
 * parsers, the table (merge, CPU percent, sort, filter, selection), the job protocol and real
 * job children, and the key table driving actions and prompts. The real backend and the
 * terminal are tested in tests/integration/tui.sh. */
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "conf.h"
#include "escape.h"
#include "format.h"
#include "frame.h"
#include "host.h"
#include "jobs.h"
#include "keys.h"
#include "panels.h"
#include "strv.h"
#include "table.h"
#include "tap.h"
#include "time-util.h"

/* ---- escaping ----------------------------------------------------------------------------- */

static void test_escape(void)
{
        char *s;

        escape_set_unicode(false);
        s = escape_str("plain name-1");
        is_str(s, "plain name-1", "printable ASCII passes");
        free(s);
        s = escape_str("\x1b]0;pwned\x07\x1b[2J");
        is_str(s, "\\e]0;pwned\\a\\e[2J", "OSC title and clear-screen sequences are escaped");
        free(s);
        s = escape_str("a\\b");
        is_str(s, "a\\\\b", "a backslash is doubled, so an escape cannot be faked");
        free(s);
        s = escape_str("\xc2\x9b" "31m");
        is_str(s, "\\u009b31m", "a C1 CSI (U+009B) is escaped");
        free(s);
        s = escape_str("bad\xff\xfe");
        is_str(s, "bad\\xff\\xfe", "invalid UTF-8 bytes are escaped one by one");
        free(s);
        s = escape_str("\xe2\x80\xae" "evil");
        is_str(s, "\\u202eevil", "a bidi override is escaped without unicode");
        free(s);
        s = escape_text("a\tb", 3, ESCAPE_EXPAND_TABS);
        is_str(s, "a       b", "tabs expand to the next multiple of 8");
        free(s);
        s = escape_text("a\0b", 3, 0);
        is_str(s, "a\\x00b", "a NUL inside the text is escaped, not the end");
        free(s);
        s = escape_str("\xed\xa0\x80");
        is_str(s, "\\xed\\xa0\\x80", "a UTF-8 encoded surrogate is invalid");
        free(s);
        s = escape_str("\xc0\xaf");
        is_str(s, "\\xc0\\xaf", "an overlong encoding is invalid");
        free(s);
        s = escape_str(NULL);
        is_str(s, "", "NULL gives an empty string");
        free(s);

        if (!setlocale(LC_CTYPE, "C.UTF-8")) {
                ok(true, "# SKIP no C.UTF-8 locale for the unicode cases");
                return;
        }
        escape_set_unicode(true);
        s = escape_str("caf\xc3\xa9");
        is_str(s, "caf\xc3\xa9", "with unicode a printable letter passes");
        free(s);
        s = escape_str("\xe2\x80\xae" "x\xe2\x80\x8b");
        is_str(s, "\\u202ex\\u200b", "bidi override and zero-width space are still escaped");
        free(s);
        s = escape_str("\xe4\xb8\xad");
        is_str(s, "\\u4e2d", "a double-width character is escaped (one cell per character)");
        free(s);
        s = escape_str("\xc2\x9b");
        is_str(s, "\\u009b", "C1 controls are escaped with unicode on too");
        free(s);
        escape_set_unicode(false);
        setlocale(LC_CTYPE, "C");
}

/* ---- frame -------------------------------------------------------------------------------- */

static bool frame_has_controls(const Frame *f)
{
        for (int i = 0; i < f->width * f->height; i++)
                if (f->cells[i].ch < 0x20 || (f->cells[i].ch >= 0x7f && f->cells[i].ch < 0xa0))
                        return true;
        return false;
}

static void test_frame(void)
{
        Frame *f = frame_new(10, 2);
        char *t;

        is_int(frame_put(f, 0, 0, -1, ROLE_NORMAL, "hello world"), 10, "put stops at the edge");
        t = frame_row_text(f, 0);
        is_str(t, "hello worl", "the row holds what fits");
        free(t);
        frame_put_field(f, 1, 0, 6, ROLE_NORMAL, "abcdefgh", false);
        t = frame_row_text(f, 1);
        is_str(t, "abcde~", "a cut field ends in '~'");
        free(t);
        frame_clear(f);
        frame_put_field(f, 1, 0, 6, ROLE_NORMAL, "ab", true);
        t = frame_row_text(f, 1);
        is_str(t, "    ab", "a right-aligned field");
        free(t);
        frame_put(f, 0, 0, -1, ROLE_NORMAL, "a\x1b[1mb\x9b");
        ok(!frame_has_controls(f), "raw control bytes never reach a cell");
        is_int(frame_put(f, 0, -3, -1, ROLE_NORMAL, "xyzab"), 5, "a negative x clips");
        t = frame_row_text(f, 0);
        ok(strncmp(t, "ab", 2) == 0, "what is left of the edge is dropped");
        free(t);
        frame_free(f);
}

/* ---- parsers and formats ------------------------------------------------------------------ */

static void test_host(void)
{
        uint64_t total = 0, idle = 0, mt = 0, ma = 0;
        unsigned n = 0;
        double l = 0;

        ok(host_parse_stat("cpu  10 2 30 400 5 6 7 8 9 10\ncpu0 1 1 1 1\ncpu1 1 1 1 1\nintr 1\n",
                           &total, &idle, &n) == 0,
           "parse /proc/stat");
        is_int(total, 10 + 2 + 30 + 400 + 5 + 6 + 7 + 8, "total leaves out guest time");
        is_int(idle, 405, "idle includes iowait");
        is_int(n, 2, "two CPUs counted");
        ok(host_parse_stat("intr 1 2\n", &total, &idle, &n) < 0, "no cpu line: error");
        ok(host_parse_meminfo("MemTotal:  1000 kB\nMemFree: 10 kB\nMemAvailable:   250 kB\n", &mt,
                              &ma) == 0,
           "parse /proc/meminfo");
        is_int(mt, 1000 * 1024, "MemTotal in bytes");
        is_int(ma, 250 * 1024, "MemAvailable in bytes");
        ok(host_parse_meminfo("MemTotal: 1 kB\n", &mt, &ma) < 0, "MemAvailable missing: error");
        ok(host_parse_loadavg("0.52 0.40 0.30 1/100 42\n", &l) == 0 && l > 0.51 && l < 0.53,
           "parse /proc/loadavg");
        HostSample a = {.cpu_total = 100, .cpu_idle = 50}, b = {.cpu_total = 200, .cpu_idle = 125};
        double p = host_cpu_percent(&a, &b);
        ok(p > 24.9 && p < 25.1, "25%% busy between two samples (%.1f)", p);
        ok(host_cpu_percent(&b, &b) < 0, "no time passed: unknown");
}

static void test_format(void)
{
        char b[32];
        is_str(format_size(b, sizeof(b), 512 * 1024), "512K", "512K");
        is_str(format_size(b, sizeof(b), 1536 * 1024), "1.5M", "1.5M");
        is_str(format_size(b, sizeof(b), 512ULL << 20), "512M", "512M");
        is_str(format_size(b, sizeof(b), 1023ULL << 20), "1023M", "1023M stays in M");
        is_str(format_size(b, sizeof(b), 16ULL << 30), "16G", "16G");
        is_str(format_duration(b, sizeof(b), 42 * USEC_PER_SEC), "42s", "42s");
        is_str(format_duration(b, sizeof(b), 723 * USEC_PER_SEC), "12m03s", "12m03s");
        is_str(format_duration(b, sizeof(b), (5 * 3600 + 7 * 60) * USEC_PER_SEC), "5h07m",
               "5h07m");
        is_str(format_duration(b, sizeof(b), (12 * 86400 + 4 * 3600) * USEC_PER_SEC), "12d04h",
               "12d04h");
        ok(strlen(format_duration(b, sizeof(b), UINT64_MAX / 2)) <= 7, "huge durations fit");
}

static const char sample_yaml[] = "name: web\n"
                                  "init:\n"
                                  "  cmd: [/sbin/init, --verbose]\n"
                                  "  stop_timeout: 30\n"
                                  "hostname: null\n"
                                  "limits: {memory: 512M, pids: 100}\n"
                                  "mounts:\n"
                                  "  - {source: /srv, target: /data, options: [bind, ro]}\n"
                                  "  - {source: /a, target: /b, options: []}\n"
                                  "environment: {}\n";

static void test_conf(void)
{
        Conf *c = NULL;
        ok(conf_parse(sample_yaml, strlen(sample_yaml), &c) == 0, "parse a configuration");
        is_str(conf_get(c, "init.stop_timeout"), "30", "nested scalar");
        is_str(conf_get(c, "init.cmd.1"), "--verbose", "flow sequence item");
        is_str(conf_get(c, "limits.memory"), "512M", "flow mapping value");
        ok(conf_get(c, "hostname") == NULL, "null is absent");
        is_int(conf_count(c, "mounts"), 2, "two mounts");
        is_str(conf_get(c, "mounts.0.options.1"), "ro", "deep path");
        is_int(conf_count(c, "mounts.1.options"), 0, "an empty sequence counts 0");
        ok(conf_get(c, "nope") == NULL, "unknown key");
        conf_free(c);

        const char *alias = "a: &x 1\nb: *x\n";
        ok(conf_parse(alias, strlen(alias), &c) < 0, "aliases are refused");
        const char *broken = "a: [1, 2\n";
        ok(conf_parse(broken, strlen(broken), &c) < 0, "broken YAML is an error");
        char deep[256] = "";
        for (int i = 0; i < 40; i++)
                strcat(deep, "[");
        ok(conf_parse(deep, strlen(deep), &c) == -E2BIG, "nesting beyond the bound is refused");
}

/* ---- the table ---------------------------------------------------------------------------- */

static BerthInfo mkinfo(const char *name, BerthState st, uint64_t cpu, uint64_t mem)
{
        return (BerthInfo){
                .name = xstrdup(name),
                .state = st,
                .init_pid = st == BERTH_STATE_STOPPED ? 0 : 100 + (pid_t)strlen(name),
                .cpu_usec = cpu,
                .memory_current = mem,
                .memory_limit = UINT64_MAX,
                .pids_current = 3,
                .pids_limit = 100,
        };
}

static const char *view_names(Table *t)
{
        static char buf[256];
        buf[0] = 0;
        for (size_t i = 0; i < t->n_view; i++) {
                strcat(buf, i ? "," : "");
                strcat(buf, t->view[i]->info.name);
        }
        return buf;
}

static void test_table(void)
{
        Table *t = table_new();
        BerthInfo a[3] = {
                mkinfo("alpha", BERTH_STATE_RUNNING, 1000000, 300 << 20),
                mkinfo("beta", BERTH_STATE_STOPPED, UINT64_MAX, UINT64_MAX),
                mkinfo("gamma", BERTH_STATE_FROZEN, 500000, 100 << 20),
        };
        table_update(t, a, 3, 10 * USEC_PER_SEC);
        is_int(t->n_rows, 3, "three rows");
        ok(a[0].name == NULL, "infos are moved into the table");
        is_str(view_names(t), "alpha,beta,gamma", "sorted by name");
        ok(table_find(t, "alpha")->cpu_percent < 0, "one sample: CPU unknown");

        BerthInfo b[2] = {
                mkinfo("alpha", BERTH_STATE_RUNNING, 1500000, 300 << 20),
                mkinfo("gamma", BERTH_STATE_FROZEN, 500000, 100 << 20),
        };
        table_update(t, b, 2, 11 * USEC_PER_SEC);
        is_int(t->n_rows, 2, "a container gone from the list is dropped");
        Row *r = table_find(t, "alpha");
        ok(r->cpu_percent > 49.9 && r->cpu_percent < 50.1, "0.5 s of CPU in 1 s is 50%% (%.1f)",
           r->cpu_percent);
        is_int((long long)table_find(t, "gamma")->cpu_percent, 0, "a frozen one uses 0%%");

        BerthInfo c[3] = {
                mkinfo("alpha", BERTH_STATE_RUNNING, 1600000, 300 << 20),
                mkinfo("delta", BERTH_STATE_STOPPED, UINT64_MAX, UINT64_MAX),
                mkinfo("gamma", BERTH_STATE_RUNNING, 900000, 100 << 20),
        };
        table_update(t, c, 3, 12 * USEC_PER_SEC);
        t->sort = COL_CPU;
        t->sort_reverse = true;
        table_rebuild_view(t);
        is_str(view_names(t), "gamma,alpha,delta", "by CPU, highest first");
        t->sort = COL_MEMORY;
        t->sort_reverse = false;
        table_rebuild_view(t);
        is_str(view_names(t), "delta,gamma,alpha", "by memory, unknown lowest");
        t->sort = COL_STATE;
        table_rebuild_view(t);
        is_str(view_names(t), "alpha,gamma,delta", "by state: running before stopped");

        table_select_name(t, "gamma");
        t->sort = COL_NAME;
        table_rebuild_view(t);
        is_str(table_selected(t)->info.name, "gamma", "the selection follows its container");
        table_set_filter(t, "ta");
        is_str(view_names(t), "delta", "filter by a part of the name");
        table_set_filter(t, NULL);
        t->show_stopped = false;
        table_rebuild_view(t);
        is_str(view_names(t), "alpha,gamma", "stopped ones hidden");
        t->show_stopped = true;
        table_rebuild_view(t);

        ok(table_apply_state(t, "alpha", BERTH_STATE_STOPPED, 0, 5), "a state event applies");
        is_int(table_find(t, "alpha")->info.state, BERTH_STATE_STOPPED, "state changed at once");
        ok(table_find(t, "alpha")->cpu_percent < 0, "a stopped one has no CPU percent");
        ok(!table_apply_state(t, "nope", BERTH_STATE_RUNNING, 1, 0), "unknown name: no row");

        table_select_name(t, "alpha");
        table_move(t, 10, 5);
        is_str(table_selected(t)->info.name, "gamma", "moving past the end stops at the last");
        table_move(t, -10, 5);
        is_str(table_selected(t)->info.name, "alpha", "and at the first");

        for (int i = 0; i < _COL_MAX; i++)
                ok(column_from_string(column_to_string((ColumnId)i)) == i, "column %s round trip",
                   column_to_string((ColumnId)i));
        ok(column_from_string("bogus") == _COL_INVALID, "unknown column");
        table_free(t);
}

/* ---- jobs --------------------------------------------------------------------------------- */

static void test_job_records(void)
{
        Job j = {.fd = -EBADF};
        const char *rec = "P 500 7\ncopyingR -2 12\nno such file";
        is_int(job_parse_records(&j, rec, 10), 0, "an incomplete record waits");
        is_int(job_parse_records(&j, rec, 15), 15, "a whole progress record");
        is_str(j.progress, "copying", "progress text");
        ok(j.fraction > 0.49 && j.fraction < 0.51, "progress fraction");
        is_int(job_parse_records(&j, rec + 15, strlen(rec) - 15), strlen(rec) - 15, "result");
        ok(j.done && j.result == -2, "done with -ENOENT");
        is_str(j.message, "no such file", "the message");
        free(j.progress);
        free(j.message);
        Job k = {.fd = -EBADF};
        const char *junk = "R x y\n";
        is_int(job_parse_records(&k, junk, strlen(junk)), strlen(junk), "garbage is dropped");
        ok(!k.done, "garbage is no result");
}

/* A fake backend: every action appends "kind name target force snapshots" to a log file (the
 * action runs in a child, so a file is how the test sees it) and fails for names starting
 * with "bad". */
typedef struct FakeBackend {
        Backend backend;
        char log[64];
        BerthInfo *infos;
        size_t n;
} FakeBackend;

static int fake_infos(Backend *b, BerthInfo **ret, size_t *ret_n, BerthError **reterr)
{
        FakeBackend *fb = (FakeBackend *)b;
        BerthInfo *copy = xcalloc(fb->n + 1, sizeof(BerthInfo));
        for (size_t i = 0; i < fb->n; i++) {
                copy[i] = fb->infos[i];
                copy[i].name = xstrdup(fb->infos[i].name);
                copy[i].ipv4 = fb->infos[i].ipv4 ? xstrdup(fb->infos[i].ipv4) : NULL;
        }
        *ret = copy;
        *ret_n = fb->n;
        return 0;
}

static int fake_events_open(Backend *b, BerthError **reterr)
{
        return berth_error_setf(reterr, EOPNOTSUPP, "events: not in the fake");
}

static int fake_events_fd(Backend *b)
{
        return -EBADF;
}

static int fake_events_dispatch(Backend *b, BerthEventFunc f, void *u, BerthError **reterr)
{
        return -EBADF;
}

static int fake_config_show(Backend *b, const char *name, char **ret, BerthError **reterr)
{
        *ret = xstrdup(sample_yaml);
        return 0;
}

static int fake_snapshots(Backend *b, const char *name, BerthSnapshot **ret, size_t *ret_n,
                          BerthError **reterr)
{
        *ret = NULL;
        *ret_n = 0;
        return 0;
}

static int fake_console_log(Backend *b, const char *name, char **ret, size_t *ret_size,
                            BerthError **reterr)
{
        *ret = xstrdup("boot\r\n\x1b]0;owned\x07\x1b[31mred\r\n");
        *ret_size = strlen(*ret);
        return 0;
}

static int fake_act(Backend *b, const ActionRequest *req, BackendProgressFunc progress,
                    void *userdata, char **ret_output, BerthError **reterr)
{
        FakeBackend *fb = (FakeBackend *)b;
        FILE *f = fopen(fb->log, "ae");
        if (f) {
                fprintf(f, "%s %s %s %d %d\n", action_to_string(req->kind), req->name,
                        req->target ? req->target : "-", req->force, req->snapshots);
                fclose(f);
        }
        if (progress)
                progress("working", 0.5, userdata);
        if (strncmp(req->name, "bad", 3) == 0)
                return berth_error_setf(reterr, EBUSY, "%s '%s': busy \x1b[2J",
                                        action_to_string(req->kind), req->name);
        if (req->kind == ACTION_SNAPSHOT)
                *ret_output = xstrdup(req->target ? req->target : "snap1");
        return 0;
}

static Backend *fake_free(Backend *b)
{
        return NULL;
}

static const BackendOps fake_ops = {
        .infos = fake_infos,
        .events_open = fake_events_open,
        .events_fd = fake_events_fd,
        .events_dispatch = fake_events_dispatch,
        .config_show = fake_config_show,
        .snapshots = fake_snapshots,
        .console_log = fake_console_log,
        .act = fake_act,
        .free = fake_free,
};

/* Waits until every job of the app finished (at most 5 s). */
static void wait_jobs(App *app)
{
        uint64_t deadline = now_usec() + 5 * USEC_PER_SEC;
        while (app->jobs.n > 0 && now_usec() < deadline) {
                struct pollfd fds[16];
                size_t n = 0;
                for (size_t i = 0; i < app->jobs.n && n < 16; i++)
                        if (app->jobs.items[i]->fd >= 0)
                                fds[n++] = (struct pollfd){.fd = app->jobs.items[i]->fd,
                                                           .events = POLLIN};
                (void)poll(fds, n, 100);
                app_process_jobs(app);
        }
}

static char *read_log(FakeBackend *fb)
{
        FILE *f = fopen(fb->log, "re");
        char *s = xcalloc(4096, 1);
        if (f) {
                size_t n = fread(s, 1, 4095, f);
                s[n] = 0;
                fclose(f);
        }
        unlink(fb->log);
        return s;
}

static void type(App *app, const char *keys)
{
        for (const char *k = keys; *k; k++)
                app_handle_key(app, *k == '\n' ? TK_ENTER : *k);
}

/* Types keys, lets the jobs finish, and returns what the fake backend was asked to do. */
static char *keys_log(App *app, FakeBackend *fb, const char *keys)
{
        type(app, keys);
        wait_jobs(app);
        return read_log(fb);
}

static void test_app(void)
{
        FakeBackend fb = {.backend.ops = &fake_ops};
        snprintf(fb.log, sizeof(fb.log), "/tmp/test-tui-%d.log", (int)getpid());
        BerthInfo infos[3] = {
                mkinfo("bad1", BERTH_STATE_RUNNING, 1, 1 << 20),
                mkinfo("web", BERTH_STATE_RUNNING, 1, 1 << 20),
                mkinfo("zeta", BERTH_STATE_FROZEN, 1, 1 << 20),
        };
        infos[1].n_snapshots = 2;
        fb.infos = infos;
        fb.n = 3;

        App *app = app_new(&fb.backend, USEC_PER_SEC);
        app_refresh(app);
        table_select_name(app->table, "web");

        _cleanup_free_ char *log = keys_log(app, &fb, "f");
        is_str(log, "freeze web - 0 0\n", "f freezes a running container");
        is_str(app->status, "freeze 'web': done", "its result lands in the status line");

        table_select_name(app->table, "zeta");
        free(log);
        log = keys_log(app, &fb, "f");
        is_str(log, "thaw zeta - 0 0\n", "f thaws a frozen one");

        table_select_name(app->table, "bad1");
        free(log);
        log = keys_log(app, &fb, "s");
        ok(app->status_error, "a failed action is an error");
        is_str(app->status, "start 'bad1': busy \\e[2J",
               "the library's message is shown, escaped");

        /* Destroy: the wrong name cancels, the right one runs with the flags it announced. */
        table_select_name(app->table, "web");
        type(app, "D");
        ok(app->prompt && strstr(app->prompt->question, "killed first") &&
                   strstr(app->prompt->question, "2 snapshots"),
           "the destroy question says what goes");
        free(log);
        log = keys_log(app, &fb, "wex\n");
        is_str(log, "", "a wrong name destroys nothing");
        like(app->status, "not confirmed", "and says so");
        free(log);
        log = keys_log(app, &fb, "Dweb\n");
        is_str(log, "destroy web - 1 1\n", "the typed name destroys, killing and with snapshots");

        /* Snapshot: name, then comment. Only name characters are accepted for the name. */
        free(log);
        log = keys_log(app, &fb, "nS_n1\nbefore upgrade\n");
        is_str(log, "snapshot web n1 0 0\n", "a snapshot with the typed name");
        is_str(app->status, "snapshot 'web': created 'n1'", "its name is reported");

        /* Kill asks; anything but y cancels. */
        free(log);
        log = keys_log(app, &fb, "kn");
        is_str(log, "", "kill answered n does nothing");
        free(log);
        log = keys_log(app, &fb, "ky");
        is_str(log, "kill web - 0 0\n", "kill answered y kills");

        /* Stop twice: the second is a kill. The fake stop returns at once, so hold it: the
         * first job is left unread while the second key comes. */
        type(app, "S");
        ok(jobs_find(&app->jobs, "web", ACTION_STOP) != NULL, "S starts a stop job");
        type(app, "S");
        ok(jobs_find(&app->jobs, "web", ACTION_KILL) != NULL, "S again starts a kill");
        free(log);
        log = keys_log(app, &fb, "");
        ok(strstr(log, "stop web") && strstr(log, "kill web"), "both ran");

        /* Filtering, sorting, the stopped toggle through keys. */
        type(app, "/ze");
        is_int(app->table->n_view, 1, "the filter applies while typing");
        app_handle_key(app, TK_ESC);
        is_int(app->table->n_view, 3, "Esc clears it");
        type(app, ">");
        is_int(app->table->sort, COL_STATE, "> sorts by the next column");
        type(app, "<r");
        ok(app->table->sort == COL_NAME && app->table->sort_reverse, "< and r");
        is_str(app->table->view[0]->info.name, "zeta", "reversed by name");

        /* The drawn screen: everything a container controls is escaped. */
        Frame *f = frame_new(80, 24);
        app_draw(app, f, realtime_usec());
        _cleanup_free_ char *header = frame_row_text(f, 2);
        like(header, "NAME", "the table header is drawn");
        ok(!frame_has_controls(f), "no control character in the table");
        app_open_detail(app, "web");
        app_draw(app, f, realtime_usec());
        bool found = false;
        for (int y = 0; y < f->height && !found; y++) {
                _cleanup_free_ char *l = frame_row_text(f, y);
                found = strstr(l, "\\e]0;owned\\a\\e[31mred") != NULL;
        }
        ok(found, "the console log tail shows escape sequences escaped");
        ok(!frame_has_controls(f), "no control character in the detail view");
        app_handle_key(app, TK_ESC);
        is_int(app->view, VIEW_TABLE, "Esc goes back to the table");
        frame_free(f);

        type(app, "q");
        ok(app_handle_key(app, 'q') & REACT_QUIT, "q quits from the table");
        app_free(app);
        for (size_t i = 0; i < 3; i++)
                berth_info_clear(&infos[i]);
}

static void test_key_table(void)
{
        bool dup = false;
        for (size_t i = 0; i < key_table_size; i++)
                for (size_t j = i + 1; j < key_table_size; j++)
                        for (size_t a = 0; a < 3 && key_table[i].keys[a]; a++)
                                for (size_t b = 0; b < 3 && key_table[j].keys[b]; b++)
                                        if (key_table[i].keys[a] == key_table[j].keys[b] &&
                                            (key_table[i].views & key_table[j].views)) {
                                                dup = true;
                                                printf("# key %d bound twice\n",
                                                       key_table[i].keys[a]);
                                        }
        ok(!dup, "no key is bound twice in the same view");
        char **lines = NULL;
        is_int(help_lines(&lines), key_table_size, "the help lists every binding");
        strv_free(lines);
}

int main(void)
{
        test_escape();
        test_frame();
        test_host();
        test_format();
        test_conf();
        test_table();
        test_job_records();
        test_app();
        test_key_table();
        return tap_done();
}
