/* SPDX-License-Identifier: Apache-2.0 */
/* Spawning the monitor, and its one report. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/lifecycle-private.h"
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

static pid_t spawn_monitor(const struct container_engine *e, const char *id, bool attach_wait,
                           int report_w, struct berth_error **err)
{
        /* A program of its own, not berth re-executed: it lives as long as
         * the container, and carries none of the CLI's libraries. */
        _cleanup_free_ char *monitor = container_helper_path(e, "berth-monitor");
        pid_t child = fork();
        if (child < 0)
                return berth_err(err, errno, "fork");
        if (child > 0)
                return child;
        /* The child: a new session, then a grandchild that the session
         * leader's exit hands to init, so the monitor outlives the CLI and
         * never gets its terminal's signals. */
        if (setsid() < 0)
                _exit(1);
        pid_t gc = fork();
        if (gc != 0)
                _exit(gc < 0 ? 1 : 0);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
        }
        int fl = fcntl(report_w, F_GETFD);
        fcntl(report_w, F_SETFD, fl & ~FD_CLOEXEC);
        char fdbuf[16];
        snprintf(fdbuf, sizeof(fdbuf), "%d", report_w);
        const char *argv[] = {"berth-monitor",
                              "--root",
                              e->root,
                              "--runroot",
                              e->runroot,
                              "container-monitor",
                              "--report-fd",
                              fdbuf,
                              attach_wait ? "--attach-wait" : id,
                              attach_wait ? id : NULL,
                              NULL};
        execv(monitor, (char **)argv);
        dprintf(report_w, "err %d running the monitor `%s`\n", errno, monitor);
        _exit(127);
}

int container_start(const struct container_engine *e, const char *id, bool attach_wait,
                    int *ready_fd, struct berth_error **err)
{
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
                child = spawn_monitor(e, r->id, attach_wait, wr, err);
        }
        if (child < 0)
                return child;
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                ;
        int started;
        if (attach_wait) {
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
