/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
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
 * Applying a layer tar.  Every entry name is cleaned lexically (a ".." that
 * would climb above the root is refused), its parent directory is resolved
 * with openat2(RESOLVE_IN_ROOT), so symlinks made by earlier entries are
 * followed only as if the destination were "/", and the final component is
 * created with *at() calls on that parent fd that never follow it
 * (O_EXCL/O_NOFOLLOW, mkdirat, symlinkat, mknodat, linkat without
 * AT_SYMLINK_FOLLOW): whatever sits at the final name is replaced, not
 * written through.
 */

#define WH_PREFIX     ".wh."
#define WH_PREFIX_LEN 4
#define WH_OPAQUE     ".wh..wh..opq"
#define WH_META       ".wh..wh."

struct dir_fixup {
        char *path;
        mode_t mode;
        struct timespec times[2];
};

struct applier {
        int root;
        const struct image_layer_apply_opts *opts;
        bool same_owner;

        struct archive *ar;
        struct layer_reader *reader;
        struct berth_error *read_err;

        /* The last parent directory: tar entries come grouped by
         * directory, so most entries skip the openat2 walk. */
        char *parent_path;
        int parent_fd;

        struct dir_fixup *dirs;
        size_t ndirs, dirs_cap;

        bool overlay;                /* IMAGE_WHITEOUT_OVERLAY */
        bool plain;                  /* IMAGE_WHITEOUT_NONE */
        struct layer_set *made;      /* paths this layer made (and their parents) */
        struct layer_set *whiteouts; /* paths this layer whited out */
        struct layer_set *revived;   /* ... and then made again as directories */
        uint64_t entries;
};

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
        struct applier *ap = data;
        ssize_t n = layer_reader_read(ap->reader, buf, &ap->read_err);
        if (n < 0) {
                archive_set_error(a, -(int)n, "%s", ap->read_err->msg);
                return -1;
        }
        return n;
}

/* The archive's own error, or the reader's when that is what broke. */
static int archive_fail(struct applier *ap, struct berth_error **err, const char *what)
{
        if (ap->read_err != NULL)
                return berth_err(err, ap->read_err->code, "%s", ap->read_err->msg);
        int code = archive_errno(ap->ar);
        const char *msg = archive_error_string(ap->ar);
        /* libarchive reports a malformed archive as EILSEQ, whose text
         * ("Invalid or incomplete multibyte or wide character") only
         * confuses: it is bad input. */
        if (code == EILSEQ)
                code = EINVAL;
        return berth_err(err, code > 0 ? code : EIO, "%s: %s", what,
                         msg != NULL ? msg : "malformed tar");
}

/*
 * mkdir -p for a parent the tar did not list.  Each component is made on
 * the fd of the one before it, then opened again through RESOLVE_IN_ROOT,
 * so a symlink among them resolves inside the root.  New directories get
 * 0755 whatever the umask, as Docker makes them.
 */
