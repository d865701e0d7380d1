/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const char *env_get(char *const *env, const char *key)
{
        size_t n = strlen(key);
        for (; env && *env; env++)
                if (strncmp(*env, key, n) == 0 && (*env)[n] == '=')
                        return *env + n + 1;
        return NULL;
}

static bool is_executable(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* args[0] resolved with the container's PATH, in the container's root (we
 * run after pivot_root), so that a missing binary fails `create` with
 * "executable file not found" rather than a silent exit 127 later. */
int process_lookup_path(const struct runtime_process *p, char **out, struct berth_error **err)
{
        const char *a0 = p->args[0];
        if (strchr(a0, '/') != NULL) {
                struct stat st;
                /* A directory or other non-file can't be run: that is
                 * "permission denied" (126), not "not found" (127). */
                if (stat(a0, &st) < 0)
                        return berth_err(err, errno, "exec `%s`", a0);
                if (!is_executable(a0))
                        return berth_err(err, EACCES, "exec `%s`", a0);
                *out = xstrdup(a0);
                return 0;
        }
        const char *path = env_get(p->env, "PATH");
        if (path == NULL)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *full = xasprintf("%s/%s", d, a0);
                if (is_executable(full)) {
                        *out = steal_pointer(&full);
                        return 0;
                }
        }
        return berth_err(err, ENOENT, "exec `%s`: executable file not found in $PATH", a0);
}

int process_chdir(const struct runtime_process *p, struct berth_error **err)
{
        if (chdir(p->cwd) < 0) {
                if (errno != ENOENT)
                        return berth_err(err, errno, "chdir to cwd `%s`", p->cwd);
                int fd = util_path_mkdir_in_root(AT_FDCWD, p->cwd, 0755, err);
                if (fd < 0)
                        return berth_err_wrap(err, "creating cwd");
                close(fd);
                if (chdir(p->cwd) < 0)
                        return berth_err(err, errno, "chdir to cwd `%s`", p->cwd);
        }
        /* CVE-2024-21626 class: a cwd inherited from (or resolved to) a
         * directory outside our root shows up as "(unreachable)" or fails
         * here; refuse to exec with it. */
        char buf[4096];
        if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
                return berth_err(err, EPERM, "cwd `%s` is outside the container's root", p->cwd);
        return 0;
}

int process_close_fds(unsigned preserve, struct berth_error **err)
{
        /* Every fd above stderr gets close-on-exec: the sync socket, the
         * start socket, O_PATH and directory fds of the host, anything a
         * library opened.  Whatever we still need until exec keeps working,
         * and none of it reaches the container's process. */
        if (syscall(SYS_close_range, 3U + preserve, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return 0;
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        if (d == NULL)
                return berth_err(err, errno, "listing fds");
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                int fd = atoi(e->d_name);
                if (fd >= 3 + (int)preserve && fd != dirfd(d))
                        fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        return 0;
}

int process_set_oom_score_adj(pid_t pid, int adj, struct berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/oom_score_adj", (int)pid);
        _cleanup_free_ char *v = xasprintf("%d", adj);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || util_write_all(fd, v, strlen(v)) < 0)
                return berth_err(err, errno, "setting oomScoreAdj");
        return 0;
}

static int set_caps(const struct runtime_caps *caps, struct berth_error **err)
{
        cap_t c = cap_init();
        for (int i = 0; i <= CAP_LAST_CAP; i++) {
                cap_value_t v = i;
                if (caps->permitted & (1ULL << i))
                        cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
                if (caps->effective & (1ULL << i))
                        cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
                if (caps->inheritable & (1ULL << i))
                        cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
        }
        int r = cap_set_proc(c);
        int e = errno;
        cap_free(c);
        if (r < 0)
                return berth_err(err, e, "setting capabilities");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return berth_err(err, errno, "clearing ambient capabilities");
        for (int i = 0; i <= CAP_LAST_CAP; i++) {
                if (!(caps->ambient & (1ULL << i)))
                        continue;
                /* The kernel only allows ambient caps that are permitted and
                 * inheritable; runc ignores the rest, and so do we. */
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0 && errno != EPERM)
                        return berth_err(err, errno, "raising ambient capability %d", i);
        }
        return 0;
}

/*
 * The last steps before exec, in runc's order: rlimits; seccomp early when
 * noNewPrivileges is off (loading a filter then needs CAP_SYS_ADMIN, which
 * the capability drop below may take away); the bounding set while we still
 * hold CAP_SETPCAP; groups, gid and uid with KEEPCAPS so the permitted set
 * survives; the requested sets; NO_NEW_PRIVS; and seccomp as late as
 * possible when NNP is on, so the filter need not allow our own syscalls.
 */
void process_reset_signals(void)
{
        sigset_t none;
        for (int sig = 1; sig < NSIG; sig++)
                signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

int process_apply(const struct runtime_process *p, const struct runtime_seccomp_bpf *seccomp,
                  struct berth_error **err)
{
        int r;
        /* Dispositions and the mask survive execve: whatever the engine
         * ignored (a shell's background job ignores SIGINT, a monitor
         * SIGPIPE) must not reach the container, whose shell could then
         * never trap it. */
        process_reset_signals();
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
                if (setrlimit(p->rlimits[i].resource, &rl) < 0)
                        return berth_err(err, errno, "setting rlimit %d", p->rlimits[i].resource);
        }
        if (seccomp && !p->no_new_privileges && (r = runtime_seccomp_bpf_load(seccomp, err)) < 0)
                return berth_err_wrap(err, "loading seccomp");
        if (p->has_caps) {
                for (int i = 0; i <= CAP_LAST_CAP; i++) {
                        if (p->caps.bounding & (1ULL << i))
                                continue;
                        if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
                                return berth_err(err, errno, "dropping capability %d", i);
                }
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return berth_err(err, errno, "keeping capabilities");
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0 && errno != EPERM)
                return berth_err(err, errno, "setting additional groups");
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return berth_err(err, errno, "setting gid %u", (unsigned)p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return berth_err(err, errno, "setting uid %u", (unsigned)p->uid);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return berth_err(err, errno, "resetting keepcaps");
        if (p->has_caps && (r = set_caps(&p->caps, err)) < 0)
                return r;
        if (p->has_umask)
                umask(p->umask);
        else
                umask(0022);
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return berth_err(err, errno, "setting no_new_privs");
        if (seccomp && p->no_new_privileges && (r = runtime_seccomp_bpf_load(seccomp, err)) < 0)
                return berth_err_wrap(err, "loading seccomp");
        return 0;
}
