/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-tui: the dashboard. Options, signals and the main loop: one poll over the terminal,
 * the library's event source and the jobs' sockets, with a timer for the stats refresh. */
#include <getopt.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "app.h"
#include "escape.h"
#include "keys.h"
#include "panels.h"
#include "parse.h"
#include "screen.h"
#include "time-util.h"

#define EXIT_USAGE 2
#define DELAY_MIN_USEC (100 * USEC_PER_MSEC)
#define DELAY_MAX_USEC (3600 * USEC_PER_SEC)
#define ITERATIONS_MAX 1000000
#define POLL_FDS_MAX 64

static const char help_text[] =
        "Usage: berth-tui [OPTIONS...]\n"
        "\n"
        "An interactive dashboard of the system containers of a berth store: a live table\n"
        "with state, CPU, memory and pids, and keys to start, stop, freeze, snapshot,\n"
        "restore, clone, destroy them and attach to their console or a shell. Press ? or F1\n"
        "inside for every key.\n"
        "\n"
        "Options:\n"
        "  -d, --delay SECONDS     stats refresh interval (default 1; 0.1 to 3600); state\n"
        "                          changes show at once regardless\n"
        "  -n, --iterations N      batch mode: print N frames as plain text and exit\n"
        "  -b, --batch             batch mode until interrupted (with -n: N frames)\n"
        "  -s, --sort COLUMN       sort by name, state, pid, cpu, memory, pids, ipv4,\n"
        "                          uptime, autostart or snapshots (default name)\n"
        "  -r, --reverse           reverse the sort order\n"
        "  -a, --hide-stopped      start with stopped containers hidden\n"
        "      --no-color          no colours (also when NO_COLOR is set)\n"
        "      --store DIR         container store (default: $BERTH_STORE or " BERTH_STORE_DEFAULT
        ")\n"
        "      --rundir DIR        runtime directory (default: $BERTH_RUNDIR or "
        BERTH_RUNDIR_DEFAULT ")\n"
        "  -h, --help              show this help\n"
        "      --version           show the version\n";

static uint64_t arg_delay = USEC_PER_SEC;
static long arg_iterations = -1;
static bool arg_batch = false;
static bool arg_color = true;
static ColumnId arg_sort = COL_NAME;
static bool arg_reverse = false;
static bool arg_hide_stopped = false;
static BerthContextOptions arg_context = {};

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
        va_list ap;
        fputs("berth-tui: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_USAGE;
}

enum { ARG_NO_COLOR = 0x100, ARG_STORE, ARG_RUNDIR, ARG_VERSION };