static int make_parents(struct applier *ap, const char *path, struct berth_error **err)
{
        _cleanup_close_ int cur = openat(ap->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return berth_err(err, errno, "opening the destination");
        _cleanup_free_ char *sofar = xstrdup(path);
        for (char *c = sofar;;) {
                char *slash = strchr(c, '/');
                if (slash != NULL)
                        *slash = '\0';
                if (mkdirat(cur, c, 0755) == 0) {
                        /* Just made by us as a directory: not a symlink
                         * for fchmodat to follow. */
                        if (fchmodat(cur, c, 0755, 0) < 0)
                                return berth_err(err, errno, "changing mode of `%s`", sofar);
                } else if (errno != EEXIST) {
                        return berth_err(err, errno, "creating `%s`", sofar);
                }
                int next = util_path_open_in_root(ap->root, sofar, O_PATH | O_DIRECTORY, 0, err);
                if (next < 0)
                        return next;
                close(cur);
                cur = next;
                if (slash == NULL)
                        return steal_fd(&cur);
                *slash = '/';
                c = slash + 1;
        }
}

/*
 * The parent directory of an entry, as an O_PATH fd owned by the cache.
 * Caching is safe: the fd names a directory reached through
 * RESOLVE_IN_ROOT, so it is inside the destination, and nothing an entry
 * does can move it out (only entries' own final components are created or
 * removed, never the parent itself).  At worst a crafted layer that
 * renames the chain of symlinks it resolved through gets its next sibling
 * in the directory it resolved to before.
 */
static int get_parent(struct applier *ap, const char *parent, struct berth_error **err)
{
        if (ap->parent_path != NULL && strcmp(ap->parent_path, parent) == 0)
                return ap->parent_fd;
        int fd;
        if (*parent == '\0') {
                fd = openat(ap->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return berth_err(err, errno, "opening the destination");
        } else {
                _cleanup_error_ struct berth_error *scratch = NULL;
                fd = util_path_open_in_root(ap->root, parent, O_PATH | O_DIRECTORY, 0, &scratch);
                if (fd < 0 && -fd != ENOENT)
                        return berth_err(err, -fd, "%s", scratch->msg);
                /* Missing parents are made, as tar and Docker do. */
                if (fd < 0)
                        fd = make_parents(ap, parent, err);
                if (fd < 0)
                        return fd;
        }
        if (ap->parent_path != NULL)
                close(ap->parent_fd);
        free(ap->parent_path);
        ap->parent_path = xstrdup(parent);
        ap->parent_fd = fd;
        return fd;
}

/* Remember path and its parents as made by this layer: whiteouts in the
 * same layer never hide them (image-spec: they apply to lower layers only). */
static void record_made(struct applier *ap, const char *path)
{
        if (*path == '\0')
                return;
        _cleanup_free_ char *p = xstrdup(path);
        for (;;) {
                if (!layer_set_add(ap->made, p, NULL))
                        return;
                char *slash = strrchr(p, '/');
                if (slash == NULL)
                        return;
                *slash = '\0';
        }
}

/* A path under something this layer whited out, and did not make again
 * as a directory: refused, as there is no directory to put it in (in
 * overlay form it would sit under a whiteout device). */
static int check_not_whited_out(struct applier *ap, const char *path, struct berth_error **err)
{
        if (ap->whiteouts == NULL)
                return 0;
        _cleanup_free_ char *p = xstrdup(path);
        for (char *slash = strrchr(p, '/'); slash != NULL; slash = strrchr(p, '/')) {
                *slash = '\0';
                if (layer_set_contains(ap->whiteouts, p) &&
                    (ap->revived == NULL || !layer_set_contains(ap->revived, p)))
                        return berth_err(err, EINVAL, "`%s` was whited out by this layer", p);
        }
        return 0;
}

/* Whatever sits at pfd/name goes, so that a new entry replaces it (a
 * directory too: Docker replaces a directory by a file the same way). */
static int remove_existing(int pfd, const char *name, struct berth_error **err)
{
        struct stat st;
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return berth_err(err, errno, "inspecting the existing entry");
        }
        if (S_ISDIR(st.st_mode))
                return util_path_remove_tree(pfd, name, err);
        if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
                return berth_err(err, errno, "removing the existing entry");
        return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
        ts[0].tv_nsec = UTIME_OMIT;
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
        }
        ts[1].tv_nsec = UTIME_OMIT;
        if (archive_entry_mtime_is_set(e)) {
                ts[1].tv_sec = archive_entry_mtime(e);
                ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        }
}

static bool xattr_ignorable(int e)
{
        return e == ENOTSUP || e == EPERM || e == EACCES || e == EINVAL;
}

/* xattrs on fd, or (fd < 0) on pfd/name without following it: through
 * /proc/self/fd/<pfd>, whose final component lsetxattr does not follow. */
