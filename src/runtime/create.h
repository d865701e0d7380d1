/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_CREATE_H
#define BERTH_RUNTIME_CREATE_H

#include "runtime/cgroup.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

/* Everything the parent prepared before clone(); the child inherits a copy. */
struct create_ctx {
        const char *root, *id;
        const struct runtime_create_options *opts;
        struct runtime_config *c;
        struct runtime_mount_plan *plan;
        char *bundle;              /* absolute */
        char *rootfs;              /* absolute */
        struct runtime_cgroup *cg; /* NULL without cgroup support */
        struct runtime_cgroup_entry cg_entry;
        bool cg_self; /* the init enters its cgroup itself (cg_entry) */
        int state_dfd;
        int lock_fd;                         /* flock on the state dir while creating */
        int start_listen;                    /* the init accepts `start` on it */
        int sync[2];                         /* [0] parent, [1] child */
        int ns_fds[RUNTIME_NS_KINDS];        /* namespaces joined by path, else -1 */
        char *state_json;                    /* for hooks, status "creating" */
        struct runtime_seccomp_bpf *seccomp; /* compiled before clone, NULL for none */
        char *exe;                           /* child: resolved args[0] */
        bool in_cgroup;                      /* child: SYNC_CGROUP seen */
};

/* The state document that hooks get on stdin while creating. */
char *create_state_json(const struct create_ctx *x, pid_t pid);

/* init.c: the child after clone(); never returns. */
void init_main(struct create_ctx *x) __attribute__((noreturn));

#endif
