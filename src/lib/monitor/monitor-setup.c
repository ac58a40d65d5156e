/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Setting the monitor up, as an ordered list of steps, and tearing it down. The container's
 * start is planned as data first (runplan.c); the steps gather what the plan needs from the
 * host, then act on it. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "container-internal.h"
#include "monitor-internal.h"
#include "network.h"
#include "path-util.h"
#include "socket-util.h"
#include "storage/storage.h"
#include "strv.h"

#define OS_RELEASE_MAX (64 * 1024)

typedef struct SetupStep {
        const char *name;
        int (*run)(Monitor *m, BerthError **reterr);
} SetupStep;

/* Keys the format accepts but this version does not act on yet: refused by name rather than
 * silently ignored. */
static int check_supported(const BerthConfig *c, BerthError **reterr)
{
        if (c->hooks_pre_start || c->hooks_post_stop)
                return berth_error_setf(reterr, EOPNOTSUPP, "key 'hooks': not supported yet");
        return 0;
}

static int setup_run_dir(Monitor *m, BerthError **reterr)
{
        m->container_dir = context_container_dir(m->ctx, m->name);
        m->run_dir = context_run_dir(m->ctx, m->name);
        int r = mkdir_p_at(AT_FDCWD, m->ctx->rundir, 0755);
        if (r < 0)
                return berth_error_set(reterr, r, "create runtime dir '%s'", m->ctx->rundir);
        if (mkdir(m->run_dir, 0700) < 0 && errno != EEXIST)
                return berth_error_set(reterr, errno, "create runtime dir '%s'", m->run_dir);
        (void)chmod(m->run_dir, 0700);
        return 0;
}

/* One monitor per container: the lock is held for the monitor's life. */
static int setup_lock(Monitor *m, BerthError **reterr)
{
        _cleanup_free_ char *lock = path_join(m->run_dir, "monitor.lock");
        m->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m->lock_fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", lock);
        if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return berth_error_setf(reterr, EBUSY, "already running");
        (void)proc_starttime(getpid(), &m->own_starttime);
        return 0;
}

static int setup_config(Monitor *m, BerthError **reterr)
{
        _cleanup_free_ char *cfg = context_config_path(m->ctx, m->name);
        int r = config_load_file(cfg, &m->config, reterr);
        if (r >= 0)
                r = config_validate(m->config, reterr);
        if (r >= 0)
                r = check_supported(m->config, reterr);
        if (r < 0)
                return r;
        m->rootfs = path_is_absolute(m->config->rootfs_path)
                            ? xstrdup(m->config->rootfs_path)
                            : path_join(m->container_dir, m->config->rootfs_path);
        return 0;
}

/* Which init the rootfs has, looked up in the tree the storage backend makes of it (an overlay
 * of layers, say, holds no /sbin/init in its own directory). Its mounts go in a private mount
 * namespace of a short-lived child, which reports the kind in one byte. */
static InitKind detect_init(Monitor *m)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return INIT_KIND_OTHER;
        _cleanup_close_ int rd = pfd[0], wr = pfd[1];
        pid_t pid = fork();
        if (pid < 0)
                return INIT_KIND_OTHER;
        if (pid == 0) {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                int tree = -EBADF;
                char kind = INIT_KIND_OTHER, path[64];
                if (unshare(CLONE_NEWNS) >= 0 &&
                    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) >= 0 &&
                    storage_rootfs_open(m->container_dir, m->config, -EBADF, NULL, &tree, &err) >=
                            0) {
                        snprintf(path, sizeof(path), "/proc/self/fd/%d", tree);
                        kind = (char)init_detect(path, m->config->init_cmd ? m->config->init_cmd[0]
                                                                           : NULL);
                }
                (void)loop_write(wr, &kind, 1);
                _exit(EXIT_SUCCESS);
        }
        wr = safe_close(wr);
        char kind = INIT_KIND_OTHER;
        if (loop_read(rd, &kind, 1) != 1 || kind < 0 || kind >= _INIT_KIND_MAX)
                kind = INIT_KIND_OTHER;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        return (InitKind)kind;
}

