/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_SOURCE_H
#define BERTH_IMAGE_SOURCE_H

#include <stdint.h>

#include "image/digest.h"
#include "image/store.h"
#include "util/error.h"

/*
 * An image archive being read: a directory (OCI image layout, or an
 * unpacked `docker save`) or a tar of one, plain or compressed (gzip,
 * zstd, xz, bzip2: libarchive detects the filter from content).  A tar is
 * streamed once into the transaction's staging area, each member hashed
 * as it is written, so its blobs are adopted without a second copy.
 */
struct image_source;

int image_source_open(struct image_txn *t, const char *path, struct image_source **out,
                      struct berth_error **err);
/* 1 if the archive has a regular file (or link to one) called name */
int image_source_has(struct image_source *src, const char *name);
int image_source_read(struct image_source *src, const char *name, char **buf, size_t *len,
                      struct berth_error **err);
/* Stage member name as a blob, verified against expected (when non-NULL)
 * and expected_size (when >= 0); out receives its digest. */
int image_source_put_blob(struct image_source *src, const char *name, const char *expected,
                          int64_t expected_size, char out[IMAGE_DIGEST_LEN],
                          struct berth_error **err);
/* The first bytes of a member (compression sniffing). */
int image_source_peek(struct image_source *src, const char *name, unsigned char *buf, size_t len,
                      struct berth_error **err);
void image_source_free(struct image_source *src);
void image_source_freep(struct image_source **src);
#define _cleanup_source_ __attribute__((cleanup(image_source_freep)))

#endif
