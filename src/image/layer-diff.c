/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/layer-private.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/*
 * An overlay upper directory to a layer tar: a depth-first walk with each
 * directory's names sorted bytewise (what Docker's walk produces), so the
 * same tree always gives the same bytes and the same diff_id.
 */

struct differ {
        struct archive *ar;
        struct archive_entry *entry;
        int out_fd;
        int64_t epoch;
        struct image_digester *digest;
        uint64_t size, entries;
        unsigned char *buf; /* output, flushed when full */
        size_t len;
        unsigned char *io;       /* file data */
        struct layer_set *links; /* "dev:ino" -> first path */
        struct berth_error *write_err;
};

static int flush(struct differ *d)
{
        if (d->len == 0)
                return 0;
        if (util_write_all(d->out_fd, d->buf, d->len) < 0)
                return berth_err(&d->write_err, errno, "writing the layer");
        d->len = 0;
        return 0;
}

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
        struct differ *d = data;
        image_digester_update(d->digest, buf, len);
        d->size += len;
        if (d->len + len > LAYER_IO_BUF && flush(d) < 0) {
                archive_set_error(a, d->write_err->code, "%s", d->write_err->msg);
                return -1;
        }
        if (len >= LAYER_IO_BUF) {
                if (util_write_all(d->out_fd, buf, len) < 0) {
                        berth_err(&d->write_err, errno, "writing the layer");
                        archive_set_error(a, errno, "writing the layer");
                        return -1;
                }
                return (la_ssize_t)len;
        }
        memcpy(d->buf + d->len, buf, len);
        d->len += len;
        return (la_ssize_t)len;
}

