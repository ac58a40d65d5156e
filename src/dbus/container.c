/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Container objects: /org/berth/Berth1/container/<bus-escaped name>. The registry of containers
 * on the bus is kept in step with the store by the live event source (events.c), and with a
 * fresh listing wherever berthd reads one anyway (ListContainers, GetManagedObjects,
 * introspection), so ContainerNew/ContainerRemoved fire exactly once per appearance. */
#include <stdlib.h>
#include <string.h>

#include "berthd.h"
#include "log.h"
#include "strv.h"
#include "wire.h"

static ssize_t registry_index(Manager *m, const char *name, size_t *ret_insert)
{
        size_t lo = 0, hi = m->n_containers;
        if (ret_insert)
                *ret_insert = 0;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(m->containers[mid]->name, name);
                if (c == 0)
                        return (ssize_t)mid;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_insert)
                *ret_insert = lo;
        return -1;
}

Container *manager_find_container(Manager *m, const char *name)
{
        ssize_t i = registry_index(m, name, NULL);
        return i < 0 ? NULL : m->containers[i];
}

Container *container_free(Container *c)
{
        if (!c)
                return NULL;
        if (c->manager->info_for == c)
                manager_forget_info(c->manager);
        sd_bus_slot_unref(c->machine_slot);
        free(c->name);
        free(c->path);
        free(c);
        return NULL;
}

Container *manager_add_container(Manager *m, const char *name)
{
        size_t at;
        ssize_t i = registry_index(m, name, &at);
        if (i >= 0)
                return m->containers[i];
        Container *c = xcalloc(1, sizeof(*c));
        *c = (Container){.manager = m, .name = xstrdup(name), .path = container_path(name)};
        m->containers = xreallocarray(m->containers, m->n_containers + 1, sizeof(Container *));
        memmove(m->containers + at + 1, m->containers + at,
                (m->n_containers - at) * sizeof(Container *));
        m->containers[at] = c;
        m->n_containers++;

        int r = sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "ContainerNew", "so",
                                   c->name, c->path);
        if (r >= 0)
                r = sd_bus_emit_object_added(m->bus, c->path);
        if (r < 0)
                log_warning_errno(r, "announce container '%s': %s", name, strerror(-r));
        return c;
}

void manager_remove_container(Manager *m, const char *name)
{
        ssize_t i = registry_index(m, name, NULL);
        if (i < 0)
                return;
        Container *c = m->containers[i];
        machined_forget(c);
        /* InterfacesRemoved before the object is gone: sd-bus looks the interfaces up. */
        int r = sd_bus_emit_object_removed(m->bus, c->path);
        memmove(m->containers + i, m->containers + i + 1,
                (m->n_containers - (size_t)i - 1) * sizeof(Container *));
        m->n_containers--;
        if (r >= 0)
                r = sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "ContainerRemoved",
                                       "so", c->name, c->path);
        if (r < 0)
                log_warning_errno(r, "announce removal of container '%s': %s", name, strerror(-r));
        container_free(c);
}

void manager_reconcile(Manager *m, char *const *names)
{
        /* Both sorted: one merge walk finds what went and what came. Removals are collected
         * first (the registry shrinks while they are done). */
        _cleanup_strv_free_ char **gone = NULL, **came = NULL;
        size_t i = 0;
        char *const *n = names;
        while (i < m->n_containers || (n && *n)) {
                int c = i >= m->n_containers ? 1
                        : !(n && *n)         ? -1
                                             : strcmp(m->containers[i]->name, *n);
                if (c < 0)
                        strv_extend(&gone, m->containers[i++]->name);
                else if (c > 0)
                        strv_extend(&came, *n++);
                else
                        i++, n++;
        }
        STRV_FOREACH(g, gone)
                manager_remove_container(m, *g);
        STRV_FOREACH(a, came)
                manager_add_container(m, *a);
}

int manager_refresh(Manager *m, sd_bus_error *error)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_strv_free_ char **names = NULL;
        int r = berth_list(m->ctx, &names, &err);
        if (r < 0)
                return bus_error_from_berth(error, r, err);
        manager_reconcile(m, names);
        return 0;
}

int container_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                          void **ret_found, sd_bus_error *error)
{
        Manager *m = userdata;
        _cleanup_free_ char *name = NULL;
        if (container_name_from_path(path, &name) < 0)
                return 0;
        Container *c = manager_find_container(m, name);
        if (!c)
                return 0;
        *ret_found = c;
        return 1;
}

int container_node_enumerator(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                              sd_bus_error *error)
{
        Manager *m = userdata;
        /* Enumeration is a listing the caller asked for: make it a fresh one. */
        int r = manager_refresh(m, error);
        if (r < 0)
                return r;
        char **nodes = xcalloc(m->n_containers + 1, sizeof(char *));
        for (size_t i = 0; i < m->n_containers; i++)
                nodes[i] = xstrdup(m->containers[i]->path);
        *ret_nodes = nodes;
        return 0;
}

/* ---- properties -------------------------------------------------------------------------- */

void manager_forget_info(Manager *m)
{
        if (m->info_for)
                berth_info_clear(&m->info);
        m->info_for = NULL;
}

