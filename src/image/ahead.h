/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_AHEAD_H
#define BERTH_IMAGE_AHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "image/store.h"

/*
 * Extract-ahead: a member that looks like a layer (a tar, gzip or zstd
 * stream) is applied by a second thread while the main one writes it to
 * staging, fed through a pipe.  The two writes of a load (the blob, kept
 * for `save`, and the extracted tree) then overlap instead of following
 * each other.  It is only a guess: which members are layers, and their
 * diff IDs, are known only once the manifest is read, so the result is
 * recorded against the blob's digest and storage uses it only if the
 * config's diff ID matches; a failure here is ignored (the ordinary path
 * repeats it and reports it).
 */
struct image_ahead;

/* Blobs smaller than this are extracted later, the ordinary way: the
 * thread isn't worth it. */
#define IMAGE_AHEAD_MIN (1 << 20)

/* A tar, gzip or zstd stream, from its first bytes. */
bool image_ahead_looks_like_layer(const unsigned char *b, size_t n);
/* Start applying into staging/<txn>/ahead-<n>/diff; NULL if that can't
 * start (the ordinary path then does the work). */
struct image_ahead *image_ahead_start(struct image_txn *t);
/* Hand the next bytes of the blob to the thread. */
void image_ahead_feed(struct image_ahead **ap, const void *buf, size_t n);
/* Wait for the thread; when complete (the blob was whole and verified as
 * digest) and it succeeded, record the tree in t for storage to take. */
void image_ahead_finish(struct image_txn *t, struct image_ahead **ap, const char *digest,
                        bool complete);

#endif
