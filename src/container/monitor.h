/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_MONITOR_H
#define BERTH_CONTAINER_MONITOR_H

#include <stdbool.h>

#include "container/lifecycle.h"

/*
 * The per-container monitor: `berth-monitor --root DIR --runroot DIR
 * container-monitor [--report-fd N] [--attach-wait] [--rootfs-mounted] ID`
 * (monitor-main.c), started detached (setsid, double fork) by
 * container_start(), whose flags it takes.  It mounts the rootfs (or
 * adopts the mount run's create left), creates and starts the container
 * through the runtime library in-process, owns its stdio (pipes, or a pty
 * with -t), writes the json-file log, serves the attach socket, reports
 * start-up success or failure once on report_fd, waits for the exit,
 * records it, applies the restart policy, tears the container down and
 * honours --rm.  Returns the process's exit status.
 */
int container_monitor_main(const struct container_engine *e, const char *id, int report_fd,
                           unsigned flags);

#endif
