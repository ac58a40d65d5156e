/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What container.c, attach.c and template.c share. */

#include "berth.h"
#include "config/config.h"
#include "context.h"
#include "proto/proto.h"

/* Checks the name and that the container exists; errors read "<action> 'NAME': ...". */
int container_check(BerthContext *ctx, const char *name, const char *action, BerthError **reterr);
int container_load_config(BerthContext *ctx, const char *name, const char *action,
                          BerthConfig **ret, BerthError **reterr);
/* Connects to the monitor; -ESRCH (no error object) when none is listening. With adopt, an
 * orphaned init (its monitor died) is first taken over by a new monitor, under the container
 * lock; queries pass false. */
int container_connect(BerthContext *ctx, const char *name, bool adopt, int *ret_fd);
/* One request/reply with the monitor, adopting an orphan first; -ESRCH with "<action> 'NAME':
 * not running" when there is none. timeout_usec 0: the context's call timeout. */
int container_call(BerthContext *ctx, const char *name, const char *action, ProtoMessage *req,
                   uint64_t timeout_usec, ProtoMessage **ret_reply, int *fds, size_t *ret_n_fds,
                   BerthError **reterr);

/* What the runtime dir says of the container, checked against the processes it names: a
 * stopped container (no file, or a dead monitor and init) reads as STOPPED; an init alive
 * without its monitor as orphaned. Reads files only. */
struct RuntimeState;
int container_runtime_view(BerthContext *ctx, const char *name, struct RuntimeState *ret,
                           bool *ret_orphaned);

/* The store exists and is 0700 (made so, with a notice, when it was not). */
int store_prepare(BerthContext *ctx, BerthError **reterr);
/* The same, and for the container's directory. */
int store_secure_container(BerthContext *ctx, const char *name, BerthError **reterr);
/* The container exists, its store lock (an flock on its directory, which serialises start,
 * destroy and the storage operations) is held in *ret_lock, and an orphaned init is under a
 * monitor again. Returns 1 when it took one over. */
int container_lock_adopted(BerthContext *ctx, const char *name, const char *action,
                           int *ret_lock, BerthError **reterr);
/* Whether a monitor runs the container (call with the container lock held, after adopting). */
bool container_running(BerthContext *ctx, const char *name);

typedef struct CreateRequest {
        const char *backend;       /* "dir", "overlay", "btrfs"; NULL: rootfs.backend of the
                                      settings, else btrfs when the store is on btrfs, else dir */
        bool ephemeral;            /* recorded in the config: destroyed when it stops */
        const char *template_name;
        char **template_args;
        const char *settings;      /* YAML applied over the template's fragment, or NULL */
        const char *settings_name; /* its file name, for messages */
        char **assignments;        /* KEY=VALUE applied last (config_assign), or NULL: berth
                                      create -f labels what a file creates */
} CreateRequest;

/* Builds the container under a temporary name and renames it into place. */
int container_create(BerthContext *ctx, const char *name, const CreateRequest *req,
                     BerthError **reterr);

/* Runs templates_dir/berth-<template> under the template contract into rootfs; returns the
 * config fragment it printed. */
int template_run(BerthContext *ctx, const char *template_name, const char *name,
                 const char *rootfs, char **args, char **ret_fragment, BerthError **reterr);
/* The template run into the volume dir/rootfs of backend: in its own mount namespace with the
 * volume mounted on dir/rootfs; ready: with --rootfs-ready (the volume holds the template's
 * cached tree already; the template only configures it). */
int template_run_storage(BerthContext *ctx, const char *template_name, const char *name,
                         const char *dir, BerthBackend backend, bool ready, char **args,
                         char **ret_fragment, BerthError **reterr);
/* --print-cache-tree: the template builds its cache when needed and prints "tree=PATH" and
 * "lock=PATH" lines (the cached tree, and the file it flock()s while it changes the tree). */
int template_cache_tree(BerthContext *ctx, const char *template_name, const char *name,
                        char **args, char **ret_text, BerthError **reterr);
/* Asks the template whether it accepts args (--check-options), building nothing. */
int template_check(BerthContext *ctx, const char *template_name, const char *name, char **args,
                   BerthError **reterr);

/* ---- storage hooks (snapshot.c) ---------------------------------------------------------- */

/* The rootfs volume dir/rootfs of a container being created, filled by its template: from the
 * template's cached tree as a copy of its backend image when the template names one
 * (--print-cache-tree) and the backend is not dir, else by a plain template run. Returns the
 * template's config fragment. */
int container_storage_populate(BerthContext *ctx, BerthBackend backend, const CreateRequest *req,
                               const char *name, const char *dir, char **ret_fragment,
                               BerthError **reterr);
/* Removes a container directory (or a leftover) with its volumes and snapshots. */
int container_remove_dir(BerthContext *ctx, const char *path, BerthError **reterr);
size_t container_snapshot_count(BerthContext *ctx, const char *name);
/* For the monitor, as the last thing it does once the container stopped (its command socket
 * closed and its runtime files removed, so destroy sees a stopped container): destroys the
 * container, snapshots included, when its config says ephemeral: true; 0 otherwise. */
int container_destroy_if_ephemeral(BerthContext *ctx, const char *name, BerthError **reterr);
