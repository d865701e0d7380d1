/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/copy.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct link_seen {
        dev_t dev;
        ino_t ino;
        char *path; /* relative to the destination root */
};

struct copy_state {
        const struct storage_copy_opts *opts;
        int dst_root;
        dev_t src_dev;
        struct link_seen *links;
        size_t n_links;
};

static void owner_of(const struct copy_state *cs, const struct stat *st, uid_t *uid, gid_t *gid)
{
        *uid = st->st_uid;
        *gid = st->st_gid;
        if (cs->opts != NULL && cs->opts->map_owner != NULL)
                cs->opts->map_owner(uid, gid, cs->opts->map_data);
}

/* Every xattr of src_fd onto dst_fd.  Names the destination file system
 * does not support are skipped: the copy is still the best it can hold. */
static int copy_xattrs(int src_fd, int dst_fd, const char *what, struct berth_error **err)
{
        ssize_t len = flistxattr(src_fd, NULL, 0);
        if (len <= 0)
                return 0; /* none, or not supported by the source */
        _cleanup_free_ char *names = xmalloc((size_t)len);
        len = flistxattr(src_fd, names, (size_t)len);
        if (len < 0)
                return berth_err(err, errno, "listing xattrs of `%s`", what);
        for (char *n = names; n < names + len; n += strlen(n) + 1) {
                /* overlayfs' own bookkeeping never belongs to a copy. */
                if (strncmp(n, "trusted.overlay.", 16) == 0)
                        continue;
                ssize_t vlen = fgetxattr(src_fd, n, NULL, 0);
                if (vlen < 0)
                        continue;
                _cleanup_free_ char *val = xmalloc((size_t)vlen + 1);
                vlen = fgetxattr(src_fd, n, val, (size_t)vlen);
                if (vlen < 0)
                        continue;
                if (fsetxattr(dst_fd, n, val, (size_t)vlen, 0) < 0 && errno != ENOTSUP &&
                    errno != EOPNOTSUPP)
                        return berth_err(err, errno, "setting xattr %s on `%s`", n, what);
        }
        return 0;
}

static int copy_data(int in, int out, const char *what, struct berth_error **err)
{
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno == EINTR)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return berth_err(err, errno, "copying `%s`", what);
                break;
        }
        /* A file system pair copy_file_range can't serve: plain copying. */
        char buf[65536];
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_err(err, errno, "reading `%s`", what);
                if (n == 0)
                        return 0;
                int r = util_write_all(out, buf, (size_t)n);
                if (r < 0)
                        return berth_err(err, -r, "writing `%s`", what);
        }
}

/* Owner before mode: chown clears setuid/setgid, chmod sets them again. */
static int set_meta_fd(const struct copy_state *cs, int src_fd, int dst_fd, const struct stat *st,
                       const char *what, struct berth_error **err)
{
        uid_t uid;
        gid_t gid;
        owner_of(cs, st, &uid, &gid);
        if (fchown(dst_fd, uid, gid) < 0)
                return berth_err(err, errno, "changing the owner of `%s`", what);
        if (fchmod(dst_fd, st->st_mode & 07777) < 0)
                return berth_err(err, errno, "changing the mode of `%s`", what);
        if (src_fd >= 0 && copy_xattrs(src_fd, dst_fd, what, err) < 0)
                return berth_err_ret(*err);
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        if (futimens(dst_fd, ts) < 0)
                return berth_err(err, errno, "setting the times of `%s`", what);
        return 0;
}

static int copy_dir(struct copy_state *cs, int src, int dst, const char *rel,
                    struct berth_error **err);

static const struct link_seen *link_find(const struct copy_state *cs, const struct stat *st)
{
        for (size_t i = 0; i < cs->n_links; i++)
                if (cs->links[i].dev == st->st_dev && cs->links[i].ino == st->st_ino)
                        return &cs->links[i];
        return NULL;
}

/* With overwrite: make room for a new dst_name; 1 when it is an existing
 * directory to merge into (the source being one too). */
