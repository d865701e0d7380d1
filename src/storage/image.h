/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_STORAGE_IMAGE_H
#define BERTH_STORAGE_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "image/load.h"
#include "image/view.h"
#include "storage/layer.h"
#include "image/store.h"
#include "util/error.h"

/*
 * Engine operations on whole images: what the CLI and the API call.  Each
 * opens the store under --root with the right lock and runs as one
 * transaction.
 */

/* Load images from an archive (see image_load_archive), extract every
 * layer not yet present, then record images and tags. */
int storage_image_load(const char *root, const char *path, const struct image_load_opts *opts,
                       struct image_load_result **out, struct berth_error **err);

struct storage_import_opts {
        const char *reference; /* NULL: untagged */
        char *const *changes;  /* Dockerfile lines: CMD, ENTRYPOINT, ENV, ... */
        const char *message;
        const struct image_platform *platform; /* NULL: linux/amd64 */
        image_progress_fn progress;
        void *progress_data;
};

/* A root filesystem tarball ("-" for stdin) as a one-layer image. */
int storage_image_import(const char *root, const char *path, const struct storage_import_opts *opts,
                         char id[IMAGE_DIGEST_LEN], struct berth_error **err);

struct storage_rmi_result {
        char **untagged; /* familiar names */
        char **deleted;  /* image IDs */
};

/*
 * Docker's rmi: a name removes that tag, and the image with its last tag;
 * an ID removes the image, refused when several names point at it unless
 * force.  An image that a container uses (containers/<id>/container.json
 * with "Image": "<image ID>") is never deleted: without force that is an
 * error, with force it is only untagged (a running container's image
 * can't be removed by ID even then).  An image others are built on
 * (image_config_extends) loses its last name but stays; by ID it is
 * refused.  Unless no_prune, its unnamed, unused parents go with it.
 * Unreferenced blobs and layers are collected afterwards.
 */
struct storage_rmi_opts {
        bool force;
        bool no_prune;
};

int storage_image_remove(const char *root, char *const *what, const struct storage_rmi_opts *o,
                         struct storage_rmi_result *out, struct berth_error **err);
void storage_rmi_result_clear(struct storage_rmi_result *r);

/* Remove dangling images (all unused ones with all), then collect.  An
 * intermediate image goes once nothing is built on it any more. */
int storage_image_prune(const char *root, bool all, struct storage_rmi_result *out,
                        int64_t *reclaimed, struct berth_error **err);

/* Remove every blob and layer that no image references; needs the
 * exclusive lock. */
int storage_gc(struct image_store *s, struct image_db *db, int64_t *reclaimed,
               struct berth_error **err);

/* 1 with *container set when a container record names image id (a
 * running one if any, then *running is set). */
int storage_image_in_use(struct image_store *s, const char *id, char **container, bool *running);

/* Bytes that layers/ holds for one image's chain (shared layers counted
 * once per call). */
int storage_image_layers_size(struct image_store *s, const char *manifest, int64_t *size,
                              struct berth_error **err);

/* An image's details and, bottom first, the layers its config names
 * (meta zeroed for a layer missing from layers/). */
int storage_image_describe(const char *root, const char *what, struct image_details **d,
                           struct storage_layer_meta **layers, struct berth_error **err);

/* What the container engine needs to build a rootfs and an OCI spec. */
struct storage_image_rootfs {
        char id[IMAGE_DIGEST_LEN];
        struct image_config *config;
        char **lowerdirs; /* layers/<chain>/diff, top layer first (overlay's
                           * lowerdir= order); empty for an image without
                           * layers */
};

/* Resolve what (a name, name@digest or ID prefix) to its config and layer
 * directories; 1 found, 0 no such image.  Fails when a layer is missing. */
int storage_image_rootfs_get(const char *root, const char *what, struct storage_image_rootfs **out,
                             struct berth_error **err);
void storage_image_rootfs_free(struct storage_image_rootfs *r);
void storage_image_rootfs_freep(struct storage_image_rootfs **r);
#define _cleanup_image_rootfs_ __attribute__((cleanup(storage_image_rootfs_freep)))

/* One image in `system df -v`. */
struct storage_df_image {
        char id[IMAGE_DIGEST_LEN];
        char **repo_tags;    /* familiar names; empty when untagged */
        time_t created;      /* -1 when the config has no date */
        int64_t size;        /* its layers */
        int64_t shared_size; /* of which other listed images have too */
        size_t containers;   /* containers made from it */
};

/* What the image store holds on disk.  Layers count once however many
 * images share them; intermediate images are not listed (their layers
 * are their children's), as in Docker's df. */
struct storage_df {
        size_t images, images_active; /* active: some container uses it */
        int64_t images_size, images_reclaimable;
        struct storage_df_image *rows; /* images of them */
};

int storage_df_get(const char *root, struct storage_df *out, struct berth_error **err);
void storage_df_clear(struct storage_df *df);

#endif
