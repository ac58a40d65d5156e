/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* berthd: org.berth.Berth1 on the system bus, a front end over libberth. One process, one
 * sd-event loop, no threads: everything that may take long (or wait on a monitor) runs in a
 * forked worker child that calls libberth and reports over a socket (worker.c). */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "berth.h"
#include "wire.h"

#define BUS_NAME "org.berth.Berth1"
#define MANAGER_PATH "/org/berth/Berth1"
#define JOB_PREFIX "/org/berth/Berth1/job"
#define MANAGER_IFACE "org.berth.Berth1.Manager"
#define CONTAINER_IFACE "org.berth.Berth1.Container"
#define JOB_IFACE "org.berth.Berth1.Job"

/* Caps on what a caller may hand berthd, checked before anything is done with it. */
#define BERTHD_YAML_MAX (1024U * 1024U)  /* as libberth's config cap */
#define BERTHD_ARG_MAX 4096U             /* a template option, a comment */
#define BERTHD_ARGS_MAX 256U             /* template options */
#define BERTHD_SNAP_NAME_MAX 255U
#define BERTHD_WORKERS_MAX 64U           /* concurrent worker children */
#define BERTHD_AUTH_QUERIES_MAX 256U     /* polkit questions in flight (any caller may cause one) */

typedef struct Manager Manager;
typedef struct Container Container;
typedef struct Worker Worker;
typedef struct AuthQuery AuthQuery;

/* A container as the bus sees it: it has an object and was announced (ContainerNew). */
struct Container {
        Manager *manager;
        char *name;
        char *path;
        /* The state as the live events told it (what PropertiesChanged said last), so listing
         * reads no file; state_known false until an event or a query told. */
        BerthState state;
        bool state_known;
        uint64_t adopt_after; /* CLOCK_MONOTONIC µs: no adoption attempt before (events.c) */
        /* systemd-machined registration (machined.c) */
        pid_t leader;              /* the running init that should be registered, or 0 */
        pid_t machine_leader;      /* the init registered now, or 0 */
        pid_t machine_failed;      /* registration of this init failed: not retried */
        pid_t machine_pending;     /* the init of the registration in flight */
        sd_bus_slot *machine_slot; /* a call to machined in flight */
};

struct Manager {
        sd_event *event;
        sd_bus *bus;
        BerthContextOptions options; /* kept for the workers' own contexts */
        BerthContext *ctx;

        BerthEvents *events;
        sd_event_source *events_source;
        bool events_live;

        Container **containers; /* sorted by name */
        size_t n_containers;

        /* One BerthInfo per event-loop iteration, shared by the property getters of one object
         * (a GetAll asks each getter in turn). */
        const Container *info_for;
        uint64_t info_stamp;
        BerthInfo info;

        Worker *workers;
        size_t n_workers;
        uint32_t last_job_id;

        AuthQuery *auth_queries;
        size_t n_auth_queries;

        bool machined_present;
        sd_bus_slot *machined_watch;
};

/* ---- errors.c ---- */
/* The D-Bus error name of a positive errno (errno alone decides). */
const char *bus_error_name(int error);
/* Sets e from a failed libberth call (r < 0) and its error object; returns r. */
int bus_error_from_berth(sd_bus_error *e, int r, const BerthError *err);
/* Sets e to the error of errno with a message made bus-safe; returns -error. */
int bus_error_setf(sd_bus_error *e, int error, const char *fmt, ...) _printf_(3, 4);
extern const sd_bus_error_map berth_error_map[];

/* ---- container.c ---- */
extern const sd_bus_vtable container_vtable[];
int container_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                          void **ret_found, sd_bus_error *error);
int container_node_enumerator(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                              sd_bus_error *error);
Container *manager_find_container(Manager *m, const char *name);
/* Adds (announcing ContainerNew and InterfacesAdded) when not there yet. */
Container *manager_add_container(Manager *m, const char *name);
/* Removes (announcing ContainerRemoved and InterfacesRemoved) when there. */
void manager_remove_container(Manager *m, const char *name);
/* Brings the registry in line with names (sorted, as berth_list returns them). */
void manager_reconcile(Manager *m, char *const *names);
/* Re-reads the store's list and reconciles; for paths where no live event source tells. */
int manager_refresh(Manager *m, sd_bus_error *error);
Container *container_free(Container *c);
/* Current info of c, fetched once per loop iteration; < 0 with error set on failure. */
int container_get_info(Container *c, const BerthInfo **ret, sd_bus_error *error);
void manager_forget_info(Manager *m);

