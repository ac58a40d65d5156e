/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the seccomp profile parser: any input either parses into a plan that is freed cleanly or
 * fails with an error object, never both, never neither. */
#include <stdint.h>
#include <stdlib.h>

#include "security/security.h"

const char fuzz_target_name[] = "seccomp";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        SeccompPlan plan = {};
        BerthError *e = NULL;

        int r = seccomp_profile_parse((const char *)data, size, "fuzz", &plan, &e);
        if ((r < 0) != (e != NULL))
                abort();
        if (r < 0 && (plan.rules || plan.n_rules))
                abort();
        for (size_t i = 0; i < plan.n_rules; i++)
                if (!plan.rules[i].syscall || plan.rules[i].errno_value < 0 ||
                    plan.rules[i].errno_value > 4095 || plan.rules[i].n_args > SECCOMP_ARGS_MAX)
                        abort();
        for (size_t i = 0; i < plan.n_rules; i++)
                for (size_t j = 0; j < plan.rules[i].n_args; j++)
                        if (plan.rules[i].args[j].index > 5 ||
                            plan.rules[i].args[j].cmp >= _SECCOMP_CMP_MAX)
                                abort();
        seccomp_plan_done(&plan);
        berth_error_free(e);
        return 0;
}
