/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_LAYER_PRIVATE_H
#define BERTH_IMAGE_LAYER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "image/layer.h"
#include "util/error.h"

/* Internals shared by layer-apply.c, layer-diff.c and the unit tests. */

/* Big enough that a tar of mostly large files is read, hashed and written
 * in few system calls; small enough to stay in L2/L3 on the way through. */
#define LAYER_IO_BUF (1024 * 1024)

/* ---- layer-reader.c: a layer stream, decompressed and hashed ---- */

enum layer_compression {
        LAYER_PLAIN,
        LAYER_GZIP,
        LAYER_ZSTD,
};

struct layer_reader;

/* Reads from in_fd (not owned).  Detects the compression from the first
 * bytes; an unsupported one (xz, bzip2) is refused here. */
int layer_reader_new(int in_fd, void (*progress)(uint64_t, void *), void *progress_data,
                     struct layer_reader **out, struct berth_error **err);
/* The next run of uncompressed bytes, already hashed: > 0 bytes, 0 at the
 * end of the stream, negative on error. */
ssize_t layer_reader_read(struct layer_reader *r, const void **buf, struct berth_error **err);
/* Reads (and hashes) what is left: the tar end blocks and any padding
 * after them belong to the diff_id too. */
int layer_reader_drain(struct layer_reader *r, struct berth_error **err);
enum layer_compression layer_reader_compression(const struct layer_reader *r);
/* Only once the stream is drained. */
void layer_reader_finish(struct layer_reader *r, char diff_id[IMAGE_DIGEST_LEN], uint64_t *size);
void layer_reader_free(struct layer_reader *r);
void layer_reader_freep(struct layer_reader **r);
#define _cleanup_layer_reader_ __attribute__((cleanup(layer_reader_freep)))

/* ---- layer-util.c ---- */

/*
 * Lexically clean a tar entry name: a leading "/" is dropped (Docker does
 * the same), "." and empty components vanish, ".." removes the previous
 * component.  Returns 0 with a fresh string ("" is the layer root), or -1
 * when ".." would leave the root.
 */
int layer_path_clean(const char *name, char **out);

/* A set of strings (open addressing), optionally mapping to a string. */
struct layer_set;
struct layer_set *layer_set_new(void);
/* Returns true if key was added, false if it was already there. */
bool layer_set_add(struct layer_set *s, const char *key, const char *value);
bool layer_set_contains(const struct layer_set *s, const char *key);
/* The value stored with key, or NULL. */
const char *layer_set_get(const struct layer_set *s, const char *key);
size_t layer_set_count(const struct layer_set *s);
void layer_set_free(struct layer_set *s);
void layer_set_freep(struct layer_set **s);
#define _cleanup_layer_set_ __attribute__((cleanup(layer_set_freep)))

/* xattrs that belong to the overlay itself: never taken from a tar (a
 * crafted trusted.overlay.redirect would steer overlayfs) nor put in one. */
bool layer_xattr_is_private(const char *name);

#endif
