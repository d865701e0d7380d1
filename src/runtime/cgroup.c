/* SPDX-License-Identifier: Apache-2.0 */
/* A container's cgroup across the host's hierarchies: create, enter,
 * save/load, destroy.  Per-version details are in cgroup-v1.c and
 * cgroup-v2.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

static void hier_clear(struct cgroup_hier *h)
{
        free(h->name);
        free(h->mount);
        free(h->path);
        free(h->dir);
}

void runtime_cgroup_free(struct runtime_cgroup *cg)
{
        if (cg == NULL)
                return;
        for (size_t i = 0; i < cg->n; i++)
                hier_clear(&cg->h[i]);
        free(cg->h);
        free(cg);
}

static bool name_has(const char *list, const char *controller)
{
        size_t len = strlen(controller);
        for (const char *p = list; *p != '\0';) {
                size_t n = strcspn(p, ",");
                if (n == len && strncmp(p, controller, len) == 0)
                        return true;
                p += n;
                if (*p == ',')
                        p++;
        }
        return false;
}

const struct cgroup_hier *cgroup_v1_hier(const struct runtime_cgroup *cg, const char *controller)
{
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].v2 && name_has(cg->h[i].name, controller))
                        return &cg->h[i];
        return NULL;
}

const struct cgroup_hier *cgroup_v2_hier(const struct runtime_cgroup *cg)
{
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2)
                        return &cg->h[i];
        return NULL;
}

/* Hybrid hosts where systemd kept only its name=systemd tree in v1 have
 * every real controller in the unified tree: resources go there. */
static bool resources_on_v2(const struct runtime_cgroup *cg)
{
        if (cg->layout == CGROUP_LAYOUT_V2)
                return true;
        return cg->layout == CGROUP_LAYOUT_HYBRID && cgroup_v1_hier(cg, "memory") == NULL &&
               cgroup_v1_hier(cg, "cpu") == NULL && cgroup_v1_hier(cg, "pids") == NULL;
}

/* The caller's own cgroup in hierarchy m, from /proc/self/cgroup (for a
 * relative cgroupsPath, which runc resolves against it). */
