/* SPDX-License-Identifier: Apache-2.0 */
/* The processes of a container's cgroup: listing, signalling, and removing
 * the cgroup once they are gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The hierarchy whose membership we trust for "which processes": every
 * container process is in it (the pids controller, if any, on v1). */
static const struct cgroup_hier *membership(const struct runtime_cgroup *cg)
{
        const struct cgroup_hier *h = NULL;
        if (cg->layout == CGROUP_LAYOUT_V2)
                return cgroup_v2_hier(cg);
        if ((h = cgroup_v1_hier(cg, "pids")) != NULL || (h = cgroup_v1_hier(cg, "freezer")) != NULL)
                return h;
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].v2)
                        return &cg->h[i];
        return cgroup_v2_hier(cg);
}

static void pids_push(pid_t **pids, size_t *n, pid_t p)
{
        *pids = xrealloc(*pids, (*n + 1) * sizeof(**pids));
        (*pids)[(*n)++] = p;
}

/* cgroup.procs of dir and of every cgroup below it (the container may
 * have made its own sub-cgroups). */
static int collect(const char *dir, pid_t **pids, size_t *n, int depth, struct berth_error **err)
{
        _cleanup_free_ char *procs = NULL;
        int r = cgroup_read(dir, "cgroup.procs", &procs, err);
        if (r < 0) {
                /* Removed under us: nobody left in it. */
                if (-r == ENOENT || -r == ENODEV)
                        return 0;
                return r;
        }
        for (char *p = procs; r > 0 && *p != '\0';) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p)
                        break;
                pids_push(pids, n, (pid_t)v);
                p = end + strspn(end, "\n");
        }
        if (depth > 64)
                return berth_err(err, ELOOP, "cgroup `%s` is nested too deep", dir);
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (d == NULL)
                return errno == ENOENT ? 0 : berth_err(err, errno, "listing `%s`", dir);
        for (struct dirent *de; (de = readdir(d)) != NULL;) {
                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
                    strcmp(de->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
                if (collect(sub, pids, n, depth + 1, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return (x > y) - (x < y);
}

int runtime_cgroup_pids(const struct runtime_cgroup *cg, pid_t **pids, size_t *n,
                        struct berth_error **err)
{
        const struct cgroup_hier *h = membership(cg);
        _cleanup_free_ pid_t *v = NULL;
        size_t count = 0, out = 0;
        if (h != NULL && collect(h->dir, &v, &count, 0, err) < 0)
                return berth_err_wrap(err, "listing the processes of cgroup %s", h->path);
        if (count > 0)
                qsort(v, count, sizeof(*v), cmp_pid);
        for (size_t i = 0; i < count; i++)
                if (out == 0 || v[out - 1] != v[i])
                        v[out++] = v[i];
        *pids = steal_pointer(&v);
        *n = out;
        return 0;
}

int runtime_cgroup_has_pid(const struct runtime_cgroup *cg, pid_t pid, struct berth_error **err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (runtime_cgroup_pids(cg, &pids, &n, err) < 0)
                return berth_err_ret(*err);
        return bsearch(&pid, pids, n, sizeof(*pids), cmp_pid) != NULL;
}

int runtime_cgroup_kill_all(const struct runtime_cgroup *cg, int sig, struct berth_error **err)
{
        const struct cgroup_hier *v2 = cgroup_v2_hier(cg);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int was_frozen, r;

        {
                _cleanup_error_ struct berth_error *scratch = NULL;
                was_frozen = runtime_cgroup_is_frozen(cg, &scratch);
        }
        /* cgroup.kill (Linux 5.14) SIGKILLs the whole subtree in the kernel,
         * with no race against forks.  On hybrid the container's processes
         * are in the unified tree as well, so it works there too; but a
         * task stopped by the v1 freezer only dies once thawed. */
        if (sig == SIGKILL && v2 != NULL && cgroup_has_file(v2->dir, "cgroup.kill")) {
                if (cgroup_write(v2->dir, "cgroup.kill", "1", err) < 0)
                        return berth_err_ret(*err);
                if (was_frozen == 1 && cg->layout != CGROUP_LAYOUT_V2)
                        return runtime_cgroup_freeze(cg, false, err);
                return 0;
        }

        /* Otherwise freeze first, so that no process forks a child we would
         * miss between reading the list and signalling it.  Without a
         * freezer, signal what is there. */
        bool froze;
        {
                _cleanup_error_ struct berth_error *scratch = NULL;
                froze = runtime_cgroup_freeze(cg, true, &scratch) == 0;
        }
        r = runtime_cgroup_pids(cg, &pids, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        r = berth_err(err, errno, "sending signal %d to pid %d", sig, (int)pids[i]);
        /* Thaw so the signal is acted on, except that a container paused
         * before stays paused, unless it was killed (a frozen task cannot
         * die, and would keep its cgroup busy forever). */
        if (froze && (was_frozen != 1 || sig == SIGKILL)) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (runtime_cgroup_freeze(cg, false, r < 0 ? &scratch : err) < 0 && r == 0)
                        r = berth_err_ret(*err);
        }
        return r;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* rmdir dir and any cgroups below it.  EBUSY while the last processes
 * finish exiting is retried for a while. */
static int remove_cgroup(const char *dir, int depth, struct berth_error **err)
{
        if (depth > 64)
                return berth_err(err, ELOOP, "cgroup `%s` is nested too deep", dir);
        DIR *d = opendir(dir);
        if (d == NULL)
                return errno == ENOENT ? 0 : berth_err(err, errno, "listing `%s`", dir);
        for (struct dirent *de; (de = readdir(d)) != NULL;) {
                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
                    strcmp(de->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
                if (remove_cgroup(sub, depth + 1, err) < 0) {
                        closedir(d);
                        return berth_err_ret(*err);
                }
        }
        closedir(d);
        for (int tries = 0;; tries++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || tries >= 500)
                        return berth_err(err, errno, "removing cgroup `%s`", dir);
                sleep_ms(10);
        }
}

int runtime_cgroup_destroy(struct runtime_cgroup *cg, struct berth_error **err)
{
        int r = 0;
        /* Every hierarchy is tried even after a failure, so one stuck
         * hierarchy does not leave all the others behind. */
        for (size_t i = 0; i < cg->n; i++) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (remove_cgroup(cg->h[i].dir, 0, r < 0 ? &scratch : err) < 0 && r == 0)
                        r = berth_err_ret(*err);
        }
        return r;
}
