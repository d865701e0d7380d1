/* SPDX-License-Identifier: Apache-2.0 */
/* linux.resources of an OCI config into struct runtime_resources, and the
 * pure conversions between OCI (v1-style) values and cgroup v2 files. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

#define W "linux.resources."

/* The devices every container gets on top of its own rules, as runc
 * appends them: mknod of anything, and the basic character devices. */
static const struct {
        char type;
        int64_t major, minor;
        const char *access;
} default_devices[] = {
    {'c', -1, -1, "m"},   {'b', -1, -1, "m"}, {'c', 1, 3, "rwm"}, /* null */
    {'c', 1, 5, "rwm"},                                           /* zero */
    {'c', 1, 7, "rwm"},                                           /* full */
    {'c', 1, 8, "rwm"},                                           /* random */
    {'c', 1, 9, "rwm"},                                           /* urandom */
    {'c', 5, 0, "rwm"},                                           /* tty */
    {'c', 5, 1, "rwm"},                                           /* console */
    {'c', 5, 2, "rwm"},                                           /* ptmx */
    {'c', 136, -1, "rwm"}                                         /* pts */
};

void runtime_resources_free(struct runtime_resources *r)
{
        if (r == NULL)
                return;
        free(r->cpu_cpus);
        free(r->cpu_mems);
        for (size_t i = 0; i < r->n_devices; i++)
                free(r->devices[i].access);
        free(r->devices);
        strv_free(r->unified_keys);
        strv_free(r->unified_values);
        free(r->blkio_weight_device);
        for (size_t i = 0; i < RUNTIME_THROTTLE_N; i++)
                free(r->blkio_throttle[i]);
        for (size_t i = 0; i < r->n_hugepage_limits; i++)
                free(r->hugepage_limits[i].page_size);
        free(r->hugepage_limits);
        free(r);
}

struct runtime_resources *runtime_resources_new(void)
{
        struct runtime_resources *r = xcalloc(1, sizeof(*r));
        r->memory_limit = r->memory_reservation = r->memory_swap = -1;
        r->memory_swappiness = -1;
        r->cpu_shares = r->cpu_quota = r->cpu_period = -1;
        r->cpu_realtime_runtime = r->cpu_realtime_period = -1;
        r->cpu_burst = r->cpu_idle = -1;
        r->pids_limit = -1;
        r->blkio_weight = -1;
        return r;
}

void runtime_resources_add_device(struct runtime_resources *r, bool allow, char type, int64_t major,
                                  int64_t minor, const char *access)
{
        r->devices = xrealloc(r->devices, (r->n_devices + 1) * sizeof(*r->devices));
        r->devices[r->n_devices++] = (struct runtime_device_rule){.allow = allow,
                                                                  .type = type,
                                                                  .major = major,
                                                                  .minor = minor,
                                                                  .access = xstrdup(access)};
}

/* An integer field that is unset when absent, null or `unset_value`, and
 * otherwise at least `min`. */
static int get_int(json_t *obj, const char *key, const char *what, int64_t min, int64_t unset_value,
                   int64_t *out, struct berth_error **err)
{
        int64_t v;
        int r = util_json_int(obj, key, what, &v, err);
        if (r <= 0)
                return r;
        if (v == unset_value)
                return 0;
        if (v < min)
                return berth_err(err, EINVAL, "%s: must be >= %" PRId64 " (got %" PRId64 ")", what,
                                 min, v);
        *out = v;
        return 1;
}

/* cpuset lists: "0-3,5".  The kernel checks the numbers; this keeps
 * anything else (spaces, newlines that would split the write) out. */
static int get_cpuset_list(json_t *obj, const char *key, const char *what, char **out,
                           struct berth_error **err)
{
        int r = util_json_dup_string(obj, key, what, out, err);
        if (r <= 0)
                return r;
        if ((*out)[strspn(*out, "0123456789,-")] != '\0')
                return berth_err(err, EINVAL, "%s: not a list like \"0-3,5\"", what);
        return 1;
}

