/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

extern char **environ;

const char *const runtime_hook_names[RUNTIME_HOOK_KINDS] = {
    [RUNTIME_HOOK_PRESTART] = "prestart",
    [RUNTIME_HOOK_CREATE_RUNTIME] = "createRuntime",
    [RUNTIME_HOOK_CREATE_CONTAINER] = "createContainer",
    [RUNTIME_HOOK_START_CONTAINER] = "startContainer",
    [RUNTIME_HOOK_POSTSTART] = "poststart",
    [RUNTIME_HOOK_POSTSTOP] = "poststop",
};

/* How much of a hook's stdout and stderr is kept for the error message. */
#define CAPTURE_MAX (64 * 1024)
/* How much of its first line goes into the error message. */
#define LINE_MAX_SHOWN 1024

void runtime_hooks_free(struct runtime_hooks *h)
{
        if (h == NULL)
                return;
        for (int k = 0; k < RUNTIME_HOOK_KINDS; k++) {
                for (size_t i = 0; i < h->n[k]; i++) {
                        free(h->hooks[k][i].path);
                        strv_free(h->hooks[k][i].args);
                        strv_free(h->hooks[k][i].env);
                }
                free(h->hooks[k]);
        }
        free(h);
}

void runtime_hooks_freep(struct runtime_hooks **h)
{
        runtime_hooks_free(*h);
}

static int parse_hook(json_t *j, const char *what, struct runtime_hook *hk,
                      struct berth_error **err)
{
        int64_t timeout;
        int r;

        if (!json_is_object(j))
                return berth_err(err, EINVAL, "%s: expected an object", what);
        r = util_json_dup_string(j, "path", what, &hk->path, err);
        if (r < 0)
                return r;
        if (r == 0 || hk->path[0] != '/')
                return berth_err(err, EINVAL, "%s: path must be an absolute path", what);
        if (util_json_strv(j, "args", what, &hk->args, err) < 0 ||
            util_json_strv(j, "env", what, &hk->env, err) < 0)
                return berth_err_ret(*err);
        r = util_json_int(j, "timeout", what, &timeout, err);
        if (r < 0)
                return r;
        if (r > 0 && (timeout <= 0 || timeout > 24 * 3600))
                return berth_err(err, EINVAL, "%s: timeout must be between 1 and 86400 seconds",
                                 what);
        hk->timeout = r > 0 ? (int)timeout : 0;
        return 0;
}

int runtime_hooks_parse(json_t *hooks, struct runtime_hooks **out, struct berth_error **err)
{
        _cleanup_hooks_ struct runtime_hooks *h = xcalloc(1, sizeof(*h));

        *out = NULL;
        if (hooks != NULL && !json_is_null(hooks)) {
                if (!json_is_object(hooks))
                        return berth_err(err, EINVAL, "hooks: expected an object");
                for (int k = 0; k < RUNTIME_HOOK_KINDS; k++) {
                        _cleanup_free_ char *what = xasprintf("hooks.%s", runtime_hook_names[k]);
                        json_t *list = NULL;
                        if (util_json_array(hooks, runtime_hook_names[k], what, &list, err) < 0)
                                return berth_err_ret(*err);
                        if (list == NULL || json_array_size(list) == 0)
                                continue;
                        h->hooks[k] = xcalloc(json_array_size(list), sizeof(*h->hooks[k]));
                        for (size_t i = 0; i < json_array_size(list); i++) {
                                _cleanup_free_ char *w = xasprintf("%s[%zu]", what, i);
                                h->n[k]++; /* so a half-parsed hook is freed */
                                if (parse_hook(json_array_get(list, i), w, &h->hooks[k][i], err) <
                                    0)
                                        return berth_err_ret(*err);
                        }
                }
        }
        *out = steal_pointer(&h);
        return 0;
}

