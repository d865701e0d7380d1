/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CLI_CLI_H
#define BERTH_CLI_CLI_H

#include "util/error.h"

/*
 * Front ends are tables of name -> handler.  A handler parses its own
 * options (getopt_long from argv[0] = the command name), calls the engine,
 * prints the result, and returns a process exit status; on failure it
 * fills *err and returns the status to exit with (125 for berth's own
 * failures, as Docker does).
 */
struct cli_global {
        const char *root;    /* --root */
        const char *runroot; /* --runroot */
};

typedef int (*cli_handler)(const struct cli_global *g, int argc, char **argv,
                           struct berth_error **err);

struct cli_command {
        const char *name;
        cli_handler run;
        const char *summary;
};

/* Exit statuses shared by every command (Docker's). */
enum {
        CLI_EXIT_FAILURE = 125, /* berth itself failed */
        CLI_EXIT_CANNOT_INVOKE = 126,
        CLI_EXIT_NOT_FOUND = 127,
};

/* Commands that live in their own files. */
int cli_cmd_build(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_dockerfile(const struct cli_global *g, int argc, char **argv, struct berth_error **err);

/* Report a usage error the way every command does.  Not for an unknown
 * flag or a flag missing its value: getopt has already printed the one
 * line naming it, and the handler just returns CLI_EXIT_FAILURE. */
int cli_usage_error(struct berth_error **err, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