static int parse_memory(json_t *m, struct runtime_resources *r, struct berth_error **err)
{
        /* 0 means "not set" for the byte counts, as in runc; -1 is
         * unlimited, which is what an unset limit is on a new cgroup. */
        if (get_int(m, "limit", W "memory.limit", -1, 0, &r->memory_limit, err) < 0 ||
            get_int(m, "reservation", W "memory.reservation", -1, 0, &r->memory_reservation, err) <
                0 ||
            get_int(m, "swap", W "memory.swap", -1, 0, &r->memory_swap, err) < 0 ||
            get_int(m, "swappiness", W "memory.swappiness", 0, -1, &r->memory_swappiness, err) <
                0 ||
            util_json_bool(m, "disableOOMKiller", W "memory.disableOOMKiller",
                           &r->disable_oom_killer, err) < 0)
                return berth_err_ret(*err);
        if (r->memory_swappiness > 100)
                return berth_err(err, EINVAL,
                                 W "memory.swappiness: must be 0..100 (got %" PRId64 ")",
                                 r->memory_swappiness);
        if (r->memory_swap > 0 && r->memory_limit > 0 && r->memory_swap < r->memory_limit)
                return berth_err(err, EINVAL,
                                 W "memory.swap: memory+swap (%" PRId64
                                   ") must not be below memory.limit (%" PRId64 ")",
                                 r->memory_swap, r->memory_limit);
        return 0;
}

static int parse_cpu(json_t *c, struct runtime_resources *r, struct berth_error **err)
{
        if (get_int(c, "shares", W "cpu.shares", 0, 0, &r->cpu_shares, err) < 0 ||
            get_int(c, "quota", W "cpu.quota", -1, 0, &r->cpu_quota, err) < 0 ||
            get_int(c, "period", W "cpu.period", 0, 0, &r->cpu_period, err) < 0 ||
            get_int(c, "realtimeRuntime", W "cpu.realtimeRuntime", -1, 0, &r->cpu_realtime_runtime,
                    err) < 0 ||
            get_int(c, "realtimePeriod", W "cpu.realtimePeriod", 0, 0, &r->cpu_realtime_period,
                    err) < 0 ||
            get_int(c, "burst", W "cpu.burst", 0, INT64_MIN, &r->cpu_burst, err) < 0 ||
            get_int(c, "idle", W "cpu.idle", 0, INT64_MIN, &r->cpu_idle, err) < 0 ||
            get_cpuset_list(c, "cpus", W "cpu.cpus", &r->cpu_cpus, err) < 0 ||
            get_cpuset_list(c, "mems", W "cpu.mems", &r->cpu_mems, err) < 0)
                return berth_err_ret(*err);
        if (r->cpu_idle > 1)
                return berth_err(err, EINVAL, W "cpu.idle: must be 0 or 1 (got %" PRId64 ")",
                                 r->cpu_idle);
        /* The kernel's own bounds for periods: 1ms..1s. */
        if (r->cpu_period > 0 && (r->cpu_period < 1000 || r->cpu_period > 1000000))
                return berth_err(err, EINVAL,
                                 W "cpu.period: must be 1000..1000000 microseconds (got %" PRId64
                                   ")",
                                 r->cpu_period);
        if (r->cpu_quota > 0 && r->cpu_quota < 1000)
                return berth_err(err, EINVAL,
                                 W "cpu.quota: must be >= 1000 microseconds or -1 (got %" PRId64
                                   ")",
                                 r->cpu_quota);
        return 0;
}

