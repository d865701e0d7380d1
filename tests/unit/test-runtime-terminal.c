/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char tmp[64];

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/berth-term-XXXXXX");
        return mkdtemp(tmp) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
        struct berth_error *err = NULL;
        int r = util_path_remove_tree(AT_FDCWD, tmp, &err);
        berth_error_free(err);
        return r;
}

/* Read from fd until want has arrived (ptys deliver in pieces). */
static void expect_read(int fd, const char *want)
{
        char buf[256];
        size_t got = 0, n = strlen(want);
        while (got < n) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 5000) != 1)
                        fail_msg("timed out reading `%s` (got %zu bytes)", want, got);
                ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
                if (r <= 0)
                        fail_msg("read: %zd %s", r, strerror(errno));
                got += (size_t)r;
        }
        buf[got] = '\0';
        assert_string_equal(buf, want);
}

static void test_pty_pair(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_close_ int master = -1, slave = -1;
        int ptn = -1;

        assert_int_equal(runtime_terminal_open(&master, &slave, &err), 0);
        assert_true(isatty(slave));
        assert_int_equal(ioctl(master, TIOCGPTN, &ptn), 0);
        assert_true(ptn >= 0);
        assert_true(fcntl(master, F_GETFD) & FD_CLOEXEC);
        assert_true(fcntl(slave, F_GETFD) & FD_CLOEXEC);
        /* The slave is the master's peer. */
        char name[64], want[64];
        snprintf(want, sizeof(want), "/dev/pts/%d", ptn);
        assert_int_equal(ttyname_r(slave, name, sizeof(name)), 0);
        assert_string_equal(name, want);
        _cleanup_free_ char *peer = NULL;
        assert_int_equal(runtime_terminal_peer_path(master, &peer, &err), 0);
        assert_string_equal(peer, want);
        assert_true(runtime_terminal_peer_path(slave, &peer, &err) < 0);

        /* Output processing turns \n into \r\n on the way to the master. */
        assert_int_equal(write(slave, "hello\n", 6), 6);
        expect_read(master, "hello\r\n");
        assert_int_equal(write(master, "typed\n", 6), 6);
        expect_read(slave, "typed\n");

        assert_int_equal(runtime_terminal_resize(master, 33, 101, &err), 0);
        struct winsize ws;
        assert_int_equal(ioctl(slave, TIOCGWINSZ, &ws), 0);
        assert_int_equal(ws.ws_row, 33);
        assert_int_equal(ws.ws_col, 101);
        assert_true(runtime_terminal_resize(master, 70000, 1, &err) < 0);
}

