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
 * (or 0 where the spec says 0 means unset); unset strings are NULL. */
struct runtime_device_rule {
        bool allow;
        char type;            /* 'a', 'c' or 'b' */
        int64_t major, minor; /* -1 = wildcard */
        char *access;         /* "rwm" subset */
};

struct runtime_resources {
        int64_t memory_limit, memory_reservation, memory_swap; /* bytes, -1 unset */
        int64_t memory_swappiness;                             /* -1 unset */
        bool disable_oom_killer;
        int64_t cpu_shares, cpu_quota, cpu_period;         /* -1 unset */
        int64_t cpu_realtime_runtime, cpu_realtime_period; /* -1 unset */
        char *cpu_cpus, *cpu_mems;
        int64_t pids_limit;   /* -1 unset; 0 also unset as in runc */
        int64_t blkio_weight; /* -1 unset */
        struct runtime_device_rule *devices;
        size_t n_devices;
        /* cgroup v2 raw files ("unified" map), applied as is on v2. */
        char **unified_keys, **unified_values;
};

int runtime_resources_parse(json_t *resources, struct runtime_resources **out,
                            struct berth_error **err);
void runtime_resources_free(struct runtime_resources *r);

struct runtime_cgroup;

/*
 * Create the cgroup named by cgroupsPath (absolute, relative to each
 * hierarchy's root; NULL or "" gives "/berth/<id>"), apply res (may be NULL)
 * and return a handle.  Fails with EEXIST-free semantics: an existing empty
 * cgroup of that name is reused.
 */
int runtime_cgroup_create(const char *cgroups_path, const char *id,
                          const struct runtime_resources *res, struct runtime_cgroup **out,
                          struct berth_error **err);

/* Re-open the cgroup of a container from its saved description. */
int runtime_cgroup_load(json_t *saved, struct runtime_cgroup **out, struct berth_error **err);
/* A JSON description that runtime_cgroup_load() takes back (kept in state). */
json_t *runtime_cgroup_save(const struct runtime_cgroup *cg);

/* Move pid into every hierarchy of the cgroup. */
int runtime_cgroup_enter(const struct runtime_cgroup *cg, pid_t pid, struct berth_error **err);
/* Apply new limits (berth-runtime update). */
int runtime_cgroup_update(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                          struct berth_error **err);
/* Freeze (pause) or thaw (resume) every process in it; waits until done. */
int runtime_cgroup_freeze(const struct runtime_cgroup *cg, bool frozen, struct berth_error **err);
/* 1 frozen, 0 not, negative error. */
int runtime_cgroup_is_frozen(const struct runtime_cgroup *cg, struct berth_error **err);
/* The pids in it (cgroup.procs), sorted. */
int runtime_cgroup_pids(const struct runtime_cgroup *cg, pid_t **pids, size_t *n,
                        struct berth_error **err);
/* Signal every process in it. */
int runtime_cgroup_kill_all(const struct runtime_cgroup *cg, int sig, struct berth_error **err);
/* 1 when the kernel OOM-killed a process in it, 0 when not. */
int runtime_cgroup_oom_killed(const struct runtime_cgroup *cg, struct berth_error **err);

struct runtime_cgroup_stats {
        uint64_t memory_usage, memory_limit; /* bytes; limit 0 = none */
        uint64_t cpu_usage_ns;
        uint64_t pids_current, pids_limit; /* limit 0 = none */
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

/* Remove the cgroup (it must be empty: kill_all and reap first). */
int runtime_cgroup_destroy(struct runtime_cgroup *cg, struct berth_error **err);
void runtime_cgroup_free(struct runtime_cgroup *cg);

#endif
