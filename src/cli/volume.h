/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CLI_VOLUME_H
#define BERTH_CLI_VOLUME_H

#include "cli/cli.h"

/* berth volume create|ls|inspect|rm|prune (volume.c) */
int cli_cmd_volume(const struct cli_global *g, int argc, char **argv, struct berth_error **err);

#endif
