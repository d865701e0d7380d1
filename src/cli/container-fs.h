/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CLI_CONTAINER_FS_H
#define BERTH_CLI_CONTAINER_FS_H

#include "cli/cli.h"

/* berth cp, diff, export, commit (container-fs.c) */
int cli_cmd_cp(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_diff(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_export(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_commit(const struct cli_global *g, int argc, char **argv, struct berth_error **err);

#endif
