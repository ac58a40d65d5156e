/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the dashboard needs from the container world, as one small ops table. backend-berth.c
 * implements it over libberth (berth.h only); the unit tests use a fake one. Queries run in the
 * dashboard's process and are quick; actions may take long (a stop waits up to its timeout, a
 * dir snapshot copies a tree), so jobs.c runs each in a child process, and sessions (console,
 * shell) run in a child that has the terminal. */

#include "berth.h"

typedef enum ActionKind {
        ACTION_START,
        ACTION_STOP,
        ACTION_KILL,
        ACTION_RESTART,
        ACTION_FREEZE,
        ACTION_THAW,
        ACTION_SNAPSHOT,
        ACTION_RESTORE,
        ACTION_SNAPSHOT_DELETE,
        ACTION_CLONE,
        ACTION_DESTROY,
        ACTION_ADOPT,    /* take an orphan (init alive, monitor dead) back under a monitor */
        ACTION_HOSTNAME, /* read the live hostname (the output is the hostname) */
        ACTION_CONSOLE,  /* sessions: need the terminal */
        ACTION_SHELL,
        _ACTION_MAX,
        _ACTION_INVALID = -1,
} ActionKind;

/* "start", "stop", ... the verb shown in status lines. */
const char *action_to_string(ActionKind k);

typedef struct ActionRequest {
        ActionKind kind;
        char *name;
        char *target;  /* snapshot name (snapshot, restore, delete), new name (clone) or NULL */
        char *comment; /* snapshot comment or NULL */
        bool force;    /* restore: stop a running container first; destroy: kill it first */
        bool snapshots; /* destroy: also delete its snapshots */
} ActionRequest;

void action_request_done(ActionRequest *r);
void action_request_copy(ActionRequest *dst, const ActionRequest *src);

typedef struct Backend Backend;

/* Progress of a long action (from the library's progress callback), in the job child. */
typedef void (*BackendProgressFunc)(const char *line, double fraction, void *userdata);

typedef struct BackendOps {
        /* Every container's info, sorted by name. */
        int (*infos)(Backend *b, BerthInfo **ret, size_t *ret_n, BerthError **reterr);
        /* The live event source: open it, its fd (for poll), dispatch what is pending. */
        int (*events_open)(Backend *b, BerthError **reterr);
        int (*events_fd)(Backend *b);
        int (*events_dispatch)(Backend *b, BerthEventFunc f, void *userdata,
                               BerthError **reterr);
        /* For the detail view. */
        int (*config_show)(Backend *b, const char *name, char **ret_yaml, BerthError **reterr);
        int (*snapshots)(Backend *b, const char *name, BerthSnapshot **ret, size_t *ret_n,
                         BerthError **reterr);
        int (*console_log)(Backend *b, const char *name, char **ret, size_t *ret_size,
                           BerthError **reterr);
        /* Runs one action to its end; in a job child (or a session child, with the terminal as
         * stdio). *ret_output (may be left NULL) is what the action produced to show: the
         * snapshot's name, the hostname. */
        int (*act)(Backend *b, const ActionRequest *req, BackendProgressFunc progress,
                   void *userdata, char **ret_output, BerthError **reterr);
        Backend *(*free)(Backend *b);
} BackendOps;

struct Backend {
        const BackendOps *ops;
};

/* The libberth backend; opts as for berth_context_new(). */
int backend_berth_new(const BerthContextOptions *opts, Backend **ret, BerthError **reterr);

static inline Backend *backend_free(Backend *b)
{
        return b ? b->ops->free(b) : NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Backend *, backend_free);
