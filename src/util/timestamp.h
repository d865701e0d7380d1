/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_UTIL_TIMESTAMP_H
#define BERTH_UTIL_TIMESTAMP_H

#include <time.h>

/* Times as image configs and Docker's JSON write them (RFC 3339, UTC). */

/* Now, with nanoseconds: "2026-12-04T09:26:01.123456789Z". */
char *util_time_now_rfc3339(void);
/* A whole second: "2023-11-14T22:13:20Z". */
char *util_time_rfc3339(time_t t);

#endif
