/* SPDX-License-Identifier: Apache-2.0 */
/* Spawning the monitor, and its one report. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "container/lifecycle-private.h"
#include "storage/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int container_exit_status_for(const struct berth_error *err)
{
        if (err == NULL)
                return 125;
        if (err->code == ENOENT && err->msg && strstr(err->msg, "exec") != NULL)
                return 127;
        if ((err->code == EACCES || err->code == EPERM) && err->msg &&
            strstr(err->msg, "exec") != NULL)
                return 126;
        return 125;
}

/* One line from the report pipe ("" at EOF). */
static char *read_line(int fd)
{
        char buf[4096];
        size_t n = 0;
        while (n < sizeof(buf) - 1) {
                ssize_t r = read(fd, buf + n, 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0 || buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = '\0';
        return xstrdup(buf);
}

/* A report line that is not success, as the error it carries. */
static int report_error(const char *line, struct berth_error **err)
{
        if (strncmp(line, "err ", 4) == 0) {
                char *end = NULL;
                long code = strtol(line + 4, &end, 10);
                const char *msg = end && *end == ' ' ? end + 1 : "";
                return berth_err(err, (int)code, "%s", msg);
        }
        return berth_err(err, EIO, "the container's monitor died before reporting");
}

int container_start_finish(int report_fd, struct berth_error **err)
{
        _cleanup_free_ char *line = read_line(report_fd);
        return strcmp(line, "ok") == 0 ? 0 : report_error(line, err);
}

/*
 * The monitor in a session of its own (so none of the terminal's signals
 * reach it), with /dev/null for stdio and report_w its only other fd.
 * posix_spawn (a vfork) rather than fork: the CLI maps twenty libraries,
 * whose page tables a fork copies (a double fork, twice: 1-3 ms of a
 * run).  It stays our child until we exit, then init's; it is never
 * waited for here, and a monitor that ends first is reaped with us.
 * Returns its pid, or an error that names the program that couldn't run.
 */
static pid_t spawn_monitor(const struct container_engine *e, const char *id, unsigned flags,
                           int report_w, struct berth_error **err)
{
        /* A program of its own, not berth re-executed: it lives as long as
         * the container, and carries none of the CLI's libraries. */
        _cleanup_free_ char *monitor = container_helper_path(e, "berth-monitor");
        char fdbuf[16];
        snprintf(fdbuf, sizeof(fdbuf), "%d", report_w);
        const char *argv[12] = {"berth-monitor", "--root",   e->root,
                                "--runroot",     e->runroot, "container-monitor",
                                "--report-fd",   fdbuf};
        size_t n = 8;
        if (flags & CONTAINER_START_ATTACH_WAIT)
                argv[n++] = "--attach-wait";
        if (flags & CONTAINER_START_MOUNTED)
                argv[n++] = "--rootfs-mounted";
        argv[n++] = id;
        argv[n] = NULL;

        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        for (int fd = 0; fd < 3; fd++)
                posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_RDWR, 0);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);
        /* The one fd it inherits: open across the exec for the moment
         * (we are single-threaded, so nothing else can spawn meanwhile). */
        int fl = fcntl(report_w, F_GETFD);
        fcntl(report_w, F_SETFD, fl & ~FD_CLOEXEC);
        pid_t pid;
        int r = posix_spawn(&pid, monitor, &fa, &attr, (char **)argv, environ);
        fcntl(report_w, F_SETFD, fl);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return berth_err(err, r, "running the monitor `%s`", monitor);
        return pid;
}

static int start(const struct container_engine *e, const char *id, unsigned flags, int *ready_fd,
                 struct berth_error **err)
{
        bool attach_wait = flags & CONTAINER_START_ATTACH_WAIT;
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_inspect(e, id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, ENOENT, "No such container: %s", id);
        /* One start at a time: a second monitor would replace the first's
         * half-made container as one a killed monitor left.  Who waited
         * looks again. */
        _cleanup_free_ char *dir = container_record_dir(e->root, r->id);
        _cleanup_free_ char *lock_path = xasprintf("%s/start.lock", dir);
        _cleanup_close_ int lock = util_lock_acquire(lock_path, LOCK_EX, err);
        if (lock < 0)
                return lock;
        container_record_free(steal_pointer(&r));
        found = container_inspect(e, id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, ENOENT, "No such container: %s", id);
        _cleanup_close_ int mon = container_monitor_pidfd(r->monitor_pid, r->id);
        if (mon >= 0) {
                /* Running, restarting, or a monitor still tearing down. */
                if (r->state.status == CONTAINER_RUNNING)
                        return 0;
                if (r->state.status == CONTAINER_PAUSED)
                        return berth_err(err, 0,
                                         "cannot start a paused container, try unpause instead");
                if (r->state.status == CONTAINER_RESTARTING)
                        return berth_err(err, EBUSY, "container %s is restarting", r->name);
                container_monitor_wait(mon, 10000);
        } else if (container_reap_orphan(e, r->id, err) < 0) {
                return berth_err_ret(*err);
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return berth_err(err, errno, "pipe");
        _cleanup_close_ int rd = p[0];
        pid_t child;
        {
                _cleanup_close_ int wr = p[1];
                child = spawn_monitor(e, r->id, flags, wr, err);
        }
        int started;
        if (child < 0) {
                started = child;
        } else if (attach_wait) {
                _cleanup_free_ char *line = read_line(rd);
                if (strcmp(line, "ready") == 0) {
                        *ready_fd = steal_fd(&rd);
                        return 0;
                }
                started = report_error(line, err);
        } else {
                started = container_start_finish(rd, err);
        }
        /* A monitor honours --rm itself; one that could not run, or died
         * before reporting, did not (removing twice is harmless). */
        if (started < 0 && r->auto_remove) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)container_remove(e, r->id, true, true, &scratch);
        }
        return started;
}

int container_start(const struct container_engine *e, const char *id, unsigned flags, int *ready_fd,
                    struct berth_error **err)
{
        int r = start(e, id, flags, ready_fd, err);
        if (r < 0 && (flags & CONTAINER_START_MOUNTED)) {
                /* A monitor that took the mount over has unmounted it (or
                 * is about to: a second unmount finds nothing); one that
                 * never ran leaves it to us. */
                _cleanup_free_ char *dir = container_record_dir(e->root, id);
                _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)storage_rootfs_umount(rootfs, &scratch);
        }
        return r;
}
