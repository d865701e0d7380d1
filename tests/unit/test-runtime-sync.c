/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* A child's error crosses the socket and comes back as the same chain and
 * errno, as the parent of a failed container init sees it. */
static void test_error_crosses_fork(void **state)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct berth_error *e = NULL;
                berth_err(&e, ENOENT, "mounting `%s`", "/data");
                berth_err_wrap(&e, "stage %d", STAGE_MOUNTS);
                _exit(sync_send_error(sv[1], STAGE_MOUNTS, e) == 0 ? 0 : 1);
        }
        close(sv[1]);
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(sync_expect(sv[0], SYNC_READY, NULL, &err), -ENOENT);
        assert_string_equal(err->msg, "stage 2: mounting `/data`");
        assert_int_equal(err->code, ENOENT);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WEXITSTATUS(status), 0);
        /* The peer is gone: a clear error, not a hang or garbage. */
        berth_error_free(steal_pointer(&err));
        assert_true(sync_expect(sv[0], SYNC_READY, NULL, &err) < 0);
        assert_non_null(strstr(err->msg, "exited unexpectedly"));
        close(sv[0]);
}

static void test_fd_passing_and_order(void **state)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        _cleanup_error_ struct berth_error *err = NULL;
        int pipefd[2];
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        assert_int_equal(sync_send(sv[1], SYNC_TERMINAL, pipefd[1], &err), 0);
        assert_int_equal(sync_send(sv[1], SYNC_READY, -1, &err), 0);
        close(pipefd[1]);
        int got = -1;
        assert_int_equal(sync_expect(sv[0], SYNC_TERMINAL, &got, &err), 0);
        assert_true(got >= 0);
        /* The passed fd is close-on-exec and is the pipe's write end. */
        assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(write(got, "x", 1), 1);
        char c;
        assert_int_equal(read(pipefd[0], &c, 1), 1);
        close(got);
        close(pipefd[0]);
        /* Out of order is a protocol error, not a silent skip. */
        assert_int_equal(sync_send(sv[1], SYNC_HOOKS, -1, &err), 0);
        assert_int_equal(sync_expect(sv[0], SYNC_READY, NULL, &err), 0);
        assert_int_equal(sync_expect(sv[0], SYNC_READY, NULL, &err), -EPROTO);
        close(sv[0]);
        close(sv[1]);
}

static void test_proc_start_time(void **state)
{
        assert_true(proc_start_time(getpid()) > 0);
        pid_t pid = fork();
        if (pid == 0)
                _exit(0);
        /* A zombie counts as gone; a reaped pid too. */
        for (int i = 0; i < 1000 && proc_start_time(pid) != 0; i++)
                usleep(1000);
        assert_int_equal(proc_start_time(pid), 0);
        waitpid(pid, NULL, 0);
        assert_int_equal(proc_start_time(pid), 0);
}

static void test_state_json_and_status(void **state)
{
        struct runtime_state s = {
            .id = (char *)"c1",
            .bundle = (char *)"/b",
            .pid = getpid(),
            .start_time = proc_start_time(getpid()),
            .status = (char *)"running",
            .created = (char *)"2026-01-01T00:00:00Z",
            .annotations = json_pack("{s:s}", "k", "v"),
        };
        assert_string_equal(state_status(&s, NULL), "running");
        _cleanup_json_ json_t *j = state_json(&s, "running");
        assert_string_equal(json_string_value(json_object_get(j, "id")), "c1");
        assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "annotations"), "k")), "v");
        assert_non_null(json_object_get(j, "ociVersion"));
        /* A recycled pid (different start time) is not our container. */
        s.start_time += 1;
        assert_string_equal(state_status(&s, NULL), "stopped");
        _cleanup_json_ json_t *k = state_json(&s, "stopped");
        assert_int_equal(json_integer_value(json_object_get(k, "pid")), 0);
        json_decref(s.annotations);
}

static void test_state_dir_rejects_bad_ids(void **state)
{
        static const char *const bad[] = {"", ".", "..", "a/b", "../x", "a b", "x\n"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                assert_int_equal(state_dir_open("/tmp", bad[i], &err), -EINVAL);
                assert_non_null(strstr(err->msg, "invalid container ID"));
        }
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(state_dir_open("/nonexistent-root", "fine-id_1.2", &err), -ENOENT);
        assert_non_null(strstr(err->msg, "does not exist"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_error_crosses_fork),
            cmocka_unit_test(test_fd_passing_and_order),
            cmocka_unit_test(test_proc_start_time),
            cmocka_unit_test(test_state_json_and_status),
            cmocka_unit_test(test_state_dir_rejects_bad_ids),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