static int set_xattrs(struct archive_entry *e, int fd, int pfd, const char *name,
                      struct berth_error **err)
{
        if (archive_entry_xattr_reset(e) == 0)
                return 0;
        const char *key;
        const void *value;
        size_t size;
        _cleanup_free_ char *proc = NULL;
        while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
                if (layer_xattr_is_private(key)) {
                        log_debug("layer: dropping overlay xattr %s on %s", key, name);
                        continue;
                }
                int r;
                if (fd >= 0) {
                        r = fsetxattr(fd, key, value, size, 0);
                } else {
                        if (proc == NULL)
                                proc = xasprintf("/proc/self/fd/%d/%s", pfd, name);
                        r = lsetxattr(proc, key, value, size, 0);
                }
                if (r < 0 && xattr_ignorable(errno)) {
                        log_debug("layer: cannot set xattr %s on %s: %s", key, name,
                                  strerror(errno));
                        continue;
                }
                if (r < 0)
                        return berth_err(err, errno, "setting xattr %s", key);
        }
        return 0;
}

static int set_owner(struct applier *ap, struct archive_entry *e, int fd, int pfd, const char *name,
                     struct berth_error **err)
{
        if (!ap->same_owner)
                return 0;
        uid_t uid = (uid_t)archive_entry_uid(e);
        gid_t gid = (gid_t)archive_entry_gid(e);
        int r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return berth_err(err, errno, "changing owner to %u:%u", uid, gid);
        return 0;
}

/* Owner, then mode (chown clears setuid/setgid), then xattrs (chown
 * clears security.capability), then times: the order tar uses. */
static int set_metadata(struct applier *ap, struct archive_entry *e, int fd, int pfd,
                        const char *name, bool is_link, struct berth_error **err)
{
        int r = set_owner(ap, e, fd, pfd, name, err);
        if (r < 0)
                return r;
        if (!is_link) {
                mode_t mode = archive_entry_perm(e) & 07777;
                /* fchmodat follows a symlink, but name is the node this
                 * entry just made, which is not one. */
                r = fd >= 0 ? fchmod(fd, mode) : fchmodat(pfd, name, mode, 0);
                if (r < 0)
                        return berth_err(err, errno, "changing mode to %04o", mode);
        }
        r = set_xattrs(e, fd, pfd, name, err);
        if (r < 0)
                return r;
        struct timespec ts[2];
        entry_times(e, ts);
        r = fd >= 0 ? futimens(fd, ts) : utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return berth_err(err, errno, "setting times");
        return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
                off += n;
        }
        return 0;
}

static int write_data(struct applier *ap, struct archive_entry *e, int fd, struct berth_error **err)
{
        int64_t end = 0;
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;
                int r = archive_read_data_block(ap->ar, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return archive_fail(ap, err, "reading the file data");
                if (len == 0)
                        continue;
                r = pwrite_all(fd, buf, len, off);
                if (r < 0)
                        return berth_err(err, -r, "writing the file");
                end = off + (int64_t)len;
        }
        /* A sparse file ending in a hole. */
        int64_t size = archive_entry_size(e);
        if (size > end && ftruncate(fd, size) < 0)
                return berth_err(err, errno, "extending the file");
        return 0;
}

static int make_file(struct applier *ap, struct archive_entry *e, int pfd, const char *name,
                     struct berth_error **err)
{
        int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        _cleanup_close_ int fd = openat(pfd, name, flags, 0600);
        if (fd < 0 && errno == EEXIST) {
                int r = remove_existing(pfd, name, err);
                if (r < 0)
                        return r;
                fd = openat(pfd, name, flags, 0600);
        }
        if (fd < 0)
                return berth_err(err, errno, "creating the file");
        int r = write_data(ap, e, fd, err);
        if (r < 0)
                return r;
        return set_metadata(ap, e, fd, pfd, name, false, err);
}

