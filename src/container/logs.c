/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the json-file log back: logs [-f] [--tail] [--since] [-t]. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "container/lifecycle-private.h"
#include "container/logs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

int container_logs_parse_time(const char *s, struct timespec *out, struct berth_error **err)
{
        if (container_time_parse(s, out) == 0)
                return 0;
        char *end = NULL;
        double v = strtod(s, &end);
        if (end != s && *end == '\0') {
                out->tv_sec = (time_t)v;
                out->tv_nsec = (long)((v - (double)out->tv_sec) * 1e9);
                return 0;
        }
        /* A Go duration: 1h30m, 10m, 5s. */
        double total = 0;
        const char *p = s;
        while (*p) {
                double n = strtod(p, &end);
                if (end == p)
                        goto bad;
                p = end;
                double unit;
                if (strncmp(p, "ms", 2) == 0)
                        unit = 0.001, p += 2;
                else if (*p == 'h')
                        unit = 3600, p++;
                else if (*p == 'm')
                        unit = 60, p++;
                else if (*p == 's')
                        unit = 1, p++;
                else
                        goto bad;
                total += n * unit;
        }
        if (p == s)
                goto bad;
        clock_gettime(CLOCK_REALTIME, out);
        out->tv_sec -= (time_t)total;
        return 0;
bad:
        return berth_err(err, 0, "invalid value for \"since\": \"%s\"", s);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* One log entry out; 0 printed or skipped. */
static void emit(const char *line, size_t len, const struct container_logs_options *o, int out_fd,
                 int err_fd)
{
        _cleanup_json_ json_t *j = json_loadb(line, len, 0, NULL);
        if (j == NULL)
                return;
        const char *log = json_string_value(json_object_get(j, "log"));
        const char *stream = json_string_value(json_object_get(j, "stream"));
        const char *time_s = json_string_value(json_object_get(j, "time"));
        if (log == NULL)
                return;
        struct timespec t = {0};
        if (time_s != NULL)
                (void)container_time_parse(time_s, &t);
        if (o->since_set && before(&t, &o->since))
                return;
        if (o->until_set && !before(&t, &o->until))
                return;
        int fd = stream && strcmp(stream, "stderr") == 0 ? err_fd : out_fd;
        if (o->timestamps && time_s != NULL) {
                (void)util_write_all(fd, time_s, strlen(time_s));
                (void)util_write_all(fd, " ", 1);
        }
        (void)util_write_all(fd, log, json_string_length(json_object_get(j, "log")));
}

static bool still_running(const struct container_engine *e, const char *id)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (container_inspect(e, id, &r, &scratch) <= 0)
                return false;
        return r->state.status == CONTAINER_RUNNING || r->state.status == CONTAINER_PAUSED ||
               r->state.status == CONTAINER_RESTARTING;
}

int container_logs(const struct container_engine *e, const char *id,
                   const struct container_logs_options *o, int out_fd, int err_fd,
                   struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_inspect(e, id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, ENOENT, "No such container: %s", id);
        _cleanup_close_ int fd = open(r->log_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT)
                return berth_err(err, errno, "opening `%s`", r->log_path);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        /* Read what is there, find the starting line for --tail. */
        for (;;) {
                if (fd < 0)
                        break;
                if (cap - len < 65536) {
                        cap = cap ? cap * 2 : 131072;
                        buf = xrealloc(buf, cap);
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += n;
        }
        size_t start = 0;
        if (o->tail >= 0) {
                long lines = 0;
                size_t i = len;
                /* Back from the end: each newline before the file's
                 * final one starts a line; stop at the tail-th. */
                while (i > 0) {
                        if (buf[i - 1] == '\n' && i != len && ++lines == o->tail)
                                break;
                        i--;
                }
                start = o->tail == 0 ? len : i;
        }
        size_t pos = start;
        for (;;) {
                while (pos < len) {
                        char *nl = memchr(buf + pos, '\n', len - pos);
                        if (nl == NULL)
                                break;
                        emit(buf + pos, nl - (buf + pos), o, out_fd, err_fd);
                        pos = nl - buf + 1;
                }
                if (!o->follow)
                        break;
                bool running = still_running(e, r->id);
                /* Read what arrived; stop once the container has exited
                 * and nothing more came. */
                bool more = false;
                for (;;) {
                        if (fd < 0) {
                                fd = open(r->log_path, O_RDONLY | O_CLOEXEC);
                                if (fd < 0)
                                        break;
                        }
                        if (cap - len < 65536) {
                                cap = cap ? cap * 2 : 131072;
                                buf = xrealloc(buf, cap);
                        }
                        ssize_t n = read(fd, buf + len, cap - len);
                        if (n <= 0)
                                break;
                        len += n;
                        more = true;
                }
                if (!more) {
                        if (!running)
                                break;
                        struct timespec t = {0, 100 * 1000000L};
                        nanosleep(&t, NULL);
                }
                /* Keep memory bounded for long follows. */
                if (pos > 1 << 20) {
                        memmove(buf, buf + pos, len - pos);
                        len -= pos;
                        pos = 0;
                }
        }
        return 0;
}
