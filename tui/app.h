/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The dashboard's state and its reactions: one App, drawn into a Frame by the panels
 * (panel-*.c), changed by the actions of the key table (actions.c), by refreshes, events and
 * finished jobs (app.c). Nothing here knows about curses. */

#include <stdint.h>

#include "backend.h"
#include "conf.h"
#include "frame.h"
#include "host.h"
#include "jobs.h"
#include "table.h"

typedef enum View {
        VIEW_TABLE,
        VIEW_DETAIL,
        VIEW_HELP,
        _VIEW_MAX,
} View;

/* What an action asks the main loop to do next. */
typedef enum Reaction {
        REACT_NONE = 0,
        REACT_REDRAW = 1 << 0,  /* draw the frame again */
        REACT_REVIEW = 1 << 1,  /* rebuild the table's view (filter, sort, stopped), redraw */
        REACT_REFRESH = 1 << 2, /* query the backend now, redraw */
        REACT_DETAIL = 1 << 3,  /* reload the detail view's data, redraw */
        REACT_SESSION = 1 << 4, /* a session job started: give it the terminal */
        REACT_QUIT = 1 << 5,
} Reaction;

typedef struct App App;

/* A question in the status line: free text, or y/n. The answer goes to done(), which gets the
 * prompt already closed (it may open the next one). */
typedef struct Prompt Prompt;
typedef Reaction (*PromptDone)(App *app, Prompt *p, const char *answer);
struct Prompt {
        char *question;     /* display-safe */
        char input[256];
        size_t len;
        bool yes_no;        /* one key: y/Y answers "y", anything else cancels */
        bool names_only;    /* accept only [a-z0-9-] (container and snapshot names) */
        bool live_filter;   /* every edit sets the table's filter */
        PromptDone done;
        ActionRequest req;  /* what the answer completes */
};

#define EVENT_LOG_MAX 16
/* A message stays in the status line at least this long before running jobs take it over. */
#define STATUS_HOLD_USEC (5 * 1000 * 1000ULL)

typedef struct EventLogEntry {
        uint64_t timestamp_usec; /* CLOCK_REALTIME */
        char *name;
        char *what; /* "running", "stopped", "defined", ... */
} EventLogEntry;

typedef struct Detail {
        char *name;
        Conf *conf;
        char *conf_error;
        BerthSnapshot *snaps;
        size_t n_snaps;
        size_t snap_selected;
        char *snaps_error;
        char *log; /* console log (raw) */
        size_t log_size;
        char *log_error;
        char *hostname; /* live hostname (raw) or NULL */
        bool hostname_asked;
} Detail;

struct App {
        Backend *backend;
        Table *table;
        Jobs jobs;

        View view;
        Prompt *prompt;
        bool sort_menu;
        int sort_menu_selected;
        int hscroll; /* first scrolled table column (the name stays) */
        int help_top; /* first line of the help view */
        int table_height;
        Detail detail;

        char *status; /* display-safe */
        bool status_error;
        uint64_t status_usec;

        EventLogEntry log[EVENT_LOG_MAX]; /* newest at log[0] */
        size_t n_log;

        HostSample host_prev, host;
        double host_cpu; /* < 0 unknown */

        uint64_t interval_usec;
        uint64_t next_refresh_usec; /* CLOCK_MONOTONIC */
        unsigned n_refreshes;
        bool events_live;
        char *events_error; /* why state changes are polled; display-safe */
        char *refresh_error;

        Job *session; /* the console or shell that has the terminal */
        ActionRequest pending_session; /* asked for; starts once the screen is suspended */
        bool batch;   /* plain-text frames: no event line, nothing interactive */
        bool quit;
};

App *app_new(Backend *b, uint64_t interval_usec);
App *app_free(App *app);

/* Queries the backend and merges the result into the table (and the detail data). */
void app_refresh(App *app);
/* Handles what the event source has; returns the reaction. */
Reaction app_dispatch_events(App *app);
/* Reads from every job; finished ones land in the status line. */
Reaction app_process_jobs(App *app);
/* What the periodic timer does (countdowns, the refresh); now is CLOCK_MONOTONIC. */
Reaction app_tick(App *app, uint64_t now);
/* When the main loop must wake up next (CLOCK_MONOTONIC). */
uint64_t app_next_wakeup(App *app, uint64_t now);
void app_load_detail(App *app);
/* Switches to the detail view of container name. */
void app_open_detail(App *app, const char *name);
/* Opens a question in the status line (question display-safe); replaces an open one. */
Prompt *app_prompt_open(App *app, const char *question, PromptDone done);
void app_prompt_close(App *app);
void prompt_free(Prompt *p);

/* Status line and event log. fmt's arguments must be display-safe (escape them). */
__attribute__((format(printf, 3, 4))) void app_status(App *app, bool error, const char *fmt,
                                                        ...);
void app_log_event(App *app, uint64_t timestamp_usec, const char *name, const char *what);

/* Starts an action on a container as a job; its result lands in the status line. A console
 * or shell is only noted (REACT_SESSION): the main loop suspends the screen first and then
 * calls app_start_session(), so the session never races curses for the terminal. */
Reaction app_run(App *app, const ActionRequest *req);
int app_start_session(App *app);

/* The key table (actions.c). */
Reaction app_handle_key(App *app, int key);
typedef Reaction (*ActionFunc)(App *app);
typedef struct KeyBinding {
        int keys[3]; /* 0-terminated when fewer */
        unsigned views; /* 1 << View where the binding applies */
        ActionFunc func;
        const char *help;
} KeyBinding;
extern const KeyBinding key_table[];
extern const size_t key_table_size;

/* Drawing (panel-*.c). */
void app_draw(App *app, Frame *f, uint64_t now_real);
/* Batch mode: the header and every row, as plain text lines. */
void app_draw_batch(App *app, Frame *f, uint64_t now_real);
/* The number of frame lines batch mode needs. */
int app_batch_height(App *app);
/* The cursor position while a prompt is open; false when there is none. */
bool app_cursor(App *app, Frame *f, int *ret_y, int *ret_x);
