/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v1: limits as per-controller files, the freezer, cpuset setup. */
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

int cgroup_v1_cpuset_fill(const char *mount, const char *path, struct berth_error **err)
{
        /* A new v1 cpuset has empty cpus and mems, and a task cannot join a
         * cpuset with either empty: copy the parent's (which, being filled
         * the same way from the top, are never empty). */
        _cleanup_free_ char *dir = xasprintf("%s%s", mount, path);
        _cleanup_free_ char *parent = xstrdup(dir);
        *strrchr(parent, '/') = '\0';
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *mine = NULL, *theirs = NULL;
                if (cgroup_read(dir, files[i], &mine, err) < 0)
                        return berth_err_ret(*err);
                if (mine != NULL && *mine != '\0')
                        continue;
                if (cgroup_read(parent, files[i], &theirs, err) < 0)
                        return berth_err_ret(*err);
                if (theirs != NULL && *theirs != '\0' &&
                    cgroup_write(dir, files[i], theirs, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int need(const struct runtime_cgroup *cg, const char *controller, const char *what,
                const struct cgroup_hier **h, struct berth_error **err)
{
        if ((*h = cgroup_v1_hier(cg, controller)) == NULL)
                return berth_err(err, EOPNOTSUPP,
                                 "%s is set but the %s cgroup controller is not mounted", what,
                                 controller);
        return 0;
}

static int apply_memory(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                        struct berth_error **err)
{
        const struct cgroup_hier *h;
        if (res->memory_limit < 0 && res->memory_reservation < 0 && res->memory_swap < 0 &&
            res->memory_swappiness < 0 && !res->disable_oom_killer)
                return 0;
        if (need(cg, "memory", "a memory limit", &h, err) < 0)
                return berth_err_ret(*err);
        const char *d = h->dir;

        if (res->memory_swap >= 0 && res->memory_limit < 0)
                return berth_err(err, EINVAL, "memory.swap is set but memory.limit is not");
        bool memsw = res->memory_swap >= 0 && cgroup_has_file(d, "memory.memsw.limit_in_bytes");
        if (res->memory_swap >= 0 && !memsw)
                log_warn("memory+swap limit ignored: the kernel does not account swap "
                         "(swapaccount=0)");
        if (res->memory_limit >= 0) {
                /* memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes
                 * at every instant: when raising both, memsw goes first. */
                _cleanup_error_ struct berth_error *first = NULL;
                if (cgroup_write_int(d, "memory.limit_in_bytes", res->memory_limit, &first) < 0) {
                        if (!memsw || berth_err_ret(first) != -EINVAL)
                                return berth_err(err, first->code, "%s", first->msg);
                        if (cgroup_write_int(d, "memory.memsw.limit_in_bytes", res->memory_swap,
                                             err) < 0 ||
                            cgroup_write_int(d, "memory.limit_in_bytes", res->memory_limit, err) <
                                0)
                                return berth_err_ret(*err);
                } else if (memsw && cgroup_write_int(d, "memory.memsw.limit_in_bytes",
                                                     res->memory_swap, err) < 0) {
                        return berth_err_ret(*err);
                }
        }
        if (res->memory_reservation >= 0 &&
            cgroup_write_int(d, "memory.soft_limit_in_bytes", res->memory_reservation, err) < 0)
                return berth_err_ret(*err);
        if (res->memory_swappiness >= 0 &&
            cgroup_write_int(d, "memory.swappiness", res->memory_swappiness, err) < 0)
                return berth_err_ret(*err);
        if (res->disable_oom_killer && cgroup_write(d, "memory.oom_control", "1", err) < 0)
                return berth_err_ret(*err);
        return 0;
}

static int apply_cpu(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                     struct berth_error **err)
{
        const struct cgroup_hier *h;
        if (res->cpu_shares >= 0 || res->cpu_quota != -1 || res->cpu_period >= 0 ||
            res->cpu_realtime_period >= 0 || res->cpu_realtime_runtime != -1 ||
            res->cpu_burst >= 0 || res->cpu_idle >= 0) {
                if (need(cg, "cpu", "a cpu limit", &h, err) < 0)
                        return berth_err_ret(*err);
                const char *d = h->dir;
                if (res->cpu_shares >= 0 &&
                    cgroup_write_int(d, "cpu.shares", res->cpu_shares, err) < 0)
                        return berth_err_ret(*err);
                /* Period before quota: the kernel checks the quota against
                 * the period already in place. */
                if (res->cpu_period >= 0 &&
                    cgroup_write_int(d, "cpu.cfs_period_us", res->cpu_period, err) < 0)
                        return berth_err_ret(*err);
                if (res->cpu_quota != -1 &&
                    cgroup_write_int(d, "cpu.cfs_quota_us", res->cpu_quota, err) < 0)
                        return berth_err_ret(*err);
                if (res->cpu_burst >= 0 &&
                    cgroup_write_int(d, "cpu.cfs_burst_us", res->cpu_burst, err) < 0)
                        return berth_err_ret(*err);
                if (res->cpu_idle >= 0 && cgroup_write_int(d, "cpu.idle", res->cpu_idle, err) < 0)
                        return berth_err_ret(*err);
                if (res->cpu_realtime_period >= 0 &&
                    cgroup_write_int(d, "cpu.rt_period_us", res->cpu_realtime_period, err) < 0)
                        return berth_err_ret(*err);
                if (res->cpu_realtime_runtime != -1 &&
                    cgroup_write_int(d, "cpu.rt_runtime_us", res->cpu_realtime_runtime, err) < 0)
                        return berth_err_ret(*err);
        }
        if (res->cpu_cpus != NULL || res->cpu_mems != NULL) {
                if (need(cg, "cpuset", "cpu.cpus/mems", &h, err) < 0)
                        return berth_err_ret(*err);
                if (res->cpu_cpus != NULL &&
                    cgroup_write(h->dir, "cpuset.cpus", res->cpu_cpus, err) < 0)
                        return berth_err_ret(*err);
                if (res->cpu_mems != NULL &&
                    cgroup_write(h->dir, "cpuset.mems", res->cpu_mems, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static bool full_access(const char *a)
{
        return strchr(a, 'r') != NULL && strchr(a, 'w') != NULL && strchr(a, 'm') != NULL;
}

static int write_device_rule(const char *dir, const struct runtime_device_rule *d,
                             struct berth_error **err)
{
        const char *file = d->allow ? "devices.allow" : "devices.deny";
        char major[24] = "*", minor[24] = "*", rule[80];
        if (*d->access == '\0')
                return 0;
        /* The kernel reads a leading "a" as "every device, every access"
         * whatever follows, so a partial "a" rule is written per type. */
        if (d->type == 'a' && d->major < 0 && d->minor < 0 && full_access(d->access))
                return cgroup_write(dir, file, "a", err);
        if (d->major >= 0)
                snprintf(major, sizeof(major), "%" PRId64, d->major);
        if (d->minor >= 0)
                snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
        for (const char *t = d->type == 'a' ? "cb" : (d->type == 'c' ? "c" : "b"); *t; t++) {
                snprintf(rule, sizeof(rule), "%c %s:%s %s", *t, major, minor, d->access);
                if (cgroup_write(dir, file, rule, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int apply_devices(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                         struct berth_error **err)
{
        const struct cgroup_hier *h;
        if (res->n_devices == 0)
                return 0;
        if (need(cg, "devices", "a device rule", &h, err) < 0)
                return berth_err_ret(*err);
        /* Written in order, the v1 list ends in the state runc's emulation
         * computes: a leading "deny all" empties it, each allow then opens
         * one hole. */
        for (size_t i = 0; i < res->n_devices; i++) {
                const struct runtime_device_rule *d = &res->devices[i];
                if (write_device_rule(h->dir, d, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int apply_blkio_devices(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                               struct berth_error **err)
{
        static const char *const throttle_files[RUNTIME_THROTTLE_N] = {
            "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
            "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
        const struct cgroup_hier *h = NULL;
        char buf[96];
        bool any = res->n_blkio_weight_device > 0;
        for (size_t t = 0; t < RUNTIME_THROTTLE_N; t++)
                any |= res->n_blkio_throttle[t] > 0;
        if (!any)
                return 0;
        if (need(cg, "blkio", "a blockIO device limit", &h, err) < 0)
                return berth_err_ret(*err);
        if (res->n_blkio_weight_device > 0) {
                const char *file =
                    cgroup_has_file(h->dir, "blkio.weight_device")       ? "blkio.weight_device"
                    : cgroup_has_file(h->dir, "blkio.bfq.weight_device") ? "blkio.bfq.weight_device"
                                                                         : NULL;
                if (file == NULL)
                        return berth_err(err, EOPNOTSUPP,
                                         "blockIO.weightDevice is set but the I/O scheduler has "
                                         "no per-device weights");
                for (size_t i = 0; i < res->n_blkio_weight_device; i++) {
                        const struct runtime_blkio_device *d = &res->blkio_weight_device[i];
                        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, d->major,
                                 d->minor, d->value);
                        if (cgroup_write(h->dir, file, buf, err) < 0)
                                return berth_err_ret(*err);
                }
        }
        /* A rate of 0 removes the device's limit, on v1 as in the spec. */
        for (size_t t = 0; t < RUNTIME_THROTTLE_N; t++)
                for (size_t i = 0; i < res->n_blkio_throttle[t]; i++) {
                        const struct runtime_blkio_device *d = &res->blkio_throttle[t][i];
                        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, d->major,
                                 d->minor, d->value);
                        if (cgroup_write(h->dir, throttle_files[t], buf, err) < 0)
                                return berth_err_ret(*err);
                }
        return 0;
}

int cgroup_v1_apply(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                    struct berth_error **err)
{
        const struct cgroup_hier *h;
        if (apply_memory(cg, res, err) < 0 || apply_cpu(cg, res, err) < 0)
                return berth_err_ret(*err);
        if (res->pids_limit > 0) {
                if (need(cg, "pids", "pids.limit", &h, err) < 0 ||
                    cgroup_write_int(h->dir, "pids.max", res->pids_limit, err) < 0)
                        return berth_err_ret(*err);
        }
        if (res->blkio_weight > 0) {
                if (need(cg, "blkio", "blockIO.weight", &h, err) < 0)
                        return berth_err_ret(*err);
                const char *file = cgroup_has_file(h->dir, "blkio.weight") ? "blkio.weight"
                                   : cgroup_has_file(h->dir, "blkio.bfq.weight")
                                       ? "blkio.bfq.weight"
                                       : NULL;
                if (file == NULL)
                        return berth_err(err, EOPNOTSUPP,
                                         "blockIO.weight is set but the I/O scheduler has no "
                                         "weights (no blkio.weight or blkio.bfq.weight)");
                if (cgroup_write_int(h->dir, file, res->blkio_weight, err) < 0)
                        return berth_err_ret(*err);
        }
        if (apply_blkio_devices(cg, res, err) < 0)
                return berth_err_ret(*err);
        /* hugetlb may live in the unified tree instead (cgroup.c sees to it). */
        if (res->n_hugepage_limits > 0 && (h = cgroup_v1_hier(cg, "hugetlb")) != NULL)
                for (size_t i = 0; i < res->n_hugepage_limits; i++) {
                        _cleanup_free_ char *file = xasprintf("hugetlb.%s.limit_in_bytes",
                                                              res->hugepage_limits[i].page_size);
                        if (cgroup_write_int(h->dir, file, res->hugepage_limits[i].limit, err) < 0)
                                return berth_err_ret(*err);
                }
        return apply_devices(cg, res, err);
}

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int cgroup_v1_is_frozen(const char *dir, struct berth_error **err)
{
        _cleanup_free_ char *state = NULL;
        int r = cgroup_read(dir, "freezer.state", &state, err);
        if (r <= 0)
                return r;
        return strcmp(state, "FROZEN") == 0;
}

int cgroup_v1_freeze(const char *dir, bool frozen, struct berth_error **err)
{
        const char *want = frozen ? "FROZEN" : "THAWED";
        /* FREEZING can stall on a task that is busy in the kernel; writing
         * FROZEN again retries it, as runc does.  Give up after ~10s and
         * thaw, so that a failed pause never leaves a container stuck. */
        for (int i = 0; i < 1000; i++) {
                _cleanup_free_ char *state = NULL;
                if (cgroup_write(dir, "freezer.state", want, err) < 0 ||
                    cgroup_read(dir, "freezer.state", &state, err) < 0)
                        return berth_err_ret(*err);
                if (state != NULL && strcmp(state, want) == 0)
                        return 0;
                sleep_ms(i < 10 ? 1 : 10);
        }
        if (frozen) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                cgroup_write(dir, "freezer.state", "THAWED", &scratch);
        }
        return berth_err(err, ETIMEDOUT, "`%s` did not become %s", dir, want);
}
