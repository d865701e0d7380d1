/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/layer.h"
#include "image/source.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define CHUNK (1 << 20)
struct member {
        char *name;
        char *link; /* symlink/hardlink target, normalized; NULL for a file */
        char staged[32];
        char digest[IMAGE_DIGEST_LEN];
        int64_t size;
};

struct image_source {
        struct image_txn *txn;
        int dir_fd; /* a directory source, or -1 */
        struct member *members;
        size_t n_members;
};

/* Members smaller than this are extracted later, the ordinary way: the
 * thread isn't worth it. */
#define AHEAD_MIN (1 << 20)

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
struct ahead {
        pthread_t thread;
        int rfd, wfd;
        int dir_fd;
        char dir[32];
        int ret;
        struct image_layer_stats stats;
};

static void *ahead_run(void *arg)
{
        struct ahead *a = arg;
        struct image_layer_apply_opts opts = {.whiteouts = IMAGE_WHITEOUT_OVERLAY};
        struct berth_error *err = NULL;
        a->ret = image_layer_apply(a->rfd, a->dir_fd, &opts, &a->stats, &err);
        berth_error_free(err);
        /* Drain what the layer code left unread (padding after the end
         * of the archive), so the writer never blocks on a full pipe. */
        char buf[65536];
        while (read(a->rfd, buf, sizeof(buf)) > 0 || errno == EINTR)
                ;
        return NULL;
}

static bool looks_like_layer(const unsigned char *b, size_t n)
{
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                return true;
        if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
                return true;
        return n >= 263 && memcmp(b + 257, "ustar", 5) == 0;
}

static struct ahead *ahead_start(struct image_source *src, size_t seq)
{
        int tfd = image_txn_dir_fd(src->txn);
        struct ahead *a = xcalloc(1, sizeof(*a));
        a->rfd = a->wfd = a->dir_fd = -1;
        snprintf(a->dir, sizeof(a->dir), "ahead-%zu", seq);
        _cleanup_free_ char *diff = xasprintf("%s/diff", a->dir);
        int p[2];
        if (mkdirat(tfd, a->dir, 0700) < 0 || mkdirat(tfd, diff, 0755) < 0 ||
            (a->dir_fd = openat(tfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            pipe2(p, O_CLOEXEC) < 0)
                goto fail;
        a->rfd = p[0];
        a->wfd = p[1];
        (void)fcntl(a->wfd, F_SETPIPE_SZ, CHUNK);
        if (pthread_create(&a->thread, NULL, ahead_run, a) != 0)
                goto fail;
        return a;
fail:
        if (a->rfd >= 0)
                close(a->rfd);
        if (a->wfd >= 0)
                close(a->wfd);
        if (a->dir_fd >= 0)
                close(a->dir_fd);
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)util_path_remove_tree(tfd, a->dir, &scratch);
        free(a);
        return NULL;
}

/* Feed the thread; on a write error stop feeding (it sees EOF and fails). */
static void ahead_feed(struct ahead **ap, const void *buf, size_t n)
{
        struct ahead *a = *ap;
        if (a != NULL && a->wfd >= 0 && util_write_all(a->wfd, buf, n) < 0) {
                close(a->wfd);
                a->wfd = -1;
        }
}

/* Wait for the thread; record its layer under digest when it succeeded
 * and the stream was complete. */
static void ahead_finish(struct image_source *src, struct ahead **ap, const char *digest,
                         bool complete)
{
        struct ahead *a = *ap;
        if (a == NULL)
                return;
        *ap = NULL;
        if (a->wfd >= 0)
                close(a->wfd);
        pthread_join(a->thread, NULL);
        close(a->rfd);
        close(a->dir_fd);
        if (complete && a->ret >= 0) {
                image_txn_note_extracted(src->txn, digest, a->dir, a->stats.diff_id,
                                         (int64_t)a->stats.size);
        } else {
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)util_path_remove_tree(image_txn_dir_fd(src->txn), a->dir, &scratch);
        }
        free(a);
}

/* "./a//b" -> "a/b"; NULL for names that climb out ("..") */
static char *normalize(const char *dir, const char *name)
{
        _cleanup_free_ char *joined = dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
        char *out = xcalloc(1, strlen(joined) + 1);
        size_t o = 0;
        for (char *p = joined; *p;) {
                while (*p == '/')
                        p++;
                char *e = strchrnul(p, '/');
                size_t n = (size_t)(e - p);
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        /* skip */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = o ? memrchr(out, '/', o) : NULL;
                        if (o == 0) {
                                free(out);
                                return NULL;
                        }
                        o = slash ? (size_t)(slash - out) : 0;
                        out[o] = '\0';
                } else {
                        if (o)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                        out[o] = '\0';
                }
                p = e;
        }
        return out;
}

