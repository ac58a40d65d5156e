/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The monitor's own state, shared by its event loop (monitor.c) and its setup and teardown
 * (monitor-setup.c). */

#include "console/console.h"
#include "context.h"
#include "init.h"
#include "monitor.h"
#include "net/net.h"
#include "runplan.h"

#define RING_SIZE (64 * 1024)
#define CONSOLE_LOG_MAX (1024 * 1024) /* console.log is restarted past this */

typedef enum ItemKind {
        ITEM_LISTEN,
        ITEM_INIT,
        ITEM_TIMER,
        ITEM_CONSOLE,
        ITEM_NOTIFY,
        ITEM_CLIENT,
} ItemKind;

typedef struct Item {
        ItemKind kind;
} Item;

typedef struct Client {
        Item item; /* first: the epoll pointer is the client */
        int fd;
        bool subscribed;
        bool stop_waiter;
        bool console_proxy; /* a stream socket relayed to the console */
        struct Client *next;
} Client;

typedef struct Monitor {
        BerthContext *ctx;
        const char *name;
        BerthConfig *config;
        char *container_dir;
        char *run_dir;
        char *rootfs;

        CgroupLayout *layout;
        Cgroup *payload, *ns, *own;

        RunPlan *plan;
        const LsmOps *lsm;
        InitSignals signals;
        InitKind init_kind;

        int epfd, listen_fd, timer_fd, lock_fd, console_log_fd;
        size_t console_log_size;
        Item listen_item, init_item, timer_item, console_item, notify_item;
        char *uuid;
        char *os_release;
        bool ready; /* READY=1 seen (or an init that does not notify) */

        SpawnResult init;
        int slaves[MONITOR_TTYS_MAX + 1]; /* held so a closed console never hangs up the master */
        uint64_t init_starttime;
        uint64_t started;       /* CLOCK_REALTIME when the current init was started */
        uint64_t own_starttime; /* this monitor's, so readers can tell it is still alive */
        BerthState state;
        uint64_t since;

        RingBuffer *ring;
        Client *clients;

        NetGlobal net;   /* the bridge's settings (global config) */
        bool start_ephemeral; /* berth start --ephemeral */
        char *ephemeral_dir;  /* its throw-away layer, dropped at the end */
        int netns_fd;    /* the container's network namespace, until the network's teardown */
        bool adopted; /* took over a running init from a monitor that died */
        bool stop_requested, halt_sent, killed, done;
        uint64_t stop_deadline;
        uint64_t alone_since;
} Monitor;


void monitor_write_state(Monitor *m);
void monitor_set_state(Monitor *m, BerthState s);
int monitor_epoll_add(Monitor *m, int fd, uint32_t events, void *ptr);
/* Clones and starts the container's init (also after a reboot from inside). */
int monitor_spawn_init(Monitor *m, BerthError **reterr);
/* Kills what is left of the container and lets go of its init. */
void monitor_kill_container(Monitor *m);
void monitor_release_init(Monitor *m);
void monitor_broadcast_state(Monitor *m);
void monitor_client_free(Monitor *m, Client *c);
int monitor_run_loop(Monitor *m);
/* The end: STOPPED to subscribers, the answer to stop waiters, every client gone. */
void monitor_farewell(Monitor *m);

int monitor_setup(Monitor *m, BerthError **reterr);
void monitor_teardown(Monitor *m);
