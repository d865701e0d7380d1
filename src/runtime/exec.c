/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "runtime/runtime.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Namespaces of pid that differ from ours: fds to setns into, else -1. */
static int open_target_ns(pid_t pid, int fds[RUNTIME_NS_KINDS], struct berth_error **err)
{
        for (int k = 0; k < RUNTIME_NS_KINDS; k++) {
                fds[k] = -1;
                _cleanup_free_ char *theirs =
                    xasprintf("/proc/%d/ns/%s", (int)pid, runtime_ns_proc_name(k));
                _cleanup_free_ char *ours = xasprintf("/proc/self/ns/%s", runtime_ns_proc_name(k));
                struct stat a, b;
                if (stat(theirs, &a) < 0) {
                        if (errno == ENOENT)
                                continue; /* kernel without this kind */
                        return berth_err(err, errno, "inspecting `%s`", theirs);
                }
                if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                        continue;
                fds[k] = open(theirs, O_RDONLY | O_CLOEXEC);
                if (fds[k] < 0)
                        return berth_err(err, errno, "opening `%s`", theirs);
        }
        return 0;
}

struct exec_ctx {
        const struct runtime_exec_options *opts;
        const struct runtime_config *c;
        struct runtime_seccomp_bpf *seccomp;
        int fds[RUNTIME_NS_KINDS];
        int sync[2];
};

static int exec_child_setup(struct exec_ctx *x, char **exe, struct berth_error **err)
{
        int sync = x->sync[1];
        int r;
        if ((r = sync_expect(sync, SYNC_GO, NULL, err)) < 0)
                return r;
        /* The user namespace first: it owns the others, and joining it
         * gives us the capabilities to join them. */
        for (int k = 0; k < RUNTIME_NS_KINDS; k++) {
                if (x->fds[k] < 0 || k == RUNTIME_NS_PID)
                        continue;
                if (setns(x->fds[k], runtime_ns_flag(k)) < 0)
                        return berth_err(err, errno, "joining the %s namespace",
                                         runtime_ns_proc_name(k));
                close(steal_fd(&x->fds[k]));
        }
        const struct runtime_process *p = x->opts->process;
        if (p->terminal) {
                _cleanup_close_ int master = -1, slave = -1;
                if ((r = runtime_terminal_open(&master, &slave, err)) < 0 ||
                    (r = runtime_terminal_resize(slave, p->console_rows, p->console_cols, err)) <
                        0 ||
                    (r = sync_send(sync, SYNC_TERMINAL, master, err)) < 0 ||
                    (r = sync_expect(sync, SYNC_TERMINAL_DONE, NULL, err)) < 0 ||
                    (r = runtime_terminal_setup_child(slave, err)) < 0)
                        return r;
        }
        if ((r = process_chdir(p, err)) < 0 || (r = process_lookup_path(p, exe, err)) < 0 ||
            (r = process_close_fds(0, err)) < 0)
                return r;
        return process_apply(p, x->seccomp, err);
}

static void exec_child(struct exec_ctx *x)
{
        struct berth_error *err = NULL;
        _cleanup_free_ char *exe = NULL;
        close(x->sync[0]);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (exec_child_setup(x, &exe, &err) == 0) {
                char *const *env = x->opts->process->env;
                /* The death signal survives execve: a detached exec must
                 * outlive us. */
                prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
                execve(exe, x->opts->process->args, env ? env : (char *[]){NULL});
                berth_err(&err, errno, "exec `%s`", exe);
        }
        sync_send_error(x->sync[1], STAGE_EXEC, err);
        _exit(127);
}

