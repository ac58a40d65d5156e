/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-machined: while machined is on the bus, every running container is registered as a
 * machine (RegisterMachineWithNetwork) and unregistered when its init is gone, so machinectl,
 * systemd-cgtop -M and journalctl -M see berth containers. Every call is asynchronous, and
 * machined's absence (or refusal) never fails anything of berth's. */
#include <fcntl.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "berthd.h"
#include "fileio.h"
#include "log.h"
#include "path-util.h"

#define MACHINED "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_IFACE "org.freedesktop.machine1.Manager"
/* The service name berthd registers its machines under; machines of that service that berthd
 * finds registered when machined appears are its own leftovers. */
#define MACHINE_SERVICE "berth"

static void machined_sync(Container *c);

static int new_call(Manager *m, const char *member, sd_bus_message **ret)
{
        return sd_bus_message_new_method_call(m->bus, ret, MACHINED, MACHINED_PATH, MACHINED_IFACE,
                                              member);
}

/* Fire and forget: the answer changes nothing (the machine is ours no more either way). */
static void unregister_now(Manager *m, const char *name)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r = new_call(m, "UnregisterMachine", &call);
        if (r >= 0)
                r = sd_bus_message_append(call, "s", name);
        if (r >= 0)
                r = sd_bus_message_set_expect_reply(call, false);
        if (r >= 0)
                r = sd_bus_send(m->bus, call, NULL);
        if (r < 0)
                log_debug_errno(r, "unregister machine '%s': %s", name, strerror(-r));
}

static int on_unregistered(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Container *c = userdata;
        c->machine_slot = sd_bus_slot_unref(c->machine_slot);
        if (sd_bus_message_is_method_error(reply, NULL))
                log_debug("unregister machine '%s': %s", c->name,
                          sd_bus_message_get_error(reply)->message);
        c->machine_leader = 0;
        machined_sync(c);
        return 0;
}

static int on_registered(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Container *c = userdata;
        pid_t leader = c->machine_pending;
        c->machine_slot = sd_bus_slot_unref(c->machine_slot);
        c->machine_pending = 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("register '%s' with systemd-machined: %s", c->name,
                            sd_bus_message_get_error(reply)->message);
                c->machine_failed = leader;
        } else {
                log_info("'%s' registered with systemd-machined (leader %d)", c->name, (int)leader);
                c->machine_leader = leader;
        }
        machined_sync(c);
        return 0;
}

/* <store>/NAME/uuid, the container_uuid its init sees; the null id when there is none. */
static sd_id128_t read_uuid(Manager *m, const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/uuid", berth_context_store(m->ctx), name);
        _cleanup_free_ char *line = NULL;
        sd_id128_t id = SD_ID128_NULL;
        if (read_one_line_at(AT_FDCWD, path, &line) < 0 || sd_id128_from_string(line, &id) < 0)
                return SD_ID128_NULL;
        return id;
}

static int register_machine(Container *c)
{
        Manager *m = c->manager;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const BerthInfo *info;
        int r = container_get_info(c, &info, &error);
        if (r < 0)
                return r;
        const char *root = info->rootfs && path_is_absolute(info->rootfs) ? info->rootfs : "";
        sd_id128_t id = read_uuid(m, c->name);

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        r = new_call(m, "RegisterMachineWithNetwork", &call);
        if (r >= 0)
                r = sd_bus_message_append(call, "s", c->name);
        if (r >= 0)
                r = sd_bus_message_append_array(call, 'y', id.bytes,
                                                sd_id128_is_null(id) ? 0 : sizeof(id.bytes));
        if (r >= 0)
                r = sd_bus_message_append(call, "ssusai", MACHINE_SERVICE, "container",
                                          (uint32_t)c->leader, root, 0);
        if (r >= 0)
                r = sd_bus_call_async(m->bus, &c->machine_slot, call, on_registered, c, 0);
        if (r < 0)
                return r;
        c->machine_pending = c->leader;
        return 0;
}

