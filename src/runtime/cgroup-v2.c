/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v2: controllers enabled down the tree, limits in the unified
 * files, the v2 freezer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char *const wanted[] = {"cpuset",  "cpu",  "io",   "memory", "pids",
                                     "hugetlb", "rdma", "misc", NULL};

static bool word_in(const char *list, const char *word)
{
        size_t len = strlen(word);
        for (const char *p = list; *p != '\0';) {
                p += strspn(p, " \n");
                size_t n = strcspn(p, " \n");
                if (n == len && strncmp(p, word, len) == 0)
                        return true;
                p += n;
        }
        return false;
}

/* Enable in dir's subtree_control every controller we use that dir has. */
static int enable_in(const char *dir, struct berth_error **err)
{
        _cleanup_free_ char *avail = NULL, *on = NULL, *all = xstrdup("");
        if (cgroup_read(dir, "cgroup.controllers", &avail, err) < 0 ||
            cgroup_read(dir, "cgroup.subtree_control", &on, err) < 0)
                return berth_err_ret(*err);
        for (const char *const *c = wanted; *c != NULL; c++) {
                if (avail == NULL || !word_in(avail, *c) || (on != NULL && word_in(on, *c)))
                        continue;
                char *next = xasprintf("%s%s+%s", all, *all ? " " : "", *c);
                free(all);
                all = next;
        }
        if (*all == '\0')
                return 0;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (cgroup_write(dir, "cgroup.subtree_control", all, &scratch) == 0)
                return 0;
        /* One controller can refuse (a cgroup with processes of its own,
         * cpu with realtime tasks...); enable the others one by one.  A
         * limit that needs a missing one fails later, naming its file. */
        for (const char *const *c = wanted; *c != NULL; c++) {
                _cleanup_error_ struct berth_error *one = NULL;
                _cleanup_free_ char *plus = xasprintf("+%s", *c);
                if (avail != NULL && word_in(avail, *c) &&
                    cgroup_write(dir, "cgroup.subtree_control", plus, &one) < 0)
                        log_debug("cgroup: cannot enable %s in %s: %s", *c, dir, one->msg);
        }
        return 0;
}

int cgroup_v2_enable_controllers(const char *mount, const char *path, struct berth_error **err)
{
        /* Each ancestor of the leaf, from the root down. */
        _cleanup_free_ char *dir = xstrdup(mount);
        for (const char *p = path + 1;;) {
                size_t len = strcspn(p, "/");
                if (enable_in(dir, err) < 0)
                        return berth_err_ret(*err);
                if (p[len] == '\0')
                        return 0;
                char *next = xasprintf("%s/%.*s", dir, (int)len, p);
                free(dir);
                dir = next;
                p += len + 1;
        }
}

static int write_max(const char *dir, const char *file, int64_t v, struct berth_error **err)
{
        if (v < 0)
                return cgroup_write(dir, file, "max", err);
        return cgroup_write_int(dir, file, v, err);
}

static int apply_memory(const char *d, const struct runtime_resources *res,
                        struct berth_error **err)
{
        if (res->memory_limit >= 0 && write_max(d, "memory.max", res->memory_limit, err) < 0)
                return berth_err_ret(*err);
        if (res->memory_reservation >= 0 &&
            cgroup_write_int(d, "memory.low", res->memory_reservation, err) < 0)
                return berth_err_ret(*err);
        if (res->memory_swap >= 0) {
                int64_t swap;
                if (cgroup_swap_to_v2(res->memory_limit, res->memory_swap, &swap, err) < 0)
                        return berth_err_ret(*err);
                if (!cgroup_has_file(d, "memory.swap.max"))
                        log_warn("memory+swap limit ignored: the kernel does not account swap");
                else if (write_max(d, "memory.swap.max", swap, err) < 0)
                        return berth_err_ret(*err);
        }
        if (res->memory_swappiness >= 0)
                log_warn("memory.swappiness is ignored on cgroup v2");
        if (res->disable_oom_killer)
                log_warn("memory.disableOOMKiller is ignored on cgroup v2");
        return 0;
}

static int apply_cpu(const char *d, const struct runtime_resources *res, struct berth_error **err)
{
        if (res->cpu_shares >= 0 &&
            cgroup_write_int(d, "cpu.weight", (int64_t)cgroup_shares_to_weight(res->cpu_shares),
                             err) < 0)
                return berth_err_ret(*err);
        if (res->cpu_quota != -1 || res->cpu_period >= 0) {
                char quota[24] = "max", buf[64];
                if (res->cpu_quota > 0)
                        snprintf(quota, sizeof(quota), "%" PRId64, res->cpu_quota);
                snprintf(buf, sizeof(buf), "%s %" PRId64, quota,
                         res->cpu_period > 0 ? res->cpu_period : 100000);
                if (cgroup_write(d, "cpu.max", buf, err) < 0)
                        return berth_err_ret(*err);
        }
        if (res->cpu_burst >= 0 && cgroup_write_int(d, "cpu.max.burst", res->cpu_burst, err) < 0)
                return berth_err_ret(*err);
        if (res->cpu_idle >= 0 && cgroup_write_int(d, "cpu.idle", res->cpu_idle, err) < 0)
                return berth_err_ret(*err);
        if (res->cpu_realtime_runtime != -1 || res->cpu_realtime_period >= 0)
                return berth_err(err, EOPNOTSUPP,
                                 "cpu.realtimeRuntime/realtimePeriod are not supported on "
                                 "cgroup v2");
        if (res->cpu_cpus != NULL && cgroup_write(d, "cpuset.cpus", res->cpu_cpus, err) < 0)
                return berth_err_ret(*err);
        if (res->cpu_mems != NULL && cgroup_write(d, "cpuset.mems", res->cpu_mems, err) < 0)
                return berth_err_ret(*err);
        return 0;
}

