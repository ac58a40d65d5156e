/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the config parser: any input either fails with a one-line error, or parses into a config
 * whose normalised YAML parses back into the same config. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-internal.h"
#include "config/config.h"

const char fuzz_target_name[] = "config";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(config_freep) BerthConfig *c = config_new();
        _cleanup_(berth_error_freep) BerthError *err = NULL;

        int r = config_parse_into(c, (const char *)data, size, "fuzz", &err);
        if (r < 0) {
                /* Failures are fine; a failure without a proper one-line message is not. */
                if (r != -EBADMSG || !err || !err->message || strchr(err->message, '\n'))
                        abort();
                return 0;
        }
        if (err)
                abort(); /* set exactly when failing */

        (void)config_validate(c, NULL);

        _cleanup_free_ char *yaml = config_to_yaml(c);
        if (!yaml)
                abort();
        _cleanup_(config_freep) BerthConfig *again = config_new();
        r = config_parse_into(again, yaml, strlen(yaml), "fuzz-emitted", &err);
        if (r < 0) {
                fprintf(stderr, "re-parse failed: %s\n--- emitted:\n%s", err->message, yaml);
                abort();
        }
        if (!config_equal(c, again)) {
                fprintf(stderr, "round trip differs\n--- emitted:\n%s", yaml);
                abort();
        }
        /* Normalised output is a fixed point. */
        _cleanup_free_ char *yaml2 = config_to_yaml(again);
        if (!yaml2 || !streq(yaml, yaml2))
                abort();
        return 0;
}
