/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_DIGEST_H
#define BERTH_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* "sha256:" + 64 hex digits + NUL */
#define IMAGE_DIGEST_LEN 72

/* Streaming SHA-256 (OpenSSL) producing OCI digest strings. */
struct image_digester;

struct image_digester *image_digester_new(void);
void image_digester_update(struct image_digester *d, const void *buf, size_t len);
/* Writes "sha256:<hex>" into out; the digester can't be updated after. */
void image_digester_final(struct image_digester *d, char out[IMAGE_DIGEST_LEN]);
void image_digester_free(struct image_digester *d);
void image_digester_freep(struct image_digester **d);
#define _cleanup_digester_ __attribute__((cleanup(image_digester_freep)))

/* One-shot digest of a buffer. */
void image_digest_buffer(const void *buf, size_t len, char out[IMAGE_DIGEST_LEN]);

/* A well-formed "sha256:<64 lowercase hex>"; other algorithms are refused
 * with a clear error naming the digest. */
int image_digest_validate(const char *digest, struct berth_error **err);

/* The hex part of a validated digest. */
static inline const char *image_digest_hex(const char *digest)
{
        return digest + 7;
}

#endif
