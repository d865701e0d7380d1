/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/config.h"
#include "runtime/mount-plan.h"
#include "util/error.h"

/*
 * Parent <-> child synchronisation over a SOCK_SEQPACKET socketpair, in
 * numbered stages.  Every message is one fixed-size record, so a short read
 * means the peer died.  A child that fails sends SYNC_ERROR with the stage
 * it was in, errno and its error text; the parent rebuilds the berth_error
 * from it, so the user sees one chain whichever side failed.
 */
enum sync_type {
        SYNC_GO = 1,        /* parent -> child: id maps written */
        SYNC_CGROUP,        /* parent -> child: moved into the container's cgroup */
        SYNC_HOOKS,         /* child -> parent: namespaces exist, run prestart/createRuntime */
        SYNC_HOOKS_DONE,    /* parent -> child */
        SYNC_TERMINAL,      /* child -> parent: pty master attached as SCM_RIGHTS */
        SYNC_TERMINAL_DONE, /* parent -> child */
        SYNC_READY,         /* child -> parent: created, waiting for start */
        SYNC_SAVED,         /* parent -> child: state.json written, the container exists */
        SYNC_ERROR,         /* either way: stage, errno, text */
};

enum sync_stage {
        STAGE_NAMESPACES = 1,
        STAGE_MOUNTS,
        STAGE_DEVICES,
        STAGE_PIVOT,
        STAGE_PROCESS,
        STAGE_EXEC,
};

struct sync_msg {
        int type;
        int stage;
        int code;
        char text[1024];
};

int sync_send(int fd, int type, int fdpass, struct berth_error **err);
int sync_send_error(int fd, int stage, const struct berth_error *e);
/* Receive one message; *fdpass gets a passed fd or -1. */
int sync_recv(int fd, struct sync_msg *m, int *fdpass, struct berth_error **err);
/* Expect type; turns SYNC_ERROR into *err. */
int sync_expect(int fd, int type, int *fdpass, struct berth_error **err);

/* rootfs.c: executed by the container's init, inside its mount namespace. */
int rootfs_prepare(const struct runtime_config *c, const struct runtime_mount_plan *plan,
                   const char *rootfs, const struct runtime_cgroup *cg, bool userns,
                   struct berth_error **err);
int rootfs_pivot(const char *rootfs, bool no_pivot, struct berth_error **err);
int rootfs_finish(const struct runtime_config *c, struct berth_error **err);

/* process.c: the last steps before exec, in both init and exec. */
int process_lookup_path(const struct runtime_process *p, char **out, struct berth_error **err);
/* Default dispositions for every signal and an empty mask. */
void process_reset_signals(void);
/* seccomp: compiled by the parent before clone (NULL for none). */
int process_apply(const struct runtime_process *p, const struct runtime_seccomp_bpf *seccomp,
                  struct berth_error **err);
/* Mark close-on-exec every fd from 3 + preserve up. */
int process_close_fds(unsigned preserve, struct berth_error **err);
int process_chdir(const struct runtime_process *p, struct berth_error **err);
int process_set_oom_score_adj(pid_t pid, int adj, struct berth_error **err);

/* state.c */
struct runtime_state {
        char *id;
        char *bundle;
        pid_t pid;
        unsigned long long start_time; /* /proc/PID/stat field 22 */
        char *status;                  /* as saved: created, running */
        char *created;                 /* RFC 3339 */
        json_t *annotations;           /* object */
        json_t *cgroup;                /* runtime_cgroup_save() */
        bool oom_killed;
};
/* EINVAL unless id is safe as one directory name (no '/', not "." or ".."). */
int state_id_check(const char *id, struct berth_error **err);
int state_dir_open(const char *root, const char *id, struct berth_error **err);
int state_load(const char *root, const char *id, struct runtime_state **out,
               struct berth_error **err);
/* temp + rename without fsync, for files that describe live processes. */
int state_write_volatile(int dfd, const char *name, const char *text, struct berth_error **err);
int state_save(const char *root, const struct runtime_state *s, struct berth_error **err);
void state_free(struct runtime_state *s);
/* The live status: stopped when the pid is gone (or reused), paused when
 * the cgroup is frozen. */
const char *state_status(const struct runtime_state *s, const struct runtime_cgroup *cg);
json_t *state_json(const struct runtime_state *s, const char *status);
unsigned long long proc_start_time(pid_t pid);
char *state_now(void);

#endif
