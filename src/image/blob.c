/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/ahead.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define COPY_CHUNK (1 << 20)

static char *blob_rel(const char *digest)
{
        return xasprintf("blobs/sha256/%s", image_digest_hex(digest));
}

int image_blob_open(struct image_store *s, const char *digest, struct berth_error **err)
{
        if (image_digest_validate(digest, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *rel = blob_rel(digest);
        /* O_NONBLOCK: something other than a file in blobs/ (a FIFO)
         * must fail the read, not hang every command that lists images. */
        int fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return berth_err(err, errno, "blob %s", digest);
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return berth_err(err, EINVAL, "blob %s is not a regular file", digest);
        }
        return fd;
}

static int read_verified(int fd, const char *digest, char **buf, size_t *len,
                         struct berth_error **err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_err(err, errno, "blob %s", digest);
        if (st.st_size > 64 << 20)
                return berth_err(err, EFBIG, "blob %s is too large to read whole", digest);
        _cleanup_free_ char *b = xmalloc((size_t)st.st_size + 1);
        ssize_t n = util_read_all(fd, b, (size_t)st.st_size);
        if (n < 0)
                return berth_err(err, errno, "reading blob %s", digest);
        b[n] = '\0';
        char got[IMAGE_DIGEST_LEN];
        image_digest_buffer(b, (size_t)n, got);
        if (strcmp(got, digest) != 0)
                return berth_err(err, 0, "blob %s is corrupt: its content hashes to %s", digest,
                                 got);
        *buf = steal_pointer(&b);
        *len = (size_t)n;
        return 0;
}

int image_blob_read(struct image_store *s, const char *digest, char **buf, size_t *len,
                    struct berth_error **err)
{
        _cleanup_close_ int fd = image_blob_open(s, digest, err);
        if (fd < 0)
                return fd;
        return read_verified(fd, digest, buf, len, err);
}

int image_blob_stat(struct image_store *s, const char *digest, int64_t *size)
{
        _cleanup_free_ char *rel = blob_rel(digest);
        struct stat st;
        if (fstatat(s->root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return 0;
        if (size != NULL)
                *size = st.st_size;
        return 1;
}

int image_blob_list(struct image_store *s, char ***out, struct berth_error **err)
{
        _cleanup_close_ int fd =
            openat(s->root_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "listing blobs");
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
        if (d == NULL)
                return berth_err(err, errno, "listing blobs");
        _cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
                        continue;
                _cleanup_free_ char *dg = xasprintf("sha256:%s", de->d_name);
                strv_append(&v, dg);
        }
        *out = steal_pointer(&v);
        return 0;
}

int image_blob_remove(struct image_store *s, const char *digest, struct berth_error **err)
{
        _cleanup_free_ char *rel = blob_rel(digest);
        if (unlinkat(s->root_fd, rel, 0) < 0 && errno != ENOENT)
                return berth_err(err, errno, "removing blob %s", digest);
        return 0;
}

/* ---- transactions ---- */

struct publish {
        char *staged;
        char *dest;
};

struct extracted {
        char blob[IMAGE_DIGEST_LEN];
        char diff_id[IMAGE_DIGEST_LEN];
        char *dir;
        int64_t size;
};

struct image_txn {
        struct image_store *store;
        struct extracted *extracted;
        size_t n_extracted;
        char *name; /* under staging/ */
        int dir_fd;
        char **blobs; /* staged blob hex names */
        struct publish *dirs;
        size_t n_dirs;
        unsigned tmp_seq;
        bool committed;
};

int image_txn_begin(struct image_store *s, struct image_txn **out, struct berth_error **err)
{
        if (!s->exclusive)
                return berth_err(err, EPERM, "internal: a transaction needs the exclusive lock");
        struct image_txn *t = xcalloc(1, sizeof(*t));
        _cleanup_txn_ struct image_txn *owned = t;
        t->store = s;
        t->dir_fd = -1;
        t->blobs = xcalloc(1, sizeof(char *));
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t->name = xasprintf("staging/%d-%ld%09ld", (int)getpid(), (long)ts.tv_sec, ts.tv_nsec);
        if (mkdirat(s->root_fd, t->name, 0700) < 0)
                return berth_err(err, errno, "creating %s/%s", s->root, t->name);
        t->dir_fd = openat(s->root_fd, t->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->dir_fd < 0)
                return berth_err(err, errno, "opening %s/%s", s->root, t->name);
        if (mkdirat(t->dir_fd, "blobs", 0700) < 0)
                return berth_err(err, errno, "creating staging blobs dir");
        *out = steal_pointer(&owned);
        return 0;
}

static bool staged(struct image_txn *t, const char *hex)
{
        for (char **b = t->blobs; *b != NULL; b++)
                if (strcmp(*b, hex) == 0)
                        return true;
        return false;
}

/* Move the finished temp file to blobs/<hex> in staging, or drop it when
 * that content is already staged. */
static int stage(struct image_txn *t, const char *tmp, const char *digest, struct berth_error **err)
{
        const char *hex = image_digest_hex(digest);
        if (staged(t, hex)) {
                unlinkat(t->dir_fd, tmp, 0);
                return 0;
        }
        _cleanup_free_ char *dst = xasprintf("blobs/%s", hex);
        if (renameat(t->dir_fd, tmp, t->dir_fd, dst) < 0)
                return berth_err(err, errno, "staging blob %s", digest);
        strv_append(&t->blobs, hex);
        return 0;
}

int image_txn_blob_put_fd(struct image_txn *t, int fd, const char *expected, int64_t expected_size,
                          char out[IMAGE_DIGEST_LEN], struct berth_error **err)
{
        _cleanup_free_ char *tmp = xasprintf("tmp-%u", t->tmp_seq++);
        _cleanup_close_ int wfd =
            openat(t->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (wfd < 0)
                return berth_err(err, errno, "creating staged blob");
        _cleanup_digester_ struct image_digester *d = image_digester_new();
        _cleanup_free_ char *buf = xmalloc(COPY_CHUNK);
        struct image_ahead *ahead = NULL;
        int64_t total = 0;
        for (;;) {
                ssize_t n = read(fd, buf, COPY_CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        image_ahead_finish(t, &ahead, NULL, false);
                        unlinkat(t->dir_fd, tmp, 0);
                        return berth_err(err, e, "reading blob");
                }
                if (n == 0)
                        break;
                if (total == 0 && (expected_size < 0 || expected_size >= IMAGE_AHEAD_MIN) &&
                    image_ahead_looks_like_layer((unsigned char *)buf, (size_t)n))
                        ahead = image_ahead_start(t);
                image_digester_update(d, buf, (size_t)n);
                if (util_write_all(wfd, buf, (size_t)n) < 0) {
                        int e = errno;
                        image_ahead_finish(t, &ahead, NULL, false);
                        unlinkat(t->dir_fd, tmp, 0);
                        return berth_err(err, e, "writing staged blob");
                }
                image_ahead_feed(&ahead, buf, (size_t)n);
                total += n;
                /* A descriptor's size bounds what we accept: a hostile
                 * source can't fill the disk past it. */
                if (expected_size >= 0 && total > expected_size)
                        break;
        }
        char got[IMAGE_DIGEST_LEN];
        image_digester_final(d, got);
        bool ok = (expected_size < 0 || total == expected_size) &&
                  (expected == NULL || strcmp(got, expected) == 0);
        image_ahead_finish(t, &ahead, got, ok);
        if (expected_size >= 0 && total != expected_size) {
                unlinkat(t->dir_fd, tmp, 0);
                return berth_err(
                    err, 0, "blob %s: size mismatch: expected %" PRId64 " bytes, got %s%" PRId64,
                    expected ? expected : got, expected_size,
                    total > expected_size ? "more than " : "", total);
        }
        if (expected != NULL && strcmp(got, expected) != 0) {
                unlinkat(t->dir_fd, tmp, 0);
                return berth_err(err, 0, "blob %s: digest mismatch: content hashes to %s", expected,
                                 got);
        }
        if (stage(t, tmp, got, err) < 0)
                return berth_err_ret(*err);
        if (out != NULL)
                memcpy(out, got, IMAGE_DIGEST_LEN);
        return 0;
}

int image_txn_blob_put_buffer(struct image_txn *t, const void *buf, size_t len,
                              const char *expected, char out[IMAGE_DIGEST_LEN],
                              struct berth_error **err)
{
        char got[IMAGE_DIGEST_LEN];
        image_digest_buffer(buf, len, got);
        if (expected != NULL && strcmp(got, expected) != 0)
                return berth_err(err, 0, "blob %s: digest mismatch: content hashes to %s", expected,
                                 got);
        if (out != NULL)
                memcpy(out, got, IMAGE_DIGEST_LEN);
        if (staged(t, image_digest_hex(got)))
                return 0;
        _cleanup_free_ char *tmp = xasprintf("tmp-%u", t->tmp_seq++);
        if (util_file_write_atomic(t->dir_fd, tmp, buf, len, 0600, err) < 0)
                return berth_err_ret(*err);
        return stage(t, tmp, got, err);
}

int image_txn_blob_adopt(struct image_txn *t, const char *name, const char *digest,
                         struct berth_error **err)
{
        const char *hex = image_digest_hex(digest);
        if (staged(t, hex))
                return 0;
        _cleanup_free_ char *dst = xasprintf("blobs/%s", hex);
        if (linkat(t->dir_fd, name, t->dir_fd, dst, 0) < 0)
                return berth_err(err, errno, "staging blob %s", digest);
        strv_append(&t->blobs, hex);
        return 0;
}

int image_txn_blob_open(struct image_txn *t, const char *digest, struct berth_error **err)
{
        if (image_digest_validate(digest, err) < 0)
                return berth_err_ret(*err);
        if (staged(t, image_digest_hex(digest))) {
                _cleanup_free_ char *rel = xasprintf("blobs/%s", image_digest_hex(digest));
                int fd = openat(t->dir_fd, rel, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return berth_err(err, errno, "staged blob %s", digest);
                return fd;
        }
        return image_blob_open(t->store, digest, err);
}

int image_txn_blob_read(struct image_txn *t, const char *digest, char **buf, size_t *len,
                        struct berth_error **err)
{
        _cleanup_close_ int fd = image_txn_blob_open(t, digest, err);
        if (fd < 0)
                return fd;
        return read_verified(fd, digest, buf, len, err);
}

int image_txn_blob_has(struct image_txn *t, const char *digest)
{
        return staged(t, image_digest_hex(digest)) || image_blob_stat(t->store, digest, NULL);
}

int image_txn_dir_fd(struct image_txn *t)
{
        return t->dir_fd;
}

struct image_store *image_txn_store(struct image_txn *t)
{
        return t->store;
}

void image_txn_publish_dir(struct image_txn *t, const char *staged_name, const char *dest)
{
        t->dirs = xrealloc(t->dirs, (t->n_dirs + 1) * sizeof(*t->dirs));
        t->dirs[t->n_dirs].staged = xstrdup(staged_name);
        t->dirs[t->n_dirs].dest = xstrdup(dest);
        t->n_dirs++;
}

int image_txn_publishes(struct image_txn *t, const char *dest)
{
        for (size_t i = 0; i < t->n_dirs; i++)
                if (strcmp(t->dirs[i].dest, dest) == 0)
                        return 1;
        return 0;
}

void image_txn_note_extracted(struct image_txn *t, const char *blob, const char *dir,
                              const char *diff_id, int64_t size)
{
        t->extracted = xrealloc(t->extracted, (t->n_extracted + 1) * sizeof(*t->extracted));
        struct extracted *e = &t->extracted[t->n_extracted++];
        memcpy(e->blob, blob, IMAGE_DIGEST_LEN);
        memcpy(e->diff_id, diff_id, IMAGE_DIGEST_LEN);
        e->dir = xstrdup(dir);
        e->size = size;
}

int image_txn_take_extracted(struct image_txn *t, const char *blob, char **dir,
                             char diff_id[IMAGE_DIGEST_LEN], int64_t *size)
{
        for (size_t i = 0; i < t->n_extracted; i++) {
                struct extracted *e = &t->extracted[i];
                if (strcmp(e->blob, blob) != 0)
                        continue;
                *dir = e->dir;
                memcpy(diff_id, e->diff_id, IMAGE_DIGEST_LEN);
                *size = e->size;
                t->extracted[i] = t->extracted[--t->n_extracted];
                return 1;
        }
        return 0;
}

static int fsync_at(int dirfd, const char *name)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int image_txn_commit(struct image_txn *t, const struct image_db *db, struct berth_error **err)
{
        struct image_store *s = t->store;
        /* Everything staged reaches the disk before any of it becomes
         * visible: a crash after a rename below can't leave a blob or a
         * layer file that exists under its final name but is empty. */
        if (syncfs(t->dir_fd) < 0)
                return berth_err(err, errno, "syncing %s", s->root);
        for (char **b = t->blobs; *b != NULL; b++) {
                _cleanup_free_ char *src = xasprintf("blobs/%s", *b);
                _cleanup_free_ char *dst = xasprintf("blobs/sha256/%s", *b);
                if (renameat(t->dir_fd, src, s->root_fd, dst) < 0)
                        return berth_err(err, errno, "publishing blob sha256:%s", *b);
        }
        for (size_t i = 0; i < t->n_dirs; i++) {
                if (faccessat(s->root_fd, t->dirs[i].dest, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                        continue;
                if (renameat(t->dir_fd, t->dirs[i].staged, s->root_fd, t->dirs[i].dest) < 0)
                        return berth_err(err, errno, "publishing %s", t->dirs[i].dest);
        }
        if (fsync_at(s->root_fd, "blobs/sha256") < 0 || fsync_at(s->root_fd, "layers") < 0)
                return berth_err(err, errno, "syncing %s", s->root);
        /* images.json last: only now does the new image exist. */
        if (db != NULL && image_db_save(s, db, err) < 0)
                return berth_err_ret(*err);
        t->committed = true;
        return 0;
}

void image_txn_free(struct image_txn *t)
{
        if (t == NULL)
                return;
        if (t->dir_fd >= 0)
                close(t->dir_fd);
        if (t->name != NULL) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)util_path_remove_tree(t->store->root_fd, t->name, &scratch);
        }
        strv_free(t->blobs);
        for (size_t i = 0; i < t->n_dirs; i++) {
                free(t->dirs[i].staged);
                free(t->dirs[i].dest);
        }
        free(t->dirs);
        for (size_t i = 0; i < t->n_extracted; i++)
                free(t->extracted[i].dir);
        free(t->extracted);
        free(t->name);
        free(t);
}

void image_txn_freep(struct image_txn **t)
{
        image_txn_free(*t);
        *t = NULL;
}
