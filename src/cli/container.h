/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CLI_CONTAINER_H
#define BERTH_CLI_CONTAINER_H

#include "cli/cli.h"
#include "container/lifecycle.h"

/* The engine for these global options (berth's own binary re-executed as
 * the monitor). */
void cli_engine(const struct cli_global *g, struct container_engine *e);

/* Resolve a name or ID prefix to the full ID (Docker's "No such
 * container" when absent). */
int cli_container_id(const struct container_engine *e, const char *what, char id[65],
                     struct berth_error **err);

/* ps's columns: a record's time as a unix time (-1 when unset), its
 * STATUS ("Up 2 minutes", "Exited (0) 5 seconds ago") and its quoted
 * COMMAND (cut to 20 characters with trunc). */
time_t cli_container_time(const char *rfc3339);
char *cli_container_status(const struct container_record *r);
char *cli_container_command(const struct container_record *r, bool trunc);

int cli_cmd_run(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_create(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_start(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_ps(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
/* inspect: a container, else an image (--type says which); container
 * inspect: containers only. */
int cli_cmd_inspect(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_container_inspect(const struct cli_global *g, int argc, char **argv,
                              struct berth_error **err);
int cli_cmd_logs(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_stop(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_kill(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_restart(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_rm(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_wait(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_exec(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_attach(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_top(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_pause(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_unpause(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_rename(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_stats(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
/* `container SUBCOMMAND`: ls, inspect, prune and the verbs above. */
int cli_cmd_container(const struct cli_global *g, int argc, char **argv, struct berth_error **err);

#endif
