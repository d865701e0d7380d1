/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/internal.h"
#include "util/cleanup.h"

int sync_send(int fd, int type, int fdpass, struct berth_error **err)
{
        struct sync_msg m = {.type = type};
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (fdpass >= 0) {
                memset(&u, 0, sizeof(u));
                msg.msg_control = u.buf;
                msg.msg_controllen = sizeof(u.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fdpass, sizeof(int));
        }
        ssize_t n;
        do
                n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(m))
                return berth_err(err, n < 0 ? errno : EPIPE, "sync: sending message %d", type);
        return 0;
}

int sync_send_error(int fd, int stage, const struct berth_error *e)
{
        struct sync_msg m = {.type = SYNC_ERROR, .stage = stage, .code = e ? e->code : EINVAL};
        snprintf(m.text, sizeof(m.text), "%s", e && e->msg ? e->msg : "unknown error");
        ssize_t n;
        do
                n = send(fd, &m, sizeof(m), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n == (ssize_t)sizeof(m) ? 0 : -EPIPE;
}

int sync_recv(int fd, struct sync_msg *m, int *fdpass, struct berth_error **err)
{
        struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf)};
        if (fdpass)
                *fdpass = -1;
        ssize_t n;
        do
                n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_err(err, errno, "sync: receiving");
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        int got;
                        memcpy(&got, CMSG_DATA(c), sizeof(int));
                        if (fdpass)
                                *fdpass = got;
                        else
                                close(got);
                }
        }
        if (n != (ssize_t)sizeof(*m))
                return berth_err(err, EPIPE, "the container's init exited unexpectedly");
        m->text[sizeof(m->text) - 1] = '\0';
        return 0;
}

int sync_expect(int fd, int type, int *fdpass, struct berth_error **err)
{
        struct sync_msg m;
        int r = sync_recv(fd, &m, fdpass, err);
        if (r < 0)
                return r;
        if (m.type == SYNC_ERROR)
                return berth_err(err, m.code, "%s", m.text);
        if (m.type != type)
                return berth_err(err, EPROTO, "sync: expected message %d, got %d", type, m.type);
        return 0;
}
