/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-monitor: the per-container monitor as a program of its own, built
 * beside berth.  One lives as long as its container, so it carries only
 * the container library, not the CLI's image, archive and crypto code.
 *
 *   berth-monitor --root DIR --runroot DIR container-monitor
 *                 [--report-fd N] [--attach-wait] [--rootfs-mounted] ID
 *
 * The "container-monitor" word is how container_monitor_pidfd() tells a
 * live monitor from a reused pid.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/monitor.h"

int main(int argc, char **argv)
{
        const char *root = NULL, *runroot = NULL, *id = NULL;
        int report = -1;
        unsigned flags = 0;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
                        root = argv[++i];
                else if (strcmp(argv[i], "--runroot") == 0 && i + 1 < argc)
                        runroot = argv[++i];
                else if (strcmp(argv[i], "--report-fd") == 0 && i + 1 < argc)
                        report = atoi(argv[++i]);
                else if (strcmp(argv[i], "--attach-wait") == 0)
                        flags |= CONTAINER_START_ATTACH_WAIT;
                else if (strcmp(argv[i], "--rootfs-mounted") == 0)
                        flags |= CONTAINER_START_MOUNTED;
                else if (strcmp(argv[i], "container-monitor") != 0)
                        id = argv[i];
        }
        if (root == NULL || runroot == NULL || id == NULL) {
                fputs("usage: berth-monitor --root DIR --runroot DIR container-monitor "
                      "[--report-fd N] [--attach-wait] [--rootfs-mounted] ID\n",
                      stderr);
                return 2;
        }
        static char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = '\0';
        struct container_engine e = {.root = root, .runroot = runroot, .self = self};
        return container_monitor_main(&e, id, report, flags);
}