/* 0 to go on, -1 to exit successfully (help, version), > 0 an exit status. */
static int parse_argv(int argc, char *argv[])
{
        static const struct option options[] = {
                {"delay", required_argument, NULL, 'd'},
                {"iterations", required_argument, NULL, 'n'},
                {"batch", no_argument, NULL, 'b'},
                {"sort", required_argument, NULL, 's'},
                {"reverse", no_argument, NULL, 'r'},
                {"hide-stopped", no_argument, NULL, 'a'},
                {"no-color", no_argument, NULL, ARG_NO_COLOR},
                {"no-colour", no_argument, NULL, ARG_NO_COLOR},
                {"store", required_argument, NULL, ARG_STORE},
                {"rundir", required_argument, NULL, ARG_RUNDIR},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":d:n:bs:rah", options, NULL)) >= 0) {
                switch (c) {
                case 'd': {
                        uint64_t usec;
                        if (parse_duration_usec(optarg, &usec) < 0 || usec < DELAY_MIN_USEC ||
                            usec > DELAY_MAX_USEC)
                                return usage_error("invalid delay '%s': use seconds from 0.1 "
                                                   "to 3600",
                                                   optarg);
                        arg_delay = usec;
                        break;
                }
                case 'n': {
                        uint64_t n;
                        if (parse_uint64(optarg, &n) < 0 || n < 1 || n > ITERATIONS_MAX)
                                return usage_error("invalid iterations '%s': use a number from "
                                                   "1 to 1000000",
                                                   optarg);
                        arg_iterations = (long)n;
                        arg_batch = true;
                        break;
                }
                case 'b':
                        arg_batch = true;
                        break;
                case 's':
                        arg_sort = column_from_string(optarg);
                        if (arg_sort < 0)
                                return usage_error("invalid sort column '%s': see --help",
                                                   optarg);
                        break;
                case 'r':
                        arg_reverse = true;
                        break;
                case 'a':
                        arg_hide_stopped = true;
                        break;
                case ARG_NO_COLOR:
                        arg_color = false;
                        break;
                case ARG_STORE:
                        if (!*optarg)
                                return usage_error("invalid store directory '%s'", optarg);
                        arg_context.store = optarg;
                        break;
                case ARG_RUNDIR:
                        if (!*optarg)
                                return usage_error("invalid runtime directory '%s'", optarg);
                        arg_context.rundir = optarg;
                        break;
                case 'h':
                        fputs(help_text, stdout);
                        return -1;
                case ARG_VERSION:
                        printf("berth-tui %s\n", PACKAGE_VERSION);
                        return -1;
                case ':':
                        return usage_error("option '%s' requires an argument", argv[optind - 1]);
                default:
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        /* https://no-color.org: any non-empty value. */
        const char *nc = getenv("NO_COLOR");
        if (nc && *nc)
                arg_color = false;
        return 0;
}

/* ---- signals ------------------------------------------------------------------------------ */

static volatile sig_atomic_t got_quit, got_winch;
static int sig_fd = -EBADF;

static void on_quit_signal(int sig)
{
        got_quit = sig;
}

static void on_winch(int sig)
{
        got_winch = 1;
}

static void on_crash(int sig)
{
        /* SA_RESETHAND made the next one fatal: restore the terminal, then die of it. */
        screen_emergency_restore();
        raise(sig);
}

static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};

/* The quit signals and SIGWINCH are blocked and read from a signalfd in the same poll as
 * everything else: none is lost between a check and the wait, and none waits for a poll that
 * never blocks (ppoll delivers its unblocked signals only when it returns EINTR, which it never
 * does while an fd is ready, e.g. a terminal that hung up). The handlers stay installed only so
 * that curses does not install its own. SIGTTOU is blocked for good: taking the terminal back
 * after a session happens from the background. */
static int setup_signals(void)
{
        struct sigaction sa = {.sa_handler = on_quit_signal};
        sigset_t block;

        sigemptyset(&block);
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(quit_signals); i++) {
                sigaction(quit_signals[i], &sa, NULL);
                sigaddset(&block, quit_signals[i]);
        }
        sa.sa_handler = on_winch;
        sigaction(SIGWINCH, &sa, NULL);
        sigaddset(&block, SIGWINCH);

        struct sigaction crash = {.sa_handler = on_crash, .sa_flags = SA_RESETHAND | SA_NODEFER};
        sigemptyset(&crash.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(crash_signals); i++)
                sigaction(crash_signals[i], &crash, NULL);
        signal(SIGPIPE, SIG_IGN);

        sig_fd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sig_fd < 0)
                return negative_errno();
        sigaddset(&block, SIGTTOU);
        sigprocmask(SIG_BLOCK, &block, NULL);
        return 0;
}

static void read_signals(void)
{
        struct signalfd_siginfo si;
        while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGWINCH)
                        got_winch = 1;
                else
                        got_quit = (int)si.ssi_signo;
        }
}

/* Polls fds[0..n) and the signals until deadline (CLOCK_MONOTONIC); fds has room for one
 * more entry, the signalfd's. */
static void wait_fds(struct pollfd *fds, size_t n, uint64_t deadline)
{
        fds[n] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
        (void)poll(fds, n + 1, deadline_to_poll_ms(deadline));
        read_signals();
}