static int archive_fail(struct differ *d, struct berth_error **err, const char *what)
{
        if (d->write_err != NULL)
                return berth_err(err, d->write_err->code, "%s", d->write_err->msg);
        int code = archive_errno(d->ar);
        const char *msg = archive_error_string(d->ar);
        return berth_err(err, code > 0 ? code : EIO, "%s: %s", what,
                         msg != NULL ? msg : "libarchive failed");
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dfd, sorted, without "." and "..". */
static int list_dir(int dfd, const char *path, char ***out, struct berth_error **err)
{
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        _cleanup_closedir_ DIR *dir = fdopendir(fd);
        if (dir == NULL) {
                close(fd);
                return berth_err(err, errno, "listing `%s`", path);
        }
        _cleanup_strv_ char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((errno = 0, de = readdir(dir)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (n + 2 > cap) {
                        cap = cap ? 2 * cap : 16;
                        names = xrealloc(names, cap * sizeof(char *));
                }
                names[n++] = xstrdup(de->d_name);
                names[n] = NULL;
        }
        if (errno != 0)
                return berth_err(err, errno, "listing `%s`", path);
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_names);
        *out = steal_pointer(&names);
        return 0;
}

/* The xattrs worth carrying: not overlayfs' own, not SELinux labels (the
 * host's policy, not the image's), not ACLs (system.*). */
static bool xattr_wanted(const char *name)
{
        return !layer_xattr_is_private(name) && strncmp(name, "system.", 7) != 0 &&
               strcmp(name, "security.selinux") != 0;
}

static int add_xattrs(struct archive_entry *e, int pfd, const char *name, const char *path,
                      struct berth_error **err)
{
        _cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d/%s", pfd, name);
        ssize_t n = llistxattr(proc, NULL, 0);
        if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
                return 0;
        if (n < 0)
                return berth_err(err, errno, "listing xattrs of `%s`", path);
        if (n == 0)
                return 0;
        _cleanup_free_ char *names = xmalloc((size_t)n);
        n = llistxattr(proc, names, (size_t)n);
        if (n < 0)
                return berth_err(err, errno, "listing xattrs of `%s`", path);
        for (char *k = names; k < names + n; k += strlen(k) + 1) {
                if (!xattr_wanted(k))
                        continue;
                ssize_t vn = lgetxattr(proc, k, NULL, 0);
                if (vn < 0)
                        return berth_err(err, errno, "reading xattr %s of `%s`", k, path);
                _cleanup_free_ char *v = xmalloc((size_t)vn + 1);
                vn = lgetxattr(proc, k, v, (size_t)vn);
                if (vn < 0)
                        return berth_err(err, errno, "reading xattr %s of `%s`", k, path);
                archive_entry_xattr_add_entry(e, k, v, (size_t)vn);
        }
        return 0;
}

static bool is_opaque(int pfd, const char *name)
{
        _cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d/%s", pfd, name);
        char v[2];
        ssize_t n = lgetxattr(proc, "trusted.overlay.opaque", v, sizeof(v));
        return n == 1 && v[0] == 'y';
}

/* Owner, mode and (clamped) mtime; never names, atime or ctime, which
 * would make the bytes depend on the host and the moment. */
static void fill_common(struct differ *d, struct archive_entry *e, const char *path,
                        const struct stat *st)
{
        archive_entry_clear(e);
        archive_entry_copy_pathname(e, path);
        archive_entry_set_uid(e, st->st_uid);
        archive_entry_set_gid(e, st->st_gid);
        archive_entry_set_perm(e, st->st_mode & 07777);
        if (d->epoch >= 0 && st->st_mtim.tv_sec >= d->epoch)
                archive_entry_set_mtime(e, d->epoch, 0);
        else
                archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static int write_header(struct differ *d, struct archive_entry *e, const char *path,
                        struct berth_error **err)
{
        if (archive_write_header(d->ar, e) < ARCHIVE_WARN) {
                archive_fail(d, err, "writing the tar header");
                return berth_err_wrap(err, "`%s`", path);
        }
        d->entries++;
        return 0;
}

static int write_file_data(struct differ *d, int pfd, const char *name, const char *path,
                           off_t size, struct berth_error **err)
{
        _cleanup_close_ int fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        off_t left = size;
        while (left > 0) {
                size_t want = left > LAYER_IO_BUF ? LAYER_IO_BUF : (size_t)left;
                ssize_t n = util_read_all(fd, d->io, want);
                if (n < 0)
                        return berth_err(err, errno, "reading `%s`", path);
                if (n == 0)
                        return berth_err(err, EIO, "`%s` shrank while being read", path);
                if (archive_write_data(d->ar, d->io, (size_t)n) < 0)
                        return archive_fail(d, err, "writing the layer");
                left -= n;
        }
        return 0;
}

static int walk(struct differ *d, int dfd, const char *dir, struct berth_error **err);

static int diff_entry(struct differ *d, int dfd, const char *dir, const char *name,
                      struct berth_error **err)
{
        _cleanup_free_ char *path = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_err(err, errno, "inspecting `%s`", path);
        struct archive_entry *e = d->entry;

        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
                /* An overlay whiteout: deleted in this layer. */
                _cleanup_free_ char *wh =
                    *dir ? xasprintf("%s/.wh.%s", dir, name) : xasprintf(".wh.%s", name);
                fill_common(d, e, wh, &st);
                archive_entry_set_perm(e, st.st_mode & 0777);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_size(e, 0);
                return write_header(d, e, wh, err);
        }
        if (S_ISSOCK(st.st_mode)) {
                log_debug("layer: skipping socket %s", path);
                return 0;
        }
        fill_common(d, e, path, &st);
        int r = add_xattrs(e, dfd, name, path, err);
        if (r < 0)
                return r;

        if (S_ISREG(st.st_mode)) {
                archive_entry_set_filetype(e, AE_IFREG);
                if (st.st_nlink > 1) {
                        char key[64];
                        snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)st.st_dev,
                                 (unsigned long long)st.st_ino);
                        const char *first = layer_set_get(d->links, key);
                        if (first != NULL) {
                                archive_entry_copy_hardlink(e, first);
                                archive_entry_set_size(e, 0);
                                return write_header(d, e, path, err);
                        }
                        layer_set_add(d->links, key, path);
                }
                archive_entry_set_size(e, st.st_size);
                r = write_header(d, e, path, err);
                if (r < 0)
                        return r;
                return write_file_data(d, dfd, name, path, st.st_size, err);
        }
        if (S_ISLNK(st.st_mode)) {
                _cleanup_free_ char *target = xmalloc((size_t)st.st_size + 1);
                ssize_t n = readlinkat(dfd, name, target, (size_t)st.st_size + 1);
                if (n < 0)
                        return berth_err(err, errno, "reading link `%s`", path);
                if (n > st.st_size)
                        return berth_err(err, EIO, "`%s` changed while being read", path);
                target[n] = '\0';
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_copy_symlink(e, target);
                return write_header(d, e, path, err);
        }
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
                archive_entry_set_filetype(e, st.st_mode & S_IFMT);
                if (!S_ISFIFO(st.st_mode))
                        archive_entry_set_rdev(e, st.st_rdev);
                return write_header(d, e, path, err);
        }
        if (!S_ISDIR(st.st_mode))
                return 0;

        archive_entry_set_filetype(e, AE_IFDIR);
        r = write_header(d, e, path, err);
        if (r < 0)
                return r;
        if (is_opaque(dfd, name)) {
                /* The lower layers' content of this directory is hidden. */
                _cleanup_free_ char *opq = xasprintf("%s/.wh..wh..opq", path);
                fill_common(d, e, opq, &st);
                archive_entry_set_perm(e, st.st_mode & 0777);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_size(e, 0);
                r = write_header(d, e, opq, err);
                if (r < 0)
                        return r;
        }
        _cleanup_close_ int cfd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        return walk(d, cfd, path, err);
}

