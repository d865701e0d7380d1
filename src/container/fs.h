/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_FS_H
#define BERTH_CONTAINER_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/*
 * A container's filesystem from outside: diff, export, cp, commit.  Every
 * path inside the container is resolved inside its root (openat2
 * RESOLVE_IN_ROOT): a symlink in the container, wherever it points, never
 * leads to the host's files.  Each works on running and stopped containers.
 * id is a full container ID (container_record_resolve()).
 */

struct container_change {
        char kind;  /* 'A' added, 'C' changed, 'D' deleted */
        char *path; /* "/etc/passwd" */
};

struct container_change_list {
        struct container_change *v;
        size_t n;
};
void container_change_list_clear(struct container_change_list *l);

/*
 * The changes of an overlay upper dir over its lowers (top first): a
 * whiteout is D, a name no lower has is A, one a lower has is C, and a
 * directory holding changes is C (Docker's rule, as its mtime changed).
 * Sorted by path.
 */
int container_changes_compute(int upperfd, char *const *lowers, struct container_change_list *out,
                              struct berth_error **err);
/* `diff`: the container's changes. */
int container_diff(const char *root, const char *id, struct container_change_list *out,
                   struct berth_error **err);

/* `export`: the container's merged filesystem (not its volumes) as a tar. */
int container_export(const char *root, const char *id, int out_fd, struct berth_error **err);

struct container_cp_opts {
        bool archive;     /* -a: keep owners (else the destination's user: root) */
        bool follow_link; /* -L: copy what a symlink source points to */
};

/*
 * `cp CONTAINER:SRC DST` with Docker's rules: a directory SRC is copied
 * into DST when DST is an existing directory, else becomes DST; "SRC/."
 * copies its content; a file into an existing directory keeps its name;
 * a trailing "/" on DST requires a directory; a directory can't replace
 * a file.  DST "-" writes a tar of SRC to out_fd.
 */
int container_cp_from(const char *root, const char *id, const char *src, const char *dst,
                      int out_fd, const struct container_cp_opts *o, struct berth_error **err);
/* `cp SRC CONTAINER:DST`, the same rules; SRC "-" reads a tar from in_fd
 * and extracts it into the directory DST. */
int container_cp_to(const char *root, const char *id, const char *src, int in_fd, const char *dst,
                    const struct container_cp_opts *o, struct berth_error **err);

#endif
