/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_LOGS_H
#define BERTH_CONTAINER_LOGS_H

#include <stdbool.h>
#include <time.h>

#include "container/lifecycle.h"

struct container_logs_options {
        bool follow;     /* keep reading while the container runs */
        bool timestamps; /* prefix each line with its RFC 3339 time */
        long tail;       /* the last N lines; -1 all */
        bool since_set;
        struct timespec since;
        bool until_set;
        struct timespec until;
};

/* Write a container's json-file log to out_fd / err_fd by stream. */
int container_logs(const struct container_engine *e, const char *id,
                   const struct container_logs_options *o, int out_fd, int err_fd,
                   struct berth_error **err);

/* --since / --until: RFC 3339, a unix time ("1700000000[.5]"), or a
 * duration before now ("10m", "1h30m", "5s"). */
int container_logs_parse_time(const char *s, struct timespec *out, struct berth_error **err);

#endif
