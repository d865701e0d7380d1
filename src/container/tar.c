/* SPDX-License-Identifier: Apache-2.0 */
/* A tree (or one file) of a container's filesystem as a tar stream: what
 * `cp CONTAINER:PATH -` and `export` write. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "container/fs-private.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct tar_state {
        struct archive *ar;
        struct link_entry {
                dev_t dev;
                ino_t ino;
                char *path;
        } * links;
        size_t n_links;
};

static int ar_fail(struct tar_state *t, const char *path, struct berth_error **err)
{
        int e = archive_errno(t->ar);
        return berth_err(err, e > 0 ? e : EIO, "writing `%s` to the tar: %s", path,
                         archive_error_string(t->ar) ?: "?");
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names sorted, so the same tree always gives the same stream. */
static int list_sorted(int dfd, char ***out, struct berth_error **err)
{
        int fd = dup(dfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (d == NULL) {
                if (fd >= 0)
                        close(fd);
                return berth_err(err, errno, "listing a directory");
        }
        rewinddir(d);
        char **v = xcalloc(1, sizeof(char *));
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                v = xrealloc(v, (n + 2) * sizeof(char *));
                v[n++] = xstrdup(de->d_name);
                v[n] = NULL;
        }
        closedir(d);
        qsort(v, n, sizeof(char *), cmp_str);
        *out = v;
        return 0;
}

static void add_xattrs(struct archive_entry *e, int fd)
{
        ssize_t len = flistxattr(fd, NULL, 0);
        if (len <= 0)
                return;
        _cleanup_free_ char *names = xmalloc((size_t)len);
        len = flistxattr(fd, names, (size_t)len);
        for (char *n = names; len > 0 && n < names + len; n += strlen(n) + 1) {
                /* Overlay's bookkeeping and the LSM label are the host's. */
                if (strncmp(n, "trusted.overlay.", 16) == 0 || strcmp(n, "security.selinux") == 0 ||
                    strncmp(n, "system.", 7) == 0)
                        continue;
                ssize_t vl = fgetxattr(fd, n, NULL, 0);
                if (vl < 0)
                        continue;
                _cleanup_free_ char *v = xmalloc((size_t)vl + 1);
                vl = fgetxattr(fd, n, v, (size_t)vl);
                if (vl >= 0)
                        archive_entry_xattr_add_entry(e, n, v, (size_t)vl);
        }
}

static bool is_mount_root(int dfd, const char *name)
{
        struct statx stx;
        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
                return false;
        return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int write_tree(struct tar_state *t, int dfd, const char *path, struct berth_error **err);

static int write_entry(struct tar_state *t, int pfd, const char *name, const char *path, bool top,
                       struct berth_error **err)
{
        struct stat st;
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_err(err, errno, "inspecting `%s`", path);
        if (S_ISSOCK(st.st_mode))
                return 0;
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, path);
        archive_entry_set_uid(e, st.st_uid);
        archive_entry_set_gid(e, st.st_gid);
        archive_entry_set_mode(e, st.st_mode);
        archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        _cleanup_close_ int fd = -1;
        int r = 0;
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
                for (size_t i = 0; i < t->n_links; i++)
                        if (t->links[i].dev == st.st_dev && t->links[i].ino == st.st_ino) {
                                archive_entry_set_hardlink(e, t->links[i].path);
                                archive_entry_set_size(e, 0);
                                archive_entry_unset_size(e);
                                archive_entry_set_filetype(e, AE_IFREG);
                                if (archive_write_header(t->ar, e) < ARCHIVE_WARN)
                                        r = ar_fail(t, path, err);
                                archive_entry_free(e);
                                return r;
                        }
                t->links = xrealloc(t->links, (t->n_links + 1) * sizeof(*t->links));
                t->links[t->n_links++] =
                    (struct link_entry){.dev = st.st_dev, .ino = st.st_ino, .path = xstrdup(path)};
        }
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX + 1];
                ssize_t n = readlinkat(pfd, name, target, PATH_MAX);
                if (n < 0) {
                        archive_entry_free(e);
                        return berth_err(err, errno, "reading the link `%s`", path);
                }
                target[n] = '\0';
                archive_entry_set_symlink(e, target);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                archive_entry_set_rdev(e, st.st_rdev);
        } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
                /* Opened beside its stat, never following a link: the tree
                 * may be a live container's. */
                fd = openat(pfd, name,
                            O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
                                (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK));
                if (fd < 0) {
                        archive_entry_free(e);
                        return berth_err(err, errno, "opening `%s`", path);
                }
                add_xattrs(e, fd);
                if (S_ISREG(st.st_mode))
                        archive_entry_set_size(e, st.st_size);
        }
        /* A name that is not UTF-8 only warns: it is written as the raw
         * bytes it is (pax hdrcharset=BINARY), as commit's layers are. */
        if (archive_write_header(t->ar, e) < ARCHIVE_WARN) {
                archive_entry_free(e);
                return ar_fail(t, path, err);
        }
        archive_entry_free(e);
        if (S_ISREG(st.st_mode)) {
                static char buf[1 << 16]; /* one CLI call at a time */
                off_t left = st.st_size;
                while (left > 0) {
                        ssize_t n =
                            read(fd, buf, sizeof(buf) < (size_t)left ? sizeof(buf) : (size_t)left);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return berth_err(err, errno, "reading `%s`", path);
                        if (n == 0) {
                                /* It shrank while we read: pad to the size
                                 * the header already promised. */
                                n = sizeof(buf) < (size_t)left ? (ssize_t)sizeof(buf)
                                                               : (ssize_t)left;
                                memset(buf, 0, (size_t)n);
                        }
                        if (archive_write_data(t->ar, buf, (size_t)n) < 0)
                                return ar_fail(t, path, err);
                        left -= n;
                }
        } else if (S_ISDIR(st.st_mode) && (top || !is_mount_root(pfd, name))) {
                /* A mount inside (a volume, /proc of a running container)
                 * is not the container's filesystem: its dir only. */
                return write_tree(t, fd, path, err);
        }
        return 0;
}

static int write_tree(struct tar_state *t, int dfd, const char *path, struct berth_error **err)
{
        _cleanup_strv_ char **names = NULL;
        if (list_sorted(dfd, &names, err) < 0)
                return berth_err_ret(*err);
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *child =
                    path[0] ? (path[strlen(path) - 1] == '/' ? xasprintf("%s%s", path, *n)
                                                             : xasprintf("%s/%s", path, *n))
                            : xstrdup(*n);
                if (write_entry(t, dfd, *n, child, false, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

int container_tar_write(int pfd, const char *name, const char *entry, int out_fd,
                        struct berth_error **err)
{
        struct tar_state t = {.ar = archive_write_new()};
        archive_write_set_format_pax_restricted(t.ar);
        archive_write_set_bytes_per_block(t.ar, 10240);
        int r = 0;
        if (archive_write_open_fd(t.ar, out_fd) != ARCHIVE_OK) {
                r = ar_fail(&t, entry, err);
        } else if (entry[0] == '\0') {
                /* The content only (`cp CTR:/dir/. -`, export). */
                _cleanup_close_ int fd =
                    openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                r = fd < 0 ? berth_err(err, errno, "opening a directory")
                           : write_tree(&t, fd, "", err);
        } else {
                r = write_entry(&t, pfd, name, entry, true, err);
        }
        if (r == 0 && archive_write_close(t.ar) != ARCHIVE_OK)
                r = ar_fail(&t, entry, err);
        archive_write_free(t.ar);
        for (size_t i = 0; i < t.n_links; i++)
                free(t.links[i].path);
        free(t.links);
        return r;
}
