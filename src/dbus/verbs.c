/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs the Manager (by name, its first argument) and every container object (its own
 * name) both have. Each one reads and checks its arguments, asks auth_check(), and hands the
 * work to a worker child; nothing here waits for a container. */
#include <limits.h>
#include <string.h>

#include "berthd.h"
#include "wire.h"

int check_name(const char *name, const char *what, sd_bus_error *error)
{
        if (berth_name_is_valid(name))
                return 0;
        _cleanup_free_ char *e = berth_escape(name);
        return bus_error_setf(error, EINVAL,
                              "%s '%s': invalid container name (lower-case letters, digits and "
                              "'-', at most 63, not starting with '-')",
                              what, e);
}

/* The container a call is about: the Manager's first argument, or the object's own. */
static int read_target(sd_bus_message *msg, void *userdata, const char *what, Manager **ret_m,
                       const char **ret_name, sd_bus_error *error)
{
        if (streq_ptr(sd_bus_message_get_interface(msg), MANAGER_IFACE)) {
                const char *name;
                int r = sd_bus_message_read(msg, "s", &name);
                if (r < 0)
                        return r;
                r = check_name(name, what, error);
                if (r < 0)
                        return r;
                *ret_m = userdata;
                *ret_name = name;
        } else {
                Container *c = userdata;
                *ret_m = c->manager;
                *ret_name = c->name;
        }
        return 0;
}

/* A fresh look at the store: snapshot calls tell a missing container (NoSuchContainer, here)
 * from a missing snapshot (NoSuchSnapshot, from the worker's ENOENT). */
static int check_exists(Manager *m, const char *name, const char *what, sd_bus_error *error)
{
        int r = manager_refresh(m, error);
        if (r < 0)
                return r;
        if (manager_find_container(m, name))
                return 0;
        return bus_error_setf(error, ENOENT, "%s '%s': no such container", what, name);
}

static int check_text(const char *s, size_t max, const char *what, const char *name,
                      const char *field, sd_bus_error *error)
{
        size_t n = strnlen(s, max + 1);
        if (n > max)
                return bus_error_setf(error, EINVAL, "%s '%s': %s too long (more than %zu bytes)",
                                      what, name, field, max);
        return 0;
}

/* Start, Kill, Freeze, Thaw: a name and nothing else. */
static int simple_verb(sd_bus_message *msg, void *userdata, sd_bus_error *error, const char *what,
                       WorkerKind kind)
{
        Manager *m;
        const char *name;
        int r = read_target(msg, userdata, what, &m, &name, error);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_MANAGE, what, name, error);
        return worker_spawn(m, kind, &(WorkerArgs){.name = name}, msg, error);
}

int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        return simple_verb(msg, userdata, error, "start", WORKER_START);
}

int method_kill(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        return simple_verb(msg, userdata, error, "kill", WORKER_KILL);
}

int method_freeze(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        return simple_verb(msg, userdata, error, "freeze", WORKER_FREEZE);
}

int method_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        return simple_verb(msg, userdata, error, "thaw", WORKER_THAW);
}

int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        return simple_verb(msg, userdata, error, "restart", WORKER_RESTART);
}

int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m;
        const char *name;
        uint32_t timeout;
        int r = read_target(msg, userdata, "stop", &m, &name, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &timeout);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_MANAGE, "stop", name, error);
        WorkerArgs a = {
                .name = name,
                /* 0: the container's own init.stop_timeout */
                .timeout_sec = timeout == 0 ? -1 : (int)MIN(timeout, (uint32_t)INT_MAX),
        };
        return worker_spawn(m, WORKER_STOP, &a, msg, error);
}

int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m;
        const char *name;
        int force;
        int r = read_target(msg, userdata, "destroy", &m, &name, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "b", &force);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_CREATE, "destroy", name, error);
        return worker_spawn(m, WORKER_DESTROY, &(WorkerArgs){.name = name, .force = force}, msg,
                            error);
}