static struct member *find(struct image_source *src, const char *name)
{
        _cleanup_free_ char *n = normalize(NULL, name);
        for (int depth = 0; n != NULL && depth < 16; depth++) {
                struct member *m = NULL;
                for (size_t i = src->n_members; i-- > 0;)
                        if (strcmp(src->members[i].name, n) == 0) {
                                m = &src->members[i];
                                break;
                        }
                if (m == NULL || m->link == NULL)
                        return m;
                free(n);
                n = xstrdup(m->link);
        }
        return NULL;
}

static int stream_tar(struct image_source *src, int fd, const char *path, struct berth_error **err)
{
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        int ret = 0;
        _cleanup_free_ char *buf = xmalloc(CHUNK);
        if (archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK) {
                ret = berth_err(err, 0, "%s: %s", path, archive_error_string(a));
                goto out;
        }
        for (;;) {
                struct archive_entry *e;
                int r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        ret = berth_err(err, 0, "%s: not a valid tar archive: %s", path,
                                        archive_error_string(a));
                        goto out;
                }
                _cleanup_free_ char *name = normalize(NULL, archive_entry_pathname(e));
                if (name == NULL) {
                        ret = berth_err(err, 0, "%s: member `%s` points outside the archive", path,
                                        archive_entry_pathname(e));
                        goto out;
                }
                mode_t type = archive_entry_filetype(e);
                const char *hl = archive_entry_hardlink(e);
                struct member m = {0};
                if (hl != NULL) {
                        m.link = normalize(NULL, hl);
                } else if (type == AE_IFLNK) {
                        char *dir = strrchr(name, '/');
                        _cleanup_free_ char *d = dir ? xstrndup(name, (size_t)(dir - name)) : NULL;
                        m.link = normalize(d, archive_entry_symlink(e));
                } else if (type != AE_IFREG) {
                        continue;
                }
                if ((hl != NULL || type == AE_IFLNK) && m.link == NULL) {
                        ret = berth_err(err, 0, "%s: link `%s` points outside the archive", path,
                                        name);
                        goto out;
                }
                m.name = steal_pointer(&name);
                if (m.link == NULL) {
                        snprintf(m.staged, sizeof(m.staged), "in-%zu", src->n_members);
                        _cleanup_close_ int wfd =
                            openat(image_txn_dir_fd(src->txn), m.staged,
                                   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                        if (wfd < 0) {
                                ret = berth_err(err, errno, "staging `%s`", m.name);
                                free(m.name);
                                goto out;
                        }
                        _cleanup_digester_ struct image_digester *dg = image_digester_new();
                        struct ahead *ahead = NULL;
                        bool first = true;
                        for (;;) {
                                la_ssize_t n = archive_read_data(a, buf, CHUNK);
                                if (n == 0)
                                        break;
                                if (n < 0) {
                                        ret = berth_err(err, 0, "%s: reading `%s`: %s", path,
                                                        m.name, archive_error_string(a));
                                        ahead_finish(src, &ahead, NULL, false);
                                        free(m.name);
                                        goto out;
                                }
                                if (first && archive_entry_size(e) >= AHEAD_MIN &&
                                    looks_like_layer((unsigned char *)buf, (size_t)n))
                                        ahead = ahead_start(src, src->n_members);
                                first = false;
                                image_digester_update(dg, buf, (size_t)n);
                                if (util_write_all(wfd, buf, (size_t)n) < 0) {
                                        ret = berth_err(err, errno, "staging `%s`", m.name);
                                        ahead_finish(src, &ahead, NULL, false);
                                        free(m.name);
                                        goto out;
                                }
                                ahead_feed(&ahead, buf, (size_t)n);
                                m.size += n;
                        }
                        image_digester_final(dg, m.digest);
                        ahead_finish(src, &ahead, m.digest, true);
                }
                src->members = xrealloc(src->members, (src->n_members + 1) * sizeof(*src->members));
                src->members[src->n_members++] = m;
        }
out:
        archive_read_free(a);
        return ret;
}

