/* SPDX-License-Identifier: Apache-2.0 */
/* `exec`: another process in a running container, from the CLI itself. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container/lifecycle-private.h"
#include "container/spec.h"
/* image/config.h (through spec.h) and runtime/config.h both name a
 * _cleanup_config_; this file uses the runtime's. */
#undef _cleanup_config_
#include "runtime/runtime.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* The process to run: the container's own as a template (caps, rlimits,
 * seccomp, env), with exec's args, env, cwd, user and tty. */
static int make_process(const struct container_engine *e, const struct container_record *r,
                        const struct container_exec_options *o, struct runtime_process *p,
                        struct berth_error **err)
{
        strv_free(p->args);
        p->args = strv_dup(o->args);
        if (o->env != NULL) {
                char **env = container_env_merge(p->env, o->env);
                strv_free(p->env);
                p->env = env;
        }
        if (o->workdir != NULL && *o->workdir) {
                free(p->cwd);
                p->cwd = xstrdup(o->workdir);
        }
        p->terminal = o->tty;
        if (o->privileged) {
                /* Docker's exec --privileged: every capability the host
                 * has, whatever the container was given. */
                _cleanup_strv_ char **all = container_caps_available();
                uint64_t set = 0;
                for (char **c = all; *c; c++) {
                        int n = runtime_cap_parse(*c);
                        if (n >= 0)
                                set |= UINT64_C(1) << n;
                }
                p->has_caps = true;
                p->caps =
                    (struct runtime_caps){.bounding = set, .effective = set, .permitted = set};
        }
        if (o->user != NULL && *o->user) {
                _cleanup_free_ char *dir = container_record_dir(e->root, r->id);
                _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
                _cleanup_close_ int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        return berth_err(err, errno, "opening `%s`", rootfs);
                struct container_user u = {0};
                if (container_user_resolve(rootfd, o->user, &u, err) < 0)
                        return berth_err_ret(*err);
                p->uid = u.uid;
                p->gid = u.gid;
                free(p->additional_gids);
                p->additional_gids = xcalloc(u.n_additional_gids + 1, sizeof(gid_t));
                for (size_t i = 0; i < u.n_additional_gids; i++)
                        p->additional_gids[i] = u.additional_gids[i];
                p->n_additional_gids = u.n_additional_gids;
                container_user_clear(&u);
        }
        return 0;
}

static void set_size(int master)
{
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
                ioctl(master, TIOCSWINSZ, &ws);
}

/* Relay the user's terminal and the pty until the process exits. */
static int relay_pty(int master, pid_t pid, bool interactive)
{
        struct termios saved;
        bool raw = false;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (interactive && isatty(STDIN_FILENO))
                raw = runtime_terminal_make_raw(STDIN_FILENO, &saved, &scratch) == 0;
        set_size(master);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        int status = -1;
        bool in_open = interactive, out_open = true;
        while (out_open) {
                struct pollfd p[3] = {{.fd = master, .events = POLLIN},
                                      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                if (poll(p, 3, status >= 0 ? 200 : -1) <= 0) {
                        if (status >= 0)
                                break;
                        continue;
                }
                char buf[8192];
                if (p[0].revents) {
                        ssize_t n = read(master, buf, sizeof(buf));
                        if (n <= 0)
                                out_open = false;
                        else
                                (void)util_write_all(STDOUT_FILENO, buf, n);
                }
                if (p[1].revents) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0)
                                in_open = false;
                        else
                                (void)util_write_all(master, buf, n);
                }
                if (p[2].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si))
                                if (si.ssi_signo == SIGWINCH)
                                        set_size(master);
                        int st;
                        if (status < 0 && waitpid(pid, &st, WNOHANG) == pid)
                                status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                }
        }
        if (status < 0) {
                int st;
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
                status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (raw)
                (void)runtime_terminal_restore(STDIN_FILENO, &saved, &scratch);
        close(sfd);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        return status;
}

int container_exec(const struct container_engine *e, const char *id,
                   const struct container_exec_options *o, int *exit_code, struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_inspect(e, id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, ENOENT, "No such container: %s", id);
        if (r->state.status == CONTAINER_PAUSED)
                return berth_err(
                    err, 0, "container %s is paused, unpause the container before exec", r->id);
        if (r->state.status != CONTAINER_RUNNING)
                return berth_err(err, 0, "container %s is not running", r->id);
        if (o->workdir != NULL && *o->workdir && o->workdir[0] != '/')
                return berth_err(err, 0,
                                 "the working directory '%s' is invalid, it needs to be an "
                                 "absolute path",
                                 o->workdir);
        _cleanup_free_ char *rt = container_runtime_root(e);
        _cleanup_config_ struct runtime_config *cfg = NULL;
        if (runtime_container_config(rt, r->id, &cfg, err) < 0)
                return berth_err_ret(*err);
        if (cfg->process == NULL)
                return berth_err(err, 0, "container %s has no process", r->id);
        if (make_process(e, r, o, cfg->process, err) < 0)
                return berth_err_ret(*err);

        _cleanup_close_ int con = -1, dirfd = -1;
        _cleanup_free_ char *con_path = NULL, *con_name = NULL;
        if (o->tty) {
                _cleanup_free_ char *adir = container_attach_dir(e);
                if (util_path_mkdir_p(adir, 0700, err) < 0)
                        return berth_err_ret(*err);
                dirfd = open(adir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd < 0)
                        return berth_err(err, errno, "opening `%s`", adir);
                con_name = xasprintf("exec-%d", getpid());
                con_path = xasprintf("/proc/self/fd/%d/%s", dirfd, con_name);
                con = runtime_console_socket_listen(con_path, err);
                if (con < 0)
                        return con;
        }
        /* The process inherits our fds 0-2: without -i its stdin is
         * /dev/null, with -d all three are. */
        int saved[3] = {-1, -1, -1};
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3; i++)
                if (null >= 0 && (o->detach || (i == 0 && !o->interactive))) {
                        saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
                        dup2(null, i);
                }
        _cleanup_free_ char *cache = container_seccomp_cache_dir(e);
        struct runtime_exec_options xo = {
            .process = cfg->process, .console_socket = con_path, .seccomp_cache = cache};
        pid_t pid = 0;
        int ret = runtime_container_exec(rt, r->id, &xo, &pid, err);
        for (int i = 0; i < 3; i++)
                if (saved[i] >= 0) {
                        dup2(saved[i], i);
                        close(saved[i]);
                }
        if (null >= 0)
                close(null);
        if (con_name != NULL)
                unlinkat(dirfd, con_name, 0);
        if (ret < 0)
                return ret;
        if (o->detach) {
                *exit_code = 0;
                return 0;
        }
        if (o->tty) {
                _cleanup_close_ int master = runtime_console_socket_recv(con, err);
                if (master < 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        return master;
                }
                *exit_code = relay_pty(master, pid, o->interactive);
                return 0;
        }
        int code = runtime_wait_exit_code(pid, err);
        if (code < 0)
                return code;
        *exit_code = code;
        return 0;
}