/* Runs in the forked child: only async-signal-safe calls until execve. */
static _Noreturn void exec_hook(const struct runtime_hook *hk, char *const *argv, char *const *envp,
                                int in, int out, int errfd, int report)
{
        int e;

        /* Its own process group, so that a timeout can kill everything it
         * started; default signal handling and an empty mask, whatever the
         * runtime had set up for itself. */
        setpgid(0, 0);
        process_reset_signals();

        /* If the runtime ran with 0-2 closed, a pipe may sit on one of them:
         * lift all three above 2 first so no dup2 overwrites another. */
        in = fcntl(in, F_DUPFD_CLOEXEC, 3);
        out = fcntl(out, F_DUPFD_CLOEXEC, 3);
        errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
        if (in < 0 || out < 0 || errfd < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(errfd, 2) < 0)
                goto fail;
        /* Nothing of the runtime's leaks into the hook; report (already
         * O_CLOEXEC) stays open until execve succeeds. */
        close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        execve(hk->path, argv, envp);
fail:
        e = errno;
        (void)!write(report, &e, sizeof(e));
        _exit(127);
}

struct capture {
        int fd;
        char buf[CAPTURE_MAX + 1];
        size_t len;
};

/* Read what is available; at EOF close the fd.  Beyond CAPTURE_MAX the
 * output is read and dropped so the hook never blocks on a full pipe.  A
 * bounded number of reads per call: a hook that writes without pause must
 * not keep us from checking its deadline. */
static void drain(struct capture *c)
{
        char scratch[4096];
        for (int round = 0; round < 64 && c->fd >= 0; round++) {
                char *dst = c->len < CAPTURE_MAX ? c->buf + c->len : scratch;
                size_t room = c->len < CAPTURE_MAX ? CAPTURE_MAX - c->len : sizeof(scratch);
                ssize_t n = read(c->fd, dst, room);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN) {
                                close(c->fd);
                                c->fd = -1;
                        }
                        return;
                }
                if (dst != scratch)
                        c->len += (size_t)n;
        }
}

/* The first non-empty line of the captured output, trimmed in place. */
static const char *first_line(struct capture *c)
{
        c->buf[c->len] = '\0';
        char *s = c->buf;
        s += strspn(s, " \t\r\n");
        s[strcspn(s, "\r\n")] = '\0';
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        if (n > LINE_MAX_SHOWN)
                /* In bounds: the line was longer than what this writes. */
                memcpy(s + LINE_MAX_SHOWN, "...", 4);
        return s;
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int make_pipe(int p[2], struct berth_error **err)
{
        if (pipe2(p, O_CLOEXEC) < 0)
                return berth_err(err, errno, "creating a pipe");
        return 0;
}

static void close_now(int *fd)
{
        cleanup_closep(fd);
        *fd = -1;
}

static void close_pair(int p[2])
{
        close_now(&p[0]);
        close_now(&p[1]);
}

static void close_pairp(int (*p)[2])
{
        close_pair(*p);
}
#define _cleanup_pair_ __attribute__((cleanup(close_pairp)))

/* Fill a fresh pipe with the whole state before the hook starts: nothing
 * is written after fork, so a hook that never reads stdin (or exits
 * early) can neither block us nor hit us with SIGPIPE. */
static int stdin_pipe(const char *state, int p[2], struct berth_error **err)
{
        size_t len = state != NULL ? strlen(state) : 0;

        if (make_pipe(p, err) < 0)
                return berth_err_ret(*err);
        if (len > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)(len < INT32_MAX ? len : INT32_MAX)) < 0)
                return berth_err(err, errno, "state of %zu bytes is too large for a hook's stdin",
                                 len);
        if (len > 0 && util_write_all(p[1], state, len) < 0)
                return berth_err(err, errno, "writing the state to a hook's stdin");
        close_now(&p[1]);
        return 0;
}

int runtime_hook_run(const struct runtime_hook *hk, const char *state_json,
                     struct berth_error **err)
{
        _cleanup_pair_ int in[2] = {-1, -1};
        _cleanup_pair_ int out[2] = {-1, -1};
        _cleanup_pair_ int errp[2] = {-1, -1};
        _cleanup_pair_ int report[2] = {-1, -1};
        _cleanup_close_ int pidfd = -1;
        _cleanup_free_ struct capture *cout = xcalloc(1, sizeof(*cout));
        _cleanup_free_ struct capture *cerr = xcalloc(1, sizeof(*cerr));
        char *default_argv[] = {hk->path, NULL};
        char *const *argv = hk->args != NULL && hk->args[0] != NULL ? hk->args : default_argv;
        char *const *envp = hk->env != NULL ? hk->env : environ;
        int64_t deadline = hk->timeout > 0 ? now_ms() + (int64_t)hk->timeout * 1000 : -1;
        bool timed_out = false;
        int status, child_errno = 0;
        pid_t pid;