int container_get_info(Container *c, const BerthInfo **ret, sd_bus_error *error)
{
        Manager *m = c->manager;
        uint64_t now = 0;
        (void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (m->info_for != c || m->info_stamp != now || now == 0) {
                manager_forget_info(m);
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                int r = berth_info(m->ctx, c->name, &m->info, &err);
                if (r < 0)
                        return bus_error_from_berth(error, r, err);
                m->info_for = c;
                m->info_stamp = now;
        }
        *ret = &m->info;
        return 0;
}

#define INFO_OR_RETURN(c, info, error)                                                             \
        const BerthInfo *info;                                                                     \
        do {                                                                                       \
                int _r = container_get_info((c), &info, (error));                                  \
                if (_r < 0)                                                                        \
                        return _r;                                                                 \
        } while (0)

static int property_name(sd_bus *bus, const char *path, const char *interface,
                         const char *property, sd_bus_message *reply, void *userdata,
                         sd_bus_error *error)
{
        Container *c = userdata;
        return sd_bus_message_append(reply, "s", c->name);
}

static int property_state(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        INFO_OR_RETURN(userdata, info, error);
        return sd_bus_message_append(reply, "s", strempty(berth_state_to_string(info->state)));
}

static int property_init_pid(sd_bus *bus, const char *path, const char *interface,
                             const char *property, sd_bus_message *reply, void *userdata,
                             sd_bus_error *error)
{
        INFO_OR_RETURN(userdata, info, error);
        return sd_bus_message_append(reply, "u", (uint32_t)(info->init_pid > 0 ? info->init_pid : 0));
}

static int property_bool(sd_bus *bus, const char *path, const char *interface,
                         const char *property, sd_bus_message *reply, void *userdata,
                         sd_bus_error *error)
{
        INFO_OR_RETURN(userdata, info, error);
        bool v = streq(property, "Ready") ? info->ready : info->autostart;
        return sd_bus_message_append(reply, "b", (int)v);
}

static int property_u64(sd_bus *bus, const char *path, const char *interface,
                        const char *property, sd_bus_message *reply, void *userdata,
                        sd_bus_error *error)
{
        INFO_OR_RETURN(userdata, info, error);
        uint64_t v;
        if (streq(property, "Since"))
                v = info->since_usec;
        else if (streq(property, "CPUUsageNSec"))
                v = info->cpu_usec == UINT64_MAX || info->cpu_usec > UINT64_MAX / 1000
                            ? UINT64_MAX
                            : info->cpu_usec * 1000;
        else if (streq(property, "MemoryCurrent"))
                v = info->memory_current;
        else if (streq(property, "MemoryMax"))
                v = info->memory_limit;
        else if (streq(property, "PIDsCurrent"))
                v = info->pids_current;
        else
                v = info->pids_limit;
        return sd_bus_message_append(reply, "t", v);
}

static int property_addresses(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        INFO_OR_RETURN(userdata, info, error);
        int r = sd_bus_message_open_container(reply, 'a', "s");
        STRV_FOREACH(a, info->addresses) {
                if (r < 0)
                        break;
                r = sd_bus_message_append(reply, "s", *a);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_backend(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
        INFO_OR_RETURN(userdata, info, error);
        return sd_bus_message_append(reply, "s", strempty(info->backend));
}

static int property_snapshots(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        Container *c = userdata;
        return append_snapshots(c->manager, reply, c->name, true, error);
}

#define U SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable container_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("InitPID", "u", property_init_pid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Since", "t", property_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Ready", "b", property_bool, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", property_u64, 0, 0),
        SD_BUS_PROPERTY("MemoryCurrent", "t", property_u64, 0, 0),
        SD_BUS_PROPERTY("MemoryMax", "t", property_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PIDsCurrent", "t", property_u64, 0, 0),
        SD_BUS_PROPERTY("PIDsMax", "t", property_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Addresses", "as", property_addresses, 0, 0),
        SD_BUS_PROPERTY("Autostart", "b", property_bool, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Backend", "s", property_backend, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Snapshots", "a(stts)", property_snapshots, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_start, U),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("u", timeout_sec), SD_BUS_RESULT("o", job),
                                method_stop, U),
        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_kill, U),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_NO_ARGS, SD_BUS_RESULT("o", job),
                                method_restart, U),
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_freeze, U),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_thaw, U),
        SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_ARGS("b", force), SD_BUS_NO_RESULT,
                                method_destroy, U),
        SD_BUS_METHOD_WITH_ARGS("Snapshot", SD_BUS_ARGS("s", snap, "s", comment),
                                SD_BUS_RESULT("o", job), method_snapshot, U),
        SD_BUS_METHOD_WITH_ARGS("ListSnapshots", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(stts)", snapshots), method_list_snapshots, U),
        SD_BUS_METHOD_WITH_ARGS("RestoreSnapshot", SD_BUS_ARGS("s", snap), SD_BUS_RESULT("o", job),
                                method_restore_snapshot, U),
        SD_BUS_METHOD_WITH_ARGS("DeleteSnapshot", SD_BUS_ARGS("s", snap), SD_BUS_NO_RESULT,
                                method_delete_snapshot, U),
        SD_BUS_METHOD_WITH_ARGS("Clone", SD_BUS_ARGS("s", dst, "s", snap), SD_BUS_RESULT("o", job),
                                method_clone, U),
        SD_BUS_METHOD_WITH_ARGS("ConsoleLog", SD_BUS_NO_ARGS, SD_BUS_RESULT("ay", log),
                                method_console_log, U),
        SD_BUS_VTABLE_END,
};
