/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_FS_PRIVATE_H
#define BERTH_CONTAINER_FS_PRIVATE_H

#include <stdbool.h>

#include "util/error.h"

/* Internals shared by fs.c, cp.c, commit.c and tar.c. */

/* The tar of name under pfd to out_fd: its entry called entry (and its
 * content under entry/ for a directory), or with entry "" the content of
 * the directory name alone.  Mounts inside are not descended. */
int container_tar_write(int pfd, const char *name, const char *entry, int out_fd,
                        struct berth_error **err);

/* A container's filesystem, open. */
struct container_fs_view {
        int rootfd;    /* the container's "/" */
        int upperfd;   /* containers/<id>/upper */
        int mntfd;     /* the detached overlay, when one was made */
        char **lowers; /* the image's layer dirs, top first */
        bool running;  /* rootfd is the live container's root */
};

/*
 * Open the filesystem of container id (full ID): a running container's
 * own root (/proc/<pid>/root, with its volumes), else its layers in an
 * overlay mounted only on an fd (fsmount without move_mount: nobody else
 * sees it, and closing the fd is the unmount, so nothing can be left
 * behind whatever happens to this process).  writable gives the stopped
 * container's upper dir as the overlay's; otherwise the overlay is
 * read-only with upper/ as its top lower.
 */
int container_fs_view_open(const char *root, const char *id, bool writable,
                           struct container_fs_view *v, struct berth_error **err);
void container_fs_view_close(struct container_fs_view *v);

#endif
