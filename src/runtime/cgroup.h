/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * A container's cgroup on whatever this host has: cgroup v2 (unified), v1
 * (one hierarchy per controller), or hybrid (v1 controllers plus a v2 tree
 * at /sys/fs/cgroup/unified).  The caller never sees which.
 */

/* linux.resources of the OCI config, typed.  Unset numeric fields are -1
 * (the spec's 0 "unset" and -1 "unlimited" both parse to -1, which is what
 * a new cgroup has; so an update cannot lift a limit back to unlimited);
 * unset strings are NULL. */
struct runtime_device_rule {
        bool allow;
        char type;            /* 'a', 'c' or 'b' */
        int64_t major, minor; /* -1 = wildcard */
        char *access;         /* "rwm" subset */
};

/* A per-device blockIO value: a weight (weightDevice) or a rate in bytes or
 * operations per second (throttle*Device). */
struct runtime_blkio_device {
        int64_t major, minor;
        int64_t value;
};

enum runtime_blkio_throttle {
        RUNTIME_THROTTLE_READ_BPS,
        RUNTIME_THROTTLE_WRITE_BPS,
        RUNTIME_THROTTLE_READ_IOPS,
        RUNTIME_THROTTLE_WRITE_IOPS,
        RUNTIME_THROTTLE_N,
};

/* hugepageLimits: pageSize as the kernel names it ("2MB", "1GB"). */
struct runtime_hugepage_limit {
        char *page_size;
        int64_t limit;
};

struct runtime_resources {
        int64_t memory_limit, memory_reservation, memory_swap; /* bytes, -1 unset */
        int64_t memory_swappiness;                             /* -1 unset */
        bool disable_oom_killer;
        int64_t cpu_shares, cpu_quota, cpu_period;         /* -1 unset */
        int64_t cpu_realtime_runtime, cpu_realtime_period; /* -1 unset */
        int64_t cpu_burst, cpu_idle;                       /* -1 unset */
        char *cpu_cpus, *cpu_mems;
        int64_t pids_limit;   /* -1 unset; 0 also unset as in runc */
        int64_t blkio_weight; /* -1 unset */
        struct runtime_device_rule *devices;
        size_t n_devices;
        /* cgroup v2 raw files ("unified" map), written as is to the v2 tree
         * (pure v2, or the unified part of hybrid; an error on pure v1). */
        char **unified_keys, **unified_values;
        /* blockIO.weightDevice and the four throttle*Device lists. */
        struct runtime_blkio_device *blkio_weight_device;
        size_t n_blkio_weight_device;
        struct runtime_blkio_device *blkio_throttle[RUNTIME_THROTTLE_N];
        size_t n_blkio_throttle[RUNTIME_THROTTLE_N];
        struct runtime_hugepage_limit *hugepage_limits;
        size_t n_hugepage_limits;
};

/*
 * Parse linux.resources (NULL or null gives all unset).  Values are checked
 * (a negative limit, an unknown "unified" key, ... is a one-line error).
 * When devices rules are given, runc's default set (mknod anything; null,
 * zero, full, random, urandom, tty, console, ptmx, pts) is appended, so a
 * config that starts with "deny all" still has a usable /dev.
 */
int runtime_resources_parse(json_t *resources, struct runtime_resources **out,
                            struct berth_error **err);
/* All unset. */
struct runtime_resources *runtime_resources_new(void);
/* Append a device rule (the runtime adds one per linux.devices entry). */
void runtime_resources_add_device(struct runtime_resources *r, bool allow, char type, int64_t major,
                                  int64_t minor, const char *access);
void runtime_resources_free(struct runtime_resources *r);
static inline void runtime_resources_freep(struct runtime_resources **r)
{
        runtime_resources_free(*r);
}
#define _cleanup_resources_ __attribute__((cleanup(runtime_resources_freep)))

struct runtime_cgroup;

/*
 * Create the cgroup named by cgroupsPath in every hierarchy (and, on
 * hybrid, in the unified tree), apply res (may be NULL) and return a
 * handle.  An absolute path is relative to each hierarchy's root, a
 * relative one to the caller's own cgroup in it (as runc); NULL or "" gives
 * "/berth/<id>"; systemd's "slice:prefix:name" gives the directories
 * systemd would ("a-b.slice:p:n" is /a.slice/a-b.slice/p-n.scope), made
 * here without systemd.  "." and ".." parts are refused.  An existing empty cgroup of that name is
 * reused; one with processes in it is refused (EBUSY).  On any failure every directory this call
 * made is removed again.
 */
int runtime_cgroup_create(const char *cgroups_path, const char *id,
                          const struct runtime_resources *res, struct runtime_cgroup **out,
                          struct berth_error **err);

