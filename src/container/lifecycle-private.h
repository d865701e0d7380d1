/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_LIFECYCLE_PRIVATE_H
#define BERTH_CONTAINER_LIFECYCLE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "container/lifecycle.h"
#include "util/error.h"

/* n random bytes as 2n hex digits (fresh string). */
char *container_random_hex(size_t n);

/* A program built beside berth (berth-init, berth-monitor), by the path
 * of e->self (fresh string). */
char *container_helper_path(const struct container_engine *e, const char *name);

/* --init: a copy of berth-init (built beside berth, static) at
 * <runroot>/berth-init, made once, which the spec binds read-only at
 * /dev/init (a copy, so nothing a container does to it reaches the
 * installed binary). */
int container_init_binary(const struct container_engine *e, char **path, struct berth_error **err);

/* The attach socket's directory: <runroot>/attach (made on demand). */
char *container_attach_dir(const struct container_engine *e);

/* Compiled seccomp programs, shared by every container: <runroot>/seccomp
 * (the runtime makes it on demand). */
char *container_seccomp_cache_dir(const struct container_engine *e);

/*
 * The attach protocol (SOCK_SEQPACKET, so every packet is one frame):
 * the first byte of a packet is its stream, the rest its payload.
 *   client -> monitor: HELLO [flags]; STDIN data (empty: EOF);
 *                      RESIZE [u16 rows][u16 cols]
 *   monitor -> client: STDOUT / STDERR data; EXIT [int32 code]
 */
enum {
        ATTACH_STDIN = 0,
        ATTACH_STDOUT = 1,
        ATTACH_STDERR = 2,
        ATTACH_RESIZE = 3,
        ATTACH_EXIT = 4,
        ATTACH_HELLO = 5,
};
enum {
        ATTACH_WANT_STDIN = 1,
        ATTACH_WANT_STDOUT = 2,
        ATTACH_WANT_STDERR = 4,
};
#define ATTACH_MAX_PACKET 8193

/* Connect to a container's attach socket; -ENOENT/-ECONNREFUSED when
 * no monitor listens. */
int container_attach_connect(const struct container_engine *e, const char *id,
                             struct berth_error **err);

/* The open fd of a running monitor (a pidfd), or -1 when it is gone; the
 * pid is checked to still be the monitor of id. */
int container_monitor_pidfd(pid_t pid, const char *id);

/* Wait until the monitor behind pidfd exits, at most timeout_ms (-1:
 * forever); 1 exited, 0 timed out. */
int container_monitor_wait(int pidfd, int timeout_ms);

/* One JSON-escaped json-file log line for buf (fresh string, with "\n"). */
char *container_log_line(const char *stream, const char *buf, size_t len);

/*
 * A container whose monitor was killed (its record still says up, no
 * monitor runs): kill what is left of it through the runtime's forced
 * delete, drop the runtime's state and unmount its rootfs, then record
 * it as exited.  1 when there was such a leftover, 0 when not.
 */
int container_reap_orphan(const struct container_engine *e, const char *id,
                          struct berth_error **err);

/* Remove the anonymous volumes a record mounts (rm -v, --rm). */
void container_volumes_remove_anonymous(const struct container_engine *e,
                                        const struct container_record *r);

#endif