/* What the plan needs from the host and the rootfs. */
static int setup_host(Monitor *m, BerthError **reterr)
{
        InitKind kind = m->config->init_kind == INIT_KIND_AUTO ? detect_init(m)
                                                               : m->config->init_kind;
        BerthConfig detected = *m->config;
        detected.init_kind = kind;
        m->signals = init_signals_resolve(&detected, m->rootfs, &m->init_kind);
        log_debug("init kind %s, halt signal %d", init_kind_to_string(m->init_kind),
                  m->signals.halt);
        int r = cgroup_layout_detect(&m->layout);
        if (r < 0)
                return berth_error_set(reterr, r, "detect cgroup layout");
        const char *notice = NULL;
        m->lsm = lsm_detect("/sys/kernel/security", m->config, &notice);
        if (notice)
                log_debug("%s", notice);
        r = container_uuid_get(m->container_dir, &m->uuid);
        if (r < 0)
                return berth_error_set(reterr, r, "read or create '%s/uuid'", m->container_dir);
        if (read_full_file_at(AT_FDCWD, "/etc/os-release", OS_RELEASE_MAX, &m->os_release,
                              NULL) < 0)
                (void)read_full_file_at(AT_FDCWD, "/usr/lib/os-release", OS_RELEASE_MAX,
                                        &m->os_release, NULL);
        return 0;
}

static int setup_plan(Monitor *m, BerthError **reterr)
{
        _cleanup_strv_free_ char **v1 = NULL;
        bool unified = false;
        int r = cgroup_layout_mount_spec(m->layout, &unified, &v1);
        if (r < 0)
                return berth_error_set(reterr, r, "plan cgroup mounts");
        RunPlanInput in = {
                .config = m->config,
                .init_kind = m->init_kind,
                .cgroup_unified = unified,
                .cgroup_v1 = v1,
                .lsm = m->lsm,
                .uuid = m->uuid,
        };
        return run_plan_build(&in, &m->plan, reterr);
}

static int adopt(Monitor *m, const RuntimeState *rs, BerthError **reterr)
{
        int fd = syscall(SYS_pidfd_open, rs->init_pid, 0);
        if (fd < 0)
                return berth_error_set(reterr, errno, "take over init %d", (int)rs->init_pid);
        m->init.pid = rs->init_pid;
        m->init.pidfd = fd;
        /* The network's teardown at stop needs the namespace the links were moved into. */
        char ns[64];
        snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)rs->init_pid);
        m->netns_fd = open(ns, O_RDONLY | O_CLOEXEC);
        /* Checked again with the pidfd held, so the pid cannot be reused in between. */
        if (!runtime_init_alive(rs))
                return berth_error_setf(reterr, ESRCH, "take over init %d: it exited",
                                        (int)rs->init_pid);
        m->init_starttime = rs->init_starttime;
        m->state = rs->state == BERTH_STATE_FROZEN ? BERTH_STATE_FROZEN : BERTH_STATE_RUNNING;
        m->since = rs->since_usec;
        m->started = rs->started_usec;
        m->ready = rs->ready;
        if (rs->ephemeral_dir)
                m->ephemeral_dir = xstrdup(rs->ephemeral_dir);
        return 0;
}

/* A fresh payload cgroup with its limits, and the cgroup namespace's root delegated. */
static int create_payload(Monitor *m, BerthError **reterr)
{
        /* One left by a crashed run is only reused when nothing lives in it. */
        bool empty = true;
        if (cgroup_is_empty(m->payload, &empty) >= 0 && !empty)
                return berth_error_setf(reterr, EBUSY, "cgroup '%s' still has processes",
                                        cgroup_relpath(m->payload));
        (void)cgroup_destroy(m->payload, NULL);
        int r = cgroup_create(m->payload, reterr);
        if (r >= 0)
                r = cgroup_apply_limits(m->payload, &m->config->limits, reterr);
        if (r >= 0)
                r = cgroup_apply_devices(m->payload, reterr);
        if (r >= 0)
                r = cgroup_create(m->ns, reterr);
        if (r >= 0 && !m->config->privileged)
                r = cgroup_chown(m->ns, m->plan->host_root, m->plan->host_root, reterr);
        return r;
}

/* The monitor's own cgroup, and the container's: taken over from a monitor that died, or
 * made. */
static int setup_cgroups(Monitor *m, BerthError **reterr)
{
        /* An init whose monitor died: the state file names it, and it is still the same
         * process. Take it over instead of starting another. */
        RuntimeState rs = {};
        if (runtime_state_read(m->run_dir, &rs) >= 0 && runtime_init_alive(&rs))
                m->adopted = true;

        _cleanup_free_ char *own = monitor_own_cgroup(m->ctx->cgroup_parent, m->name);
        _cleanup_free_ char *payload =
                m->adopted ? xstrdup(rs.cgroup)
                           : monitor_payload_cgroup(m->ctx->cgroup_parent, m->name);
        _cleanup_free_ char *ns = xasprintf("%s/ns", payload);
        int r;
        if (cgroup_new(m->layout, own, &m->own) < 0 ||
            cgroup_new(m->layout, payload, &m->payload) < 0 ||
            cgroup_new(m->layout, ns, &m->ns) < 0)
                r = berth_error_setf(reterr, EINVAL, "invalid cgroup path '%s'", payload);
        else
                r = cgroup_create(m->own, reterr);
        if (r >= 0)
                r = cgroup_attach(m->own, getpid(), reterr);
        if (r >= 0)
                r = m->adopted ? adopt(m, &rs, reterr) : create_payload(m, reterr);
        runtime_state_done(&rs);
        return r;
}

