/* SPDX-License-Identifier: Apache-2.0 */
/* Small pieces the lifecycle files share. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "container/lifecycle-private.h"
#include "container/volume.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

char *container_random_hex(size_t n)
{
        unsigned char raw[64];
        if (n > sizeof(raw))
                n = sizeof(raw);
        if (getrandom(raw, n, 0) != (ssize_t)n)
                for (size_t i = 0; i < n; i++)
                        raw[i] = (unsigned char)(rand() ^ getpid());
        char *out = xmalloc(2 * n + 1);
        for (size_t i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
        return out;
}

char *container_attach_dir(const struct container_engine *e)
{
        return xasprintf("%s/attach", e->runroot);
}

char *container_helper_path(const struct container_engine *e, const char *name)
{
        const char *slash = strrchr(e->self, '/');
        return slash ? xasprintf("%.*s/%s", (int)(slash - e->self), e->self, name) : xstrdup(name);
}

char *container_seccomp_cache_dir(const struct container_engine *e)
{
        return xasprintf("%s/seccomp", e->runroot);
}

int container_init_binary(const struct container_engine *e, char **path, struct berth_error **err)
{
        _cleanup_free_ char *p = xasprintf("%s/berth-init", e->runroot);
        if (util_path_mkdir_p(e->runroot, 0700, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *src = container_helper_path(e, "berth-init");
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return berth_err(err, errno, "opening the init binary `%s`", src);
        struct stat st;
        if (fstat(in, &st) < 0)
                return berth_err(err, errno, "stat of `%s`", src);
        /* The copy stays until berth-init changes (a new build). */
        struct stat have;
        if (stat(p, &have) == 0 && have.st_size == st.st_size &&
            have.st_mtim.tv_sec >= st.st_mtim.tv_sec) {
                *path = steal_pointer(&p);
                return 0;
        }
        /* Made under a temporary name and renamed in, so a concurrent
         * create never binds a half-written file. */
        _cleanup_free_ char *tmp = xasprintf("%s.%d", p, getpid());
        _cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0555);
        if (out < 0)
                return berth_err(err, errno, "creating `%s`", tmp);
        off_t off = 0;
        while (off < st.st_size) {
                ssize_t n = sendfile(out, in, &off, st.st_size - off);
                if (n <= 0) {
                        unlink(tmp);
                        return berth_err(err, n < 0 ? errno : EIO, "copying to `%s`", tmp);
                }
        }
        if (fchmod(out, 0555) < 0 || rename(tmp, p) < 0) {
                unlink(tmp);
                return berth_err(err, errno, "installing `%s`", p);
        }
        *path = steal_pointer(&p);
        return 0;
}

int container_attach_connect(const struct container_engine *e, const char *id,
                             struct berth_error **err)
{
        _cleanup_free_ char *dir = container_attach_dir(e);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_err(err, errno == ENOENT ? ECONNREFUSED : errno, "opening `%s`", dir);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return berth_err(err, errno, "socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, id);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e2 = errno;
                close(fd);
                return berth_err(err, e2 == ENOENT ? ECONNREFUSED : e2,
                                 "connecting to the monitor of %.12s", id);
        }
        return fd;
}

int container_monitor_pidfd(pid_t pid, const char *id)
{
        if (pid <= 0)
                return -1;
        int fd = pidfd_open(pid, 0);
        if (fd < 0)
                return -1;
        /* The pid may have been reused since the record named it: the
         * process must still be our monitor for this container. */
        _cleanup_free_ char *path = xasprintf("/proc/%d/cmdline", pid);
        _cleanup_free_ char *cmd = NULL;
        size_t len = 0;
        _cleanup_error_ struct berth_error *scratch = NULL;
        bool ok = false;
        if (util_file_read(AT_FDCWD, path, &cmd, &len, &scratch) == 0) {
                bool is_mon = false, is_id = false;
                for (size_t i = 0; i < len; i += strlen(cmd + i) + 1) {
                        is_mon |= strcmp(cmd + i, "container-monitor") == 0;
                        is_id |= strcmp(cmd + i, id) == 0;
                }
                ok = is_mon && is_id;
        }
        if (!ok) {
                close(fd);
                return -1;
        }
        return fd;
}

int container_monitor_wait(int pidfd, int timeout_ms)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r;
        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        return r > 0;
}

static char *put_str(char *p, const char *s)
{
        size_t n = strlen(s);
        memcpy(p, s, n);
        return p + n;
}

/*
 * Built by hand, with no stdio: the monitor makes one of these for every
 * line a container prints, and each libc routine it calls is code that
 * stays resident in every monitor.
 */
char *container_log_line(const char *stream, const char *buf, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        char *line = xmalloc(len * 6 + strlen(stream) + 40 + CONTAINER_TIME_LEN), *q = line;
        q = put_str(q, "{\"log\":\"");
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)buf[i];
                switch (c) {
                case '"':
                        *q++ = '\\', *q++ = '"';
                        break;
                case '\\':
                        *q++ = '\\', *q++ = '\\';
                        break;
                case '\n':
                        *q++ = '\\', *q++ = 'n';
                        break;
                case '\r':
                        *q++ = '\\', *q++ = 'r';
                        break;
                case '\t':
                        *q++ = '\\', *q++ = 't';
                        break;
                default:
                        if (c < 0x20 || c == 0x7f) {
                                q = put_str(q, "\\u00");
                                *q++ = hex[c >> 4], *q++ = hex[c & 15];
                        } else {
                                *q++ = (char)c;
                        }
                }
        }
        q = put_str(q, "\",\"stream\":\"");
        q = put_str(q, stream);
        q = put_str(q, "\",\"time\":\"");
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        q = container_time_format(q, &ts);
        q = put_str(q, "\"}\n");
        *q = '\0';
        return line;
}

void container_volumes_remove_anonymous(const struct container_engine *e,
                                        const struct container_record *r)
{
        /* The volume store knows which volumes r uses and whether anyone
         * else still does. */
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)container_volumes_release(e->root, r->id, true, &scratch);
}
