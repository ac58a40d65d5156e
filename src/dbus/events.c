/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libberth's live event source in the bus loop: its fd is an sd-event io source, and each event
 * becomes the bus's signals (ContainerNew/Removed, PropertiesChanged) and machined's
 * registration. Nothing is polled: an idle berthd sleeps in epoll_wait. */
#include <string.h>

#include "berthd.h"
#include "log.h"

/* Adoption of an orphaned container (monitor died) at most this often per container, so an
 * adoption that keeps failing cannot become a fork loop. */
#define ADOPT_INTERVAL_USEC (10ULL * 1000000ULL)

/* While init runs, the container is a machine for systemd-machined. */
static pid_t machine_leader_of(BerthState state, pid_t init_pid)
{
        switch (state) {
        case BERTH_STATE_RUNNING:
        case BERTH_STATE_FREEZING:
        case BERTH_STATE_FROZEN:
        case BERTH_STATE_STOPPING:
                return init_pid;
        default:
                return 0;
        }
}

static void adopt(Container *c)
{
        Manager *m = c->manager;
        uint64_t now = 0;
        (void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (c->adopt_after > now)
                return;
        c->adopt_after = now + ADOPT_INTERVAL_USEC;
        (void)worker_spawn(m, WORKER_ADOPT, &(WorkerArgs){.name = c->name}, NULL, NULL);
}

/* State, InitPID and Since carry the event's own values, so a subscriber sees every state in
 * order even when the next change has already happened. */
static int emit_state(Container *c, const BerthEvent *ev)
{
        Manager *m = c->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
        int r = sd_bus_message_new_signal(m->bus, &s, c->path, "org.freedesktop.DBus.Properties",
                                          "PropertiesChanged");
        if (r >= 0)
                r = sd_bus_message_append(
                        s, "sa{sv}as", CONTAINER_IFACE, 3, "State", "s",
                        strempty(berth_state_to_string(ev->state)), "InitPID", "u",
                        (uint32_t)(ev->init_pid > 0 ? ev->init_pid : 0), "Since", "t",
                        ev->timestamp_usec, 1, "Ready");
        if (r >= 0)
                r = sd_bus_send(m->bus, s, NULL);
        return r;
}

static int on_event(const BerthEvent *ev, void *userdata)
{
        Manager *m = userdata;
        if (!ev->name || !berth_name_is_valid(ev->name))
                return 0;
        /* Whatever was read for a getter may be out of date now. */
        manager_forget_info(m);
        log_debug("event %s '%s' %s %d", strempty(berth_event_type_to_string(ev->type)), ev->name,
                  strempty(berth_state_to_string(ev->state)), (int)ev->init_pid);

        Container *c;
        int r = 0;
        switch (ev->type) {
        case BERTH_EVENT_DEFINED:
                c = manager_add_container(m, ev->name);
                if (!c->state_known)
                        c->state = ev->state, c->state_known = true;
                break;
        case BERTH_EVENT_REMOVED:
                manager_remove_container(m, ev->name);
                break;
        case BERTH_EVENT_STATE:
                c = manager_add_container(m, ev->name);
                c->state = ev->state;
                c->state_known = true;
                r = emit_state(c, ev);
                machined_update(c, machine_leader_of(ev->state, ev->init_pid));
                break;
        case BERTH_EVENT_READY:
                c = manager_add_container(m, ev->name);
                r = sd_bus_emit_properties_changed(m->bus, c->path, CONTAINER_IFACE, "Ready", NULL);
                break;
        case BERTH_EVENT_ORPHANED:
                adopt(manager_add_container(m, ev->name));
                break;
        case BERTH_EVENT_ADOPTED:
                break;
        case BERTH_EVENT_CHANGED:
                c = manager_add_container(m, ev->name);
                r = sd_bus_emit_properties_changed(m->bus, c->path, CONTAINER_IFACE, "Autostart",
                                                   "Backend", "MemoryMax", "PIDsMax", "Snapshots",
                                                   NULL);
                break;
        default:
                break;
        }
        if (r < 0)
                log_warning_errno(r, "announce event of container '%s': %s", ev->name, strerror(-r));
        return 0;
}

/* The registry, machined's view and orphans, from a fresh look at every container. */
static void events_scan(Manager *m)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        BerthInfo *infos = NULL;
        size_t n = 0;
        int r = manager_info_all(m, &infos, &n, &error);
        if (r < 0) {
                log_warning("list containers: %s", error.message);
                return;
        }
        char **names = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                names[i] = infos[i].name;
        manager_reconcile(m, names);
        free(names);
        for (size_t i = 0; i < n; i++) {
                Container *c = manager_find_container(m, infos[i].name);
                if (!c)
                        continue;
                c->state = infos[i].state;
                c->state_known = true;
                machined_update(c, machine_leader_of(infos[i].state, infos[i].init_pid));
                if (infos[i].orphaned)
                        adopt(c);
        }
        berth_info_array_free(infos, n);
}

static int events_open(Manager *m);

static int on_events_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Manager *m = userdata;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = berth_events_dispatch(m->events, on_event, m, &err);
        if (r >= 0)
                return 0;
        /* A broken source would wake us forever: start over, and catch up on what was missed. */
        log_warning("live events: %s; reopening", berth_error_message(err, r));
        m->events_source = sd_event_source_disable_unref(m->events_source);
        m->events = berth_events_free(m->events);
        m->events_live = false;
        if (events_open(m) >= 0)
                events_scan(m);
        return 0;
}

static int events_open(Manager *m)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = berth_events_new(m->ctx, NULL, &m->events, &err);
        if (r < 0) {
                log_warning("live events unavailable: %s; no signals for changes made by others, "
                            "no machined registration",
                            berth_error_message(err, r));
                return r;
        }
        r = sd_event_add_io(m->event, &m->events_source, berth_events_get_fd(m->events), EPOLLIN,
                            on_events_ready, m);
        if (r < 0) {
                m->events = berth_events_free(m->events);
                return log_error_errno(r, "watch live events: %s", strerror(-r));
        }
        m->events_live = true;
        return 0;
}

int events_setup(Manager *m)
{
        /* Subscribed first, then the scan: a change in between is seen by both, never by neither
         * (and the registry announces each container once). */
        (void)events_open(m);
        events_scan(m);
        return 0;
}
