/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/create.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/*
 * The container's init, from clone() to execve().  It runs as a copy of
 * the runtime inside the new pid (and user) namespace; everything it does
 * is on the container's behalf and every failure goes back to the parent as
 * (stage, errno, text) over the sync socket, never to a terminal.
 *
 * Why this is safe against the container itself: until execve the init is
 * not dumpable (PR_SET_DUMPABLE 0), so no process of the container can
 * ptrace it or open /proc/1/exe, /proc/1/fd/N or /proc/1/cwd, which still
 * lead to host objects; the binary it runs is a sealed memfd copy
 * (runtime_binary_ensure_sealed); and every fd it holds is close-on-exec
 * before the exec (process_close_fds), with the cwd checked to lie inside
 * the new root.
 */

static int join_namespaces(const struct create_ctx *x, struct berth_error **err)
{
        for (int k = 0; k < RUNTIME_NS_KINDS; k++) {
                if (x->ns_fds[k] < 0 || k == RUNTIME_NS_PID)
                        continue;
                if (setns(x->ns_fds[k], runtime_ns_flag(k)) < 0)
                        return berth_err(err, errno, "joining %s namespace `%s`",
                                         runtime_ns_proc_name(k), x->c->ns[k].path);
        }
        return 0;
}

static int write_time_offsets(const struct runtime_config *c, struct berth_error **err)
{
        _cleanup_free_ char *text =
            xasprintf("monotonic %lld %lld\nboottime %lld %lld\n", (long long)c->monotonic_secs,
                      (long long)c->monotonic_nsecs, (long long)c->boottime_secs,
                      (long long)c->boottime_nsecs);
        _cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || util_write_all(fd, text, strlen(text)) < 0)
                return berth_err(err, errno, "writing time offsets");
        return 0;
}

/* A new network namespace has only a loopback, and it is down: up, as runc
 * and crun leave it, so that a process can talk to itself. */
static int loopback_up(struct berth_error **err)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        memcpy(ifr.ifr_name, "lo", 3);
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return berth_err(err, errno, "reading the loopback's flags");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return berth_err(err, errno, "bringing the loopback up");
        return 0;
}

/* New namespaces that clone() did not make.  After the joins, so that they
 * belong to the (possibly joined) user namespace.  The cgroup namespace
 * comes later (enter_cgroup_ns). */
static int unshare_namespaces(const struct runtime_config *c, struct berth_error **err)
{
        int flags = 0;
        static const int kinds[] = {RUNTIME_NS_NET, RUNTIME_NS_IPC, RUNTIME_NS_UTS,
                                    RUNTIME_NS_MOUNT};
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                if (c->ns[kinds[i]].enabled && c->ns[kinds[i]].path == NULL)
                        flags |= runtime_ns_flag(kinds[i]);
        if (flags && unshare(flags) < 0)
                return berth_err(err, errno, "creating namespaces");
        if ((flags & CLONE_NEWNET) && loopback_up(err) < 0)
                return berth_err_ret(*err);
        if (c->ns[RUNTIME_NS_TIME].enabled && c->ns[RUNTIME_NS_TIME].path == NULL) {
                /* A new time namespace applies to us at execve. */
                if (unshare(CLONE_NEWTIME) < 0)
                        return berth_err(err, errno, "creating the time namespace");
                if (c->has_time_offsets && write_time_offsets(c, err) < 0)
                        return -errno;
        }
        return 0;
}

/* sync_expect() that also takes the parent's SYNC_CGROUP, which may
 * arrive between any two of our requests. */
static int expect(struct create_ctx *x, int sync, int type, int *fdpass, struct berth_error **err)
{
        for (;;) {
                struct sync_msg m;
                int r = sync_recv(sync, &m, fdpass, err);
                if (r < 0)
                        return r;
                if (m.type == SYNC_CGROUP && type != SYNC_CGROUP) {
                        x->in_cgroup = true;
                        continue;
                }
                if (m.type == SYNC_ERROR)
                        return berth_err(err, m.code, "%s", m.text);
                if (m.type != type)
                        return berth_err(err, EPROTO, "sync: expected message %d, got %d", type,
                                         m.type);
                return 0;
        }
}

