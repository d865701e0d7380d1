/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_UTIL_LOG_H
#define BERTH_UTIL_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* "error", "warn"/"warning", "info", "debug"; returns -EINVAL otherwise. */
int log_level_parse(const char *name, enum log_level *out);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Log to path (appending) instead of stderr; json selects runc's
 * {"level","msg","time"} lines, which containerd parses. */
int log_set_file(const char *path, bool json);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
