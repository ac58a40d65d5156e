/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Actions run in child processes, so that the table keeps updating while a stop waits for its
 * timeout or a snapshot copies a tree. The child runs the backend's act() and writes its
 * progress and its result into a socket pair; the dashboard polls its end and shows what
 * arrives in the status line. A session (console, shell) is a job whose child has the terminal
 * while the dashboard waits with its screen suspended. */

#include <stdint.h>

#include "backend.h"

/* A record's payload is cut to this; messages are one line. */
#define JOB_PAYLOAD_MAX 4096
#define JOB_BUF_MAX (4 * JOB_PAYLOAD_MAX)

typedef struct Job {
        ActionRequest req;
        pid_t pid;
        int fd;                 /* our end of the socket pair; -EBADF once the child is reaped */
        bool session;           /* the child has the terminal */
        uint64_t started_usec;  /* CLOCK_MONOTONIC */
        uint64_t deadline_usec; /* when the library kills (stop's timeout); 0: no countdown */

        char *progress; /* the latest progress line (raw) or NULL */
        double fraction;

        bool done;
        int result;    /* 0 or -errno */
        char *message; /* on failure the library's message, on success its output; raw */

        char buf[JOB_BUF_MAX];
        size_t len;
} Job;

typedef struct Jobs {
        Job **items;
        size_t n;
} Jobs;

/* Forks the child for req; the child's result arrives through job->fd. */
int jobs_start(Jobs *jobs, Backend *b, const ActionRequest *req, bool session, Job **ret);
/* Reads what the child wrote so far. Returns true once the job has finished: its child has
 * exited and been reaped, and result and message are set. */
bool job_read(Job *j);
/* Ends the child at once (SIGKILL to its process group) and reaps it; the job is done with
 * -ECANCELED. */
void job_cancel(Job *j);
/* The running (not done) job of a container; any kind when kind is _ACTION_INVALID. */
Job *jobs_find(Jobs *jobs, const char *name, ActionKind kind);
void jobs_remove(Jobs *jobs, Job *j);
void jobs_done(Jobs *jobs);

/* Pure: parses complete records at the start of buf; returns bytes consumed. Exposed for the
 * unit tests. */
size_t job_parse_records(Job *j, const char *buf, size_t len);
