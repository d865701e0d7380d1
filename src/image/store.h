/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/digest.h"
#include "util/error.h"

/*
 * The image store under --root:
 *   lock                   flock: shared for readers, exclusive for writers
 *   blobs/sha256/<hex>     manifests, configs, layer blobs (verified on write)
 *   layers/<chainid>/      extracted layers (owned by storage/)
 *   images.json            images and tags, written last and atomically
 *   staging/<txn>/         a writer's work in progress; removed by the next
 *                          command that takes the lock exclusively
 *
 * Every writer works in a transaction: blobs and layer directories are
 * made under staging/ and renamed into place at commit, then images.json
 * is replaced.  A writer killed at any instant leaves at most unreferenced
 * but complete blobs and layers, which garbage collection removes.
 */

struct image_store {
        char *root;
        int root_fd;
        int lock_fd;
        bool exclusive;
};

int image_store_open(const char *root, bool exclusive, struct image_store **out,
                     struct berth_error **err);
void image_store_free(struct image_store *s);
void image_store_freep(struct image_store **s);
#define _cleanup_store_ __attribute__((cleanup(image_store_freep)))

/* ---- images.json ---- */

struct image_record {
        char id[IMAGE_DIGEST_LEN]; /* the config digest */
        char **manifests;          /* manifest digests, first = primary */
        int64_t size;              /* sum of uncompressed layer sizes */
        int64_t added;             /* unix time it entered the store */
};

struct image_tag {
        char *name; /* normalized "domain/path:tag" */
        char manifest[IMAGE_DIGEST_LEN];
};

struct image_db {
        struct image_record *images;
        size_t n_images;
        struct image_tag *tags;
        size_t n_tags;
};

int image_db_load(struct image_store *s, struct image_db **out, struct berth_error **err);
/* Needs the exclusive lock. */
int image_db_save(struct image_store *s, const struct image_db *db, struct berth_error **err);
void image_db_free(struct image_db *db);
void image_db_freep(struct image_db **db);
#define _cleanup_db_ __attribute__((cleanup(image_db_freep)))

struct image_record *image_db_find_id(struct image_db *db, const char *id);
struct image_record *image_db_find_manifest(struct image_db *db, const char *manifest);
/* Add (or extend) the record for config id with manifest; returns it. */
struct image_record *image_db_add(struct image_db *db, const char *id, const char *manifest,
                                  int64_t size);
/* Point name at manifest (moving the tag if it named another). */
void image_db_tag(struct image_db *db, const char *name, const char *manifest);
/* 1 removed, 0 no such tag */
int image_db_untag(struct image_db *db, const char *name);
void image_db_remove(struct image_db *db, const char *id);
/* Tags whose manifest belongs to rec (borrowed names; free the array). */
const char **image_db_tags_of(struct image_db *db, const struct image_record *rec, size_t *n);

/* Resolve what a user typed: a name[:tag], name@digest, a full image ID
 * or a unique ID prefix.  Returns 1 found (with *rec and, when a tag or
 * digest named it, *matched set to the normalized name, else NULL), 0 not
 * found, negative on an invalid or ambiguous reference. */
int image_db_resolve(struct image_db *db, const char *what, struct image_record **rec,
                     char **matched, struct berth_error **err);

/* ---- blobs ---- */

int image_blob_open(struct image_store *s, const char *digest, struct berth_error **err);
/* Whole blob in memory, re-verified against its digest. */
int image_blob_read(struct image_store *s, const char *digest, char **buf, size_t *len,
                    struct berth_error **err);
/* 1 present (with *size), 0 absent */
int image_blob_stat(struct image_store *s, const char *digest, int64_t *size);
/* Every blob digest in the store. */
int image_blob_list(struct image_store *s, char ***out, struct berth_error **err);
int image_blob_remove(struct image_store *s, const char *digest, struct berth_error **err);

/* ---- transactions ---- */

struct image_txn;

int image_txn_begin(struct image_store *s, struct image_txn **out, struct berth_error **err);
/* Copy fd to EOF into a staged blob while hashing; refuse it unless its
 * digest is expected (when non-NULL) and its size expected_size (when
 * >= 0).  out receives the digest. */
int image_txn_blob_put_fd(struct image_txn *t, int fd, const char *expected, int64_t expected_size,
                          char out[IMAGE_DIGEST_LEN], struct berth_error **err);
int image_txn_blob_put_buffer(struct image_txn *t, const void *buf, size_t len,
                              const char *expected, char out[IMAGE_DIGEST_LEN],
                              struct berth_error **err);
/* A file under the txn's staging dir whose digest the caller computed
 * while writing it: hard-link it in as a staged blob. */
int image_txn_blob_adopt(struct image_txn *t, const char *name, const char *digest,
                         struct berth_error **err);
/* Open/read a blob staged in t or already in the store. */
int image_txn_blob_open(struct image_txn *t, const char *digest, struct berth_error **err);
int image_txn_blob_read(struct image_txn *t, const char *digest, char **buf, size_t *len,
                        struct berth_error **err);
/* 1 if staged in t or present in the store */
int image_txn_blob_has(struct image_txn *t, const char *digest);
/* The txn's staging directory (fd owned by t) and its store. */
int image_txn_dir_fd(struct image_txn *t);
struct image_store *image_txn_store(struct image_txn *t);
/* At commit, rename staging/<txn>/<staged> to <root>/<dest>; if dest
 * already exists the staged copy is dropped (content-addressed). */
void image_txn_publish_dir(struct image_txn *t, const char *staged, const char *dest);
/* 1 if dest is already to be published by t */
int image_txn_publishes(struct image_txn *t, const char *dest);
/* Sync, publish blobs then directories, then write db (if non-NULL). */
int image_txn_commit(struct image_txn *t, const struct image_db *db, struct berth_error **err);
/* Drops whatever was not committed. */
void image_txn_free(struct image_txn *t);
void image_txn_freep(struct image_txn **t);
#define _cleanup_txn_ __attribute__((cleanup(image_txn_freep)))

#endif