static int walk(struct differ *d, int dfd, const char *dir, struct berth_error **err)
{
        _cleanup_strv_ char **names = NULL;
        int r = list_dir(dfd, *dir ? dir : ".", &names, err);
        if (r < 0)
                return r;
        for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
                r = diff_entry(d, dfd, dir, names[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int diff(struct differ *d, int upper_dirfd, struct image_layer_stats *out,
                struct berth_error **err)
{
        d->ar = archive_write_new();
        d->entry = archive_entry_new();
        if (d->ar == NULL || d->entry == NULL)
                return berth_err(err, ENOMEM, "creating the tar writer");
        /* pax only where ustar can't say it (long names, xattrs, big ids),
         * as Docker's layers; no blocking, so the tar ends right after its
         * two zero blocks. */
        if (archive_write_set_format_pax_restricted(d->ar) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(d->ar, 0) != ARCHIVE_OK ||
            archive_write_open(d->ar, d, NULL, write_cb, NULL) != ARCHIVE_OK)
                return archive_fail(d, err, "creating the tar writer");
        _cleanup_close_ int root = openat(upper_dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return berth_err(err, errno, "opening the upper directory");
        int r = walk(d, root, "", err);
        if (r < 0)
                return r;
        if (archive_write_close(d->ar) != ARCHIVE_OK)
                return archive_fail(d, err, "finishing the layer");
        if (flush(d) < 0)
                return berth_err(err, d->write_err->code, "%s", d->write_err->msg);
        if (out != NULL) {
                image_digester_final(d->digest, out->diff_id);
                out->size = d->size;
                out->entries = d->entries;
        }
        return 0;
}

int image_layer_diff(int upper_dirfd, int out_fd, const struct image_layer_diff_opts *opts,
                     struct image_layer_stats *out, struct berth_error **err)
{
        struct differ d = {
            .out_fd = out_fd,
            .epoch = opts != NULL ? opts->source_date_epoch : -1,
            .digest = image_digester_new(),
            .buf = xmalloc(LAYER_IO_BUF),
            .io = xmalloc(LAYER_IO_BUF),
            .links = layer_set_new(),
        };
        /* Names go out as UTF-8 in pax headers; with a UTF-8 locale on this
         * thread libarchive passes them through unchanged. */
        locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        locale_t old = loc != (locale_t)0 ? uselocale(loc) : (locale_t)0;
        int r = diff(&d, upper_dirfd, out, err);
        if (loc != (locale_t)0) {
                uselocale(old);
                freelocale(loc);
        }
        if (d.ar != NULL)
                archive_write_free(d.ar);
        archive_entry_free(d.entry);
        image_digester_free(d.digest);
        layer_set_free(d.links);
        berth_error_free(d.write_err);
        free(d.buf);
        free(d.io);
        return r;
}