/* Re-open the cgroup of a container from its saved description. */
int runtime_cgroup_load(json_t *saved, struct runtime_cgroup **out, struct berth_error **err);
/* A JSON description that runtime_cgroup_load() takes back (kept in state). */
json_t *runtime_cgroup_save(const struct runtime_cgroup *cg);

/*
 * A new init can enter its cgroup without the cgroup threadgroup lock,
 * whose write side waits for an RCU grace period (5-20 ms on this kind of
 * machine: most of a container's start-up).  The kernel skips that lock
 * when a thread moves only itself (it writes "0" to a v1 hierarchy's
 * `tasks`), and a child cloned with CLONE_INTO_CGROUP is born in its v2
 * cgroup.  The fds are opened by the caller before the clone: the kernel
 * checks the opener's credentials, so the init may already be in a new
 * user namespace when it writes.
 */
struct runtime_cgroup_entry {
        int *tasks; /* each v1 hierarchy's `tasks`, write-only */
        size_t n;
        int v2_dir; /* the v2 cgroup's directory, for clone3(), or -1 */
};
int runtime_cgroup_entry_open(const struct runtime_cgroup *cg, struct runtime_cgroup_entry *e,
                              struct berth_error **err);
/* In the init, first thing: move itself into every v1 hierarchy.
 * Async-signal-safe; -errno on failure. */
int runtime_cgroup_entry_join(const struct runtime_cgroup_entry *e);
void runtime_cgroup_entry_close(struct runtime_cgroup_entry *e);

/* Move pid into every hierarchy of the cgroup. */
int runtime_cgroup_enter(const struct runtime_cgroup *cg, pid_t pid, struct berth_error **err);
/* Apply new limits (berth-runtime update). */
int runtime_cgroup_update(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                          struct berth_error **err);
/* Freeze (pause) or thaw (resume) every process in it; waits until done. */
int runtime_cgroup_freeze(const struct runtime_cgroup *cg, bool frozen, struct berth_error **err);
/* 1 frozen, 0 not, negative error. */
int runtime_cgroup_is_frozen(const struct runtime_cgroup *cg, struct berth_error **err);
/* The pids in it and in any cgroup below it (cgroup.procs), sorted. */
int runtime_cgroup_pids(const struct runtime_cgroup *cg, pid_t **pids, size_t *n,
                        struct berth_error **err);
/* 1 when pid is in it (or in a cgroup below it), 0 when not. */
int runtime_cgroup_has_pid(const struct runtime_cgroup *cg, pid_t pid, struct berth_error **err);
/* Signal every process in it.  SIGKILL uses cgroup.kill where the kernel
 * has it (also on hybrid); otherwise freeze, signal each, thaw.  A paused
 * container stays paused, except after SIGKILL.  Does not wait. */
int runtime_cgroup_kill_all(const struct runtime_cgroup *cg, int sig, struct berth_error **err);
/* 1 when the kernel OOM-killed a process in it, 0 when not (v2
 * memory.events, v1 memory.oom_control; 0 before Linux 4.13 on v1). */
int runtime_cgroup_oom_killed(const struct runtime_cgroup *cg, struct berth_error **err);

struct runtime_cgroup_stats {
        uint64_t memory_usage, memory_limit; /* bytes; limit 0 = none */
        uint64_t memory_inactive_file;       /* page cache the kernel can drop */
        uint64_t cpu_usage_ns;
        uint64_t pids_current, pids_limit; /* limit 0 = none */
        uint64_t io_read_bytes, io_write_bytes;
};
int runtime_cgroup_stats(const struct runtime_cgroup *cg, struct runtime_cgroup_stats *out,
                         struct berth_error **err);

/* For a "cgroup" mount inside the container: each hierarchy the container
 * should see, as (name, host directory of this cgroup).  name is the
 * controller list of a v1 hierarchy ("memory", "cpu", "name=systemd") or
 * "" for the v2 tree (which is mounted at /sys/fs/cgroup on pure v2 and at
 * /sys/fs/cgroup/unified on hybrid). */
struct runtime_cgroup_mount {
        char *name;
        char *host_dir;
};
int runtime_cgroup_mounts(const struct runtime_cgroup *cg, struct runtime_cgroup_mount **out,
                          size_t *n, struct berth_error **err);
void runtime_cgroup_mounts_free(struct runtime_cgroup_mount *m, size_t n);

/* Remove the cgroup from every hierarchy, sub-cgroups the container made
 * included (its processes must be gone: kill_all first; EBUSY is retried
 * for ~5s while they exit).  Its parents stay.  Goes on through the other
 * hierarchies after a failure and reports the first. */
int runtime_cgroup_destroy(struct runtime_cgroup *cg, struct berth_error **err);
void runtime_cgroup_free(struct runtime_cgroup *cg);
static inline void runtime_cgroup_freep(struct runtime_cgroup **cg)
{
        runtime_cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(runtime_cgroup_freep)))

#endif
