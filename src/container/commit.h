/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_COMMIT_H
#define BERTH_CONTAINER_COMMIT_H

#include "image/digest.h"
#include "util/error.h"

/*
 * `commit`: the container's upper dir becomes one more layer on its image
 * (image_layer_diff: whiteouts and opaque dirs as `.wh.` entries), in a new
 * config that has the container's Config (Env, Cmd, Entrypoint, Labels,
 * ...) and then the changes applied, with a history entry and the layer's
 * diff ID appended.  Blob, extracted layer, config, manifest and tag go in
 * through one image store transaction: after a crash the image is there
 * whole or not at all.
 */
struct container_commit_opts {
        const char *reference; /* REPO[:TAG]; NULL: untagged */
        char *const *changes;  /* Dockerfile lines (-c), already split per change */
        const char *message;   /* -m */
        const char *author;    /* -a */
};

/* id is a full container ID; image_id receives the new image's ID. */
int container_commit(const char *root, const char *id, const struct container_commit_opts *o,
                     char image_id[IMAGE_DIGEST_LEN], struct berth_error **err);

#endif
