/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_LAYER_H
#define BERTH_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "image/digest.h"
#include "util/error.h"

/*
 * Layer tars in and out.  A layer tar is hostile input: no entry may create,
 * write or read anything outside the destination directory, whatever its
 * name, its link target or the symlinks earlier entries made.
 */

struct image_layer_stats {
        char diff_id[IMAGE_DIGEST_LEN]; /* digest of the uncompressed tar */
        uint64_t size;                  /* uncompressed tar bytes */
        uint64_t entries;
};

enum image_whiteout_mode {
        /* Turn `.wh.NAME` into an overlayfs whiteout (char device 0:0) and
         * `.wh..wh..opq` into trusted.overlay.opaque=y: the result is an
         * overlay lower dir. */
        IMAGE_WHITEOUT_OVERLAY,
        /* Delete NAME (or the directory's earlier content) in dest: for
         * applying layers one over another into one flat directory. */
        IMAGE_WHITEOUT_APPLY,
        /* No whiteouts at all: `.wh.` names are ordinary files (a tar
         * that is no layer, e.g. a build context or an ADD archive). */
        IMAGE_WHITEOUT_NONE,
};

struct image_layer_apply_opts {
        enum image_whiteout_mode whiteouts;
        /* Called after each chunk of compressed input; may be NULL. */
        void (*progress)(uint64_t bytes_read, void *data);
        void *progress_data;
        /* Refuse character and block devices (overlay whiteouts are still
         * made): for callers that must not create device nodes. */
        bool refuse_devices;
};

/* Read a layer (plain tar, gzip or zstd, detected from the first bytes)
 * from in_fd and apply it under dest_dirfd.  On failure dest may hold a
 * partial tree: callers extract into a staging directory and rename it in
 * only on success.  opts may be NULL (overlay whiteouts).
 *
 * Owners are kept when running as root (as tar does), otherwise files
 * belong to the caller.  Nothing is fsynced: call image_layer_sync() once
 * on the staging directory before renaming it in.  Decompression and
 * hashing run on a helper thread for the duration of the call; progress
 * is still called on the caller's thread.  Errors name the entry:
 * "layer entry `a/b`: ...". */
int image_layer_apply(int in_fd, int dest_dirfd, const struct image_layer_apply_opts *opts,
                      struct image_layer_stats *out, struct berth_error **err);

/* Flush everything written on the file system holding dirfd (syncfs):
 * one call instead of an fsync per extracted file. */
int image_layer_sync(int dirfd, struct berth_error **err);

struct image_layer_diff_opts {
        /* The overlay lower dirs under the upper dir, bottom first; used
         * only to tell a new file from a changed one (both are written as
         * is) and may be NULL.  Not used yet. */
        const char *const *lowers;
        /* When >= 0: mtimes later than this are clamped to it (reproducible
         * builds, SOURCE_DATE_EPOCH).  Set it to -1 for no clamping: a
         * zeroed struct clamps everything to 1970.  opts may be NULL. */
        int64_t source_date_epoch;
};

/* Write the overlay upper dir at upper_dirfd as an uncompressed layer tar
 * to out_fd, entries sorted by name, overlay whiteouts and opaque dirs
 * turned into `.wh.` entries.  Per directory, names sort bytewise and
 * parents come before children (Docker's order); hard links within the
 * tree become link entries; owners are numeric only; xattrs go out as PAX
 * SCHILY.xattr records except overlayfs' own, security.selinux and
 * system.* (ACLs).  Sockets are skipped. */
int image_layer_diff(int upper_dirfd, int out_fd, const struct image_layer_diff_opts *opts,
                     struct image_layer_stats *out, struct berth_error **err);

#endif
