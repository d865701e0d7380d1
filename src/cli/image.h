/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CLI_IMAGE_H
#define BERTH_CLI_IMAGE_H

#include "cli/cli.h"

/* The image commands (image.c, image-list.c, image-tree.c, system.c). */
int cli_cmd_load(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_save(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_import(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_images(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_history(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_tag(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_rmi(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_image(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_image_inspect(const struct cli_global *g, int argc, char **argv,
                          struct berth_error **err);
int cli_cmd_image_prune(const struct cli_global *g, int argc, char **argv,
                        struct berth_error **err);
int cli_cmd_image_tree(const struct cli_global *g, int argc, char **argv, struct berth_error **err);
int cli_cmd_system(const struct cli_global *g, int argc, char **argv, struct berth_error **err);

#endif
