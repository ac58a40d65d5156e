/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays a fuzz target's corpus (every file of the directories given, or of
 * $BERTH_SRCDIR/tests/fuzz/corpus-<target>) so make check runs it without libFuzzer. Prints TAP. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char fuzz_target_name[];

static int replay_dir(const char *dir, int *n)
{
        DIR *d = opendir(dir);
        if (!d) {
                printf("not ok %d - open corpus '%s'\n", ++*n, dir);
                return 1;
        }
        struct dirent *de;
        int failed = 0;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
                _cleanup_free_ char *buf = NULL;
                size_t size;
                if (read_full_file_at(AT_FDCWD, path, 1 << 22, &buf, &size) < 0) {
                        printf("not ok %d - read '%s'\n", ++*n, path);
                        failed++;
                        continue;
                }
                /* A crash aborts the run; reaching the next line is the pass. */
                LLVMFuzzerTestOneInput((const uint8_t *)buf, size);
                printf("ok %d - %s survives %s\n", ++*n, fuzz_target_name, de->d_name);
        }
        closedir(d);
        return failed;
}

int main(int argc, char **argv)
{
        int n = 0, failed = 0;
        if (argc > 1) {
                for (int i = 1; i < argc; i++)
                        failed += replay_dir(argv[i], &n);
        } else {
                const char *src = getenv("BERTH_SRCDIR");
                _cleanup_free_ char *dir =
                        xasprintf("%s/tests/fuzz/corpus-%s", src ? src : ".", fuzz_target_name);
                failed += replay_dir(dir, &n);
        }
        printf("1..%d\n", n);
        return failed ? 1 : 0;
}
