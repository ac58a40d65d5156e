/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pure half of berth autostart: which containers, in which order. */

#include "berth.h"

/* One candidate: a container and its autostart settings. */
typedef struct AutostartCandidate {
        const char *name;
        bool enabled;
        int64_t order;
        uint64_t delay_usec;
        const char *group; /* NULL: none */
} AutostartCandidate;

/* Picks the candidates to act on and sorts them into start order: the groups in the order
 * given (groups NULL: every group, one order over all; "" in groups stands for containers
 * without a group), within a group by order (lower first), then by name. all: also the ones
 * without autostart.enabled. ret_index receives indexes into c (at most n). Returns how many
 * were picked. Stopping walks the result backwards. */
size_t autostart_select(const AutostartCandidate *c, size_t n, char *const *groups, bool all,
                        size_t *ret_index);
