/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_LIFECYCLE_H
#define BERTH_CONTAINER_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container/options.h"
#include "container/record.h"
#include "util/error.h"

/*
 * Engine-level containers: what `berth run`, `start`, `stop`, `rm`, ...
 * (and the API) call.  Layout:
 *   <root>/containers/<id>/container.json   the record (container/record.h)
 *   <root>/containers/<id>/config.json      the OCI bundle's config
 *   <root>/containers/<id>/{upper,work}/    the writable layer
 *   <root>/containers/<id>/rootfs/          where the rootfs is mounted
 *   <root>/containers/<id>/layers           the image's lower dirs, top first
 *   <root>/containers/<id>/<id>-json.log    the log (Docker's json-file)
 *   <root>/container-names/<name>           -> <id>, the name index (record.c)
 *   <runroot>/runtime/                      the OCI runtime's state
 *   <runroot>/seccomp/                      compiled seccomp programs, shared
 *   <runroot>/attach/<id>                   the monitor's attach socket
 * A running container has a monitor (berth-monitor, a static program
 * built beside berth): see container/monitor.h.
 */

struct container_engine {
        const char *root;
        const char *runroot;
        const char *self; /* the berth binary: berth-init and berth-monitor sit beside it */
};

/* <runroot>/runtime (fresh string). */
char *container_runtime_root(const struct container_engine *e);

/*
 * `create`: validate o, resolve image, allocate ID and name, make the
 * writable layer and the OCI bundle (the rootfs is mounted while the spec
 * is generated; the monitor mounts it again at start).  On failure
 * nothing is left.
 *
 * With CONTAINER_CREATE_MOUNTED (run), the rootfs stays mounted for the
 * monitor that container_start(CONTAINER_START_MOUNTED) spawns next to
 * adopt: one overlay mount and unmount fewer per run (an unmount waits
 * for an RCU grace period).  A created container whose start never comes
 * keeps its mount until a start replaces it or rm unmounts it.
 */
enum {
        CONTAINER_CREATE_MOUNTED = 1 << 0,
};
int container_create(const struct container_engine *e, const char *image,
                     const struct container_options *o, unsigned flags, char id[65],
                     struct berth_error **err);

/*
 * `start`: spawn the monitor and wait for its one report.  With
 * CONTAINER_START_ATTACH_WAIT the monitor waits for the first attach
 * client before starting the process (so a foreground run loses no
 * output); *ready_fd then receives the report pipe, on which "ready" has
 * been read, for container_start_finish().  CONTAINER_START_MOUNTED: the
 * rootfs is mounted (CONTAINER_CREATE_MOUNTED) and the monitor takes the
 * mount over; if start fails before it could, it is unmounted here.  The
 * error of a process that can't be run carries ENOENT (not found) or
 * EACCES (not executable), for 127 / 126.
 */
enum {
        CONTAINER_START_ATTACH_WAIT = 1 << 0,
        CONTAINER_START_MOUNTED = 1 << 1,
};
int container_start(const struct container_engine *e, const char *id, unsigned flags, int *ready_fd,
                    struct berth_error **err);
int container_start_finish(int report_fd, struct berth_error **err);

/* `stop`: the stop signal, then SIGKILL after timeout seconds (-1: the
 * container's --stop-timeout, else 10); waits for the monitor to record
 * the exit.  A container that isn't running is left as it is. */
int container_stop(const struct container_engine *e, const char *id, int timeout,
                   struct berth_error **err);
/* `kill`: a signal to the container's init; it must be running. */
int container_kill(const struct container_engine *e, const char *id, int sig,
                   struct berth_error **err);
int container_restart(const struct container_engine *e, const char *id, int timeout,
                      struct berth_error **err);
/* `rm`: force kills a running container first; volumes removes its
 * anonymous volumes. */
int container_remove(const struct container_engine *e, const char *id, bool force, bool volumes,
                     struct berth_error **err);
/* `wait`: block until the container is not running; its exit code. */
int container_wait(const struct container_engine *e, const char *id, int *exit_code,
                   struct berth_error **err);
int container_pause(const struct container_engine *e, const char *id, bool paused,
                    struct berth_error **err);

/*
 * The record with State brought up to date: a "running" container whose
 * monitor is gone (killed, machine crash) reads as exited (Dead with an
 * Error).  1 found, 0 not found.
 */
int container_inspect(const struct container_engine *e, const char *id,
                      struct container_record **out, struct berth_error **err);

struct container_exec_options {
        char **args;
        char **env; /* "K=V" added to the container's */
        const char *workdir;
        const char *user;
        bool tty, interactive, detach, privileged;
};

/* `exec`: runs in the caller's process group with the caller's stdio (a
 * pty relayed to them with tty); *exit_code is the process's status.
 * Errors as start's (ENOENT: 127, EACCES: 126). */
int container_exec(const struct container_engine *e, const char *id,
                   const struct container_exec_options *o, int *exit_code,
                   struct berth_error **err);

/* The host pids of the container's processes. */
int container_pids(const struct container_engine *e, const char *id, pid_t **pids, size_t *n,
                   struct berth_error **err);

/* Docker's figures: memory without the page cache the kernel can drop
 * (limit 0: none), the network of the container's interfaces but lo. */
struct container_stats {
        uint64_t memory_usage, memory_limit;
        uint64_t cpu_usage_ns;
        uint64_t pids;
        uint64_t io_read_bytes, io_write_bytes;
        uint64_t net_rx_bytes, net_tx_bytes;
};
int container_stats_get(const struct container_engine *e, const char *id,
                        struct container_stats *out, struct berth_error **err);

/* `container prune`: remove every stopped container; their IDs, and the
 * bytes their writable layers held. */
int container_prune(const struct container_engine *e, char ***removed, long long *reclaimed,
                    struct berth_error **err);

/* Exit status for a failed start/exec error, Docker's: 127 not found,
 * 126 cannot invoke, else 125. */
int container_exit_status_for(const struct berth_error *err);

#endif
