/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/terminal.h"
#include "util/cleanup.h"

/* What runc puts in the payload: the name of the master it opened. */
#define MASTER_NAME "/dev/ptmx"
/* The most name bytes a receiver (go-runc, recvtty) reads. */
#define NAME_MAX_LEN 4096

int runtime_terminal_open(int *master, int *slave, struct berth_error **err)
{
        _cleanup_close_ int m = -1, s = -1;

        m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0)
                return berth_err(err, errno, "opening `/dev/ptmx`");
        if (grantpt(m) < 0 || unlockpt(m) < 0)
                return berth_err(err, errno, "unlocking a pty");

        /* TIOCGPTPEER opens the slave through the master itself: no path
         * lookup, so nothing mounted over /dev/pts can hand us another file. */
        s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s < 0) {
                char name[64];
                if (errno != EINVAL && errno != ENOTTY)
                        return berth_err(err, errno, "opening the pty slave");
                if (ptsname_r(m, name, sizeof(name)) != 0)
                        return berth_err(err, errno, "naming the pty slave");
                s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (s < 0)
                        return berth_err(err, errno, "opening `%s`", name);
        }
        *master = steal_fd(&m);
        *slave = steal_fd(&s);
        return 0;
}

int runtime_terminal_peer_path(int master, char **out, struct berth_error **err)
{
        char name[64];
        if (ptsname_r(master, name, sizeof(name)) != 0)
                return berth_err(err, errno, "naming the pty slave");
        *out = xstrdup(name);
        return 0;
}

int runtime_terminal_setup_child(int slave, struct berth_error **err)
{
        /* setsid() fails for a process group leader; a session leader
         * already has what it needs (and may take a terminal). */
        if (getsid(0) != getpid() && setsid() < 0)
                return berth_err(err, errno, "starting a new session");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return berth_err(err, errno, "making the pty the controlling terminal");
        for (int fd = 0; fd <= 2; fd++) {
                if (fd == slave) {
                        /* dup2 onto itself would leave O_CLOEXEC set. */
                        if (fcntl(fd, F_SETFD, 0) < 0)
                                return berth_err(err, errno, "keeping fd %d across exec", fd);
                } else if (dup2(slave, fd) < 0) {
                        return berth_err(err, errno, "duplicating the pty onto fd %d", fd);
                }
        }
        if (slave > 2)
                close(slave);
        return 0;
}

int runtime_terminal_resize(int fd, unsigned int rows, unsigned int cols, struct berth_error **err)
{
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        if (rows == 0 || cols == 0)
                return 0;
        if (rows > 0xffff || cols > 0xffff)
                return berth_err(err, ERANGE, "terminal size %ux%u out of range", rows, cols);
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return berth_err(err, errno, "setting the terminal size");
        return 0;
}

int runtime_terminal_make_raw(int fd, struct termios *saved, struct berth_error **err)
{
        struct termios raw;
        if (tcgetattr(fd, saved) < 0)
                return berth_err(err, errno, "reading terminal settings");
        raw = *saved;
        cfmakeraw(&raw);
        /* Keep output processing off too: the container's own pty already
         * turned its \n into \r\n. */
        if (tcsetattr(fd, TCSANOW, &raw) < 0)
                return berth_err(err, errno, "setting the terminal to raw mode");
        return 0;
}

int runtime_terminal_restore(int fd, const struct termios *saved, struct berth_error **err)
{
        if (tcsetattr(fd, TCSANOW, saved) < 0)
                return berth_err(err, errno, "restoring terminal settings");
        return 0;
}

/*
 * Fill addr for path.  A path too long for sun_path is reached through
 * its directory: /proc/self/fd/<dirfd>/<name>.  *dirfd keeps that
 * directory open until the caller is done with addr.
 */
static int socket_addr(const char *path, struct sockaddr_un *addr, int *dirfd,
                       struct berth_error **err)
{
        memset(addr, 0, sizeof(*addr));
        addr->sun_family = AF_UNIX;
        if (strlen(path) < sizeof(addr->sun_path)) {
                memcpy(addr->sun_path, path, strlen(path) + 1);
                return 0;
        }

        _cleanup_free_ char *dcopy = xstrdup(path), *bcopy = xstrdup(path);
        const char *dir = dirname(dcopy), *base = basename(bcopy);
        *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*dirfd < 0)
                return berth_err(err, errno, "opening `%s`", dir);
        int n =
            snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd, base);
        if (n < 0 || (size_t)n >= sizeof(addr->sun_path))
                return berth_err(err, ENAMETOOLONG, "socket path `%s`", path);
        return 0;
}

int runtime_console_socket_send(const char *path, int master, struct berth_error **err)
{
        _cleanup_close_ int sock = -1, dirfd = -1;
        struct sockaddr_un addr;
        char payload[] = MASTER_NAME;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = {.iov_base = payload, .iov_len = strlen(payload)};
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };

        if (socket_addr(path, &addr, &dirfd, err) < 0)
                return berth_err_ret(*err);
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return berth_err(err, errno, "creating a unix socket");
        if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return berth_err(err, errno, "connecting to console socket `%s`", path);

        memset(&control, 0, sizeof(control));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &master, sizeof(int));

        ssize_t n;
        do
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_err(err, errno, "sending the pty to console socket `%s`", path);
        /* A short write would be odd for a few bytes, but the fd went with
         * the first byte; the rest of the name is only informative. */
        return 0;
}

int runtime_console_socket_recv_fd(int conn, struct berth_error **err)
{
        char name[NAME_MAX_LEN];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 8)];
        } control;
        struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };
        int fd = -1;
        ssize_t n;

        do
                n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_err(err, errno, "receiving from the console socket");

        /* Take the first fd; close any extra a confused sender attached, so
         * none leaks into us. */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; i++) {
                        int got;
                        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (fd < 0)
                                fd = got;
                        else
                                close(got);
                }
        }
        if (msg.msg_flags & MSG_CTRUNC) {
                if (fd >= 0)
                        close(fd);
                return berth_err(err, EBADMSG, "console socket: ancillary data truncated");
        }
        if (fd < 0)
                return berth_err(err, EBADMSG, "console socket: no file descriptor received");
        return fd;
}

int runtime_console_socket_recv(int listen_fd, struct berth_error **err)
{
        _cleanup_close_ int conn = -1;

        do
                conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        while (conn < 0 && errno == EINTR);
        if (conn < 0)
                return berth_err(err, errno, "accepting on the console socket");
        return runtime_console_socket_recv_fd(conn, err);
}

int runtime_console_socket_listen(const char *path, struct berth_error **err)
{
        _cleanup_close_ int sock = -1, dirfd = -1;
        struct sockaddr_un addr;
        struct stat st;

        if (socket_addr(path, &addr, &dirfd, err) < 0)
                return berth_err_ret(*err);
        /* Only a stale socket is replaced; anything else at path is an
         * error from bind(). */
        if (lstat(addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(addr.sun_path);
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return berth_err(err, errno, "creating a unix socket");
        if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return berth_err(err, errno, "binding console socket `%s`", path);
        if (listen(sock, 16) < 0)
                return berth_err(err, errno, "listening on console socket `%s`", path);
        return steal_fd(&sock);
}
