/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_VIEW_H
#define BERTH_IMAGE_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "image/config.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/store.h"
#include "util/error.h"

/*
 * Read-only views of the store for `images`, `image inspect`, `history`
 * and `image tree`; each takes the store's shared lock for its duration.
 */

struct image_summary {
        char id[IMAGE_DIGEST_LEN];
        char manifest[IMAGE_DIGEST_LEN];
        char **repo_tags;    /* familiar: "busybox:latest" */
        char **repo_digests; /* familiar: "busybox@sha256:..." */
        time_t created;      /* -1 when the config has no date */
        time_t added;
        int64_t size;
        struct image_config *config;
        char parent[IMAGE_DIGEST_LEN]; /* "" when none; see image_config_extends */
        size_t children;               /* images whose parent this is */
};

/* Docker's intermediate image: untagged, the parent of another; `images`
 * shows it only with -a, and it is not dangling. */
bool image_summary_intermediate(const struct image_summary *s);

struct image_list {
        struct image_summary *items; /* newest first */
        size_t n;
};

int image_list_get(const char *root, struct image_list **out, struct berth_error **err);
void image_list_free(struct image_list *l);
void image_list_freep(struct image_list **l);
#define _cleanup_image_list_ __attribute__((cleanup(image_list_freep)))

/* One image, resolved as image_db_resolve does; its manifest and config. */
struct image_details {
        struct image_summary summary;
        struct image_manifest *manifest;
        char *config_json; /* the config blob as stored */
        int64_t manifest_size;
};

/* 1 found, 0 no such image, negative on error. */
int image_details_get(const char *root, const char *what, struct image_details **out,
                      struct berth_error **err);
void image_details_free(struct image_details *d);
void image_details_freep(struct image_details **d);
#define _cleanup_image_details_ __attribute__((cleanup(image_details_freep)))

/* Docker's `image inspect` object for d. */
json_t *image_details_inspect(const struct image_details *d);

/* The config of each image in db, in db's order; NULL for one that can't
 * be read.  Free with image_configs_free(c, db->n_images). */
struct image_config **image_db_configs(struct image_store *s, struct image_db *db);
void image_configs_free(struct image_config **c, size_t n);

/* RFC 3339 to a unix time; -1 when absent or unparseable. */
time_t image_time_parse(const char *s);

#endif