static int own_cgroup(const struct cgroup_mount *m, char **out, struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (util_file_read(AT_FDCWD, "/proc/self/cgroup", &text, &len, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *first = xstrndup(m->name, strcspn(m->name, ","));
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
                if (c2 == NULL)
                        continue;
                *c1 = *c2 = '\0';
                /* v2 is "0::/path"; v1 "N:ctrl,ctrl:/path". */
                bool match =
                    m->v2 ? strcmp(line, "0") == 0 && c1[1] == '\0' : name_has(c1 + 1, first);
                if (match) {
                        *out = xstrdup(strcmp(c2 + 1, "/") == 0 ? "" : c2 + 1);
                        return 0;
                }
        }
        return berth_err(err, ENOENT, "hierarchy `%s` is not in /proc/self/cgroup", m->name);
}

/* Remove the directories of h that we made, deepest first. */
static void hier_rollback(struct cgroup_hier *h)
{
        _cleanup_free_ char *dir = xstrdup(h->dir);
        for (; h->created > 0; h->created--) {
                if (rmdir(dir) < 0 && errno != ENOENT)
                        return;
                *strrchr(dir, '/') = '\0';
        }
}

static int procs_empty(const char *dir, struct berth_error **err)
{
        _cleanup_free_ char *procs = NULL;
        int r = cgroup_read(dir, "cgroup.procs", &procs, err);
        if (r < 0)
                return r;
        return r == 0 || procs[0] == '\0';
}

/* mkdir each missing component of h->path below h->mount, counting what we
 * made so a failure removes exactly that; v1 cpuset children start with
 * no cpus or mems, so each new level copies its parent's. */
static int hier_make(struct cgroup_hier *h, struct berth_error **err)
{
        _cleanup_free_ char *dir = xstrdup(h->mount);
        size_t depth = 0, existing = 0;
        for (const char *p = h->path + 1; *p != '\0';) {
                size_t len = strcspn(p, "/");
                char *next = xasprintf("%s/%.*s", dir, (int)len, p);
                free(dir);
                dir = next;
                depth++;
                if (mkdir(dir, 0755) == 0) {
                        h->created = depth - existing;
                } else if (errno == EEXIST && h->created == 0) {
                        existing = depth;
                } else {
                        return berth_err(err, errno, "creating cgroup `%s`", dir);
                }
                if (!h->v2 && name_has(h->name, "cpuset") &&
                    cgroup_v1_cpuset_fill(h->mount, dir + strlen(h->mount), err) < 0)
                        return berth_err_ret(*err);
                p += len;
                if (*p == '/')
                        p++;
        }
        if (h->created == 0) {
                /* Reusing an existing cgroup is fine only while it is empty:
                 * otherwise two containers would share limits and kill_all. */
                int r = procs_empty(h->dir, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        return berth_err(err, EBUSY, "cgroup `%s` exists and is in use", h->dir);
        }
        return 0;
}

static int apply(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                 struct berth_error **err)
{
        const struct cgroup_hier *v2 = cgroup_v2_hier(cg);
        if (res == NULL)
                return 0;
        if (resources_on_v2(cg))
                return cgroup_v2_apply(v2->dir, res, false, err);
        if (res->unified_keys != NULL && v2 == NULL)
                return berth_err(err, EOPNOTSUPP,
                                 "linux.resources.unified needs cgroup v2, and this host has v1");
        if (res->n_hugepage_limits > 0 && cgroup_v1_hier(cg, "hugetlb") == NULL && v2 == NULL)
                return berth_err(err, EOPNOTSUPP,
                                 "hugepageLimits is set but the hugetlb controller is not mounted");
        if (cgroup_v1_apply(cg, res, err) < 0)
                return berth_err_ret(*err);
        if (v2 != NULL && res->n_hugepage_limits > 0 && cgroup_v1_hier(cg, "hugetlb") == NULL &&
            cgroup_v2_apply_hugetlb(v2->dir, res, err) < 0)
                return berth_err_ret(*err);
        if (v2 != NULL && res->unified_keys != NULL)
                return cgroup_v2_apply(v2->dir, res, true, err);
        return 0;
}

static int read_mountinfo(enum cgroup_layout *layout, struct cgroup_mount **m, size_t *n,
                          struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (util_file_read(AT_FDCWD, "/proc/self/mountinfo", &text, &len, err) < 0)
                return berth_err_ret(*err);
        return cgroup_layout_parse(text, layout, m, n, err);
}

int runtime_cgroup_create(const char *cgroups_path, const char *id,
                          const struct runtime_resources *res, struct runtime_cgroup **out,
                          struct berth_error **err)
{
        _cleanup_free_ char *path = NULL, *given = NULL;
        struct cgroup_mount *mounts = NULL;
        size_t n_mounts = 0;
        _cleanup_cgroup_ struct runtime_cgroup *cg = xcalloc(1, sizeof(*cg));
        bool relative;

        if (cgroups_path == NULL || *cgroups_path == '\0') {
                if (id == NULL || *id == '\0' || strchr(id, '/') != NULL || strcmp(id, ".") == 0 ||
                    strcmp(id, "..") == 0)
                        return berth_err(err, EINVAL, "cgroup: invalid container id `%s`",
                                         id != NULL ? id : "");
                given = xasprintf("/berth/%s", id);
        } else {
                /* systemd's "slice:prefix:name" (containerd and kubelet with
                 * the systemd driver): the same directories systemd would
                 * make, managed here through cgroupfs. */
                if (strchr(cgroups_path, ':') != NULL && cgroups_path[0] != '/') {
                        if (cgroup_path_from_systemd(cgroups_path, &given, err) < 0)
                                return berth_err_ret(*err);
                } else {
                        given = xstrdup(cgroups_path);
                }
        }
        relative = given[0] != '/';
        if (cgroup_path_normalize(given, &path, err) < 0)
                return berth_err_ret(*err);
        if (read_mountinfo(&cg->layout, &mounts, &n_mounts, err) < 0)
                return berth_err_ret(*err);

        bool v2_needed = res != NULL && res->unified_keys != NULL;
        bool v1_hugetlb = false, v1_main = false;
        for (size_t i = 0; i < n_mounts; i++) {
                v1_hugetlb |= !mounts[i].v2 && name_has(mounts[i].name, "hugetlb");
                v1_main |= !mounts[i].v2 &&
                           (name_has(mounts[i].name, "memory") || name_has(mounts[i].name, "cpu") ||
                            name_has(mounts[i].name, "pids"));
        }
        v2_needed |= !v1_main || (res != NULL && res->n_hugepage_limits > 0 && !v1_hugetlb);

        cg->h = xcalloc(n_mounts, sizeof(*cg->h));
        for (size_t i = 0; i < n_mounts; i++) {
                struct cgroup_hier *h = &cg->h[i];
                _cleanup_free_ char *base = NULL;
                if (relative && own_cgroup(&mounts[i], &base, err) < 0) {
                        goto fail;
                }
                h->name = steal_pointer(&mounts[i].name);
                h->mount = steal_pointer(&mounts[i].mount);
                h->v2 = mounts[i].v2;
                h->path = xasprintf("%s%s", base != NULL ? base : "", path);
                h->dir = xasprintf("%s%s", h->mount, h->path);
                cg->n++;
                if (hier_make(h, err) < 0) {
                        goto fail;
                }
                /* On hybrid the unified tree holds no controller we use
                 * unless the config names its files or needs its hugetlb. */
                if (h->v2 && (cg->layout == CGROUP_LAYOUT_V2 || v2_needed) &&
                    cgroup_v2_enable_controllers(h->mount, h->path, err) < 0) {
                        goto fail;
                }
        }
        if (apply(cg, res, err) < 0) {
                goto fail;
        }
        cgroup_mounts_free(mounts, n_mounts);
        *out = steal_pointer(&cg);
        return 0;

fail:
        /* Nothing of a failed create may stay behind. */
        for (size_t i = 0; i < cg->n; i++)
                hier_rollback(&cg->h[i]);
        cgroup_mounts_free(mounts, n_mounts);
        return berth_err_wrap(err, "creating cgroup %s", path);
}

json_t *runtime_cgroup_save(const struct runtime_cgroup *cg)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < cg->n; i++)
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "name", cg->h[i].name,
                                                     "mount", cg->h[i].mount, "path", cg->h[i].path,
                                                     "v2", cg->h[i].v2));
        return json_pack("{s:s, s:o}", "layout", cgroup_layout_name(cg->layout), "hierarchies",
                         arr);
}