static int unregister_machine(Container *c)
{
        Manager *m = c->manager;
        return sd_bus_call_method_async(m->bus, &c->machine_slot, MACHINED, MACHINED_PATH,
                                        MACHINED_IFACE, "UnregisterMachine", on_unregistered, c,
                                        "s", c->name);
}

/* One call at a time per container; each answer brings the next step. */
static void machined_sync(Container *c)
{
        if (!c->manager->machined_present || c->machine_slot)
                return;
        int r = 0;
        if (c->machine_leader && c->machine_leader != c->leader)
                r = unregister_machine(c);
        else if (!c->machine_leader && c->leader && c->leader != c->machine_failed) {
                r = register_machine(c);
                if (r < 0)
                        c->machine_failed = c->leader;
        }
        if (r < 0)
                log_warning_errno(r, "systemd-machined: update '%s': %s", c->name, strerror(-r));
}

void machined_update(Container *c, pid_t leader)
{
        c->leader = leader;
        if (!leader)
                c->machine_failed = 0;
        machined_sync(c);
}

void machined_forget(Container *c)
{
        if (c->manager->machined_present && (c->machine_leader || c->machine_slot))
                unregister_now(c->manager, c->name);
        c->machine_slot = sd_bus_slot_unref(c->machine_slot);
        c->machine_leader = c->machine_pending = c->leader = 0;
}

static int on_machines_listed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Manager *m = userdata;
        if (!sd_bus_message_is_method_error(reply, NULL) &&
            sd_bus_message_enter_container(reply, 'a', "(ssso)") > 0) {
                const char *name, *class, *service, *path;
                while (sd_bus_message_read(reply, "(ssso)", &name, &class, &service, &path) > 0)
                        if (streq(service, MACHINE_SERVICE))
                                unregister_now(m, name);
        }
        /* Sent after the unregistrations on the same connection, so machined sees them later. */
        for (size_t i = 0; i < m->n_containers; i++)
                machined_sync(m->containers[i]);
        return 0;
}

static void machined_set_present(Manager *m, bool present)
{
        if (present == m->machined_present)
                return;
        log_info("systemd-machined %s", present ? "is on the bus" : "left the bus");
        m->machined_present = present;
        for (size_t i = 0; i < m->n_containers; i++) {
                Container *c = m->containers[i];
                c->machine_slot = sd_bus_slot_unref(c->machine_slot);
                c->machine_leader = c->machine_failed = c->machine_pending = 0;
        }
        if (!present)
                return;
        /* Registrations of a berthd before this one (killed, restarted) are redone from the
         * containers' real state. */
        int r = sd_bus_call_method_async(m->bus, NULL, MACHINED, MACHINED_PATH, MACHINED_IFACE,
                                         "ListMachines", on_machines_listed, m, "");
        if (r < 0)
                log_warning_errno(r, "systemd-machined: list machines: %s", strerror(-r));
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        const char *name, *old_owner, *new_owner;
        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) >= 0 &&
            streq(name, MACHINED))
                machined_set_present(userdata, !!*new_owner);
        return 0;
}

static int on_has_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        int b = 0;
        if (!sd_bus_message_is_method_error(reply, NULL) && sd_bus_message_read(reply, "b", &b) >= 0)
                machined_set_present(userdata, b);
        return 0;
}

int machined_setup(Manager *m)
{
        int r = sd_bus_add_match_async(m->bus, &m->machined_watch,
                                       "type='signal',sender='org.freedesktop.DBus',"
                                       "path='/org/freedesktop/DBus',"
                                       "interface='org.freedesktop.DBus',"
                                       "member='NameOwnerChanged',arg0='" MACHINED "'",
                                       on_owner_changed, NULL, m);
        if (r >= 0)
                r = sd_bus_call_method_async(m->bus, NULL, "org.freedesktop.DBus",
                                             "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             "NameHasOwner", on_has_owner, m, "s", MACHINED);
        if (r < 0)
                log_warning_errno(r, "watch for systemd-machined: %s", strerror(-r));
        return 0;
}