static void test_raw_mode(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_close_ int master = -1, slave = -1;
        struct termios saved, now;

        assert_int_equal(runtime_terminal_open(&master, &slave, &err), 0);
        assert_int_equal(runtime_terminal_make_raw(slave, &saved, &err), 0);
        assert_true(saved.c_lflag & ICANON);
        assert_int_equal(tcgetattr(slave, &now), 0);
        assert_false(now.c_lflag & (ICANON | ECHO | ISIG));
        assert_false(now.c_oflag & OPOST);
        /* Raw: no \r added, and input arrives without a newline. */
        assert_int_equal(write(slave, "a\n", 2), 2);
        expect_read(master, "a\n");
        assert_int_equal(write(master, "k", 1), 1);
        expect_read(slave, "k");
        assert_int_equal(runtime_terminal_restore(slave, &saved, &err), 0);
        assert_int_equal(tcgetattr(slave, &now), 0);
        assert_true(now.c_lflag & ICANON);
        int sp[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(runtime_terminal_make_raw(sp[0], &saved, &err), -ENOTTY);
        close(sp[0]);
        close(sp[1]);
}

static void test_setup_child(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_close_ int master = -1;
        int slave = -1;

        assert_int_equal(runtime_terminal_open(&master, &slave, &err), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct berth_error *cerr = NULL;
                close(master);
                if (runtime_terminal_setup_child(slave, &cerr) < 0)
                        _exit(10);
                /* A session of its own, with the pty as controlling
                 * terminal on all three standard fds. */
                if (getsid(0) != getpid() || tcgetsid(0) != getpid())
                        _exit(11);
                if (!isatty(0) || !isatty(1) || !isatty(2))
                        _exit(12);
                if (fcntl(slave, F_GETFD) >= 0 && slave > 2)
                        _exit(13); /* the original fd was closed */
                int fd = open("/dev/tty", O_RDWR);
                if (fd < 0)
                        _exit(14);
                if (write(1, "ok\n", 3) != 3)
                        _exit(15);
                _exit(0);
        }
        close(slave);
        expect_read(master, "ok\r\n");
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* Send a fresh pty master over the console socket at path and check that
 * what arrives is the same pty. */
static void round_trip(const char *path)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_close_ int listener = -1, master = -1, slave = -1, got = -1;
        int ptn = -1, got_ptn = -2;

        listener = runtime_console_socket_listen(path, &err);
        if (listener < 0)
                fail_msg("listen: %s", err->msg);
        assert_int_equal(runtime_terminal_open(&master, &slave, &err), 0);
        /* The connection waits in the backlog; the message in the socket
         * buffer: one process can play both sides. */
        if (runtime_console_socket_send(path, master, &err) < 0)
                fail_msg("send: %s", err->msg);
        got = runtime_console_socket_recv(listener, &err);
        if (got < 0)
                fail_msg("recv: %s", err->msg);
        assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(ioctl(master, TIOCGPTN, &ptn), 0);
        assert_int_equal(ioctl(got, TIOCGPTN, &got_ptn), 0);
        assert_int_equal(got_ptn, ptn);
        close(master);
        master = -1;
        assert_int_equal(write(slave, "via socket\n", 11), 11);
        expect_read(got, "via socket\r\n");
}

static void test_console_socket(void **state)
{
        _cleanup_free_ char *path = xasprintf("%s/console.sock", tmp);
        round_trip(path);
        /* A stale socket from an earlier run is replaced. */
        round_trip(path);
}

static void test_console_socket_long_path(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/%0100d/%060d", tmp, 0, 0);
        assert_int_equal(util_path_mkdir_p(dir, 0700, &err), 0);
        _cleanup_free_ char *path = xasprintf("%s/console.sock", dir);
        assert_true(strlen(path) > 108);
        round_trip(path);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
}

static void test_console_socket_errors(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *path = xasprintf("%s/nobody-listens.sock", tmp);
        assert_int_equal(runtime_console_socket_send(path, 0, &err), -ENOENT);
        _cleanup_free_ char *want = xasprintf("connecting to console socket `%s`", path);
        assert_string_equal(err->msg, want);
        berth_error_freep(&err);

        /* A peer that sends bytes but no fd, and one that just hangs up. */
        int sp[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(write(sp[0], "x", 1), 1);
        assert_int_equal(runtime_console_socket_recv_fd(sp[1], &err), -EBADMSG);
        assert_string_equal(err->msg, "console socket: no file descriptor received");
        berth_error_freep(&err);
        close(sp[0]);
        assert_int_equal(runtime_console_socket_recv_fd(sp[1], &err), -EBADMSG);
        close(sp[1]);

        /* Something other than a socket at the path is not replaced. */
        _cleanup_free_ char *file = xasprintf("%s/regular", tmp);
        int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        berth_error_freep(&err);
        assert_int_equal(runtime_console_socket_listen(file, &err), -EADDRINUSE);
        struct stat st;
        assert_int_equal(stat(file, &st), 0);
        assert_true(S_ISREG(st.st_mode));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pty_pair),
            cmocka_unit_test(test_raw_mode),
            cmocka_unit_test(test_setup_child),
            cmocka_unit_test_setup_teardown(test_console_socket, setup, teardown),
            cmocka_unit_test_setup_teardown(test_console_socket_long_path, setup, teardown),
            cmocka_unit_test_setup_teardown(test_console_socket_errors, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