static int make_dir(struct applier *ap, struct archive_entry *e, int pfd, const char *name,
                    const char *path, struct berth_error **err)
{
        if (mkdirat(pfd, name, 0700) < 0) {
                if (errno != EEXIST)
                        return berth_err(err, errno, "creating the directory");
                struct stat st;
                if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "inspecting the existing entry");
                /* An existing directory is merged into; anything else goes. */
                if (!S_ISDIR(st.st_mode)) {
                        int r = remove_existing(pfd, name, err);
                        if (r < 0)
                                return r;
                        if (mkdirat(pfd, name, 0700) < 0)
                                return berth_err(err, errno, "creating the directory");
                }
        }
        _cleanup_close_ int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening the directory");
        int r = set_owner(ap, e, fd, pfd, name, err);
        if (r < 0)
                return r;
        r = set_xattrs(e, fd, pfd, name, err);
        if (r < 0)
                return r;
        if (ap->whiteouts != NULL && layer_set_contains(ap->whiteouts, path)) {
                /* `.wh.d` then `d/`: the lower d is gone and a new one takes
                 * its place; in overlay form that is an opaque directory. */
                if (ap->revived == NULL)
                        ap->revived = layer_set_new();
                layer_set_add(ap->revived, path, NULL);
                if (ap->overlay && fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                        return berth_err(err, errno, "marking the directory opaque");
        }
        /* Mode and times wait for the end: children change the mtime, and
         * a read-only directory would refuse them when we are not root. */
        if (ap->ndirs == ap->dirs_cap) {
                ap->dirs_cap = ap->dirs_cap ? 2 * ap->dirs_cap : 64;
                ap->dirs = xrealloc(ap->dirs, ap->dirs_cap * sizeof(*ap->dirs));
        }
        struct dir_fixup *d = &ap->dirs[ap->ndirs++];
        d->path = xstrdup(path);
        d->mode = archive_entry_perm(e) & 07777;
        entry_times(e, d->times);
        if (!ap->same_owner && fchmod(fd, 0700 | d->mode) < 0)
                return berth_err(err, errno, "changing mode");
        return 0;
}

static int make_link(struct applier *ap, struct archive_entry *e, int pfd, const char *name,
                     const char *path, struct berth_error **err)
{
        _cleanup_free_ char *target = NULL;
        if (layer_path_clean(archive_entry_hardlink(e), &target) < 0 || *target == '\0')
                return berth_err(err, EINVAL, "hard link target `%s` is outside the layer",
                                 archive_entry_hardlink(e));
        if (strcmp(target, path) == 0)
                return berth_err(err, EINVAL, "hard link to itself");
        char *slash = strrchr(target, '/');
        const char *tname = slash != NULL ? slash + 1 : target;
        if (slash != NULL)
                *slash = '\0';
        /* The target's parent resolves inside the root; linkat() without
         * AT_SYMLINK_FOLLOW links the final component itself, so a symlink
         * there is linked as a symlink, never followed out. */
        _cleanup_close_ int tfd =
            slash != NULL ? util_path_open_in_root(ap->root, target, O_PATH | O_DIRECTORY, 0, err)
                          : openat(ap->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0)
                return slash != NULL ? berth_err_wrap(err, "resolving the hard link target")
                                     : berth_err(err, errno, "opening the destination");
        int r = linkat(tfd, tname, pfd, name, 0);
        if (r < 0 && errno == EEXIST) {
                r = remove_existing(pfd, name, err);
                if (r < 0)
                        return r;
                r = linkat(tfd, tname, pfd, name, 0);
        }
        if (r < 0)
                return berth_err(err, errno, "linking to `%s`", archive_entry_hardlink(e));
        return 0;
}

