/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_SAVE_H
#define BERTH_IMAGE_SAVE_H

#include "image/load.h"
#include "util/error.h"

enum image_save_format {
        /* `docker save` as Docker 25+ writes it: manifest.json and
         * repositories for old readers, plus an OCI layout (index.json,
         * oci-layout, blobs/sha256/) that keeps manifest digests. */
        IMAGE_SAVE_DOCKER_ARCHIVE,
        IMAGE_SAVE_OCI_ARCHIVE, /* an OCI image layout in a tar */
        IMAGE_SAVE_OCI_DIR,     /* an OCI image layout as a directory */
};

int image_save_format_parse(const char *s, enum image_save_format *out, struct berth_error **err);

/* Write the images named by what (names, IDs) to out_path, or to out_fd
 * when out_path is NULL (tar formats only).  Blobs are written as stored:
 * every digest survives save -> load. */
int image_save(const char *root, char *const *what, enum image_save_format format,
               const char *out_path, int out_fd, image_progress_fn progress, void *progress_data,
               struct berth_error **err);

#endif
