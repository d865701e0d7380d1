/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/runtime-cli.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/*
 * `run` and `exec` in the foreground with a terminal and no
 * --console-socket, as runc does them: we are our own console socket, take
 * the pty master, put the user's terminal in raw mode and relay both ways
 * until the container's side of the pty is closed.
 */

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
        winch = 1;
}

int rt_tty_prepare(struct rt_tty *t, struct berth_error **err)
{
        t->listen_fd = t->master = -1;
        t->raw = false;
        const char *base = getenv("XDG_RUNTIME_DIR");
        t->dir = xasprintf("%s/berth-runtime-tty.XXXXXX", base && *base ? base : "/tmp");
        if (mkdtemp(t->dir) == NULL) {
                int e = errno;
                free(steal_pointer(&t->dir));
                return berth_err(err, e, "creating a console socket directory");
        }
        t->sock_path = xasprintf("%s/console.sock", t->dir);
        t->listen_fd = runtime_console_socket_listen(t->sock_path, err);
        return t->listen_fd < 0 ? t->listen_fd : 0;
}

void rt_tty_cleanup(struct rt_tty *t)
{
        if (t->raw) {
                struct berth_error *scratch = NULL;
                runtime_terminal_restore(STDIN_FILENO, &t->saved, &scratch);
                berth_error_free(scratch);
                t->raw = false;
        }
        if (t->master >= 0)
                close(t->master);
        if (t->listen_fd >= 0)
                close(t->listen_fd);
        if (t->sock_path)
                unlink(t->sock_path);
        if (t->dir)
                rmdir(t->dir);
        free(t->sock_path);
        free(t->dir);
        t->listen_fd = t->master = -1;
        t->sock_path = t->dir = NULL;
}

void rt_tty_size(unsigned int *rows, unsigned int *cols)
{
        struct winsize ws;
        *rows = *cols = 0;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
                *rows = ws.ws_row;
                *cols = ws.ws_col;
        }
}

static void copy_size(int master)
{
        unsigned int rows, cols;
        rt_tty_size(&rows, &cols);
        struct berth_error *scratch = NULL;
        runtime_terminal_resize(master, rows, cols, &scratch);
        berth_error_free(scratch);
}

int rt_tty_accept(struct rt_tty *t, struct berth_error **err)
{
        t->master = runtime_console_socket_recv(t->listen_fd, err);
        if (t->master < 0)
                return t->master;
        copy_size(t->master);
        if (isatty(STDIN_FILENO)) {
                struct berth_error *scratch = NULL;
                t->raw = runtime_terminal_make_raw(STDIN_FILENO, &t->saved, &scratch) == 0;
                berth_error_free(scratch);
        }
        return 0;
}

void rt_tty_relay(struct rt_tty *t)
{
        struct sigaction sa = {.sa_handler = on_winch};
        sigaction(SIGWINCH, &sa, NULL);
        bool in_open = true;
        char buf[8192];
        for (;;) {
                if (winch) {
                        winch = 0;
                        copy_size(t->master);
                }
                struct pollfd p[2] = {{.fd = t->master, .events = POLLIN},
                                      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents) {
                        ssize_t n = read(t->master, buf, sizeof(buf));
                        /* EIO: every slave is closed, the process is gone. */
                        if (n <= 0 && !(n < 0 && errno == EINTR))
                                break;
                        if (n > 0 && util_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                                break;
                }
                if (p[1].revents) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n > 0)
                                util_write_all(t->master, buf, (size_t)n);
                        else if (n == 0 || errno != EINTR)
                                in_open = false;
                }
        }
}