/* ---- manager.c ---- */
extern const sd_bus_vtable manager_vtable[];
/* Every container's info, sorted by name (berth_info_all). */
int manager_info_all(Manager *m, BerthInfo **ret, size_t *ret_n, sd_bus_error *error);

/* ---- verbs.c: the methods both interfaces have ---- */
int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_kill(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_freeze(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_snapshot(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_snapshots(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_restore_snapshot(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_delete_snapshot(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_clone(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_console_log(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* Appends a(stts) of name's snapshots; for the property, "not supported" is an empty list. */
int append_snapshots(Manager *m, sd_bus_message *reply, const char *name, bool property,
                     sd_bus_error *error);
/* Checks a container name from a caller: InvalidName with the name escaped. */
int check_name(const char *name, const char *what, sd_bus_error *error);

/* ---- auth.c ---- */
#define ACTION_MANAGE "org.berth.manage"
#define ACTION_CREATE "org.berth.create"
#define ACTION_SNAPSHOT "org.berth.snapshot"
#define ACTION_CONSOLE "org.berth.console"
/* 1: the caller may (root, or polkit said yes); 0: polkit was asked, and the method handler
 * will be called again with the same message once it answers; < 0: refused (error set). */
int auth_check(Manager *m, sd_bus_message *msg, const char *action, const char *what,
               const char *container, sd_bus_error *error);
void auth_queries_free(Manager *m);
/* In a method handler: goes on when authorized; returns the error when refused; returns 1
 * ("handled": the reply comes later) while polkit is being asked. */
#define AUTH_OR_RETURN(m, msg, action, what, name, error)                                          \
        do {                                                                                       \
                int _r = auth_check((m), (msg), (action), (what), (name), (error));                \
                if (_r <= 0)                                                                       \
                        return _r < 0 ? _r : 1;                                                    \
        } while (0)

/* ---- worker.c ---- */
typedef enum WorkerKind {
        WORKER_START,
        WORKER_STOP,
        WORKER_KILL,
        WORKER_RESTART,
        WORKER_FREEZE,
        WORKER_THAW,
        WORKER_DESTROY,
        WORKER_CREATE,
        WORKER_APPLY,
        WORKER_SNAPSHOT,
        WORKER_RESTORE,
        WORKER_DELETE_SNAPSHOT,
        WORKER_CLONE,
        WORKER_ADOPT,
        _WORKER_KIND_MAX,
} WorkerKind;

typedef struct WorkerArgs {
        const char *name;      /* the container (the source for clone) */
        const char *name2;     /* clone: the new container */
        const char *snap;      /* snapshot, restore, delete, clone: NULL for none */
        const char *comment;   /* snapshot */
        const char *template_name;
        char **template_args;
        const char *yaml;      /* create: settings; apply: the composition */
        int timeout_sec;       /* stop; < 0 the container's own */
        bool force;            /* destroy */
} WorkerArgs;

/* Forks a worker for kind. msg is the method call: a job kind answers it at once with the job's
 * object path; the other kinds answer it when the worker is done. msg NULL: nobody waits (adopt).
 * Returns 1 (the call is answered or will be) or < 0 with error set. */
int worker_spawn(Manager *m, WorkerKind kind, const WorkerArgs *args, sd_bus_message *msg,
                 sd_bus_error *error);
extern const sd_bus_vtable job_vtable[];
int job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                    void **ret_found, sd_bus_error *error);
int job_node_enumerator(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                        sd_bus_error *error);
void workers_free(Manager *m);

/* ---- events.c ---- */
int events_setup(Manager *m);

/* ---- machined.c ---- */
int machined_setup(Manager *m);
/* Registers c's running init (leader) or unregisters it (leader 0); no-op without machined. */
void machined_update(Container *c, pid_t leader);
/* c is going away: unregisters whatever is or may be registered, without waiting. */
void machined_forget(Container *c);