/* Once in the container's cgroup: a new cgroup namespace is rooted there. */
static int enter_cgroup_ns(struct create_ctx *x, int sync, struct berth_error **err)
{
        int r;
        if (!x->in_cgroup && (r = expect(x, sync, SYNC_CGROUP, NULL, err)) < 0)
                return r;
        x->in_cgroup = true;
        const struct runtime_config *c = x->c;
        if (c->ns[RUNTIME_NS_CGROUP].enabled && c->ns[RUNTIME_NS_CGROUP].path == NULL &&
            unshare(CLONE_NEWCGROUP) < 0)
                return berth_err(err, errno, "creating the cgroup namespace");
        return 0;
}

static int setup_terminal(struct create_ctx *x, int sync, struct berth_error **err)
{
        _cleanup_close_ int master = -1, slave = -1;
        const struct runtime_process *p = x->c->process;
        int r = runtime_terminal_open(&master, &slave, err);
        if (r < 0)
                return r;
        /* Sized before the process runs: a relay that copies the user's
         * size only later races with the process reading it. */
        if ((r = runtime_terminal_resize(slave, p->console_rows, p->console_cols, err)) < 0)
                return r;
        /* The master goes to the parent, which hands it to the console
         * socket: that path is on the host, out of our reach now. */
        if ((r = sync_send(sync, SYNC_TERMINAL, master, err)) < 0)
                return r;
        if ((r = expect(x, sync, SYNC_TERMINAL_DONE, NULL, err)) < 0)
                return r;
        return runtime_terminal_setup_child(slave, err);
}

static int init_setup(struct create_ctx *x, int sync, int *stage, struct berth_error **err)
{
        const struct runtime_config *c = x->c;
        bool userns = c->ns[RUNTIME_NS_USER].enabled;
        int r;
        *stage = STAGE_NAMESPACES;
        if ((r = expect(x, sync, SYNC_GO, NULL, err)) < 0)
                return r;
        /* Not dumpable from here on.  Not before: a non-dumpable task's
         * /proc files belong to the host's root, and a rootless parent
         * could not have written our id maps. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (userns && x->ns_fds[RUNTIME_NS_USER] < 0) {
                /* Become the container's root of the new user namespace; the
                 * parent has written the maps by now. */
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        return berth_err(err, errno, "becoming root in the user namespace");
        }
        if ((r = join_namespaces(x, err)) < 0 || (r = unshare_namespaces(c, err)) < 0)
                return r;
        if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
                return berth_err(err, errno, "setting the hostname");
        if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
                return berth_err(err, errno, "setting the domainname");
        *stage = STAGE_MOUNTS;
        if (c->ns[RUNTIME_NS_MOUNT].enabled) {
                if ((r = rootfs_prepare(c, x->plan, x->rootfs, x->cg, userns, err)) < 0)
                        return r;
        }
        if (c->hooks) {
                /* Hooks want our pid as the host sees it; the host's /proc is
                 * still mounted here (before pivot_root), and its "self"
                 * resolves in the host's pid namespace. */
                char self[32];
                ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
                if (n > 0) {
                        self[n] = '\0';
                        free(x->state_json);
                        x->state_json = create_state_json(x, (pid_t)atoi(self));
                }
                if ((r = sync_send(sync, SYNC_HOOKS, -1, err)) < 0 ||
                    (r = expect(x, sync, SYNC_HOOKS_DONE, NULL, err)) < 0)
                        return r;
                /* createContainer: in the container's namespaces, before
                 * pivot_root, so the hook paths are still the host's. */
                if ((r = runtime_hooks_run(c->hooks, RUNTIME_HOOK_CREATE_CONTAINER, x->state_json,
                                           err)) < 0)
                        return berth_err_wrap(err, "createContainer hook");
        }
        *stage = STAGE_PIVOT;
        if (c->ns[RUNTIME_NS_MOUNT].enabled) {
                if ((r = rootfs_pivot(x->rootfs, x->opts->no_pivot, err)) < 0 ||
                    (r = rootfs_finish(c, err)) < 0)
                        return r;
        } else if (chroot(x->rootfs) < 0 || chdir("/") < 0) {
                return berth_err(err, errno, "chroot to `%s`", x->rootfs);
        }
        *stage = STAGE_PROCESS;
        if ((r = enter_cgroup_ns(x, sync, err)) < 0)
                return r;
        if (c->process->terminal && (r = setup_terminal(x, sync, err)) < 0)
                return r;
        if ((r = process_chdir(c->process, err)) < 0)
                return r;
        if ((r = process_lookup_path(c->process, &x->exe, err)) < 0)
                return r;
        return 0;
}