/* ---- batch mode --------------------------------------------------------------------------- */

static int run_batch(App *app)
{
        struct pollfd none[1];
        long frames = 0;

        /* The first frame waits for a second sample, so that CPU use is known. */
        app_refresh(app);
        uint64_t next = now_usec() + MIN(arg_delay, 200 * USEC_PER_MSEC);
        for (;;) {
                while (!got_quit && now_usec() < next)
                        wait_fds(none, 0, next);
                if (got_quit)
                        break;
                app_refresh(app);
                table_rebuild_view(app->table);
                next = now_usec() + arg_delay;

                int width = MAX(panel_table_full_width(app), 80);
                Frame *f = frame_new(width, app_batch_height(app));
                app_draw_batch(app, f, realtime_usec());
                if (frames > 0)
                        putchar('\n');
                for (int y = 0; y < f->height; y++) {
                        _cleanup_free_ char *l = frame_row_text(f, y);
                        puts(l);
                }
                frame_free(f);
                if (app->refresh_error)
                        fprintf(stderr, "berth-tui: %s\n", app->refresh_error);
                if (fflush(stdout) != 0)
                        return EXIT_FAILURE; /* the reader went away */
                if (++frames == arg_iterations)
                        break;
        }
        return app->refresh_error ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- interactive -------------------------------------------------------------------------- */

static void draw(App *app, Frame **f)
{
        int rows, cols;
        screen_size(&rows, &cols);
        if (!*f || (*f)->width != cols || (*f)->height != rows) {
                frame_free(*f);
                *f = frame_new(cols, rows);
        }
        app_draw(app, *f, realtime_usec());
        int cy = -1, cx = -1;
        if (!app_cursor(app, *f, &cy, &cx))
                cy = -1;
        screen_blit(*f, cy, cx);
}

/* Does what a reaction asks for and draws the result. */
static void apply(App *app, Reaction react, Frame **f, bool in_session)
{
        if (react & REACT_REFRESH) {
                app_refresh(app);
                app->next_refresh_usec = now_usec() + arg_delay;
        }
        if (react & REACT_DETAIL && app->view == VIEW_DETAIL)
                app_load_detail(app);
        if (react & (REACT_REVIEW | REACT_REFRESH))
                table_rebuild_view(app->table);
        if (!in_session && react != REACT_NONE)
                draw(app, f);
}

/* Gives the terminal back to the shell's modes, says where we are going, and only then starts
 * the console or shell child, which sets the terminal up for itself. */
static bool session_begin(App *app)
{
        const ActionRequest *req = &app->pending_session;
        /* Straight to the terminal, not through a frame: escaped here. */
        _cleanup_free_ char *name = escape_str(req->name);
        screen_suspend();
        if (req->kind == ACTION_CONSOLE)
                printf("berth-tui: console of '%s'; Ctrl-a q returns to the dashboard\n", name);
        else
                printf("berth-tui: shell in '%s'; exit returns to the dashboard\n", name);
        fflush(stdout);
        if (app_start_session(app) < 0) {
                screen_resume();
                return false;
        }
        return true;
}

static void session_end(void)
{
        /* The session's process group had the foreground; it is ours again. SIGTTOU is
         * blocked, so this works from the background. */
        (void)tcsetpgrp(STDIN_FILENO, getpgrp());
        screen_resume();
        /* The window may have been resized meanwhile. */
        screen_resize();
}

static int run_interactive(App *app)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        Frame *f = NULL;
        const char *why = NULL;

        int r = screen_init(arg_color, &why);
        if (r < 0) {
                fprintf(stderr, "berth-tui: %s\n", why);
                return EXIT_FAILURE;
        }
        escape_set_unicode(screen_unicode());

        r = app->backend->ops->events_open(app->backend, &err);
        app->events_live = r >= 0;
        if (r < 0)
                app->events_error = escape_str(berth_error_message(err, r));

        Reaction react = REACT_REDRAW;
        bool in_session = false;
        while (!got_quit) {
                react |= app_process_jobs(app);

                if (in_session && !app->session) {
                        session_end();
                        in_session = false;
                        react |= REACT_REDRAW;
                }
                if (react & REACT_SESSION && app->pending_session.name) {
                        in_session = session_begin(app);
                        react |= REACT_REDRAW;
                }
                if (react & REACT_QUIT)
                        break;
                apply(app, react, &f, in_session);
                /* The timer's work (a stats refresh takes a while with many containers) comes
                 * only once what a key or an event asked for is on the screen. */
                apply(app, app_tick(app, now_usec()), &f, in_session);
                react = REACT_NONE;

                struct pollfd fds[POLL_FDS_MAX + 1];
                size_t n = 0;
                /* During a session only a hangup of the terminal is of interest here (events
                 * 0 still reports POLLHUP and POLLERR). */
                fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = in_session ? 0 : POLLIN};
                int efd = app->events_live ? app->backend->ops->events_fd(app->backend) : -1;
                if (efd >= 0)
                        fds[n++] = (struct pollfd){.fd = efd, .events = POLLIN};
                for (size_t i = 0; i < app->jobs.n && n < POLL_FDS_MAX; i++)
                        if (app->jobs.items[i]->fd >= 0)
                                fds[n++] = (struct pollfd){.fd = app->jobs.items[i]->fd,
                                                           .events = POLLIN};
                wait_fds(fds, n, app_next_wakeup(app, now_usec()));

                /* The terminal went away (its window closed, its multiplexer died): nobody
                 * is left to look, so leave as on SIGHUP instead of polling a dead fd. */
                if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
                        got_quit = SIGHUP;
                /* During a session the terminal is not ours: the size is looked at again
                 * when the screen comes back. */
                if (got_winch && !in_session) {
                        got_winch = 0;
                        screen_resize();
                        react |= REACT_REDRAW;
                }
                if (efd >= 0 && fds[1].revents)
                        react |= app_dispatch_events(app);
                if (!in_session && fds[0].revents) {
                        int key;
                        while ((key = screen_read_key()) != TK_NONE) {
                                react |= app_handle_key(app, key);
                                if (react & (REACT_QUIT | REACT_SESSION))
                                        break;
                        }
                }
        }

        if (app->session) {
                /* Quitting while a session has the terminal: end it; screen_done() puts the
                 * terminal modes back, whatever the session left. */
                job_cancel(app->session);
                (void)tcsetpgrp(STDIN_FILENO, getpgrp());
        }
        screen_done();
        frame_free(f);
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_(backend_freep) Backend *backend = NULL;

        setlocale(LC_ALL, "");
        int r = parse_argv(argc, argv);
        if (r != 0)
                return r < 0 ? EXIT_SUCCESS : r;

        r = backend_berth_new(&arg_context, &backend, &err);
        if (r < 0) {
                fprintf(stderr, "berth-tui: %s\n", berth_error_message(err, r));
                return EXIT_FAILURE;
        }
        r = setup_signals();
        if (r < 0) {
                fprintf(stderr, "berth-tui: set up signals: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }

        App *app = app_new(backend, arg_delay);
        app->table->sort = arg_sort;
        app->table->sort_reverse = arg_reverse;
        app->table->show_stopped = !arg_hide_stopped;

        app->batch = arg_batch;
        if (arg_batch)
                r = run_batch(app);
        else
                r = run_interactive(app);
        app_free(app);
        if (got_quit == SIGINT || got_quit == SIGTERM || got_quit == SIGHUP) {
                /* Terminal restored: now die of the signal, so the caller sees why. */
                backend = backend_free(backend);
                signal(got_quit, SIG_DFL);
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, got_quit);
                sigprocmask(SIG_UNBLOCK, &s, NULL);
                raise(got_quit);
        }
        return r;
}