static int make_special(struct applier *ap, struct archive_entry *e, int pfd, const char *name,
                        struct berth_error **err)
{
        mode_t type = archive_entry_filetype(e);
        int r;
        if (type == AE_IFLNK) {
                const char *target = archive_entry_symlink(e);
                if (target == NULL)
                        return berth_err(err, EINVAL, "symlink without a target");
                /* The target is stored as is: it is only ever resolved
                 * later, inside the container's root. */
                r = symlinkat(target, pfd, name);
                if (r < 0 && errno == EEXIST) {
                        r = remove_existing(pfd, name, err);
                        if (r < 0)
                                return r;
                        r = symlinkat(target, pfd, name);
                }
                if (r < 0)
                        return berth_err(err, errno, "creating the symlink");
                return set_metadata(ap, e, -1, pfd, name, true, err);
        }
        if ((type == AE_IFCHR || type == AE_IFBLK) && ap->opts != NULL && ap->opts->refuse_devices)
                return berth_err(err, EPERM, "device nodes are not permitted");
        dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
        r = mknodat(pfd, name, type | 0600, dev);
        if (r < 0 && errno == EEXIST) {
                r = remove_existing(pfd, name, err);
                if (r < 0)
                        return r;
                r = mknodat(pfd, name, type | 0600, dev);
        }
        if (r < 0)
                return berth_err(err, errno, "creating the %s",
                                 type == AE_IFIFO ? "fifo" : "device node");
        return set_metadata(ap, e, -1, pfd, name, false, err);
}

/* Children of the directory at dfd (path `dir`) that this layer did not
 * make: an opaque whiteout hides all the lower layers put there. */