/* berth start --ephemeral: a throw-away layer for this run, unless an adopted run has one. */
static int setup_ephemeral(Monitor *m, BerthError **reterr)
{
        if (!m->start_ephemeral || m->adopted)
                return 0;
        return storage_ephemeral_new(m->container_dir, &m->ephemeral_dir, reterr);
}

static int setup_console(Monitor *m, BerthError **reterr)
{
        m->ring = ring_buffer_new(RING_SIZE);
        if (!m->config->console_log)
                return 0;
        _cleanup_free_ char *path = path_join(m->container_dir, "console.log");
        m->console_log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
                                 0600);
        struct stat st;
        if (m->console_log_fd >= 0 && fstat(m->console_log_fd, &st) >= 0)
                m->console_log_size = st.st_size;
        return 0;
}

static int setup_loop(Monitor *m, BerthError **reterr)
{
        m->epfd = epoll_create1(EPOLL_CLOEXEC);
        m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (m->epfd < 0 || m->timer_fd < 0)
                return berth_error_set(reterr, errno, "create event loop");
        if (!m->adopted) {
                /* Whoever connects from now on sees the start in progress. */
                m->state = BERTH_STATE_STARTING;
                m->since = realtime_usec();
        }
        /* Bound under a temporary name and renamed into place once it listens: a watcher
         * (the library's event source) that sees monitor.sock appear can connect at once. */
        _cleanup_free_ char *sock = context_socket_path(m->ctx, m->name);
        _cleanup_free_ char *sock_tmp = xasprintf("%s.new", sock);
        int r = socket_listen_unix(sock_tmp, 16, &m->listen_fd);
        if (r >= 0 && rename(sock_tmp, sock) < 0)
                r = negative_errno();
        if (r < 0)
                return berth_error_set(reterr, r, "listen on '%s'", sock);
        r = monitor_epoll_add(m, m->listen_fd, EPOLLIN, &m->listen_item);
        if (r >= 0)
                r = monitor_epoll_add(m, m->timer_fd, EPOLLIN, &m->timer_item);
        if (r < 0)
                return berth_error_set(reterr, r, "create event loop");
        return 0;
}

static int setup_init(Monitor *m, BerthError **reterr)
{
        int r;
        if (m->adopted) {
                r = monitor_epoll_add(m, m->init.pidfd, EPOLLIN, &m->init_item);
                if (r < 0)
                        return berth_error_set(reterr, r, "watch container init");
                monitor_write_state(m);
                log_debug("adopted init %d", (int)m->init.pid);
                return 0;
        }
        monitor_write_state(m);
        r = monitor_spawn_init(m, reterr);
        if (r < 0)
                return r;
        monitor_set_state(m, BERTH_STATE_RUNNING);
        return 0;
}

static int setup_network(Monitor *m, BerthError **reterr)
{
        return network_global(m->ctx, &m->net, reterr);
}

static const SetupStep setup_steps[] = {
        {"runtime dir", setup_run_dir},
        {"lock", setup_lock},
        {"config", setup_config},
        {"network", setup_network},
        {"host", setup_host},
        {"plan", setup_plan},
        {"cgroups", setup_cgroups},
        {"ephemeral layer", setup_ephemeral},
        {"console", setup_console},
        {"event loop", setup_loop},
        {"init", setup_init},
};

int monitor_setup(Monitor *m, BerthError **reterr)
{
        for (size_t i = 0; i < ELEMENTSOF(setup_steps); i++) {
                uint64_t t0 = now_usec();
                int r = setup_steps[i].run(m, reterr);
                log_debug("setup step '%s': %d (%llu us)", setup_steps[i].name, r,
                          (unsigned long long)(now_usec() - t0));
                if (r < 0) {
                        log_debug("setup step '%s' failed: %s", setup_steps[i].name,
                                  berth_error_message(reterr ? *reterr : NULL, r));
                        return r;
                }
        }
        return 0;
}