        if (stdin_pipe(state_json, in, err) < 0 || make_pipe(out, err) < 0 ||
            make_pipe(errp, err) < 0 || make_pipe(report, err) < 0)
                return berth_err_ret(*err);

        pid = fork();
        if (pid < 0)
                return berth_err(err, errno, "forking for hook `%s`", hk->path);
        if (pid == 0)
                exec_hook(hk, argv, envp, in[0], out[1], errp[1], report[1]);
        /* Also from this side, so a timeout can never race the child's own
         * setpgid (fails harmlessly once it has exec'd). */
        setpgid(pid, pid);

        close_pair(in);
        close_now(&out[1]);
        close_now(&errp[1]);
        close_now(&report[1]);
        cout->fd = steal_fd(&out[0]);
        cerr->fd = steal_fd(&errp[0]);
        fcntl(cout->fd, F_SETFL, O_NONBLOCK);
        fcntl(cerr->fd, F_SETFL, O_NONBLOCK);

        /* The pidfd says when the hook itself is gone, even if something
         * it spawned keeps the output pipes open. */
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                int e = errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                close_now(&cout->fd);
                close_now(&cerr->fd);
                return berth_err(err, e, "watching hook `%s`", hk->path);
        }

        for (;;) {
                struct pollfd pfd[3] = {
                    {.fd = pidfd, .events = POLLIN},
                    {.fd = cout->fd, .events = POLLIN},
                    {.fd = cerr->fd, .events = POLLIN},
                };
                int wait_ms = -1;
                if (deadline >= 0) {
                        int64_t left = deadline - now_ms();
                        wait_ms = left > 0 ? (int)left : 0;
                }
                int n = poll(pfd, 3, wait_ms);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        kill(-pid, SIGKILL);
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        close_now(&cout->fd);
                        close_now(&cerr->fd);
                        return berth_err(err, e, "waiting for hook `%s`", hk->path);
                }
                if (n == 0) {
                        /* Past the deadline: the hook and everything it started. */
                        timed_out = true;
                        kill(-pid, SIGKILL);
                        kill(pid, SIGKILL);
                        break;
                }
                drain(cout);
                drain(cerr);
                if (pfd[0].revents != 0)
                        break;
        }
        drain(cout);
        drain(cerr);
        close_now(&cout->fd);
        close_now(&cerr->fd);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return berth_err(err, errno, "waiting for hook `%s`", hk->path);

        if (timed_out)
                return berth_err(err, ETIMEDOUT, "hook `%s` timed out after %d s", hk->path,
                                 hk->timeout);
        if (read(report[0], &child_errno, sizeof(child_errno)) == sizeof(child_errno))
                return berth_err(err, child_errno, "executing hook `%s`", hk->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;

        const char *line = first_line(cerr);
        if (line[0] == '\0')
                line = first_line(cout);
        _cleanup_free_ char *how = WIFEXITED(status)
                                       ? xasprintf("exited with status %d", WEXITSTATUS(status))
                                       : xasprintf("was killed by signal %d (%s)", WTERMSIG(status),
                                                   sigabbrev_np(WTERMSIG(status)) ?: "?");
        if (line[0] == '\0')
                return berth_err(err, 0, "hook `%s` %s", hk->path, how);
        return berth_err(err, 0, "hook `%s` %s: %s", hk->path, how, line);
}

int runtime_hooks_run(const struct runtime_hooks *h, enum runtime_hook_kind kind,
                      const char *state_json, struct berth_error **err)
{
        if (h == NULL || kind < 0 || kind >= RUNTIME_HOOK_KINDS)
                return 0;
        for (size_t i = 0; i < h->n[kind]; i++)
                if (runtime_hook_run(&h->hooks[kind][i], state_json, err) < 0)
                        return berth_err_ret(*err);
        return 0;
}
