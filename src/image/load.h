/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_LOAD_H
#define BERTH_IMAGE_LOAD_H

#include <stdint.h>

#include "image/config.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/store.h"
#include "util/error.h"

/* Progress of long work, one call per layer (what: "Loading layer",
 * "Extracting", ...).  May be NULL. */
typedef void (*image_progress_fn)(const char *what, const char *digest, int64_t size, void *data);

struct image_loaded {
        char manifest[IMAGE_DIGEST_LEN];
        char id[IMAGE_DIGEST_LEN];
        char **names; /* normalized "domain/path:tag" */
};

struct image_load_result {
        struct image_loaded *images;
        size_t n;
};

struct image_load_opts {
        const struct image_platform *platform; /* NULL: linux/amd64 */
        image_progress_fn progress;
        void *progress_data;
};

/* Stage every blob of the images in the archive at path (docker-archive
 * or OCI layout; a directory or a tar, compressed or not) into t, each
 * verified against its descriptor.  A docker-archive has no manifests: a
 * Docker schema 2 manifest is made for each image (deterministically, so
 * save -> load keeps its digest).  Layers are not extracted here. */
int image_load_archive(struct image_txn *t, const char *path, const struct image_load_opts *opts,
                       struct image_load_result **out, struct berth_error **err);

/* The manifest and config of an image staged in t or in its store. */
int image_read_image(struct image_txn *t, struct image_store *s, const char *manifest_digest,
                     struct image_manifest **m, struct image_config **c, struct berth_error **err);

void image_load_result_free(struct image_load_result *r);
void image_load_result_freep(struct image_load_result **r);
#define _cleanup_load_result_ __attribute__((cleanup(image_load_result_freep)))

#endif