int method_snapshot(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m;
        const char *name, *snap, *comment;
        int r = read_target(msg, userdata, "snapshot", &m, &name, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "ss", &snap, &comment);
        if (r < 0)
                return r;
        r = check_text(snap, BERTHD_SNAP_NAME_MAX, "snapshot", name, "snapshot name", error);
        if (r >= 0)
                r = check_text(comment, BERTHD_ARG_MAX, "snapshot", name, "comment", error);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_SNAPSHOT, "snapshot", name, error);
        r = check_exists(m, name, "snapshot", error);
        if (r < 0)
                return r;
        WorkerArgs a = {
                .name = name,
                .snap = *snap ? snap : NULL,
                .comment = *comment ? comment : NULL,
        };
        return worker_spawn(m, WORKER_SNAPSHOT, &a, msg, error);
}

int append_snapshots(Manager *m, sd_bus_message *reply, const char *name, bool property,
                     sd_bus_error *error)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthSnapshot *snaps = NULL;
        size_t n = 0;
        int r = berth_snapshot_list(m->ctx, name, &snaps, &n, &err);
        /* A backend without snapshots has none: the property says so instead of failing a
         * GetAll of every property; the method tells why. */
        if (r == -EOPNOTSUPP && property)
                n = 0, r = 0;
        if (r < 0)
                return bus_error_from_berth(error, r, err);
        r = sd_bus_message_open_container(reply, 'a', "(stts)");
        for (size_t i = 0; i < n && r >= 0; i++) {
                /* Comments are the user's text: made bus-safe like every message. */
                const char *comment = strempty(snaps[i].comment);
                _cleanup_free_ char *c =
                        bus_text_sanitize(comment, strlen(comment), BERTHD_ARG_MAX);
                _cleanup_free_ char *s =
                        bus_text_sanitize(snaps[i].name, strlen(snaps[i].name), BERTHD_ARG_MAX);
                r = sd_bus_message_append(reply, "(stts)", s, snaps[i].created_usec,
                                          snaps[i].size, c);
        }
        berth_snapshots_free(snaps, n);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

int method_list_snapshots(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m;
        const char *name;
        int r = read_target(msg, userdata, "list snapshots", &m, &name, error);
        if (r < 0)
                return r;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_snapshots(m, reply, name, false, error);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* RestoreSnapshot and DeleteSnapshot: a name and a snapshot. */
static int snapshot_verb(sd_bus_message *msg, void *userdata, sd_bus_error *error,
                         const char *what, WorkerKind kind)
{
        Manager *m;
        const char *name, *snap;
        int r = read_target(msg, userdata, what, &m, &name, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "s", &snap);
        if (r < 0)
                return r;
        if (!*snap)
                return bus_error_setf(error, EINVAL, "%s '%s': no snapshot given", what, name);
        r = check_text(snap, BERTHD_SNAP_NAME_MAX, what, name, "snapshot name", error);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_SNAPSHOT, what, name, error);
        r = check_exists(m, name, what, error);
        if (r < 0)
                return r;
        return worker_spawn(m, kind, &(WorkerArgs){.name = name, .snap = snap}, msg, error);
}

int method_restore_snapshot(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        return snapshot_verb(msg, userdata, error, "restore snapshot", WORKER_RESTORE);
}

int method_delete_snapshot(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        return snapshot_verb(msg, userdata, error, "delete snapshot", WORKER_DELETE_SNAPSHOT);
}

int method_clone(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m;
        const char *src, *dst, *snap;
        int r = read_target(msg, userdata, "clone", &m, &src, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "ss", &dst, &snap);
        if (r < 0)
                return r;
        r = check_name(dst, "clone", error);
        if (r >= 0)
                r = check_text(snap, BERTHD_SNAP_NAME_MAX, "clone", src, "snapshot name", error);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_CREATE, "clone", src, error);
        r = check_exists(m, src, "clone", error);
        if (r < 0)
                return r;
        WorkerArgs a = {.name = src, .name2 = dst, .snap = *snap ? snap : NULL};
        return worker_spawn(m, WORKER_CLONE, &a, msg, error);
}

int method_console_log(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m;
        const char *name;
        int r = read_target(msg, userdata, "console log", &m, &name, error);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_CONSOLE, "console log", name, error);
        /* One request to the monitor (bounded by the context's call timeout) or a file read. */
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_free_ char *log = NULL;
        size_t size = 0;
        r = berth_console_log(m->ctx, name, &log, &size, &err);
        if (r < 0)
                return bus_error_from_berth(error, r, err);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', log, size);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
