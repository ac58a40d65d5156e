/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the composition-file parser: any input either fails with exactly one one-line EBADMSG
 * error, or parses into entries that each have a name and a template, a position inside the
 * input, and start names that are all declared. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "strv.h"

const char fuzz_target_name[] = "compose";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(compose_freep) Compose *c = NULL;
        _cleanup_(berth_error_freep) BerthError *err = NULL;

        int r = compose_parse((const char *)data, size, "fuzz", &c, &err);
        if (r < 0) {
                if (r != -EBADMSG || !err || !err->message || strchr(err->message, '\n') || c)
                        abort();
                return 0;
        }
        if (err || !c)
                abort();
        /* An upper bound of the lines as YAML counts them: \n, \r, NEL, LS and PS all break. */
        unsigned lines = 1;
        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n' || data[i] == '\r' ||
                         (data[i] == 0xc2 && i + 1 < size && data[i + 1] == 0x85) ||
                         (data[i] == 0xe2 && i + 2 < size && data[i + 1] == 0x80 &&
                          (data[i + 2] == 0xa8 || data[i + 2] == 0xa9));
        for (size_t i = 0; i < c->n_entries; i++) {
                const ComposeEntry *e = &c->entries[i];
                if (!e->config || !e->config->name || !e->config->template_name || e->line < 1 ||
                    e->line > lines || e->column < 1)
                        abort();
        }
        STRV_FOREACH(s, c->start) {
                bool found = false;
                for (size_t i = 0; i < c->n_entries && !found; i++)
                        found = streq(c->entries[i].config->name, *s);
                if (!found)
                        abort();
        }
        return 0;
}