static int load_hier(json_t *j, struct cgroup_hier *h, struct berth_error **err)
{
        const char *name, *mount, *path;
        int v2;
        _cleanup_free_ char *norm = NULL;
        if (json_unpack(j, "{s:s, s:s, s:s, s:b}", "name", &name, "mount", &mount, "path", &path,
                        "v2", &v2) < 0)
                return berth_err(err, EINVAL, "saved cgroup: malformed hierarchy");
        if (mount[0] != '/' || strstr(mount, "..") != NULL)
                return berth_err(err, EINVAL, "saved cgroup: bad mount `%s`", mount);
        if (cgroup_path_normalize(path, &norm, err) < 0)
                return berth_err_wrap(err, "saved cgroup");
        /* kill_all and destroy act on whatever cgroup.procs lists: an
         * edited state.json must not point them at a plain directory
         * with a file of host pids in it. */
        struct statfs sfs;
        if (statfs(mount, &sfs) < 0)
                return berth_err(err, errno, "saved cgroup: mount `%s`", mount);
        if (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)
                return berth_err(err, EINVAL, "saved cgroup: `%s` is not a cgroup file system",
                                 mount);
        h->name = xstrdup(name);
        h->mount = xstrdup(mount);
        h->path = steal_pointer(&norm);
        h->dir = xasprintf("%s%s", h->mount, h->path);
        h->v2 = v2;
        return 0;
}

int runtime_cgroup_load(json_t *saved, struct runtime_cgroup **out, struct berth_error **err)
{
        _cleanup_cgroup_ struct runtime_cgroup *cg = xcalloc(1, sizeof(*cg));
        const char *layout;
        json_t *arr, *j;
        size_t i;
        if (json_unpack(saved, "{s:s, s:o}", "layout", &layout, "hierarchies", &arr) < 0 ||
            !json_is_array(arr) || cgroup_layout_from_name(layout, &cg->layout) < 0)
                return berth_err(err, EINVAL, "saved cgroup: malformed description");
        cg->h = xcalloc(json_array_size(arr) + 1, sizeof(*cg->h));
        json_array_foreach(arr, i, j)
        {
                if (load_hier(j, &cg->h[i], err) < 0)
                        return berth_err_ret(*err);
                cg->n++;
        }
        *out = steal_pointer(&cg);
        return 0;
}

