/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may change what: root, or whoever polkit authorizes. The caller is identified by what the
 * bus driver says about its connection (never by a PID, which may be reused), and polkit is
 * asked about the caller's unique bus name, asynchronously: while polkit (or the user at an
 * authentication agent) thinks, berthd goes on answering other callers. When the answer comes,
 * the method handler runs again with the same message and this time auth_check() has it. */
#include <string.h>

#include "berthd.h"

struct AuthQuery {
        AuthQuery *next;
        Manager *manager;
        sd_bus_message *request;
        sd_bus_message_handler_t handler;
        bool container_method; /* the handler's userdata is a Container, looked up again */
        void *userdata;
        char *action;
        char *subject; /* "start 'web'": what the messages say was refused */
        sd_bus_slot *slot;
        bool authorized;
        sd_bus_error error; /* why not */
};

/* The query answered just now, while its method handler runs again (one at a time: the loop is
 * single-threaded and the re-run is synchronous). */
static AuthQuery *answered = NULL;

static AuthQuery *auth_query_free(AuthQuery *q)
{
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q->action);
        free(q->subject);
        free(q);
        return NULL;
}

static void auth_query_unlink(AuthQuery *q)
{
        for (AuthQuery **p = &q->manager->auth_queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        q->next = NULL;
                        q->manager->n_auth_queries--;
                        return;
                }
}

void auth_queries_free(Manager *m)
{
        while (m->auth_queries) {
                AuthQuery *q = m->auth_queries;
                m->auth_queries = q->next;
                auth_query_free(q);
        }
        m->n_auth_queries = 0;
}

static char *subject_of(const char *what, const char *container)
{
        return container ? xasprintf("%s '%s'", what, container) : xstrdup(what);
}

static void deny(AuthQuery *q, const char *name, const char *why)
{
        sd_bus_error_setf(&q->error, name, "%s: access denied: %s (%s)", q->subject, why,
                          q->action);
}

static void auth_read_answer(AuthQuery *q, sd_bus_message *reply)
{
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                           SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        deny(q, SD_BUS_ERROR_ACCESS_DENIED,
                             "polkit is not running on the bus, so only root may do this");
                else {
                        _cleanup_free_ char *why = xasprintf("polkit failed: %s",
                                                             e && e->message ? e->message : "?");
                        deny(q, SD_BUS_ERROR_ACCESS_DENIED, why);
                }
                return;
        }

        int authorized = 0, challenge = 0;
        int r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r > 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r <= 0) {
                deny(q, SD_BUS_ERROR_ACCESS_DENIED, "polkit's answer could not be read");
                return;
        }
        if (authorized) {
                q->authorized = true;
                return;
        }
        /* The caller could be asked for a password, but did not allow that: tell it so it can
         * retry with interactive authorization, as the D-Bus specification asks. */
        if (challenge && !sd_bus_message_get_allow_interactive_authorization(q->request))
                deny(q, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                     "interactive authentication required");
        else
                deny(q, SD_BUS_ERROR_ACCESS_DENIED, "not authorized by polkit");
}

static int auth_on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        AuthQuery *q = userdata;
        Manager *m = q->manager;
        q->slot = sd_bus_slot_unref(q->slot);
        auth_query_unlink(q);
        auth_read_answer(q, reply);

        /* Run the method again; auth_check() now finds the answer in 'answered'. */
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        void *ud = q->userdata;
        int r = 0;
        if (q->container_method) {
                _cleanup_free_ char *name = NULL;
                Container *c = NULL;
                if (container_name_from_path(sd_bus_message_get_path(q->request), &name) >= 0)
                        c = manager_find_container(m, name);
                if (!c)
                        r = bus_error_setf(&error, ENOENT, "no such container any more");
                ud = c;
        }
        if (r >= 0) {
                answered = q;
                r = sd_bus_message_rewind(q->request, true);
                if (r >= 0)
                        r = q->handler(q->request, ud, &error);
                answered = NULL;
        }
        if (r < 0 || sd_bus_error_is_set(&error)) {
                if (!sd_bus_error_is_set(&error))
                        sd_bus_error_set_errno(&error, r);
                (void)sd_bus_reply_method_error(q->request, &error);
        }
        auth_query_free(q);
        return 0;
}

static int auth_ask_polkit(Manager *m, sd_bus_message *msg, const char *action, const char *what,
                           const char *container, sd_bus_error *error)
{
        /* Anyone may cause a question to polkit: a flood of them is refused, not queued. */
        if (m->n_auth_queries >= BERTHD_AUTH_QUERIES_MAX) {
                _cleanup_free_ char *subject = subject_of(what, container);
                return bus_error_setf(error, EBUSY,
                                      "%s: too many authorization requests in flight (%u)",
                                      subject, BERTHD_AUTH_QUERIES_MAX);
        }
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.PolicyKit1",
                                               "/org/freedesktop/PolicyKit1/Authority",
                                               "org.freedesktop.PolicyKit1.Authority",
                                               "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s",
                                          sd_bus_message_get_sender(msg), action);
        if (r >= 0)
                r = container ? sd_bus_message_append(call, "a{ss}", 1, "name", container)
                              : sd_bus_message_append(call, "a{ss}", 0);
        if (r >= 0)
                r = sd_bus_message_append(
                        call, "us",
                        (uint32_t)(sd_bus_message_get_allow_interactive_authorization(msg) ? 1 : 0),
                        "");
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "%s: ask polkit: %s", what, strerror(-r));

        AuthQuery *q = xcalloc(1, sizeof(*q));
        *q = (AuthQuery){
                .manager = m,
                .request = sd_bus_message_ref(msg),
                .handler = sd_bus_get_current_handler(m->bus),
                .userdata = sd_bus_get_current_userdata(m->bus),
                .container_method = streq_ptr(sd_bus_message_get_interface(msg), CONTAINER_IFACE),
                .action = xstrdup(action),
                .subject = subject_of(what, container),
                .error = SD_BUS_ERROR_NULL,
        };
        /* No timeout of our own: an authentication agent may wait for a person. */
        r = sd_bus_call_async(m->bus, &q->slot, call, auth_on_reply, q, UINT64_MAX);
        if (r < 0) {
                sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                  "%s: access denied: polkit cannot be asked: %s (%s)", q->subject,
                                  strerror(-r), action);
                auth_query_free(q);
                return -EACCES;
        }
        q->next = m->auth_queries;
        m->auth_queries = q;
        m->n_auth_queries++;
        return 0;
}

int auth_check(Manager *m, sd_bus_message *msg, const char *action, const char *what,
               const char *container, sd_bus_error *error)
{
        if (answered && answered->request == msg) {
                if (answered->authorized)
                        return 1;
                sd_bus_error_copy(error, &answered->error);
                return -EACCES;
        }

        /* The bus driver's word on the connection's uid (SO_PEERCRED when it connected). */
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        int r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0) {
                _cleanup_free_ char *subject = subject_of(what, container);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s: access denied: the caller's identity is unknown: %s",
                                         subject, strerror(-r));
        }
        if (uid == 0)
                return 1;
        r = auth_ask_polkit(m, msg, action, what, container, error);
        return r < 0 ? r : 0;
}
