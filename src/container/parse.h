/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_PARSE_H
#define BERTH_CONTAINER_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* Private helpers shared by options.c, mounts.c and spec.c. */

/* Go's strconv.ParseInt(s, 10, 64) / ParseBool, with their messages. */
int container_parse_int64(const char *s, int64_t *out, struct berth_error **err);
int container_parse_bool(const char *s, bool *out, struct berth_error **err);

struct container_mount;
/* moby's validateMountConfig, less the host checks; then the paths
 * cleaned as Docker stores them. */
int container_mount_check(const struct container_mount *m, struct berth_error **err);
void container_mount_clean_paths(struct container_mount *m);

/* Go's path.Clean: "/data/" and "/a/./b/../data" are "/data". */
char *container_path_clean(const char *path);

/* "RLIMIT_NOFILE" for RLIMIT_NOFILE. */
const char *container_rlimit_oci_name(int resource);

#endif
