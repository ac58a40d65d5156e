/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth autostart's choice and order of containers (pure). */
#include "tap.h"

#include "autostart.h"
#include "strv.h"

static const AutostartCandidate cands[] = {
        {.name = "web", .enabled = true, .order = 20, .group = "front"},
        {.name = "db", .enabled = true, .order = 10},
        {.name = "cache", .enabled = true, .order = 10},
        {.name = "off", .enabled = false, .order = 0},
        {.name = "proxy", .enabled = true, .order = -5, .group = "front"},
        {.name = "batch", .enabled = true, .order = 100, .group = "night"},
};
#define N ELEMENTSOF(cands)

/* The picked names, space-separated. */
static char *picked(char *const *groups, bool all)
{
        size_t idx[N];
        size_t k = autostart_select(cands, N, groups, all, idx);
        _cleanup_strv_free_ char **names = NULL;
        for (size_t i = 0; i < k; i++)
                strv_extend(&names, cands[idx[i]].name);
        return names ? strv_join(names, " ") : xstrdup("");
}

int main(void)
{
        char *s;

        s = picked(NULL, false);
        is_str(s, "proxy cache db web batch",
               "every group: one order over all, lower first, names break ties");
        free(s);
        s = picked(NULL, true);
        is_str(s, "proxy off cache db web batch", "--all adds the disabled one, in its order");
        free(s);

        char *front[] = {(char *)"front", NULL};
        s = picked(front, false);
        is_str(s, "proxy web", "one group: its members in order");
        free(s);
        char *front_none[] = {(char *)"front", (char *)"", NULL};
        s = picked(front_none, false);
        is_str(s, "proxy web cache db", "groups in the order given, \"\" the ones without");
        free(s);
        char *none_front[] = {(char *)"", (char *)"front", NULL};
        s = picked(none_front, false);
        is_str(s, "cache db proxy web", "the other order of groups");
        free(s);
        char *unknown[] = {(char *)"nosuch", NULL};
        s = picked(unknown, false);
        is_str(s, "", "a group nobody is in: nothing");
        free(s);
        char *empty[] = {NULL};
        s = picked(empty, false);
        is_str(s, "", "an empty group list selects nothing");
        free(s);

        size_t idx[1];
        is_int(autostart_select(cands, 0, NULL, false, idx), 0, "no candidates");

        /* Extreme orders do not overflow the comparison. */
        const AutostartCandidate ext[] = {
                {.name = "max", .enabled = true, .order = INT64_MAX},
                {.name = "min", .enabled = true, .order = INT64_MIN},
                {.name = "zero", .enabled = true, .order = 0},
        };
        size_t e[3];
        size_t k = autostart_select(ext, 3, NULL, false, e);
        ok(k == 3 && streq(ext[e[0]].name, "min") && streq(ext[e[1]].name, "zero") &&
                   streq(ext[e[2]].name, "max"),
           "INT64_MIN first, INT64_MAX last");
        return tap_done();
}
