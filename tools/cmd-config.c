/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "berth-tool.h"
#include "fileio.h"
#include "path-util.h"

static const char config_help[] =
        "Usage: berth config NAME validate|show|edit\n"
        "\n"
        "validate  check container NAME's config.yaml; errors name file, line and column\n"
        "show      print the effective configuration as YAML\n"
        "edit      open a copy of config.yaml in $VISUAL or $EDITOR (else vi); when the editor\n"
        "          exits, the copy is checked and replaces config.yaml atomically, with changed\n"
        "          limits applied to the running container as 'berth set' does. An invalid\n"
        "          copy changes nothing and is kept for another try\n"
        "\n"
        "Options:\n"
        "  -h, --help  show this help\n";

#define EDIT_MAX_BYTES (1024 * 1024)

/* $VISUAL, $EDITOR, else vi. */
static const char *editor_command(void)
{
        const char *e = getenv("VISUAL");
        if (!e || !*e)
                e = getenv("EDITOR");
        return e && *e ? e : "vi";
}

/* Runs the editor on path; its exit status (128 + signal when killed), or -errno. */
static int run_editor(const char *editor, const char *path)
{
        /* Through the shell, as git and crontab do: $EDITOR may carry its own options. */
        _cleanup_free_ char *command = xasprintf("%s \"$@\"", editor);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execl("/bin/sh", "sh", "-c", command, editor, path, (char *)NULL);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

static int edit(BerthContext *ctx, const char *name)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_free_ char *text = NULL;
        int r = berth_config_text(ctx, name, &text, &err);
        if (r < 0)
                return tool_fail(err, r);

        /* A private copy: a directory of its own, so nobody else can swap the file. */
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *dir = xasprintf("%s/berth-edit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
                fprintf(stderr, "berth: edit '%s': create a directory in '%s': %s\n", name,
                        tmp && *tmp ? tmp : "/tmp", strerror(errno));
                return EXIT_FAILURE;
        }
        _cleanup_free_ char *path = xasprintf("%s/%s.yaml", dir, name);
        r = write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600);
        if (r < 0) {
                fprintf(stderr, "berth: edit '%s': write '%s': %s\n", name, path, strerror(-r));
                (void)rmdir(dir);
                return EXIT_FAILURE;
        }

        const char *editor = editor_command();
        r = run_editor(editor, path);
        if (r != 0) {
                (void)unlink(path);
                (void)rmdir(dir);
                if (r < 0)
                        fprintf(stderr, "berth: edit '%s': run editor '%s': %s\n", name, editor,
                                strerror(-r));
                else
                        fprintf(stderr,
                                "berth: edit '%s': editor '%s' failed (exit status %d); nothing "
                                "changed\n",
                                name, editor, r);
                return EXIT_FAILURE;
        }

        _cleanup_free_ char *edited = NULL;
        r = read_full_file_at(AT_FDCWD, path, EDIT_MAX_BYTES + 1, &edited, NULL);
        if (r < 0) {
                fprintf(stderr, "berth: edit '%s': read '%s': %s; nothing changed\n", name, path,
                        strerror(-r));
                return EXIT_FAILURE;
        }
        if (streq(edited, text)) {
                (void)unlink(path);
                (void)rmdir(dir);
                if (!arg_quiet)
                        printf("%s: nothing changed\n", name);
                return EXIT_SUCCESS;
        }

        BerthConfigChange change = {};
        r = berth_config_replace(ctx, name, edited, path, &change, &err);
        if (r < 0) {
                /* The edit is kept: the message names the copy, line and column. */
                fprintf(stderr, "berth: %s (the edited copy is kept: %s)\n",
                        berth_error_message(err, r), path);
                return EXIT_FAILURE;
        }
        (void)unlink(path);
        (void)rmdir(dir);
        tool_print_config_change(name, &change);
        berth_config_change_clear(&change);
        return EXIT_SUCCESS;
}

int verb_config(int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == 'h')
                        return tool_help(config_help);
                return tool_option_error("config", c, argv);
        }
        r = tool_check_args("config", argc, argv, optind, 1, 2, "container name");
        if (r != 0)
                return r;
        r = tool_check_args("config", argc, argv, optind, 2, 2, "action: validate, show or edit");
        if (r != 0)
                return r;
        const char *name = argv[optind], *action = argv[optind + 1];
        r = tool_check_name(name);
        if (r != 0)
                return r;
        if (!streq(action, "validate") && !streq(action, "show") && !streq(action, "edit"))
                return tool_usage_error(
                        "config: unknown action '%s': use validate, show or edit", action);

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;

        if (streq(action, "edit"))
                return edit(ctx, name);

        if (streq(action, "validate")) {
                r = berth_config_validate(ctx, name, &err);
                if (r < 0)
                        return tool_fail(err, r);
                if (!arg_quiet)
                        printf("config of '%s' is valid\n", name);
                return EXIT_SUCCESS;
        }

        _cleanup_free_ char *yaml = NULL;
        r = berth_config_show(ctx, name, &yaml, &err);
        if (r < 0)
                return tool_fail(err, r);
        fputs(yaml, stdout);
        if (*yaml && yaml[strlen(yaml) - 1] != '\n')
                fputc('\n', stdout);
        return EXIT_SUCCESS;
}
