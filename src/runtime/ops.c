/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A loaded container: its state and (when it has one) its cgroup. */
struct loaded {
        struct runtime_state *s;
        struct runtime_cgroup *cg;
};

static void loaded_free(struct loaded *l)
{
        state_free(l->s);
        runtime_cgroup_free(l->cg);
}

static int load(const char *root, const char *id, struct loaded *l, struct berth_error **err)
{
        memset(l, 0, sizeof(*l));
        int r = state_load(root, id, &l->s, err);
        if (r < 0)
                return r;
        if (l->s->cgroup && (r = runtime_cgroup_load(l->s->cgroup, &l->cg, err)) < 0) {
                loaded_free(l);
                return r;
        }
        return 0;
}

int runtime_container_state(const char *root, const char *id, json_t **out,
                            struct berth_error **err)
{
        struct loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                return r;
        const char *status = state_status(l.s, l.cg);
        *out = state_json(l.s, status);
        /* Not in the spec's state, but what a caller asks next when the
         * container stopped: did the kernel OOM-kill it? */
        if (strcmp(status, "stopped") == 0 && l.cg) {
                struct berth_error *scratch = NULL;
                if (runtime_cgroup_oom_killed(l.cg, &scratch) > 0)
                        json_object_set_new(*out, "oomKilled", json_true());
                berth_error_free(scratch);
        }
        loaded_free(&l);
        return 0;
}

int runtime_container_kill(const char *root, const char *id, int sig, bool all,
                           struct berth_error **err)
{
        struct loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                return r;
        const char *status = state_status(l.s, l.cg);
        if (all && l.cg) {
                r = runtime_cgroup_kill_all(l.cg, sig, err);
        } else if (strcmp(status, "stopped") == 0) {
                /* containerd's shim matches "container not running". */
                r = berth_err(err, ESRCH, "container not running: `%s`", id);
        } else if (kill(l.s->pid, sig) < 0) {
                r = berth_err(err, errno, "signalling container `%s`", id);
        }
        loaded_free(&l);
        return r < 0 ? r : 0;
}

/* Wait until pid (not necessarily our child) is gone, up to ~10 s. */
static int wait_gone(pid_t pid, unsigned long long start, struct berth_error **err)
{
        for (int i = 0; i < 2000; i++) {
                /* Reap it if it is our child (run, or the engine in-process). */
                waitpid(pid, NULL, WNOHANG);
                if (proc_start_time(pid) != start)
                        return 0;
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return berth_err(err, ETIMEDOUT, "waiting for pid %d to exit", (int)pid);
}

/* 1 when a create of id is still running: it holds a flock on the state
 * dir (see make_state_dir); 0 when not (or there is no state dir). */
static int being_created(const char *root, const char *id)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, id);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0;
        return flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

/* A state dir without state.json: a create killed right after mkdir.
 * Nothing else of it exists yet; remove it unless that create still runs. */
static int delete_stub(const char *root, const char *id, struct berth_error **err)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || faccessat(rootfd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0 ||
            being_created(root, id))
                return 0;
        if (util_path_remove_tree(rootfd, id, err) < 0)
                return berth_err_ret(*err);
        return 1;
}

int runtime_container_delete(const char *root, const char *id, bool force, struct berth_error **err)
{
        struct loaded l;
        _cleanup_close_ int rootfd = -1;
        _cleanup_config_ struct runtime_config *c = NULL;
        int r = load(root, id, &l, err);
        if (r < 0) {
                if (r == -ENOENT && err) {
                        struct berth_error *scratch = NULL;
                        int stub = delete_stub(root, id, &scratch);
                        berth_error_free(scratch);
                        if (stub > 0 || force) {
                                berth_error_free(*err);
                                *err = NULL;
                                return 0;
                        }
                }
                return r;
        }
        /* Saved as "creating": the create is still running (wait for it,
         * or --force), or it was killed and this cleans up after it. */
        bool never_created = strcmp(l.s->status, "creating") == 0;
        if (never_created && !force && being_created(root, id)) {
                r = berth_err(err, EBUSY, "container `%s` is being created (use --force)", id);
                goto out;
        }
        const char *status = state_status(l.s, l.cg);
        if (strcmp(status, "stopped") != 0) {
                if (strcmp(status, "created") != 0 && !force) {
                        r = berth_err(err, EBUSY,
                                      "cannot delete container `%s`: it is %s (use --force)", id,
                                      status);
                        goto out;
                }
                struct berth_error *scratch = NULL;
                if (l.cg) {
                        /* A frozen cgroup holds SIGKILL back: thaw it. */
                        runtime_cgroup_freeze(l.cg, false, &scratch);
                        berth_error_free(steal_pointer(&scratch));
                        runtime_cgroup_kill_all(l.cg, SIGKILL, &scratch);
                        berth_error_free(steal_pointer(&scratch));
                }
                kill(l.s->pid, SIGKILL);
                if ((r = wait_gone(l.s->pid, l.s->start_time, err)) < 0)
                        goto out;
        }
        struct berth_error *scratch = NULL;
        if (!never_created && runtime_config_load(l.s->bundle, &c, &scratch) == 0 && c->hooks) {
                _cleanup_json_ json_t *j = state_json(l.s, "stopped");
                _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
                if (runtime_hooks_run(c->hooks, RUNTIME_HOOK_POSTSTOP, text, &scratch) < 0)
                        log_warn("poststop hook: %s", scratch ? scratch->msg : "");
        }
        berth_error_free(steal_pointer(&scratch));
        if (l.cg) {
                /* Processes that outlived the init (a pid namespace shared
                 * with the host) still hold the cgroup. */
                runtime_cgroup_kill_all(l.cg, SIGKILL, &scratch);
                berth_error_free(steal_pointer(&scratch));
                bool removed = false;
                for (int i = 0; i < 200 && !removed; i++) {
                        removed = runtime_cgroup_destroy(l.cg, &scratch) == 0;
                        berth_error_free(steal_pointer(&scratch));
                        if (!removed) {
                                struct timespec ts = {0, 10 * 1000 * 1000};
                                nanosleep(&ts, NULL);
                        }
                }
                if (!removed) {
                        r = berth_err(err, EBUSY, "removing the cgroup of `%s`", id);
                        goto out;
                }
        }
        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                r = berth_err(err, errno, "opening `%s`", root);
                goto out;
        }
        r = util_path_remove_tree(rootfd, id, err);