static int parse_device(json_t *d, size_t i, struct runtime_resources *r, struct berth_error **err)
{
        _cleanup_free_ char *what = xasprintf(W "devices[%zu]", i);
        _cleanup_free_ char *w_allow = xasprintf("%s.allow", what);
        _cleanup_free_ char *w_type = xasprintf("%s.type", what);
        _cleanup_free_ char *w_major = xasprintf("%s.major", what);
        _cleanup_free_ char *w_minor = xasprintf("%s.minor", what);
        _cleanup_free_ char *w_access = xasprintf("%s.access", what);
        bool allow = false;
        const char *type = "a", *access = "rwm";
        int64_t major = -1, minor = -1;
        int k;

        if (!json_is_object(d))
                return berth_err(err, EINVAL, "%s: expected an object", what);
        k = util_json_bool(d, "allow", w_allow, &allow, err);
        if (k == 0)
                return berth_err(err, EINVAL, "%s: missing", w_allow);
        if (k < 0 || util_json_string(d, "type", w_type, &type, err) < 0 ||
            get_int(d, "major", w_major, -1, INT64_MIN, &major, err) < 0 ||
            get_int(d, "minor", w_minor, -1, INT64_MIN, &minor, err) < 0 ||
            util_json_string(d, "access", w_access, &access, err) < 0)
                return berth_err_ret(*err);
        if (strlen(type) != 1 || strchr("acb", type[0]) == NULL)
                return berth_err(err, EINVAL, "%s: `%s` is not one of a, c, b", w_type, type);
        if (access[strspn(access, "rwm")] != '\0')
                return berth_err(err, EINVAL, "%s: `%s` is not made of r, w, m", w_access, access);
        if (major > UINT32_MAX || minor > UINT32_MAX)
                return berth_err(err, EINVAL, "%s: device number out of range", what);
        runtime_resources_add_device(r, allow, type[0], major, minor, access);
        return 0;
}