int runtime_cgroup_entry_open(const struct runtime_cgroup *cg, struct runtime_cgroup_entry *e,
                              struct berth_error **err)
{
        e->tasks = xcalloc(cg->n + 1, sizeof(*e->tasks));
        e->n = 0;
        e->v2_dir = -1;
        for (size_t i = 0; i < cg->n; i++) {
                const struct cgroup_hier *h = &cg->h[i];
                _cleanup_free_ char *p = h->v2 ? xstrdup(h->dir) : xasprintf("%s/tasks", h->dir);
                int fd = h->v2 ? open(p, O_PATH | O_DIRECTORY | O_CLOEXEC)
                               : open(p, O_WRONLY | O_CLOEXEC);
                if (fd < 0) {
                        int e2 = errno;
                        runtime_cgroup_entry_close(e);
                        return berth_err(err, e2, "opening `%s`", p);
                }
                if (h->v2)
                        e->v2_dir = fd;
                else
                        e->tasks[e->n++] = fd;
        }
        return 0;
}

int runtime_cgroup_entry_join(const struct runtime_cgroup_entry *e)
{
        for (size_t i = 0; i < e->n; i++)
                if (write(e->tasks[i], "0", 1) != 1)
                        return -errno;
        return 0;
}

void runtime_cgroup_entry_close(struct runtime_cgroup_entry *e)
{
        for (size_t i = 0; i < e->n; i++)
                close(e->tasks[i]);
        free(e->tasks);
        if (e->v2_dir >= 0)
                close(e->v2_dir);
        e->tasks = NULL;
        e->n = 0;
        e->v2_dir = -1;
}

int runtime_cgroup_enter(const struct runtime_cgroup *cg, pid_t pid, struct berth_error **err)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (size_t i = 0; i < cg->n; i++)
                if (cgroup_write(cg->h[i].dir, "cgroup.procs", buf, err) < 0)
                        return berth_err_wrap(err, "moving pid %d into its cgroup", (int)pid);
        return 0;
}

int runtime_cgroup_update(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                          struct berth_error **err)
{
        if (apply(cg, res, err) < 0)
                return berth_err_wrap(err, "updating cgroup %s", cg->n > 0 ? cg->h[0].path : "");
        return 0;
}

/* Where freezing happens: the v1 freezer or the v2 tree. */
static int freezer_of(const struct runtime_cgroup *cg, const struct cgroup_hier **h,
                      struct berth_error **err)
{
        if (cg->layout != CGROUP_LAYOUT_V2 && (*h = cgroup_v1_hier(cg, "freezer")) != NULL)
                return 1;
        if ((*h = cgroup_v2_hier(cg)) != NULL && cgroup_has_file((*h)->dir, "cgroup.freeze"))
                return 2;
        return berth_err(err, EOPNOTSUPP, "no cgroup freezer on this host");
}

int runtime_cgroup_freeze(const struct runtime_cgroup *cg, bool frozen, struct berth_error **err)
{
        const struct cgroup_hier *h;
        int kind = freezer_of(cg, &h, err);
        if (kind < 0)
                return kind;
        if ((kind == 1 ? cgroup_v1_freeze(h->dir, frozen, err)
                       : cgroup_v2_freeze(h->dir, frozen, err)) < 0)
                return berth_err_wrap(err, "%s cgroup %s", frozen ? "freezing" : "thawing",
                                      h->path);
        return 0;
}

int runtime_cgroup_is_frozen(const struct runtime_cgroup *cg, struct berth_error **err)
{
        const struct cgroup_hier *h;
        int kind = freezer_of(cg, &h, err);
        if (kind < 0)
                return kind;
        return kind == 1 ? cgroup_v1_is_frozen(h->dir, err) : cgroup_v2_is_frozen(h->dir, err);
}

void runtime_cgroup_mounts_free(struct runtime_cgroup_mount *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(m[i].name);
                free(m[i].host_dir);
        }
        free(m);
}

int runtime_cgroup_mounts(const struct runtime_cgroup *cg, struct runtime_cgroup_mount **out,
                          size_t *n, struct berth_error **err)
{
        struct runtime_cgroup_mount *m = xcalloc(cg->n + 1, sizeof(*m));
        for (size_t i = 0; i < cg->n; i++) {
                m[i].name = xstrdup(cg->h[i].name);
                m[i].host_dir = xstrdup(cg->h[i].dir);
        }
        *out = m;
        *n = cg->n;
        return 0;
}