out:
        loaded_free(&l);
        return r < 0 ? r : 0;
}

int runtime_container_config(const char *root, const char *id, struct runtime_config **out,
                             struct berth_error **err)
{
        struct runtime_state *s = NULL;
        int r = state_load(root, id, &s, err);
        if (r < 0)
                return r;
        r = runtime_config_load(s->bundle, out, err);
        state_free(s);
        return r;
}

int runtime_container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
                           struct berth_error **err)
{
        struct loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                return r;
        if (l.cg) {
                r = runtime_cgroup_pids(l.cg, pids, n, err);
        } else {
                *n = 0;
                *pids = xcalloc(1, sizeof(pid_t));
                if (strcmp(state_status(l.s, NULL), "stopped") != 0)
                        (*pids)[(*n)++] = l.s->pid;
        }
        loaded_free(&l);
        return r < 0 ? r : 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int runtime_container_list(const char *root, char ***ids, struct berth_error **err)
{
        *ids = xcalloc(1, sizeof(char *));
        _cleanup_closedir_ DIR *d = opendir(root);
        if (d == NULL) {
                if (errno == ENOENT)
                        return 0;
                return berth_err(err, errno, "listing `%s`", root);
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                        continue;
                if (faccessat(dirfd(d), e->d_name, F_OK, 0) == 0) {
                        _cleanup_free_ char *p = xasprintf("%s/state.json", e->d_name);
                        if (faccessat(dirfd(d), p, F_OK, 0) == 0)
                                strv_append(ids, e->d_name);
                }
        }
        qsort(*ids, strv_len(*ids), sizeof(char *), cmp_str);
        return 0;
}

int runtime_container_pause(const char *root, const char *id, bool paused, struct berth_error **err)
{
        struct loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                return r;
        const char *status = state_status(l.s, l.cg);
        if (l.cg == NULL)
                r = berth_err(err, ENOTSUP, "container `%s` has no cgroup", id);
        else if (paused && strcmp(status, "running") != 0)
                r = berth_err(err, 0, "cannot pause container `%s`: it is %s", id, status);
        else if (!paused && strcmp(status, "paused") != 0)
                r = berth_err(err, 0, "cannot resume container `%s`: it is %s", id, status);
        else
                r = runtime_cgroup_freeze(l.cg, paused, err);
        loaded_free(&l);
        return r < 0 ? r : 0;
}

int runtime_container_update(const char *root, const char *id, json_t *resources,
                             struct berth_error **err)
{
        struct loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                return r;
        struct runtime_resources *res = NULL;
        if (l.cg == NULL)
                r = berth_err(err, ENOTSUP, "container `%s` has no cgroup", id);
        else if ((r = runtime_resources_parse(resources, &res, err)) == 0)
                r = runtime_cgroup_update(l.cg, res, err);
        runtime_resources_free(res);
        loaded_free(&l);
        return r < 0 ? r : 0;
}

int runtime_container_stats(const char *root, const char *id, struct runtime_container_stats *out,
                            struct berth_error **err)
{
        struct loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                return r;
        struct runtime_cgroup_stats st = {0};
        if (l.cg == NULL)
                r = berth_err(err, ENOTSUP, "container `%s` has no cgroup", id);
        else
                r = runtime_cgroup_stats(l.cg, &st, err);
        if (r >= 0) {
                out->memory_usage = st.memory_usage;
                out->memory_limit = st.memory_limit;
                out->memory_inactive_file = st.memory_inactive_file;
                out->cpu_usage_ns = st.cpu_usage_ns;
                out->pids_current = st.pids_current;
                out->pids_limit = st.pids_limit;
                out->io_read_bytes = st.io_read_bytes;
                out->io_write_bytes = st.io_write_bytes;
        }
        loaded_free(&l);
        return r < 0 ? r : 0;
}

int runtime_container_oom_killed(const char *root, const char *id, struct berth_error **err)
{
        struct loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                return r;
        r = l.cg != NULL ? runtime_cgroup_oom_killed(l.cg, err) : 0;
        loaded_free(&l);
        return r;
}
