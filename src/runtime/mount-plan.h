/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_MOUNT_PLAN_H
#define BERTH_RUNTIME_MOUNT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/config.h"
#include "util/error.h"

/*
 * Plan, then act: the OCI mounts (plus the runtime's own steps) become a
 * flat list of steps that the privileged code in rootfs.c executes one by
 * one.  The plan is pure data, so it is unit-tested without root.
 */
enum runtime_mount_kind {
        MOUNT_STEP_FS,     /* mount(source, dest, fstype, flags, data) */
        MOUNT_STEP_BIND,   /* bind (recursive if rbind) then remount for flags */
        MOUNT_STEP_CGROUP, /* cgroup hierarchies of the container under dest */
};

struct runtime_mount_step {
        enum runtime_mount_kind kind;
        char *source;      /* host path for binds (absolute) */
        char *destination; /* inside the rootfs */
        char *fstype;
        unsigned long flags;       /* MS_* except propagation */
        unsigned long clear_flags; /* flags explicitly turned off (rw, suid...) */
        unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [| MS_REC] */
        char *data;                /* options the kernel parses (mode=755, size=...) */
        bool recursive;            /* rbind */
        bool source_is_dir;        /* make a directory (else a file) at the destination */
};

struct runtime_mount_plan {
        struct runtime_mount_step *steps;
        size_t n;
        bool dev_is_bind;   /* /dev comes from the host: no device nodes */
        bool has_dev_mount; /* something is mounted at /dev */
};

/* bundle makes relative bind sources absolute.  Errors name the mount. */
int runtime_mount_plan_build(const struct runtime_config *c, const char *bundle,
                             struct runtime_mount_plan **out, struct berth_error **err);
void runtime_mount_plan_free(struct runtime_mount_plan *p);

/* Parse one option list into flags; exposed for tests. */
int runtime_mount_options_parse(char *const *options, struct runtime_mount_step *s,
                                struct berth_error **err);

#endif
