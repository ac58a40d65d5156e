/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "../../shared/error.h"
#include "../config/config.h"

/* Unprivileged containers without an idmap of their own get container ids 0..65535 mapped
 * to host ids 100000..165535 (the range Debian's adduser gives the first subordinate user). */
#define IDMAP_DEFAULT_HOST 100000U
#define IDMAP_DEFAULT_COUNT 65536U

/* The config's map, or the default when it has none. */
const BerthIdmap *idmap_effective(const BerthConfig *c, size_t *ret_n);
/* Pure: "0 100000 65536\n" lines; checks that container id 0 is mapped and that no two
 * ranges overlap on either side. */
int idmap_format(const BerthIdmap *map, size_t n, char **ret, BerthError **reterr);
/* The host id that container id maps to, or (uid_t)-1 when it is not mapped. */
uid_t idmap_to_host(const BerthIdmap *map, size_t n, uint32_t id);
/* The host uid that container uid 0 maps to. */
uid_t idmap_host_root(const BerthIdmap *map, size_t n);
/* Writes uid_map and gid_map of pid. */
int idmap_write(pid_t pid, const BerthIdmap *map, size_t n, BerthError **reterr);
/* A detached recursive copy of path's mount tree, idmapped through the user namespace
 * userns_fd, ready for move_mount() in the container's mount namespace. */
int idmap_mount_tree(const char *path, int userns_fd, int *ret_fd, BerthError **reterr);
