/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A RUN step's container, through the runtime library in this process
 * (apart from run.c: the runtime's and the image's config.h can't meet in
 * one file).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/build-private.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

struct stdio_save {
        int fd[3];
};

/* The container inherits fds 0-2 from us: no stdin, and its output goes to
 * the progress stream (nowhere with -q), or to view_fd for the tty view. */
static int stdio_redirect(struct builder *b, int view_fd, struct stdio_save *s,
                          struct berth_error **err)
{
        for (int i = 0; i < 3; i++)
                s->fd[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || s->fd[0] < 0 || s->fd[1] < 0 || s->fd[2] < 0)
                return berth_err(err, errno, "redirecting the step's output");
        int out = b->o->progress == BUILD_PROGRESS_QUIET ? null
                  : view_fd >= 0                         ? view_fd
                                                         : fileno(b->out);
        fflush(stdout);
        fflush(b->out);
        if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || (out != 2 && dup2(out, 2) < 0))
                return berth_err(err, errno, "redirecting the step's output");
        return 0;
}

static void stdio_restore(struct stdio_save *s)
{
        for (int i = 0; i < 3; i++) {
                if (s->fd[i] >= 0) {
                        dup2(s->fd[i], i);
                        close(s->fd[i]);
                        s->fd[i] = -1;
                }
        }
}

/* The init of the step running now, for the signal handler: ^C stops
 * the step's container, and the build then fails and cleans up as after
 * any failed step instead of dying with its mount and container. */
static volatile pid_t running_pid = -1;
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        interrupted = sig;
        pid_t p = running_pid;
        if (p > 0)
                kill(p, SIGKILL);
}

void build_signals_install(void)
{
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
}

void build_signals_restore(void)
{
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
}

int build_interrupted(void)
{
        return interrupted;
}

/* Containers of builds that died (their pid is in the ID) are deleted:
 * state, cgroup and all. */
void build_containers_reap(const char *state)
{
        char **ids = NULL;
        struct berth_error *scratch = NULL;
        if (runtime_container_list(state, &ids, &scratch) < 0) {
                berth_error_free(scratch);
                return;
        }
        for (char **id = ids; id && *id; id++) {
                if (strncmp(*id, "berth-build-", 12) != 0)
                        continue;
                long pid = strtol(*id + 12, NULL, 10);
                if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                        continue;
                scratch = NULL;
                runtime_container_delete(state, *id, true, &scratch);
                berth_error_free(scratch);
        }
        strv_free(ids);
}

static void drain(struct builder *b, int fd)
{
        char buf[4096];
        ssize_t r;
        while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
                if (r > 0)
                        build_progress_output(b, buf, (size_t)r);
}

/* The tty view: the step's output through a pipe, the view redrawn as it
 * comes and as time passes, until every writer closed it or the step's
 * init is gone (its pid namespace with it), reaped by the caller. */
static void follow_output(struct builder *b, int fd, pid_t pid)
{
        fcntl(fd, F_SETFL, O_NONBLOCK);
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 100) > 0) {
                        char buf[4096];
                        ssize_t r = read(fd, buf, sizeof(buf));
                        if (r > 0)
                                build_progress_output(b, buf, (size_t)r);
                        else if (r == 0 || errno != EAGAIN)
                                return;
                }
                build_progress_tick(b);
                siginfo_t si = {0};
                if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                    si.si_pid == pid) {
                        drain(b, fd);
                        return;
                }
        }
}

int build_container_run(struct builder *b, const char *state, const char *id, const char *bundle,
                        struct berth_error **err)
{
        struct stdio_save save = {{-1, -1, -1}};
        _cleanup_close_ int view_r = -1;
        _cleanup_close_ int view_w = -1;
        if (b->o->progress == BUILD_PROGRESS_TTY) {
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0)
                        return berth_err(err, errno, "a pipe for the step's output");
                view_r = p[0];
                view_w = p[1];
        }
        int r = stdio_redirect(b, view_w, &save, err);
        pid_t pid = -1;
        struct runtime_create_options co = {.bundle = bundle};
        if (r >= 0)
                r = runtime_container_create(state, id, &co, &pid, err);
        stdio_restore(&save);
        if (view_w >= 0) {
                close(view_w);
                view_w = -1;
        }
        if (r < 0)
                return berth_err_ret(*err);
        int code = -1;
        running_pid = pid;
        if (interrupted)
                kill(pid, SIGKILL);
        if (runtime_container_start(state, id, err) >= 0) {
                if (view_r >= 0)
                        follow_output(b, view_r, pid);
                code = runtime_wait_exit_code(pid, err);
        } else {
                kill(pid, SIGKILL);
                runtime_wait_exit_code(pid, NULL);
        }
        running_pid = -1;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (runtime_container_delete(state, id, true, &scratch) < 0 && code >= 0) {
                *err = steal_pointer(&scratch);
                return berth_err_ret(*err);
        }
        if (code < 0)
                return berth_err_ret(*err);
        if (interrupted)
                return berth_err(err, EINTR, "interrupted by signal %d", (int)interrupted);
        if (code != 0)
                return berth_err(err, 0, "exited with status %d", code);
        return 0;
}
