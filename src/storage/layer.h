/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_STORAGE_LAYER_H
#define BERTH_STORAGE_LAYER_H

#include <stdint.h>

#include "image/store.h"
#include "util/error.h"

/*
 * Extracted layers, keyed by chain ID: <root>/layers/<hex>/{diff/,meta.json}.
 * diff/ is an overlay lower dir (whiteouts as 0:0 devices, opaque dirs as
 * trusted.overlay.opaque=y), made once and shared by every image whose
 * stack contains it.
 */

struct storage_layer_meta {
        char chain_id[IMAGE_DIGEST_LEN];
        char diff_id[IMAGE_DIGEST_LEN];
        char parent[IMAGE_DIGEST_LEN]; /* "" for a base layer */
        char blob[IMAGE_DIGEST_LEN];   /* the blob it was made from */
        int64_t size;                  /* uncompressed tar bytes */
};

/* Make the layer chain_id from blob in transaction t unless it exists
 * (in the store or already staged in t): extracted into t's staging
 * directory, its diff ID checked against diff_id, published at commit.
 * With chain_id and diff_id NULL (an import: nothing vouches for the
 * content yet), both are learned from the extracted content. */
int storage_layer_ensure(struct image_txn *t, const char *chain_id, const char *parent,
                         const char *diff_id, const char *blob, struct storage_layer_meta *out,
                         struct berth_error **err);

/* 1 found, 0 absent */
int storage_layer_get(struct image_store *s, const char *chain_id, struct storage_layer_meta *out,
                      struct berth_error **err);
/* Chain IDs of every layer in the store. */
int storage_layer_list(struct image_store *s, char ***out, struct berth_error **err);
int storage_layer_remove(struct image_store *s, const char *chain_id, struct berth_error **err);

/* The diff/ directory of a layer, for overlay lowerdir= (fresh string). */
char *storage_layer_diff_path(struct image_store *s, const char *chain_id);

#endif
