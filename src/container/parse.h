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

/* Go's path.Clean: "/data/" and "/a/./b/../data" are "/data". */
char *container_path_clean(const char *path);

/* "RLIMIT_NOFILE" for RLIMIT_NOFILE. */
const char *container_rlimit_oci_name(int resource);

#endif
