/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

static enum log_level current_level = LOG_LEVEL_WARN;
static int log_fd = STDERR_FILENO;
static bool log_json;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int log_level_parse(const char *name, enum log_level *out)
{
        for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
                if (strcmp(name, level_names[i]) == 0) {
                        *out = (enum log_level)i;
                        return 0;
                }
        }
        if (strcmp(name, "warn") == 0) {
                *out = LOG_LEVEL_WARN;
                return 0;
        }
        return -EINVAL;
}

void log_set_level(enum log_level level)
{
        current_level = level;
}

enum log_level log_get_level(void)
{
        return current_level;
}

int log_set_file(const char *path, bool json)
{
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (log_fd != STDERR_FILENO)
                close(log_fd);
        log_fd = fd;
        log_json = json;
        return 0;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
        if (level > current_level)
                return;
        int saved = errno;
        va_list ap;
        va_start(ap, fmt);
        char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        char *line;
        if (log_json) {
                char stamp[64];
                struct timespec ts;
                struct tm tm;
                clock_gettime(CLOCK_REALTIME, &ts);
                gmtime_r(&ts.tv_sec, &tm);
                strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
                json_t *o = json_pack("{s:s, s:s, s:s++}", "level", level_names[level], "msg", msg,
                                      "time", stamp, "Z");
                char *dump = json_dumps(o, JSON_COMPACT);
                line = xasprintf("%s\n", dump);
                free(dump);
                json_decref(o);
        } else {
                line = xasprintf("berth %s: %s\n", level_names[level], msg);
        }
        /* One write per line so concurrent writers never interleave. */
        ssize_t n = write(log_fd, line, strlen(line));
        (void)n;
        free(line);
        free(msg);
        errno = saved;
}