int image_source_open(struct image_txn *t, const char *path, struct image_source **out,
                      struct berth_error **err)
{
        _cleanup_source_ struct image_source *src = xcalloc(1, sizeof(*src));
        src->txn = t;
        src->dir_fd = -1;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_err(err, errno, "opening `%s`", path);
        if (S_ISDIR(st.st_mode)) {
                src->dir_fd = steal_fd(&fd);
        } else if (stream_tar(src, fd, path, err) < 0) {
                return berth_err_ret(*err);
        }
        *out = steal_pointer(&src);
        return 0;
}

static int open_member(struct image_source *src, const char *name, struct berth_error **err)
{
        if (src->dir_fd >= 0) {
                /* The layout is untrusted: a symlink in it must not reach
                 * the host's files, so resolve as if it were "/". */
                int fd = util_path_open_in_root(src->dir_fd, name, O_RDONLY | O_CLOEXEC, 0, err);
                if (fd < 0)
                        return fd;
                struct stat st;
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                        close(fd);
                        return berth_err(err, 0, "`%s` in the archive is not a file", name);
                }
                return fd;
        }
        struct member *m = find(src, name);
        if (m == NULL)
                return berth_err(err, 0, "`%s` is not in the archive", name);
        int fd = openat(image_txn_dir_fd(src->txn), m->staged, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening staged `%s`", name);
        return fd;
}

int image_source_has(struct image_source *src, const char *name)
{
        if (src->dir_fd >= 0) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_close_ int fd = open_member(src, name, &scratch);
                return fd >= 0;
        }
        return find(src, name) != NULL;
}

int image_source_read(struct image_source *src, const char *name, char **buf, size_t *len,
                      struct berth_error **err)
{
        _cleanup_close_ int fd = open_member(src, name, err);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_err(err, errno, "reading `%s`", name);
        if (st.st_size > 16 << 20)
                return berth_err(err, EFBIG, "`%s` is too large for a manifest", name);
        _cleanup_free_ char *b = xmalloc((size_t)st.st_size + 1);
        ssize_t n = util_read_all(fd, b, (size_t)st.st_size);
        if (n < 0)
                return berth_err(err, errno, "reading `%s`", name);
        b[n] = '\0';
        *buf = steal_pointer(&b);
        *len = (size_t)n;
        return 0;
}

int image_source_peek(struct image_source *src, const char *name, unsigned char *buf, size_t len,
                      struct berth_error **err)
{
        _cleanup_close_ int fd = open_member(src, name, err);
        if (fd < 0)
                return fd;
        memset(buf, 0, len);
        if (util_read_all(fd, buf, len) < 0)
                return berth_err(err, errno, "reading `%s`", name);
        return 0;
}

int image_source_put_blob(struct image_source *src, const char *name, const char *expected,
                          int64_t expected_size, char out[IMAGE_DIGEST_LEN],
                          struct berth_error **err)
{
        if (src->dir_fd < 0) {
                struct member *m = find(src, name);
                if (m == NULL)
                        return berth_err(err, 0, "`%s` is not in the archive", name);
                if (expected_size >= 0 && m->size != expected_size)
                        return berth_err(err, EILSEQ,
                                         "blob %s: size mismatch: expected %lld bytes, got %lld",
                                         expected ? expected : m->digest, (long long)expected_size,
                                         (long long)m->size);
                if (expected != NULL && strcmp(m->digest, expected) != 0)
                        return berth_err(err, EILSEQ,
                                         "blob %s: digest mismatch: content hashes to %s", expected,
                                         m->digest);
                if (image_txn_blob_adopt(src->txn, m->staged, m->digest, err) < 0)
                        return berth_err_ret(*err);
                memcpy(out, m->digest, IMAGE_DIGEST_LEN);
                return 0;
        }
        _cleanup_close_ int fd = open_member(src, name, err);
        if (fd < 0)
                return fd;
        return image_txn_blob_put_fd(src->txn, fd, expected, expected_size, out, err);
}

void image_source_free(struct image_source *src)
{
        if (src == NULL)
                return;
        if (src->dir_fd >= 0)
                close(src->dir_fd);
        for (size_t i = 0; i < src->n_members; i++) {
                free(src->members[i].name);
                free(src->members[i].link);
        }
        free(src->members);
        free(src);
}

void image_source_freep(struct image_source **src)
{
        image_source_free(*src);
        *src = NULL;
}
