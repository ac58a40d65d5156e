/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared declarations of the berth command-line tool. Every subcommand lives in its own
 * tools/cmd-*.c, parses its arguments, calls one libberth function and presents the result. */

#include <stdint.h>
#include <stdio.h>

#include "berth.h"

/* Exit statuses: 0 success, 1 the operation failed, 2 the command line was wrong. */
#define EXIT_USAGE 2

/* Global options (berth.c). */
extern bool arg_quiet;

/* The library context built from the global options, created on first use. NULL when it
 * could not be created; the error has then been printed. */
BerthContext *tool_context(void);

/* A subcommand: argv[0] is its name; returns the process exit status. */
typedef int (*VerbFunc)(int argc, char *argv[]);

int verb_create(int argc, char *argv[]);
int verb_start(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_restart(int argc, char *argv[]);
int verb_freeze(int argc, char *argv[]);
int verb_thaw(int argc, char *argv[]);
int verb_wait(int argc, char *argv[]);
int verb_events(int argc, char *argv[]);
int verb_list(int argc, char *argv[]);
int verb_info(int argc, char *argv[]);
int verb_attach(int argc, char *argv[]);
int verb_console(int argc, char *argv[]);
int verb_destroy(int argc, char *argv[]);
int verb_config(int argc, char *argv[]);
int verb_network(int argc, char *argv[]);
int verb_snapshot(int argc, char *argv[]);
int verb_clone(int argc, char *argv[]);
/* Shows progress: a line of text (fraction < 0) as a line on stderr; a fraction of a copy as a
 * bar on a terminal once the copy has taken a second, nothing elsewhere (progress.c). */
void tool_progress(const char *line, double fraction);
int verb_set(int argc, char *argv[]);
int verb_autostart(int argc, char *argv[]);
int verb_logs(int argc, char *argv[]);
int verb_cp(int argc, char *argv[]);
int verb_doctor(int argc, char *argv[]);
int verb_rename(int argc, char *argv[]);

/* ---- errors (tool-util.c) ---- */

/* Prints "berth: <message>" for a failed library call; returns 1. */
int tool_fail(const BerthError *err, int r);
/* Whether container name is privileged (false when it cannot be told). Cheapest while the
 * container is stopped: info then asks no monitor. */
bool tool_is_privileged(BerthContext *ctx, const char *name);
/* The one-line warning on stderr that a privileged container is no security boundary (not
 * with -q); the _if_ form asks first. */
void tool_warn_privileged(const char *name);
void tool_warn_if_privileged(BerthContext *ctx, const char *name);
/* Prints "berth: <fmt>" for a usage error; returns EXIT_USAGE. */
_printf_(1, 2) int tool_usage_error(const char *fmt, ...);
/* Reports getopt's '?' and ':' results for subcommand verb (NULL: the global options);
 * returns EXIT_USAGE. */
int tool_option_error(const char *verb, int c, char *argv[]);
/* Prints usage (a subcommand's synopsis and options) to stdout; returns 0. */
int tool_help(const char *text);
/* 0 when name is a valid container name, else prints the error and returns EXIT_USAGE. */
int tool_check_name(const char *name);
/* Checks that n_min..n_max positional arguments remain after option parsing (argv[optind..]);
 * prints the error and returns EXIT_USAGE otherwise. what names the first one when missing. */
int tool_check_args(const char *verb, int argc, char *argv[], int optind, int n_min, int n_max,
                    const char *what);
/* Cuts argv at the first "--": *argc becomes its index and the words after it are returned
 * (a NULL-terminated tail of argv, possibly empty); NULL when there is no "--". */
char **tool_split_dashdash(int *argc, char *argv[]);

/* "10", "10s", "1500ms", "2m" -> microseconds; a usage error (returns EXIT_USAGE) if bad. */
/* The one argument left after option parsing, checked as a container name, and the context:
 * 0, or the exit code to return (2 for usage errors, 1 when the context cannot be had). */
int tool_name_and_context(const char *verb, int argc, char *argv[], const char **ret_name,
                          BerthContext **ret_ctx);
int tool_parse_timeout(const char *verb, const char *s, uint64_t *ret_usec);

/* ---- output (tool-util.c) ---- */

/* "NAME: KEY: applied to the running container" and the like, a line per changed key (not with
 * -q); cmd-set.c. */
void tool_print_config_change(const char *name, const BerthConfigChange *c);

/* "12.3 MiB" (sep " ") or "12.3MiB" (sep ""); bytes below 1 KiB as "512 B". */
const char *format_bytes(char *buf, size_t size, uint64_t bytes, const char *sep);
/* A JSON string literal with quotes and escapes. */
void json_print_string(FILE *f, const char *s);
/* One object: {"name": .., "state": .., ...}, unknown values as null. */
void json_print_info(FILE *f, const BerthInfo *info);