void monitor_teardown(Monitor *m)
{
        if (m->init.pid > 0) {
                monitor_kill_container(m);
                monitor_release_init(m);
        }
        if (m->payload)
                (void)cgroup_destroy(m->payload, NULL);
        if (m->own) {
                /* The monitor leaves its own cgroup so that it can be removed. */
                (void)cgroup_attach_root(m->layout, getpid());
                (void)cgroup_destroy(m->own, NULL);
        }
        m->listen_fd = safe_close(m->listen_fd);
        if (m->run_dir && m->lock_fd >= 0) {
                _cleanup_close_ int dfd = open(m->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0) {
                        (void)unlinkat(dfd, "monitor.sock", 0);
                        (void)unlinkat(dfd, "monitor.sock.new", 0);
                        (void)unlinkat(dfd, "state", 0);
                        (void)unlinkat(dfd, "monitor.lock", 0);
                }
                (void)rmdir(m->run_dir);
        }
        /* The throw-away layer goes once nothing of the run uses it (its mount namespace died
         * with its last process). */
        if (m->ephemeral_dir) {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                int r = storage_ephemeral_release(m->ephemeral_dir, &err);
                if (r < 0)
                        log_debug("drop the ephemeral layer: %s", berth_error_message(err, r));
                m->ephemeral_dir = mfree(m->ephemeral_dir);
        }
        m->lock_fd = safe_close(m->lock_fd);

        /* Subscribers and stop waiters hear of the end only now, when nothing of this run is
         * left that a new start could trip over. (No state file any more: it is gone, and a
         * new monitor may already own the directory.) */
        monitor_farewell(m);
        safe_close(m->timer_fd);
        safe_close(m->epfd);
        safe_close(m->console_log_fd);
        cgroup_free(m->payload);
        cgroup_free(m->ns);
        cgroup_free(m->own);
        cgroup_layout_free(m->layout);
        run_plan_free(m->plan);
        ring_buffer_free(m->ring);
        config_free(m->config);
        free(m->container_dir);
        free(m->run_dir);
        free(m->rootfs);
        free(m->uuid);
        free(m->os_release);
}

int berth_monitor_run(BerthContext *ctx, const char *name, unsigned flags, int status_fd,
                      BerthError **reterr)
{
        if (!berth_name_is_valid(name))
                return berth_error_setf(reterr, EINVAL, "invalid container name '%s'", name);

        Monitor m = {
                .ctx = ctx,
                .name = name,
                .epfd = -EBADF,
                .listen_fd = -EBADF,
                .timer_fd = -EBADF,
                .lock_fd = -EBADF,
                .console_log_fd = -EBADF,
                .init = {.pidfd = -EBADF, .notify_fd = -EBADF},
                .netns_fd = -EBADF,
                .listen_item = {ITEM_LISTEN},
                .init_item = {ITEM_INIT},
                .timer_item = {ITEM_TIMER},
                .console_item = {ITEM_CONSOLE},
                .notify_item = {ITEM_NOTIFY},
                .start_ephemeral = flags & BERTH_MONITOR_EPHEMERAL,
        };
        for (size_t i = 0; i < ELEMENTSOF(m.slaves); i++)
                m.slaves[i] = -EBADF;

        /* Every send to a client is MSG_NOSIGNAL: a client that goes away mid-reply must not
         * kill the monitor, and the process's signal dispositions are the caller's. */
        BerthError *err = NULL;
        int r = monitor_setup(&m, &err);
        if (r < 0) {
                /* Cleaned up before the starter hears of the failure, so that when berth start
                 * returns nothing of the attempt is left. The starter adds its own "start
                 * 'NAME'" context. */
                monitor_teardown(&m);
                if (status_fd >= 0)
                        monitor_status_write(status_fd, r, "%s", berth_error_message(err, r));
                safe_close(status_fd);
                berth_error_prefix(&err, r, "start '%s'", name);
                if (reterr)
                        *reterr = err;
                else
                        berth_error_free(err);
                return r;
        }
        if (status_fd >= 0)
                (void)loop_write(status_fd, "ok\n", 3);
        safe_close(status_fd);
        r = monitor_run_loop(&m);
        monitor_teardown(&m);
        /* A container made with --ephemeral goes when it stops, as the last thing: its monitor's
         * socket and runtime files are gone, so the destroy sees it stopped. */
        _cleanup_(berth_error_freep) BerthError *derr = NULL;
        int d = container_destroy_if_ephemeral(ctx, name, &derr);
        if (d < 0)
                log_debug("destroy the ephemeral container: %s", berth_error_message(derr, d));
        if (r < 0)
                return berth_error_set(reterr, r, "monitor '%s'", name);
        return 0;
}
