/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_CGROUP_INTERNAL_H
#define BERTH_RUNTIME_CGROUP_INTERNAL_H

/*
 * Private to src/runtime/cgroup*.c (and their unit tests): the layout of
 * the host's hierarchies, the cgroup handle, file helpers and the pure
 * conversions between the OCI values and the kernel's files.
 */

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/cgroup.h"
#include "util/error.h"

enum cgroup_layout {
        CGROUP_LAYOUT_V1,     /* one hierarchy per controller (or group) */
        CGROUP_LAYOUT_HYBRID, /* v1 controllers plus a v2 tree beside them */
        CGROUP_LAYOUT_V2,     /* one unified tree at /sys/fs/cgroup */
};

const char *cgroup_layout_name(enum cgroup_layout l);
int cgroup_layout_from_name(const char *name, enum cgroup_layout *out);

/* One mounted hierarchy of the host. */
struct cgroup_mount {
        char *name;  /* "cpu", "cpu,cpuacct", "name=systemd"; "" for v2 */
        char *mount; /* where it is mounted */
        bool v2;
};
void cgroup_mounts_free(struct cgroup_mount *m, size_t n);

/* The hierarchies named in a /proc/self/mountinfo text (only those below
 * /sys/fs/cgroup count; a hierarchy mounted twice counts once). */
int cgroup_layout_parse(const char *mountinfo, enum cgroup_layout *layout,
                        struct cgroup_mount **out, size_t *n, struct berth_error **err);

/* One hierarchy of a container's cgroup. */
struct cgroup_hier {
        char *name;  /* as in struct cgroup_mount */
        char *mount; /* mount point of the hierarchy */
        char *path;  /* "/berth/id": the cgroup, relative to the hierarchy root */
        char *dir;   /* mount + path */
        bool v2;
        size_t created; /* how many trailing components of path we made */
};

struct runtime_cgroup {
        enum cgroup_layout layout;
        struct cgroup_hier *h;
        size_t n;
};

/* The hierarchy holding a v1 controller, or NULL. */
const struct cgroup_hier *cgroup_v1_hier(const struct runtime_cgroup *cg, const char *controller);
/* The v2 tree (pure v2 or the unified part of hybrid), or NULL. */
const struct cgroup_hier *cgroup_v2_hier(const struct runtime_cgroup *cg);

/* Check a cgroupsPath: a "/"-separated path with no "." or ".." parts,
 * given back as "/a/b" (absolute, no doubled or trailing slashes). */
int cgroup_path_normalize(const char *in, char **out, struct berth_error **err);

/* systemd's "slice:prefix:name" as the path systemd would give it:
 * "a-b.slice:p:n" -> "/a.slice/a-b.slice/p-n.scope" (an empty slice is
 * system.slice).  The result still goes through cgroup_path_normalize(). */
int cgroup_path_from_systemd(const char *in, char **out, struct berth_error **err);

/* File helpers on dir/file.  cgroup_write() reports the kernel's refusal
 * with the value it refused. */
int cgroup_write(const char *dir, const char *file, const char *value, struct berth_error **err);
int cgroup_write_int(const char *dir, const char *file, int64_t value, struct berth_error **err);
bool cgroup_has_file(const char *dir, const char *file);
/* 1 read (trailing newline removed), 0 absent, negative on error. */
int cgroup_read(const char *dir, const char *file, char **out, struct berth_error **err);
/* The value of "key N" in a flat-keyed file: 1 found, 0 file or key absent. */
int cgroup_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out,
                      struct berth_error **err);
/* A single number, or "max" as 0: 1 found, 0 absent. */
int cgroup_read_u64(const char *dir, const char *file, uint64_t *out, struct berth_error **err);

/* v1 (cgroup-v1.c) */
int cgroup_v1_cpuset_fill(const char *mount, const char *path, struct berth_error **err);
int cgroup_v1_apply(const struct runtime_cgroup *cg, const struct runtime_resources *res,
                    struct berth_error **err);
int cgroup_v1_freeze(const char *dir, bool frozen, struct berth_error **err);
int cgroup_v1_is_frozen(const char *dir, struct berth_error **err);

/* v2 (cgroup-v2.c) */
int cgroup_v2_enable_controllers(const char *mount, const char *path, struct berth_error **err);
/* Everything on pure v2; only the "unified" map on hybrid. */
int cgroup_v2_apply(const char *dir, const struct runtime_resources *res, bool unified_only,
                    struct berth_error **err);
/* hugepageLimits alone (hybrid hosts whose hugetlb is in the unified tree). */
int cgroup_v2_apply_hugetlb(const char *dir, const struct runtime_resources *res,
                            struct berth_error **err);
int cgroup_v2_freeze(const char *dir, bool frozen, struct berth_error **err);
int cgroup_v2_is_frozen(const char *dir, struct berth_error **err);

/* Pure conversions (cgroup-resources.c). */
/* cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun do. */
uint64_t cgroup_shares_to_weight(int64_t shares);
/* blkio.weight (10..1000) to io.weight (1..10000). */
uint64_t cgroup_blkio_to_io_weight(int64_t weight);
/* OCI memory.swap is memory+swap; memory.swap.max is swap alone. */
int cgroup_swap_to_v2(int64_t limit, int64_t swap, int64_t *out, struct berth_error **err);

/* Device rules as eBPF (cgroup-devices.c). */
/* The program for rules (evaluated last to first, as the kernel's v1
 * list would after writing them in order; nothing matching allows). */
void cgroup_devices_program(const struct runtime_device_rule *rules, size_t n,
                            struct bpf_insn **out, size_t *len);
/* Load it and attach it to the v2 cgroup dir, replacing ours from before. */
int cgroup_v2_devices_apply(const char *dir, const struct runtime_device_rule *rules, size_t n,
                            struct berth_error **err);

#endif
