/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the /proc/self/mountinfo parser of the cgroup module: any text yields a layout or an
 * error, never a crash, and a layout is self-consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "strv.h"

const char fuzz_target_name[] = "mountinfo";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The parser takes a C string, as read from /proc. */
        char *text = xmalloc(size + 1);
        memcpy(text, data, size);
        text[size] = 0;
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = NULL;
        int r = cgroup_layout_from_mountinfo(text, &l);
        free(text);
        if (r < 0) {
                if (l)
                        abort();
                return 0;
        }
        if (!l || (l->unified && (!l->unified_mount || l->n_v1 > 0)))
                abort();
        for (size_t i = 0; i < l->n_v1; i++)
                if (!l->v1[i].mountpoint || strv_length(l->v1[i].controllers) == 0)
                        abort();
        return 0;
}
