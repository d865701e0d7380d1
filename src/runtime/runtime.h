/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_RUNTIME_H
#define BERTH_RUNTIME_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/config.h"
#include "util/error.h"

/*
 * The OCI runtime as a library: berth-runtime's CLI and the berth engine
 * both drive containers through these calls.  `root` is the state
 * directory (berth-runtime --root), one subdirectory per container.  No
 * call exits the process; errors come back through berth_error.
 */

struct runtime_create_options {
        const char *bundle;         /* directory holding config.json */
        const char *pid_file;       /* may be NULL */
        const char *console_socket; /* may be NULL */
        bool no_pivot;
        /* fds 3 .. 3+preserve_fds-1 of the caller reach the process (runc's
         * --preserve-fds); every other fd is closed at exec. */
        unsigned preserve_fds;
        /* Where compiled seccomp programs are kept between containers
         * (runtime_seccomp_compile_cached); NULL compiles every time. */
        const char *seccomp_cache;
};

/*
 * Create the container: namespaces, id maps, cgroup, rootfs, devices,
 * hooks up to createContainer.  On return its init waits inside its
 * namespaces for runtime_container_start(); *pid is that init (a child of
 * the caller, which may wait for it).  The process gets the caller's
 * stdin/stdout/stderr (or, with process.terminal, a pty whose master goes
 * to console_socket).  On failure nothing is left behind.
 */
int runtime_container_create(const char *root, const char *id,
                             const struct runtime_create_options *opts, pid_t *pid,
                             struct berth_error **err);

/* Release a created container's init to exec the process; runs poststart. */
int runtime_container_start(const char *root, const char *id, struct berth_error **err);

/* The OCI state document (ociVersion, id, status, pid, bundle, annotations,
 * created; and oomKilled: true once stopped by the OOM killer). */
int runtime_container_state(const char *root, const char *id, json_t **out,
                            struct berth_error **err);

/* Signal the init, or with all every process of the container. */
int runtime_container_kill(const char *root, const char *id, int sig, bool all,
                           struct berth_error **err);

/* Remove a stopped (or created) container: poststop hooks, cgroup, state.
 * force kills a running one first.  Returns 0 when done, and with force
 * also when the container does not exist. */
int runtime_container_delete(const char *root, const char *id, bool force,
                             struct berth_error **err);

/* Wait for pid (a child of the caller) and turn its status into an exit
 * code: the code, or 128+N after signal N. */
int runtime_wait_exit_code(pid_t pid, struct berth_error **err);

struct runtime_exec_options {
        struct runtime_process *process; /* borrowed */
        const char *console_socket;      /* may be NULL */
        const char *pid_file;            /* may be NULL */
        const char *seccomp_cache;       /* as runtime_create_options' */
};

/* Start another process in a running container (every namespace of its
 * init, its cgroup, and the container's seccomp profile).  *pid is a child
 * of the caller. */
int runtime_container_exec(const char *root, const char *id,
                           const struct runtime_exec_options *opts, pid_t *pid,
                           struct berth_error **err);

/* The container's config.json process, as a template for exec. */
int runtime_container_config(const char *root, const char *id, struct runtime_config **out,
                             struct berth_error **err);

/* Pids of the container's processes (sorted). */
int runtime_container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
                           struct berth_error **err);

/* IDs of every container under root, sorted. */
int runtime_container_list(const char *root, char ***ids, struct berth_error **err);

int runtime_container_pause(const char *root, const char *id, bool paused,
                            struct berth_error **err);

/* linux.resources JSON applied to the container's cgroup. */
int runtime_container_update(const char *root, const char *id, json_t *resources,
                             struct berth_error **err);

/* 1 when the running binary is already the sealed copy. */
int runtime_binary_is_sealed(void);

/* The container's cgroup figures (as runtime_cgroup_stats). */
struct runtime_container_stats {
        uint64_t memory_usage, memory_limit; /* bytes; limit 0 = none */
        uint64_t memory_inactive_file;
        uint64_t cpu_usage_ns;
        uint64_t pids_current, pids_limit; /* limit 0 = none */
        uint64_t io_read_bytes, io_write_bytes;
};
int runtime_container_stats(const char *root, const char *id, struct runtime_container_stats *out,
                            struct berth_error **err);

/* 1 when the kernel OOM-killed a process of the container, else 0. */
int runtime_container_oom_killed(const char *root, const char *id, struct berth_error **err);

/* CVE-2019-5736 class: make sure the running binary is a sealed memfd copy
 * of itself (re-executing into one if not), so nothing reached through
 * /proc/PID/exe can write to the binary on the host.  Returns only when
 * the binary is already sealed or sealing is impossible. */
int runtime_binary_ensure_sealed(char **argv, struct berth_error **err);

#endif