int runtime_container_exec(const char *root, const char *id,
                           const struct runtime_exec_options *opts, pid_t *out_pid,
                           struct berth_error **err)
{
        struct runtime_state *s = NULL;
        struct runtime_cgroup *cg = NULL;
        _cleanup_config_ struct runtime_config *c = NULL;
        struct exec_ctx x = {.opts = opts, .sync = {-1, -1}};
        for (int k = 0; k < RUNTIME_NS_KINDS; k++)
                x.fds[k] = -1;
        pid_t pid = 0;
        _cleanup_close_ int own_pidns = -1;
        int r = state_load(root, id, &s, err);
        if (r < 0)
                return r;
        if (s->cgroup && (r = runtime_cgroup_load(s->cgroup, &cg, err)) < 0)
                goto out;
        const char *status = state_status(s, cg);
        if (strcmp(status, "running") != 0 && strcmp(status, "created") != 0) {
                r = berth_err(err, 0, "cannot exec in container `%s`: it is %s", id, status);
                goto out;
        }
        if (opts->process->terminal && opts->console_socket == NULL) {
                r = berth_err(err, 0, "--tty needs --console-socket");
                goto out;
        }
        if ((r = runtime_config_load(s->bundle, &c, err)) < 0)
                goto out;
        x.c = c;
        if (c->seccomp && (r = runtime_seccomp_compile_cached(c->seccomp, opts->seccomp_cache,
                                                              &x.seccomp, err)) < 0) {
                berth_err_wrap(err, "compiling seccomp");
                goto out;
        }
        if ((r = open_target_ns(s->pid, x.fds, err)) < 0)
                goto out;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x.sync) < 0) {
                r = berth_err(err, errno, "socketpair");
                goto out;
        }
        /* The pid namespace applies to children only: enter it for the
         * fork and come back, so the caller stays where it was. */
        if (x.fds[RUNTIME_NS_PID] >= 0) {
                own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
                if (own_pidns < 0 || setns(x.fds[RUNTIME_NS_PID], CLONE_NEWPID) < 0) {
                        r = berth_err(err, errno, "joining the pid namespace");
                        goto out;
                }
        }
        fflush(NULL);
        pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0)
                exec_child(&x);
        int e = errno;
        if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
                log_warn("restoring the pid namespace: %s", strerror(errno));
        if (pid < 0) {
                pid = 0;
                r = berth_err(err, e, "clone");
                goto out;
        }
        close(steal_fd(&x.sync[1]));
        if (cg && (r = runtime_cgroup_enter(cg, pid, err)) < 0)
                goto fail;
        if ((r = sync_send(x.sync[0], SYNC_GO, -1, err)) < 0)
                goto fail;
        for (;;) {
                struct sync_msg m;
                _cleanup_close_ int fd = -1;
                struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
                (void)iov;
                struct berth_error *scratch = NULL;
                r = sync_recv(x.sync[0], &m, &fd, &scratch);
                if (r < 0) {
                        /* EOF: the child's end closed on exec. */
                        berth_error_free(scratch);
                        break;
                }
                if (m.type == SYNC_ERROR) {
                        r = berth_err(err, m.code, "%s", m.text);
                        goto fail;
                }
                if (m.type == SYNC_TERMINAL && fd >= 0) {
                        if ((r = runtime_console_socket_send(opts->console_socket, fd, err)) < 0 ||
                            (r = sync_send(x.sync[0], SYNC_TERMINAL_DONE, -1, err)) < 0)
                                goto fail;
                }
        }
        if (opts->pid_file) {
                _cleanup_free_ char *text = xasprintf("%d", (int)pid);
                _cleanup_close_ int fd =
                    open(opts->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || util_write_all(fd, text, strlen(text)) < 0) {
                        r = berth_err(err, errno, "pid file `%s`", opts->pid_file);
                        goto fail;
                }
        }
        *out_pid = pid;
        r = 0;
        goto out;
fail:
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
out:
        for (int k = 0; k < RUNTIME_NS_KINDS; k++)
                if (x.fds[k] >= 0)
                        close(x.fds[k]);
        for (int i = 0; i < 2; i++)
                if (x.sync[i] >= 0)
                        close(x.sync[i]);
        runtime_seccomp_bpf_free(x.seccomp);
        runtime_cgroup_free(cg);
        state_free(s);
        if (r < 0)
                return berth_err_wrap(err, "exec in container %s", id);
        return 0;
}
