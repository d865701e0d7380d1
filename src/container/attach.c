/* SPDX-License-Identifier: Apache-2.0 */
/* The client side of the attach socket: run in the foreground, start -a,
 * attach. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "container/attach.h"
#include "container/lifecycle-private.h"
#include "runtime/runtime.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int container_attach_open(const struct container_engine *e, const char *id,
                          const struct container_attach_options *o, struct berth_error **err)
{
        int fd = container_attach_connect(e, id, err);
        if (fd < 0)
                return fd;
        char hello[2] = {ATTACH_HELLO, (char)((o->in ? ATTACH_WANT_STDIN : 0) |
                                              (o->out ? ATTACH_WANT_STDOUT : 0) |
                                              (o->err ? ATTACH_WANT_STDERR : 0))};
        if (send(fd, hello, sizeof(hello), MSG_NOSIGNAL) < 0) {
                int e2 = errno;
                close(fd);
                return berth_err(err, e2, "attaching to %.12s", id);
        }
        return fd;
}

int container_detach_keys_parse(const char *spec, char **out, struct berth_error **err)
{
        _cleanup_free_ char *keys = xcalloc(strlen(spec) + 1, 1);
        size_t n = 0;
        _cleanup_free_ char *copy = xstrdup(spec);
        char *save = NULL;
        for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
                if (strlen(k) == 1) {
                        keys[n++] = k[0];
                } else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6 &&
                           ((k[5] >= 'a' && k[5] <= 'z') || strchr("@[\\]^_", k[5]))) {
                        keys[n++] =
                            (char)((k[5] >= 'a' && k[5] <= 'z' ? k[5] - 'a' + 'A' : k[5]) & 0x1f);
                } else {
                        return berth_err(err, 0, "invalid detach keys \"%s\": unknown key %s", spec,
                                         k);
                }
                /* The attach loop holds back at most this many. */
                if (n > 16)
                        return berth_err(err, 0, "invalid detach keys \"%s\": too many keys", spec);
        }
        *out = steal_pointer(&keys);
        return 0;
}

/* Stdin bytes into pkt (after its tag), holding back a prefix of the
 * detach keys until it is known whether they are typed in full.  true
 * when they were. */
static bool detach_filter(const char *keys, size_t *matched, const char *in, size_t n, char *pkt,
                          size_t *len)
{
        size_t nkeys = strlen(keys);
        for (size_t i = 0; i < n; i++) {
                if (nkeys > 0 && in[i] == keys[*matched]) {
                        if (++*matched == nkeys)
                                return true;
                        continue;
                }
                memcpy(pkt + 1 + *len, keys, *matched);
                *len += *matched;
                *matched = 0;
                if (nkeys > 0 && in[i] == keys[0]) {
                        *matched = 1;
                        continue;
                }
                pkt[1 + (*len)++] = in[i];
        }
        return false;
}

static void send_size(int fd)
{
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
                return;
        char pkt[5] = {ATTACH_RESIZE};
        uint16_t rows = ws.ws_row, cols = ws.ws_col;
        memcpy(pkt + 1, &rows, 2);
        memcpy(pkt + 3, &cols, 2);
        (void)send(fd, pkt, sizeof(pkt), MSG_NOSIGNAL);
}

int container_attach(const struct container_engine *e, const char *id, int fd,
                     const struct container_attach_options *o, int *exit_code,
                     struct berth_error **err)
{
        _cleanup_close_ int sock = fd >= 0 ? fd : container_attach_open(e, id, o, err);
        if (sock < 0)
                return sock;
        struct termios saved;
        bool raw = false;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (o->tty && o->in && isatty(STDIN_FILENO))
                raw = runtime_terminal_make_raw(STDIN_FILENO, &saved, &scratch) == 0;
        if (o->tty)
                send_size(sock);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        if (o->sig_proxy && !o->tty) {
                static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
                /* A shell starts background jobs with SIGINT ignored;
                 * an ignored signal never reaches the signalfd. */
                for (size_t i = 0; i < sizeof(proxied) / sizeof(proxied[0]); i++) {
                        sigaddset(&set, proxied[i]);
                        signal(proxied[i], SIG_DFL);
                }
        }
        sigset_t old;
        sigprocmask(SIG_BLOCK, &set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        _cleanup_free_ char *rt = container_runtime_root(e);
        bool in_open = o->in, got_exit = false, detached = false;
        int code = -1;
        const char *keys = o->tty ? (o->detach_keys ? o->detach_keys : "\x10\x11") : "";
        size_t matched = 0;
        while (!got_exit && !detached) {
                struct pollfd p[3] = {{.fd = sock, .events = POLLIN},
                                      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                char pkt[ATTACH_MAX_PACKET];
                if (p[0].revents) {
                        ssize_t n = recv(sock, pkt, sizeof(pkt), 0);
                        if (n <= 0)
                                break;
                        if (pkt[0] == ATTACH_STDOUT)
                                (void)util_write_all(STDOUT_FILENO, pkt + 1, n - 1);
                        else if (pkt[0] == ATTACH_STDERR)
                                (void)util_write_all(STDERR_FILENO, pkt + 1, n - 1);
                        else if (pkt[0] == ATTACH_EXIT && n == 5) {
                                int32_t c;
                                memcpy(&c, pkt + 1, 4);
                                code = c;
                                got_exit = true;
                        }
                }
                if (p[1].revents) {
                        /* Room in pkt for the held-back keys too. */
                        char in[ATTACH_MAX_PACKET - 1 - 16];
                        ssize_t n = read(STDIN_FILENO, in, sizeof(in));
                        size_t len = 0;
                        pkt[0] = ATTACH_STDIN;
                        if (n <= 0)
                                in_open = false;
                        else
                                detached = detach_filter(keys, &matched, in, (size_t)n, pkt, &len);
                        if (len > 0 || n <= 0)
                                (void)send(sock, pkt, len + 1, MSG_NOSIGNAL);
                }
                if (p[2].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH) {
                                        send_size(sock);
                                        continue;
                                }
                                (void)runtime_container_kill(rt, id, (int)si.ssi_signo, false,
                                                             &scratch);
                        }
                }
        }
        if (raw)
                (void)runtime_terminal_restore(STDIN_FILENO, &saved, &scratch);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (detached)
                code = 0;
        if (code < 0) {
                /* The monitor went without saying: the record knows. */
                _cleanup_container_record_ struct container_record *r = NULL;
                if (container_inspect(e, id, &r, &scratch) > 0)
                        code = r->state.exit_code;
                else
                        code = 125;
        }
        *exit_code = code;
        return 0;
}