static int apply_unified(const char *d, const struct runtime_resources *res,
                         struct berth_error **err)
{
        for (size_t i = 0; res->unified_keys != NULL && res->unified_keys[i] != NULL; i++) {
                const char *k = res->unified_keys[i];
                if (!cgroup_has_file(d, k))
                        return berth_err(err, ENOENT,
                                         "linux.resources.unified: `%s` is not a file of cgroup "
                                         "`%s` (unknown, or its controller is not enabled)",
                                         k, d);
                if (cgroup_write(d, k, res->unified_values[i], err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

int cgroup_v2_apply_hugetlb(const char *d, const struct runtime_resources *res,
                            struct berth_error **err)
{
        for (size_t i = 0; i < res->n_hugepage_limits; i++) {
                _cleanup_free_ char *file =
                    xasprintf("hugetlb.%s.max", res->hugepage_limits[i].page_size);
                if (!cgroup_has_file(d, file))
                        return berth_err(err, EOPNOTSUPP,
                                         "hugepageLimits: no `%s` in `%s` (page size not "
                                         "supported, or hugetlb not enabled)",
                                         file, d);
                if (cgroup_write_int(d, file, res->hugepage_limits[i].limit, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int apply_io_devices(const char *d, const struct runtime_resources *res,
                            struct berth_error **err)
{
        static const char *const keys[RUNTIME_THROTTLE_N] = {"rbps", "wbps", "riops", "wiops"};
        char buf[96];
        bool bfq = cgroup_has_file(d, "io.bfq.weight");
        for (size_t i = 0; i < res->n_blkio_weight_device; i++) {
                const struct runtime_blkio_device *x = &res->blkio_weight_device[i];
                snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, x->major, x->minor,
                         bfq ? (uint64_t)x->value : cgroup_blkio_to_io_weight(x->value));
                if (cgroup_write(d, bfq ? "io.bfq.weight" : "io.weight", buf, err) < 0)
                        return berth_err_ret(*err);
        }
        /* io.max takes one key at a time; 0 (no limit in the spec) is "max". */
        for (size_t t = 0; t < RUNTIME_THROTTLE_N; t++)
                for (size_t i = 0; i < res->n_blkio_throttle[t]; i++) {
                        const struct runtime_blkio_device *x = &res->blkio_throttle[t][i];
                        char rate[24] = "max";
                        if (x->value > 0)
                                snprintf(rate, sizeof(rate), "%" PRId64, x->value);
                        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=%s", x->major,
                                 x->minor, keys[t], rate);
                        if (cgroup_write(d, "io.max", buf, err) < 0)
                                return berth_err_ret(*err);
                }
        return 0;
}

int cgroup_v2_apply(const char *d, const struct runtime_resources *res, bool unified_only,
                    struct berth_error **err)
{
        if (unified_only)
                return apply_unified(d, res, err);
        if (apply_memory(d, res, err) < 0 || apply_cpu(d, res, err) < 0)
                return berth_err_ret(*err);
        if (res->pids_limit > 0 && cgroup_write_int(d, "pids.max", res->pids_limit, err) < 0)
                return berth_err_ret(*err);
        if (res->blkio_weight > 0) {
                /* BFQ takes the v1 range as is; io.weight has its own. */
                int r = cgroup_has_file(d, "io.bfq.weight")
                            ? cgroup_write_int(d, "io.bfq.weight", res->blkio_weight, err)
                            : cgroup_write_int(
                                  d, "io.weight",
                                  (int64_t)cgroup_blkio_to_io_weight(res->blkio_weight), err);
                if (r < 0)
                        return r;
        }
        if (apply_io_devices(d, res, err) < 0 || cgroup_v2_apply_hugetlb(d, res, err) < 0)
                return berth_err_ret(*err);
        if (res->n_devices > 0 && cgroup_v2_devices_apply(d, res->devices, res->n_devices, err) < 0)
                return berth_err_ret(*err);
        return apply_unified(d, res, err);
}

int cgroup_v2_is_frozen(const char *dir, struct berth_error **err)
{
        uint64_t v = 0;
        int r = cgroup_read_keyed(dir, "cgroup.events", "frozen", &v, err);
        if (r < 0)
                return r;
        return v == 1;
}

int cgroup_v2_freeze(const char *dir, bool frozen, struct berth_error **err)
{
        if (cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
                return berth_err_ret(*err);
        /* The write only asks: cgroup.events says when every task stopped. */
        for (int i = 0; i < 1000; i++) {
                int r = cgroup_v2_is_frozen(dir, err);
                if (r < 0)
                        return r;
                if (r == frozen)
                        return 0;
                struct timespec ts = {0, (i < 10 ? 1 : 10) * 1000000L};
                nanosleep(&ts, NULL);
        }
        if (frozen) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                cgroup_write(dir, "cgroup.freeze", "0", &scratch);
        }
        return berth_err(err, ETIMEDOUT, "`%s` did not become %s", dir,
                         frozen ? "frozen" : "thawed");
}