static int clear_opaque(struct applier *ap, int dfd, const char *dir, struct berth_error **err)
{
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", dir);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (d == NULL) {
                close(fd);
                return berth_err(err, errno, "listing `%s`", dir);
        }
        struct dirent *de;
        while ((errno = 0, de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *child =
                    *dir ? xasprintf("%s/%s", dir, de->d_name) : xstrdup(de->d_name);
                if (!layer_set_contains(ap->made, child)) {
                        int r = util_path_remove_tree(dirfd(d), de->d_name, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "inspecting `%s`", child);
                if (!S_ISDIR(st.st_mode))
                        continue;
                _cleanup_close_ int cfd =
                    openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0)
                        return berth_err(err, errno, "opening `%s`", child);
                int r = clear_opaque(ap, cfd, child, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apply_whiteout(struct applier *ap, struct archive_entry *e, int pfd, const char *parent,
                          const char *base, struct berth_error **err)
{
        bool overlay = ap->overlay;
        if (strcmp(base, WH_OPAQUE) == 0) {
                if (!overlay)
                        return clear_opaque(ap, pfd, parent, err);
                _cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return berth_err(err, errno, "opening the directory");
                if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                        return berth_err(err, errno, "marking the directory opaque");
                return 0;
        }
        const char *name = base + WH_PREFIX_LEN;
        /* ".wh.." would whiteout the parent's parent: at the top, a
         * directory outside the destination. */
        if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return berth_err(err, EINVAL, "invalid whiteout name");
        _cleanup_free_ char *path = *parent ? xasprintf("%s/%s", parent, name) : xstrdup(name);
        if (layer_set_contains(ap->made, path)) {
                log_debug("layer: whiteout of %s, which this same layer made: ignored", path);
                return 0;
        }
        if (ap->whiteouts == NULL)
                ap->whiteouts = layer_set_new();
        layer_set_add(ap->whiteouts, path, NULL);
        if (!overlay)
                return remove_existing(pfd, name, err);
        /* overlayfs' whiteout: a 0:0 character device (no CAP_MKNOD
         * needed since Linux 5.8). */
        int r = mknodat(pfd, name, S_IFCHR, makedev(0, 0));
        if (r < 0 && errno == EEXIST) {
                r = remove_existing(pfd, name, err);
                if (r < 0)
                        return r;
                r = mknodat(pfd, name, S_IFCHR, makedev(0, 0));
        }
        if (r < 0)
                return berth_err(err, errno, "creating the whiteout for `%s`", name);
        return set_owner(ap, e, -1, pfd, name, err);
}

static int apply_entry(struct applier *ap, struct archive_entry *e, const char *path,
                       struct berth_error **err)
{
        if (*path == '\0') {
                /* "./": the destination itself. */
                if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e) != NULL)
                        return berth_err(err, EINVAL, "the layer root is not a directory");
                if (ap->same_owner && fchownat(ap->root, "", (uid_t)archive_entry_uid(e),
                                               (gid_t)archive_entry_gid(e), AT_EMPTY_PATH) < 0)
                        return berth_err(err, errno, "changing owner");
                if (ap->ndirs == ap->dirs_cap) {
                        ap->dirs_cap = ap->dirs_cap ? 2 * ap->dirs_cap : 64;
                        ap->dirs = xrealloc(ap->dirs, ap->dirs_cap * sizeof(*ap->dirs));
                }
                struct dir_fixup *d = &ap->dirs[ap->ndirs++];
                d->path = xstrdup("");
                d->mode = archive_entry_perm(e) & 07777;
                entry_times(e, d->times);
                return 0;
        }
        /* AUFS' own metadata (.wh..wh.plnk, .wh..wh.aufs and what is
         * under them) is no part of the image, as Docker treats it. */
        const char *meta = ap->plain ? NULL : strstr(path, WH_META);
        if (meta != NULL && (meta == path || meta[-1] == '/') &&
            strncmp(meta, WH_OPAQUE, sizeof(WH_OPAQUE) - 1) != 0) {
                log_debug("layer: skipping AUFS metadata %s", path);
                return 0;
        }
        int r = check_not_whited_out(ap, path, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *parent = xstrdup(path);
        char *slash = strrchr(parent, '/');
        const char *base = slash != NULL ? path + (slash - parent) + 1 : path;
        if (slash != NULL)
                *slash = '\0';
        else
                *parent = '\0';
        int pfd = get_parent(ap, parent, err);
        if (pfd < 0)
                return pfd;
        record_made(ap, parent);

        if (!ap->plain && strncmp(base, WH_PREFIX, WH_PREFIX_LEN) == 0)
                return apply_whiteout(ap, e, pfd, parent, base, err);

        if (archive_entry_hardlink(e) != NULL)
                r = make_link(ap, e, pfd, base, path, err);
        else {
                switch (archive_entry_filetype(e)) {
                case AE_IFREG:
                        r = make_file(ap, e, pfd, base, err);
                        break;
                case AE_IFDIR:
                        r = make_dir(ap, e, pfd, base, path, err);
                        break;
                case AE_IFLNK:
                case AE_IFCHR:
                case AE_IFBLK:
                case AE_IFIFO:
                        r = make_special(ap, e, pfd, base, err);
                        break;
                default:
                        log_debug("layer: skipping %s (type %o)", path, archive_entry_filetype(e));
                        return 0;
                }
        }
        if (r < 0)
                return r;
        record_made(ap, path);
        return 0;
}

/* Directory modes and times, last: creating children changed the times.
 * In entry order, so a directory listed twice ends as its last entry says
 * (a directory's times don't change its parent's). */
static int fix_dirs(struct applier *ap, struct berth_error **err)
{
        for (size_t i = 0; i < ap->ndirs; i++) {
                struct dir_fixup *d = &ap->dirs[i];
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_close_ int fd =
                    util_path_open_in_root(ap->root, *d->path ? d->path : ".",
                                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &scratch);
                if (fd < 0) {
                        /* Replaced or whited out by a later entry. */
                        log_debug("layer: directory %s is gone", d->path);
                        continue;
                }
                if (fchmod(fd, d->mode) < 0)
                        return berth_err(err, errno, "changing mode of `%s`", d->path);
                if (futimens(fd, d->times) < 0)
                        return berth_err(err, errno, "setting times of `%s`", d->path);
        }
        return 0;
}

static void applier_release(struct applier *ap)
{
        if (ap->ar != NULL)
                archive_read_free(ap->ar);
        layer_reader_free(ap->reader);
        berth_error_free(ap->read_err);
        if (ap->parent_path != NULL)
                close(ap->parent_fd);
        free(ap->parent_path);
        for (size_t i = 0; i < ap->ndirs; i++)
                free(ap->dirs[i].path);
        free(ap->dirs);
        layer_set_free(ap->made);
        layer_set_free(ap->whiteouts);
        layer_set_free(ap->revived);
}

static int apply(struct applier *ap, int in_fd, struct image_layer_stats *out,
                 struct berth_error **err)
{
        const struct image_layer_apply_opts *opts = ap->opts;
        int r = layer_reader_new(in_fd, opts ? opts->progress : NULL,
                                 opts ? opts->progress_data : NULL, &ap->reader, err);
        if (r < 0)
                return r;
        ap->ar = archive_read_new();
        if (ap->ar == NULL)
                return berth_err(err, ENOMEM, "creating the tar reader");
        archive_read_support_format_tar(ap->ar);
        /* A zero-byte layer is an empty one, as for Docker (Go's tar
         * reader sees end of archive at once). */
        archive_read_support_format_empty(ap->ar);
        if (archive_read_open(ap->ar, ap, NULL, read_cb, NULL) != ARCHIVE_OK)
                return archive_fail(ap, err, "reading the layer");
        for (;;) {
                struct archive_entry *e;
                r = archive_read_next_header(ap->ar, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return archive_fail(ap, err, "reading the layer");
                const char *name = archive_entry_pathname(e);
                if (name == NULL)
                        return berth_err(err, EINVAL, "layer entry without a usable name");
                if (r == ARCHIVE_WARN)
                        log_debug("layer: %s: %s", name, archive_error_string(ap->ar));
                _cleanup_free_ char *path = NULL;
                if (layer_path_clean(name, &path) < 0)
                        return berth_err(err, EINVAL,
                                         "layer entry `%s`: path leaves the layer root", name);
                r = apply_entry(ap, e, path, err);
                /* A broken stream is not this entry's fault. */
                if (r < 0 && ap->read_err != NULL)
                        return r;
                if (r < 0)
                        return berth_err_wrap(err, "layer entry `%s`", name);
                ap->entries++;
        }
        r = layer_reader_drain(ap->reader, err);
        if (r < 0)
                return r;
        r = fix_dirs(ap, err);
        if (r < 0)
                return r;
        if (out != NULL) {
                layer_reader_finish(ap->reader, out->diff_id, &out->size);
                out->entries = ap->entries;
        }
        return 0;
}

int image_layer_apply(int in_fd, int dest_dirfd, const struct image_layer_apply_opts *opts,
                      struct image_layer_stats *out, struct berth_error **err)
{
        struct applier ap = {
            .root = dest_dirfd,
            .opts = opts,
            /* As tar: owners are kept when we can set them. */
            .same_owner = geteuid() == 0,
        };
        ap.overlay = opts == NULL || opts->whiteouts == IMAGE_WHITEOUT_OVERLAY;
        ap.plain = opts != NULL && opts->whiteouts == IMAGE_WHITEOUT_NONE;
        ap.made = layer_set_new();
        /* libarchive converts PAX (UTF-8) names to the locale's charset: a
         * UTF-8 locale on this thread keeps them byte for byte. */
        locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        locale_t old = loc != (locale_t)0 ? uselocale(loc) : (locale_t)0;
        int r = apply(&ap, in_fd, out, err);
        if (loc != (locale_t)0) {
                uselocale(old);
                freelocale(loc);
        }
        applier_release(&ap);
        return r;
}

int image_layer_sync(int dirfd, struct berth_error **err)
{
        if (syncfs(dirfd) < 0)
                return berth_err(err, errno, "syncing the layer");
        return 0;
}