static int make_room(const struct copy_state *cs, int dst, const char *name, const struct stat *src,
                     const char *rel, struct berth_error **err)
{
        struct stat st;
        if (cs->opts == NULL || !cs->opts->overwrite ||
            fstatat(dst, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (S_ISDIR(st.st_mode)) {
                if (S_ISDIR(src->st_mode))
                        return 1;
                return berth_err(err, EISDIR, "cannot overwrite directory `%s` with non-directory",
                                 rel);
        }
        if (unlinkat(dst, name, 0) < 0 && errno != ENOENT)
                return berth_err(err, errno, "replacing `%s`", rel);
        return 0;
}

static int copy_entry(struct copy_state *cs, int src, int dst, const char *name, const char *dname,
                      const char *rel, struct berth_error **err)
{
        struct stat st;
        if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_err(err, errno, "inspecting `%s`", rel);
        int room = make_room(cs, dst, dname, &st, rel, err);
        if (room < 0)
                return room;
        uid_t uid;
        gid_t gid;
        owner_of(cs, &st, &uid, &gid);

        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
                const struct link_seen *l = link_find(cs, &st);
                if (l != NULL) {
                        /* The first copy is ours, but the destination may be
                         * in use: reach it without following symlinks. */
                        _cleanup_close_ int fd = util_path_open_in_root(
                            cs->dst_root, l->path, O_PATH | O_NOFOLLOW, 0, err);
                        if (fd < 0)
                                return berth_err_ret(*err);
                        if (linkat(fd, "", dst, dname, AT_EMPTY_PATH) < 0)
                                return berth_err(err, errno, "linking `%s`", rel);
                        return 0;
                }
        }

        switch (st.st_mode & S_IFMT) {
        case S_IFDIR: {
                if (st.st_dev != cs->src_dev)
                        return 0; /* a mount point: not part of this tree */
                _cleanup_close_ int sfd =
                    openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0)
                        return berth_err(err, errno, "opening `%s`", rel);
                if (room == 0 && mkdirat(dst, dname, 0700) < 0)
                        return berth_err(err, errno, "creating `%s`", rel);
                _cleanup_close_ int dfd =
                    openat(dst, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0)
                        return berth_err(err, errno, "opening `%s`", rel);
                if (copy_dir(cs, sfd, dfd, rel, err) < 0)
                        return berth_err_ret(*err);
                /* Last, so that the children did not change its times. */
                return set_meta_fd(cs, sfd, dfd, &st, rel, err);
        }
        case S_IFREG: {
                _cleanup_close_ int sfd = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0)
                        return berth_err(err, errno, "opening `%s`", rel);
                _cleanup_close_ int dfd =
                    openat(dst, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (dfd < 0)
                        return berth_err(err, errno, "creating `%s`", rel);
                if (copy_data(sfd, dfd, rel, err) < 0 ||
                    set_meta_fd(cs, sfd, dfd, &st, rel, err) < 0)
                        return berth_err_ret(*err);
                break;
        }
        case S_IFLNK: {
                char target[PATH_MAX + 1];
                ssize_t n = readlinkat(src, name, target, PATH_MAX);
                if (n < 0)
                        return berth_err(err, errno, "reading the link `%s`", rel);
                target[n] = '\0';
                if (symlinkat(target, dst, dname) < 0)
                        return berth_err(err, errno, "creating the link `%s`", rel);
                if (fchownat(dst, dname, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "changing the owner of `%s`", rel);
                struct timespec ts[2] = {st.st_atim, st.st_mtim};
                if (utimensat(dst, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "setting the times of `%s`", rel);
                return 0; /* a link to it is a link to the new symlink: fine */
        }
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO: {
                if (mknodat(dst, dname, st.st_mode & (S_IFMT | 0600), st.st_rdev) < 0)
                        return berth_err(err, errno, "creating `%s`", rel);
                /* A device can't be opened to set its metadata through an
                 * fd without side effects: O_PATH can't chmod, so by name,
                 * with no symlink possible (we just made the node). */
                if (fchownat(dst, dname, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                    fchmodat(dst, dname, st.st_mode & 07777, 0) < 0)
                        return berth_err(err, errno, "setting the owner and mode of `%s`", rel);
                struct timespec ts[2] = {st.st_atim, st.st_mtim};
                if (utimensat(dst, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "setting the times of `%s`", rel);
                break;
        }
        default:
                return 0; /* sockets belong to a running process, not a tree */
        }
        if (st.st_nlink > 1) {
                cs->links = xrealloc(cs->links, (cs->n_links + 1) * sizeof(*cs->links));
                cs->links[cs->n_links++] =
                    (struct link_seen){.dev = st.st_dev, .ino = st.st_ino, .path = xstrdup(rel)};
        }
        return 0;
}

static int copy_dir(struct copy_state *cs, int src, int dst, const char *rel,
                    struct berth_error **err)
{
        int fd = dup(src);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", rel);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (d == NULL) {
                close(fd);
                return berth_err(err, errno, "listing `%s`", rel);
        }
        rewinddir(d);
        struct dirent *de;
        while ((errno = 0, de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *child =
                    rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
                if (copy_entry(cs, src, dst, de->d_name, de->d_name, child, err) < 0)
                        return berth_err_ret(*err);
        }
        if (errno != 0)
                return berth_err(err, errno, "listing `%s`", rel[0] ? rel : ".");
        return 0;
}

int storage_tree_copy(int src_dirfd, int dst_dirfd, const struct storage_copy_opts *opts,
                      struct berth_error **err)
{
        struct stat st;
        if (fstat(src_dirfd, &st) < 0)
                return berth_err(err, errno, "inspecting the copy's source");
        struct copy_state cs = {.opts = opts, .dst_root = dst_dirfd, .src_dev = st.st_dev};
        int r = copy_dir(&cs, src_dirfd, dst_dirfd, "", err);
        if (r == 0 && opts != NULL && opts->copy_root_meta)
                r = set_meta_fd(&cs, src_dirfd, dst_dirfd, &st, ".", err);
        for (size_t i = 0; i < cs.n_links; i++)
                free(cs.links[i].path);
        free(cs.links);
        return r;
}

int storage_copy_entry(int src_pfd, const char *src_name, int dst_pfd, const char *dst_name,
                       const struct storage_copy_opts *opts, struct berth_error **err)
{
        struct stat st;
        if (fstatat(src_pfd, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_err(err, errno, "inspecting `%s`", src_name);
        struct copy_state cs = {.opts = opts, .dst_root = dst_pfd, .src_dev = st.st_dev};
        int r = copy_entry(&cs, src_pfd, dst_pfd, src_name, dst_name, dst_name, err);
        for (size_t i = 0; i < cs.n_links; i++)
                free(cs.links[i].path);
        free(cs.links);
        return r;
}

struct size_state {
        dev_t dev;
        long long total;
        struct link_seen *links;
        size_t n_links;
};

static int size_dir(struct size_state *ss, int dfd, struct berth_error **err)
{
        int fd = dup(dfd);
        if (fd < 0)
                return berth_err(err, errno, "opening a directory");
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (d == NULL) {
                close(fd);
                return berth_err(err, errno, "listing a directory");
        }
        /* A dup shares the offset: start from the top. */
        rewinddir(d);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                struct stat st;
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode) && st.st_dev == ss->dev) {
                        _cleanup_close_ int sub = openat(
                            dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0 && size_dir(ss, sub, err) < 0)
                                return berth_err_ret(*err);
                } else if (S_ISREG(st.st_mode)) {
                        bool seen = false;
                        for (size_t i = 0; st.st_nlink > 1 && i < ss->n_links && !seen; i++)
                                seen =
                                    ss->links[i].dev == st.st_dev && ss->links[i].ino == st.st_ino;
                        if (seen)
                                continue;
                        if (st.st_nlink > 1) {
                                ss->links =
                                    xrealloc(ss->links, (ss->n_links + 1) * sizeof(*ss->links));
                                ss->links[ss->n_links++] =
                                    (struct link_seen){.dev = st.st_dev, .ino = st.st_ino};
                        }
                        ss->total += st.st_size;
                }
        }
        return 0;
}

int storage_tree_size(int dirfd, long long *out, struct berth_error **err)
{
        struct stat st;
        if (fstat(dirfd, &st) < 0)
                return berth_err(err, errno, "inspecting a directory");
        struct size_state ss = {.dev = st.st_dev};
        int r = size_dir(&ss, dirfd, err);
        free(ss.links);
        *out = ss.total;
        return r;
}
