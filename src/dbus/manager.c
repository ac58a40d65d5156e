/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager object, /org/berth/Berth1: listing, lookup, creation, and every verb by name. */
#include <string.h>

#include "berthd.h"
#include "strv.h"

int manager_info_all(Manager *m, BerthInfo **ret, size_t *ret_n, sd_bus_error *error)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        /* One pass over the store and runtime dir, no request to any monitor. */
        int r = berth_info_all(m->ctx, ret, ret_n, &err);
        return r < 0 ? bus_error_from_berth(error, r, err) : 0;
}

/* ListContainers from every container's info: for when no live event source keeps the states. */
static int list_from_info(Manager *m, sd_bus_message *reply, sd_bus_error *error)
{
        BerthInfo *infos = NULL;
        size_t n = 0;
        int r = manager_info_all(m, &infos, &n, error);
        if (r < 0)
                return r;
        /* What is listed has an object: the registry follows this fresh listing. */
        char **names = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                names[i] = infos[i].name;
        manager_reconcile(m, names);
        free(names);
        r = sd_bus_message_open_container(reply, 'a', "(sso)");
        for (size_t i = 0; i < n && r >= 0; i++) {
                Container *c = manager_find_container(m, infos[i].name);
                r = sd_bus_message_append(reply, "(sso)", infos[i].name,
                                          strempty(berth_state_to_string(infos[i].state)),
                                          c ? c->path : CONTAINER_PREFIX);
        }
        berth_info_array_free(infos, n);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_list_containers(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        if (!m->events_live) {
                r = list_from_info(m, reply, error);
                if (r < 0)
                        return r;
                return sd_bus_send(NULL, reply, NULL);
        }

        /* Which containers exist from the store's listing (a readdir, no config read), their
         * states as the live events told them: the states every subscriber has seen, without
         * a file read per container. Only a container no event told about yet is queried. */
        r = manager_refresh(m, error);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sso)");
        for (size_t i = 0; i < m->n_containers && r >= 0; i++) {
                Container *c = m->containers[i];
                if (!c->state_known) {
                        const BerthInfo *info;
                        if (container_get_info(c, &info, NULL) < 0)
                                continue; /* gone meanwhile */
                        c->state = info->state;
                        c->state_known = true;
                }
                r = sd_bus_message_append(reply, "(sso)", c->name,
                                          strempty(berth_state_to_string(c->state)), c->path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_container(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        const char *name;
        int r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = check_name(name, "get container", error);
        if (r < 0)
                return r;
        Container *c = manager_find_container(m, name);
        if (!c) {
                /* Perhaps created a moment ago and its event is still on its way. */
                r = manager_refresh(m, error);
                if (r < 0)
                        return r;
                c = manager_find_container(m, name);
        }
        if (!c)
                return bus_error_setf(error, ENOENT, "get container '%s': no such container",
                                      name);
        return sd_bus_reply_method_return(msg, "o", c->path);
}

static int check_yaml(const char *yaml, const char *what, const char *name, sd_bus_error *error)
{
        size_t n = strnlen(yaml, BERTHD_YAML_MAX + 1);
        if (n > BERTHD_YAML_MAX)
                return bus_error_setf(error, EBADMSG, "%s%s%s%s: %s too large (more than %u bytes)",
                                      what, name ? " '" : "", strempty(name), name ? "'" : "",
                                      streq(what, "apply") ? "composition" : "configuration",
                                      BERTHD_YAML_MAX);
        return 0;
}

static int method_create_container(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        const char *name, *yaml, *template_name;
        _cleanup_strv_free_ char **args = NULL;
        int r = sd_bus_message_read(msg, "sss", &name, &yaml, &template_name);
        if (r >= 0)
                r = sd_bus_message_read_strv(msg, &args);
        if (r < 0)
                return r;
        r = check_name(name, "create", error);
        if (r >= 0)
                r = check_yaml(yaml, "create", name, error);
        if (r < 0)
                return r;
        if (strv_length(args) > BERTHD_ARGS_MAX)
                return bus_error_setf(error, EINVAL, "create '%s': more than %u template options",
                                      name, BERTHD_ARGS_MAX);
        STRV_FOREACH(a, args)
                if (strnlen(*a, BERTHD_ARG_MAX + 1) > BERTHD_ARG_MAX)
                        return bus_error_setf(error, EINVAL,
                                              "create '%s': a template option is longer than %u "
                                              "bytes",
                                              name, BERTHD_ARG_MAX);
        AUTH_OR_RETURN(m, msg, ACTION_CREATE, "create", name, error);
        WorkerArgs a = {
                .name = name,
                .yaml = *yaml ? yaml : NULL,
                .template_name = template_name,
                .template_args = args,
        };
        return worker_spawn(m, WORKER_CREATE, &a, msg, error);
}

static int method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        const char *yaml;
        int r = sd_bus_message_read(msg, "s", &yaml);
        if (r < 0)
                return r;
        r = check_yaml(yaml, "apply", NULL, error);
        if (r < 0)
                return r;
        AUTH_OR_RETURN(m, msg, ACTION_CREATE, "apply", NULL, error);
        return worker_spawn(m, WORKER_APPLY, &(WorkerArgs){.name = "", .yaml = yaml}, msg, error);
}

#define U SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListContainers", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sso)", containers), method_list_containers, U),
        SD_BUS_METHOD_WITH_ARGS("GetContainer", SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("o", container), method_get_container, U),
        SD_BUS_METHOD_WITH_ARGS("CreateContainer",
                                SD_BUS_ARGS("s", name, "s", config_yaml, "s", template, "as",
                                            template_args),
                                SD_BUS_RESULT("o", job), method_create_container, U),
        SD_BUS_METHOD_WITH_ARGS("Apply", SD_BUS_ARGS("s", composition_yaml),
                                SD_BUS_RESULT("o", job), method_apply, U),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_start,
                                U),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("s", name, "u", timeout_sec),
                                SD_BUS_RESULT("o", job), method_stop, U),
        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_kill, U),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", job),
                                method_restart, U),
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_freeze, U),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_thaw, U),
        SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_ARGS("s", name, "b", force), SD_BUS_NO_RESULT,
                                method_destroy, U),
        SD_BUS_METHOD_WITH_ARGS("Snapshot", SD_BUS_ARGS("s", name, "s", snap, "s", comment),
                                SD_BUS_RESULT("o", job), method_snapshot, U),
        SD_BUS_METHOD_WITH_ARGS("ListSnapshots", SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("a(stts)", snapshots), method_list_snapshots, U),
        SD_BUS_METHOD_WITH_ARGS("RestoreSnapshot", SD_BUS_ARGS("s", name, "s", snap),
                                SD_BUS_RESULT("o", job), method_restore_snapshot, U),
        SD_BUS_METHOD_WITH_ARGS("DeleteSnapshot", SD_BUS_ARGS("s", name, "s", snap),
                                SD_BUS_NO_RESULT, method_delete_snapshot, U),
        SD_BUS_METHOD_WITH_ARGS("Clone", SD_BUS_ARGS("s", src, "s", dst, "s", snap),
                                SD_BUS_RESULT("o", job), method_clone, U),
        SD_BUS_METHOD_WITH_ARGS("ConsoleLog", SD_BUS_ARGS("s", name), SD_BUS_RESULT("ay", log),
                                method_console_log, U),
        SD_BUS_SIGNAL_WITH_ARGS("ContainerNew", SD_BUS_ARGS("s", name, "o", container), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ContainerRemoved", SD_BUS_ARGS("s", name, "o", container), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobNew", SD_BUS_ARGS("u", id, "o", job), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobRemoved",
                                SD_BUS_ARGS("u", id, "o", job, "s", name, "s", result, "s",
                                            error),
                                0),
        SD_BUS_VTABLE_END,
};