static int parse_devices(json_t *arr, struct runtime_resources *r, struct berth_error **err)
{
        size_t i;
        json_t *d;
        json_array_foreach(arr, i, d)
        {
                if (parse_device(d, i, r, err) < 0)
                        return berth_err_ret(*err);
        }
        if (r->n_devices == 0)
                return 0;
        for (i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
                runtime_resources_add_device(r, true, default_devices[i].type,
                                             default_devices[i].major, default_devices[i].minor,
                                             default_devices[i].access);
        return 0;
}

/* A list of {major, minor, <value_key>} objects. */
static int parse_blkio_devices(json_t *arr, const char *what, const char *value_key, int64_t min,
                               int64_t max, struct runtime_blkio_device **out, size_t *n,
                               struct berth_error **err)
{
        size_t i;
        json_t *d;
        json_array_foreach(arr, i, d)
        {
                _cleanup_free_ char *w = xasprintf("%s[%zu]", what, i);
                _cleanup_free_ char *wmaj = xasprintf("%s.major", w);
                _cleanup_free_ char *wmin = xasprintf("%s.minor", w);
                _cleanup_free_ char *wval = xasprintf("%s.%s", w, value_key);
                struct runtime_blkio_device dev = {-1, -1, -1};
                if (!json_is_object(d))
                        return berth_err(err, EINVAL, "%s: expected an object", w);
                if (get_int(d, "major", wmaj, 0, INT64_MIN, &dev.major, err) < 0 ||
                    get_int(d, "minor", wmin, 0, INT64_MIN, &dev.minor, err) < 0 ||
                    get_int(d, value_key, wval, min, INT64_MIN, &dev.value, err) < 0)
                        return berth_err_ret(*err);
                if (dev.major < 0 || dev.minor < 0 || dev.value < 0)
                        return berth_err(err, EINVAL, "%s: major, minor and %s are required", w,
                                         value_key);
                if (dev.major > UINT32_MAX || dev.minor > UINT32_MAX || dev.value > max)
                        return berth_err(err, EINVAL, "%s: value out of range", w);
                *out = xrealloc(*out, (*n + 1) * sizeof(**out));
                (*out)[(*n)++] = dev;
        }
        return 0;
}

static int parse_blkio(json_t *b, struct runtime_resources *r, struct berth_error **err)
{
        static const char *const keys[RUNTIME_THROTTLE_N] = {
            "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
            "throttleWriteIOPSDevice"};
        json_t *a;
        int k;
        if (get_int(b, "weight", W "blockIO.weight", 0, 0, &r->blkio_weight, err) < 0)
                return berth_err_ret(*err);
        if (r->blkio_weight != -1 && (r->blkio_weight < 10 || r->blkio_weight > 1000))
                return berth_err(err, EINVAL,
                                 W "blockIO.weight: must be 10..1000 (got %" PRId64 ")",
                                 r->blkio_weight);
        if ((k = util_json_array(b, "weightDevice", W "blockIO.weightDevice", &a, err)) < 0 ||
            (k > 0 &&
             parse_blkio_devices(a, W "blockIO.weightDevice", "weight", 10, 1000,
                                 &r->blkio_weight_device, &r->n_blkio_weight_device, err) < 0))
                return berth_err_ret(*err);
        for (size_t i = 0; i < RUNTIME_THROTTLE_N; i++) {
                _cleanup_free_ char *what = xasprintf(W "blockIO.%s", keys[i]);
                if ((k = util_json_array(b, keys[i], what, &a, err)) < 0 ||
                    (k > 0 &&
                     parse_blkio_devices(a, what, "rate", 0, INT64_MAX, &r->blkio_throttle[i],
                                         &r->n_blkio_throttle[i], err) < 0))
                        return berth_err_ret(*err);
        }
        return 0;
}

static int parse_hugepages(json_t *arr, struct runtime_resources *r, struct berth_error **err)
{
        size_t i;
        json_t *h;
        json_array_foreach(arr, i, h)
        {
                _cleanup_free_ char *w = xasprintf(W "hugepageLimits[%zu]", i);
                _cleanup_free_ char *wsize = xasprintf("%s.pageSize", w);
                _cleanup_free_ char *wlimit = xasprintf("%s.limit", w);
                const char *size = NULL;
                int64_t limit = -1;
                if (!json_is_object(h))
                        return berth_err(err, EINVAL, "%s: expected an object", w);
                if (util_json_string(h, "pageSize", wsize, &size, err) < 0 ||
                    get_int(h, "limit", wlimit, 0, INT64_MIN, &limit, err) < 0)
                        return berth_err_ret(*err);
                /* It becomes part of a file name: digits and a unit only. */
                size_t digits = size != NULL ? strspn(size, "0123456789") : 0;
                if (digits == 0 ||
                    (strcmp(size + digits, "KB") != 0 && strcmp(size + digits, "MB") != 0 &&
                     strcmp(size + digits, "GB") != 0))
                        return berth_err(err, EINVAL, "%s: expected a size like \"2MB\"", wsize);
                if (limit < 0)
                        return berth_err(err, EINVAL, "%s: missing", wlimit);
                r->hugepage_limits = xrealloc(r->hugepage_limits, (r->n_hugepage_limits + 1) *
                                                                      sizeof(*r->hugepage_limits));
                r->hugepage_limits[r->n_hugepage_limits++] =
                    (struct runtime_hugepage_limit){.page_size = xstrdup(size), .limit = limit};
        }
        return 0;
}

/* The v2 controllers whose files a "unified" key may name. */
static const char *const v2_controllers[] = {"cgroup", "cpu",     "cpuset", "io",   "memory",
                                             "pids",   "hugetlb", "rdma",   "misc", NULL};
/* Files the runtime itself drives: writing them from a config would move,
 * kill or freeze processes behind its back. */
static const char *const v2_reserved[] = {
    "cgroup.procs",           "cgroup.threads", "cgroup.kill", "cgroup.freeze",
    "cgroup.subtree_control", "cgroup.type",    NULL};

static bool in_list(const char *const *list, const char *s, size_t len)
{
        for (; *list != NULL; list++)
                if (strlen(*list) == len && strncmp(*list, s, len) == 0)
                        return true;
        return false;
}

static int parse_unified(json_t *u, struct runtime_resources *r, struct berth_error **err)
{
        const char *key;
        json_t *v;
        json_object_foreach(u, key, v)
        {
                const char *dot = strchr(key, '.');
                if (dot == NULL || dot == key || dot[1] == '\0' || strchr(key, '/') != NULL ||
                    !in_list(v2_controllers, key, (size_t)(dot - key)))
                        return berth_err(err, EINVAL,
                                         W "unified: unknown key `%s` (expected "
                                           "<controller>.<file> of a cgroup v2 controller)",
                                         key);
                if (in_list(v2_reserved, key, strlen(key)))
                        return berth_err(err, EINVAL, W "unified: `%s` is managed by the runtime",
                                         key);
                if (!json_is_string(v))
                        return berth_err(err, EINVAL, W "unified.%s: expected a string", key);
                if (strchr(json_string_value(v), '\n') != NULL)
                        return berth_err(err, EINVAL, W "unified.%s: a newline in the value", key);
                strv_append(&r->unified_keys, key);
                strv_append(&r->unified_values, json_string_value(v));
        }
        return 0;
}

int runtime_resources_parse(json_t *resources, struct runtime_resources **out,
                            struct berth_error **err)
{
        _cleanup_resources_ struct runtime_resources *r = runtime_resources_new();
        json_t *o;
        int k;

        if (resources == NULL || json_is_null(resources)) {
                *out = steal_pointer(&r);
                return 0;
        }
        if (!json_is_object(resources))
                return berth_err(err, EINVAL, "linux.resources: expected an object");

        if ((k = util_json_object(resources, "memory", W "memory", &o, err)) < 0 ||
            (k > 0 && parse_memory(o, r, err) < 0))
                return berth_err_ret(*err);
        if ((k = util_json_object(resources, "cpu", W "cpu", &o, err)) < 0 ||
            (k > 0 && parse_cpu(o, r, err) < 0))
                return berth_err_ret(*err);
        if ((k = util_json_object(resources, "pids", W "pids", &o, err)) < 0 ||
            (k > 0 && get_int(o, "limit", W "pids.limit", -1, 0, &r->pids_limit, err) < 0))
                return berth_err_ret(*err);
        if ((k = util_json_object(resources, "blockIO", W "blockIO", &o, err)) < 0 ||
            (k > 0 && parse_blkio(o, r, err) < 0))
                return berth_err_ret(*err);
        if ((k = util_json_array(resources, "hugepageLimits", W "hugepageLimits", &o, err)) < 0 ||
            (k > 0 && parse_hugepages(o, r, err) < 0))
                return berth_err_ret(*err);
        if ((k = util_json_array(resources, "devices", W "devices", &o, err)) < 0 ||
            (k > 0 && parse_devices(o, r, err) < 0))
                return berth_err_ret(*err);
        if ((k = util_json_object(resources, "unified", W "unified", &o, err)) < 0 ||
            (k > 0 && parse_unified(o, r, err) < 0))
                return berth_err_ret(*err);
        *out = steal_pointer(&r);
        return 0;
}

uint64_t cgroup_shares_to_weight(int64_t shares)
{
        /* Map the v1 range 2..262144 linearly onto 1..10000 (runc's and
         * crun's formula, so a container gets the same weight under any
         * of them); clamp first as the v1 kernel would. */
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((uint64_t)(shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_to_io_weight(int64_t weight)
{
        if (weight < 10)
                weight = 10;
        if (weight > 1000)
                weight = 1000;
        return 1 + ((uint64_t)(weight - 10) * 9999) / 990;
}

int cgroup_swap_to_v2(int64_t limit, int64_t swap, int64_t *out, struct berth_error **err)
{
        /* Unlimited memory+swap: unlimited swap. */
        if (swap < 0) {
                *out = -1;
                return 0;
        }
        if (limit < 0)
                return berth_err(err, EINVAL,
                                 "memory.swap (memory+swap) is set but memory.limit is not");
        if (swap < limit)
                return berth_err(err, EINVAL,
                                 "memory+swap (%" PRId64 ") must not be below the memory limit "
                                 "(%" PRId64 ")",
                                 swap, limit);
        *out = swap - limit;
        return 0;
}