/* Block until `start` connects.  Until the parent confirms that the state
 * is saved (SYNC_SAVED), its death (EOF on the sync socket) ends us too: no
 * state would ever lead to us. */
static int wait_for_start(struct create_ctx *x, int *sync, struct berth_error **err)
{
        for (;;) {
                struct pollfd p[2] = {{.fd = x->start_listen, .events = POLLIN},
                                      {.fd = *sync, .events = POLLIN}};
                int n = poll(p, *sync >= 0 ? 2 : 1, -1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_err(err, errno, "waiting for start");
                if (*sync >= 0 && p[1].revents) {
                        struct sync_msg m;
                        struct berth_error *scratch = NULL;
                        if (sync_recv(*sync, &m, NULL, &scratch) < 0 || m.type != SYNC_SAVED) {
                                berth_error_free(scratch);
                                _exit(1);
                        }
                        close(*sync);
                        *sync = -1;
                }
                if (p[0].revents & POLLIN) {
                        int conn = accept4(x->start_listen, NULL, NULL, SOCK_CLOEXEC);
                        if (conn >= 0 || (errno != EINTR && errno != EAGAIN))
                                return conn >= 0 ? conn : berth_err(err, errno, "accept");
                }
        }
}

/* Wait for `start`, then become the container's process. */
static int init_wait_and_exec(struct create_ctx *x, int *sync, int *conn, struct berth_error **err)
{
        const struct runtime_config *c = x->c;
        int r;
        *conn = wait_for_start(x, sync, err);
        if (*conn < 0)
                return *conn;
        close(steal_fd(&x->start_listen));
        if (c->hooks &&
            (r = runtime_hooks_run(c->hooks, RUNTIME_HOOK_START_CONTAINER, x->state_json, err)) < 0)
                return berth_err_wrap(err, "startContainer hook");
        if ((r = process_close_fds(x->opts->preserve_fds, err)) < 0)
                return r;
        if ((r = process_apply(c->process, x->seccomp, err)) < 0)
                return r;
        execve(x->exe, c->process->args, c->process->env ? c->process->env : (char *[]){NULL});
        return berth_err(err, errno, "exec `%s`", x->exe);
}

void init_main(struct create_ctx *x)
{
        struct berth_error *err = NULL;
        int stage = 0;
        int sync = x->sync[1];
        close(x->sync[0]);
        /* Die with the parent while it still owns us (until READY). */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        umask(0);
        if (x->cg_self) {
                int r = runtime_cgroup_entry_join(&x->cg_entry);
                if (r < 0)
                        berth_err(&err, -r, "entering the container's cgroup");
                runtime_cgroup_entry_close(&x->cg_entry);
        }
        if (err != NULL || init_setup(x, sync, &stage, &err) < 0) {
                sync_send_error(sync, stage, err);
                _exit(1);
        }
        /* From here the parent may exit (runc's `create` returns): we
         * must survive it, but not before it saved the state (see
         * wait_for_start). */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (sync_send(sync, SYNC_READY, -1, &err) < 0)
                _exit(1);
        int conn = -1;
        init_wait_and_exec(x, &sync, &conn, &err);
        if (conn >= 0)
                sync_send_error(conn, STAGE_EXEC, err);
        _exit(127);
}
