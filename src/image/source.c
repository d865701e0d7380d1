/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/ahead.h"
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
                        struct image_ahead *ahead = NULL;
                        bool first = true;
                        for (;;) {
                                la_ssize_t n = archive_read_data(a, buf, CHUNK);
                                if (n == 0)
                                        break;
                                if (n < 0) {
                                        ret = berth_err(err, 0, "%s: reading `%s`: %s", path,
                                                        m.name, archive_error_string(a));
                                        image_ahead_finish(src->txn, &ahead, NULL, false);
                                        free(m.name);
                                        goto out;
                                }
                                if (first && archive_entry_size(e) >= IMAGE_AHEAD_MIN &&
                                    image_ahead_looks_like_layer((unsigned char *)buf, (size_t)n))
                                        ahead = image_ahead_start(src->txn);
                                first = false;
                                image_digester_update(dg, buf, (size_t)n);
                                if (util_write_all(wfd, buf, (size_t)n) < 0) {
                                        ret = berth_err(err, errno, "staging `%s`", m.name);
                                        image_ahead_finish(src->txn, &ahead, NULL, false);
                                        free(m.name);
                                        goto out;
                                }
                                image_ahead_feed(&ahead, buf, (size_t)n);
                                m.size += n;
                        }
                        image_digester_final(dg, m.digest);
                        image_ahead_finish(src->txn, &ahead, m.digest, true);
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
                 * the host's files, so resolve as if it were "/".  Opening
                 * a FIFO would block forever and opening a device node can
                 * act on the device, so look at the type through an O_PATH
                 * descriptor first; O_NONBLOCK covers a swap in between,
                 * and the type is checked again on what was opened. */
                _cleanup_close_ int pfd = util_path_open_in_root(src->dir_fd, name, O_PATH, 0, err);
                if (pfd < 0)
                        return pfd;
                struct stat st;
                if (fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode))
                        return berth_err(err, 0, "`%s` in the archive is not a file", name);
                int fd = util_path_open_in_root(
                    src->dir_fd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, err);
                if (fd < 0)
                        return fd;
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