int runtime_cgroup_oom_killed(const struct runtime_cgroup *cg, struct berth_error **err)
{
        const struct cgroup_hier *h;
        uint64_t kills = 0;
        int r;
        if (resources_on_v2(cg)) {
                h = cgroup_v2_hier(cg);
                r = cgroup_read_keyed(h->dir, "memory.events", "oom_kill", &kills, err);
        } else if ((h = cgroup_v1_hier(cg, "memory")) != NULL) {
                /* oom_kill is there from Linux 4.13. */
                r = cgroup_read_keyed(h->dir, "memory.oom_control", "oom_kill", &kills, err);
        } else {
                return 0;
        }
        if (r < 0)
                return r;
        return kills > 0;
}

/* Bytes read and written, summed over devices: v1's
 * blkio.throttle.io_service_bytes ("8:0 Read N") or v2's io.stat
 * ("8:0 rbytes=N wbytes=N ..."). */
static int io_bytes(const char *dir, bool v2, struct runtime_cgroup_stats *out,
                    struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read(dir, v2 ? "io.stat" : "blkio.throttle.io_service_bytes", &text, err);
        if (r <= 0)
                return r;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char op[16];
                unsigned long long n;
                const char *p;
                if (v2) {
                        if ((p = strstr(line, "rbytes=")) != NULL)
                                out->io_read_bytes += strtoull(p + 7, NULL, 10);
                        if ((p = strstr(line, "wbytes=")) != NULL)
                                out->io_write_bytes += strtoull(p + 7, NULL, 10);
                } else if (sscanf(line, "%*u:%*u %15s %llu", op, &n) == 2) {
                        if (strcmp(op, "Read") == 0)
                                out->io_read_bytes += n;
                        else if (strcmp(op, "Write") == 0)
                                out->io_write_bytes += n;
                }
        }
        return 0;
}

int runtime_cgroup_stats(const struct runtime_cgroup *cg, struct runtime_cgroup_stats *out,
                         struct berth_error **err)
{
        const struct cgroup_hier *h;
        *out = (struct runtime_cgroup_stats){0};
        if (resources_on_v2(cg)) {
                const char *d = cgroup_v2_hier(cg)->dir;
                uint64_t usec = 0;
                if (cgroup_read_u64(d, "memory.current", &out->memory_usage, err) < 0 ||
                    cgroup_read_u64(d, "memory.max", &out->memory_limit, err) < 0 ||
                    cgroup_read_keyed(d, "cpu.stat", "usage_usec", &usec, err) < 0 ||
                    cgroup_read_u64(d, "pids.current", &out->pids_current, err) < 0 ||
                    cgroup_read_u64(d, "pids.max", &out->pids_limit, err) < 0 ||
                    cgroup_read_keyed(d, "memory.stat", "inactive_file", &out->memory_inactive_file,
                                      err) < 0 ||
                    io_bytes(d, true, out, err) < 0)
                        return berth_err_ret(*err);
                out->cpu_usage_ns = usec * 1000;
                return 0;
        }
        if ((h = cgroup_v1_hier(cg, "memory")) != NULL &&
            (cgroup_read_u64(h->dir, "memory.usage_in_bytes", &out->memory_usage, err) < 0 ||
             cgroup_read_u64(h->dir, "memory.limit_in_bytes", &out->memory_limit, err) < 0 ||
             cgroup_read_keyed(h->dir, "memory.stat", "total_inactive_file",
                               &out->memory_inactive_file, err) < 0))
                return berth_err_ret(*err);
        /* v1 says "unlimited" with a huge page-aligned number. */
        if (out->memory_limit >= (UINT64_C(1) << 62))
                out->memory_limit = 0;
        if ((h = cgroup_v1_hier(cg, "cpuacct")) != NULL &&
            cgroup_read_u64(h->dir, "cpuacct.usage", &out->cpu_usage_ns, err) < 0)
                return berth_err_ret(*err);
        if ((h = cgroup_v1_hier(cg, "pids")) != NULL &&
            (cgroup_read_u64(h->dir, "pids.current", &out->pids_current, err) < 0 ||
             cgroup_read_u64(h->dir, "pids.max", &out->pids_limit, err) < 0))
                return berth_err_ret(*err);
        if ((h = cgroup_v1_hier(cg, "blkio")) != NULL && io_bytes(h->dir, false, out, err) < 0)
                return berth_err_ret(*err);
        return 0;
}
