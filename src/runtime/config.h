/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_CONFIG_H
#define BERTH_RUNTIME_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/seccomp.h"
#include "util/error.h"

/*
 * config.json, typed.  Everything the runtime acts on is parsed and checked
 * here, before any namespace or mount exists, so a bad document fails with
 * a precise message ("config.json: process.args: expected ...") and leaves
 * nothing behind.  The structs own their strings; one deep free.
 */

struct runtime_mount {
        char *destination;
        char *type;     /* may be NULL */
        char *source;   /* may be NULL */
        char **options; /* NULL-terminated, may be NULL */
};

struct runtime_id_map {
        uint32_t container_id, host_id, size;
};

/* The namespace kinds, in the order the runtime joins them. */
enum runtime_ns_kind {
        RUNTIME_NS_USER,
        RUNTIME_NS_PID,
        RUNTIME_NS_NET,
        RUNTIME_NS_IPC,
        RUNTIME_NS_UTS,
        RUNTIME_NS_MOUNT,
        RUNTIME_NS_CGROUP,
        RUNTIME_NS_TIME,
        RUNTIME_NS_KINDS
};

struct runtime_namespace {
        bool enabled; /* listed in linux.namespaces */
        char *path;   /* join this one instead of making a new one; may be NULL */
};

struct runtime_device {
        char *path;
        char type; /* 'c', 'b', 'u' or 'p' */
        int64_t major, minor;
        mode_t mode; /* permission bits (fileMode), 0666 by default */
        uid_t uid;
        gid_t gid;
};

struct runtime_rlimit {
        int resource;
        uint64_t soft, hard;
};

struct runtime_caps {
        uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct runtime_process {
        bool terminal;
        unsigned int console_rows, console_cols; /* process.consoleSize; 0 when unset */
        char *cwd;
        char **args;
        char **env;
        uid_t uid;
        gid_t gid;
        bool has_umask;
        mode_t umask;
        gid_t *additional_gids;
        size_t n_additional_gids;
        bool has_caps;
        struct runtime_caps caps;
        struct runtime_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
};

struct runtime_config {
        char *oci_version;
        struct runtime_process *process; /* NULL when absent */
        char *root_path;
        bool root_readonly;
        char *hostname, *domainname;
        struct runtime_mount *mounts;
        size_t n_mounts;
        struct runtime_hooks *hooks; /* NULL when absent */
        char **annotation_keys, **annotation_values;
        /* linux */
        struct runtime_namespace ns[RUNTIME_NS_KINDS];
        struct runtime_id_map *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        struct runtime_device *devices;
        size_t n_devices;
        char *cgroups_path;
        struct runtime_resources *resources; /* NULL when absent */
        struct runtime_seccomp *seccomp;     /* NULL when absent */
        unsigned long rootfs_propagation;    /* MS_* or 0 for the default */
        char **masked_paths, **readonly_paths;
        char **sysctl_keys, **sysctl_values;
        bool has_time_offsets;
        int64_t monotonic_secs, monotonic_nsecs, boottime_secs, boottime_nsecs;
};

/* Parse a config.json document; `what` names it in errors. */
int runtime_config_parse(json_t *doc, const char *what, struct runtime_config **out,
                         struct berth_error **err);
/* Read and parse <bundle>/config.json. */
int runtime_config_load(const char *bundle, struct runtime_config **out, struct berth_error **err);
/* util_json_load_file for runtime-spec documents (config.json, an exec
 * --process file, update --resources): also takes the uint64 values above
 * INT64_MAX that the spec allows, as the int64 with the same bits. */
int runtime_json_load_file(int dirfd, const char *path, json_t **out, struct berth_error **err);
void runtime_config_free(struct runtime_config *c);
void runtime_config_freep(struct runtime_config **c);
#define _cleanup_config_ __attribute__((cleanup(runtime_config_freep)))

/* A "process" object alone (exec --process). */
int runtime_process_parse(json_t *obj, const char *what, struct runtime_process **out,
                          struct berth_error **err);
void runtime_process_free(struct runtime_process *p);

/* The CLONE_NEW* flag of a namespace kind, and the name used in
 * /proc/PID/ns and in config.json. */
int runtime_ns_flag(enum runtime_ns_kind kind);
const char *runtime_ns_proc_name(enum runtime_ns_kind kind);

/* Capability names <-> numbers ("CAP_SYS_ADMIN"); -1 when unknown. */
int runtime_cap_parse(const char *name);

#endif
