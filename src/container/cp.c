/* SPDX-License-Identifier: Apache-2.0 */
/* `cp` in both directions, with Docker's path rules. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/fs-private.h"
#include "container/fs.h"
#include "container/record.h"
#include "container/rootfs.h"
#include "image/layer.h"
#include "storage/copy.h"
#include "storage/idmap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* One side of a copy: a parent directory (open) and a name in it. */
struct end {
        int rootfd;  /* the container's root; -1 on the host */
        char *clean; /* the path without trailing "/" or "/." ("/" for root) */
        bool trailing_slash, contents;
        int pfd;    /* parent directory (O_RDONLY), -1 if it is missing */
        char *name; /* "." for "/" */
        bool exists;
        struct stat st; /* of name under pfd, symlinks not followed */
};

static void end_clear(struct end *e)
{
        free(e->clean);
        free(e->name);
        if (e->pfd >= 0)
                close(e->pfd);
}

static int open_dir(int rootfd, const char *path, struct berth_error **err)
{
        if (rootfd >= 0)
                return util_path_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0, err);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? berth_err(err, errno, "opening `%s`", path) : fd;
}

/*
 * Split path into parent and name.  In the container the parent is found
 * with RESOLVE_IN_ROOT (its symlinks resolved inside the container) and
 * the name is looked at without following it.  On the host, the user's
 * own paths resolve as usual.
 */
static int end_resolve(struct end *e, int rootfd, const char *path, struct berth_error **err)
{
        *e = (struct end){.rootfd = rootfd, .pfd = -1};
        size_t len = strlen(path);
        e->contents = (len >= 2 && strcmp(path + len - 2, "/.") == 0) || strcmp(path, ".") == 0;
        e->trailing_slash = len > 0 && path[len - 1] == '/';
        char *c = xstrdup(path);
        for (;;) {
                size_t l = strlen(c);
                if (l > 1 && c[l - 1] == '/')
                        c[l - 1] = '\0';
                else if (l >= 2 && strcmp(c + l - 2, "/.") == 0)
                        c[l - 2] = '\0';
                else
                        break;
        }
        if (c[0] == '\0' || (rootfd >= 0 && strcmp(c, ".") == 0)) {
                free(c);
                c = xstrdup("/");
        }
        e->clean = c;
        const char *slash = strrchr(c, '/');
        _cleanup_free_ char *parent = NULL;
        if (strcmp(c, "/") == 0) {
                parent = xstrdup("/");
                e->name = xstrdup(".");
        } else if (slash == NULL) {
                parent = xstrdup(".");
                e->name = xstrdup(c);
        } else {
                parent = slash == c ? xstrdup("/") : xstrndup(c, (size_t)(slash - c));
                e->name = xstrdup(slash + 1);
        }
        if (strcmp(e->name, "..") == 0 || strcmp(e->name, ".") == 0) {
                /* "a/.." names a directory; open it as the parent. */
                parent = (free(parent), xstrdup(c));
                free(e->name);
                e->name = xstrdup(".");
        }
        _cleanup_error_ struct berth_error *perr = NULL;
        e->pfd = open_dir(rootfd, parent, &perr);
        if (e->pfd < 0)
                return 0; /* the caller decides whether that is an error */
        e->exists = fstatat(e->pfd, e->name, &e->st, AT_SYMLINK_NOFOLLOW) == 0;
        return 0;
}

/* A symlink in the container that leads to a directory there: that
 * directory (resolved inside), else -1. */
static int symlink_dir(const struct end *e)
{
        if (!e->exists || !S_ISLNK(e->st.st_mode))
                return -1;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (e->rootfd >= 0)
                return util_path_open_in_root(e->rootfd, e->clean, O_RDONLY | O_DIRECTORY, 0,
                                              &scratch);
        return open(e->clean, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Where the symlink e names points, as a path in the same tree (the link
 * is read, not followed: the caller resolves the result again). */
static char *link_next(const struct end *e)
{
        char target[PATH_MAX + 1];
        ssize_t n = readlinkat(e->pfd, e->name, target, PATH_MAX);
        if (n < 0)
                return NULL;
        target[n] = '\0';
        if (target[0] == '/')
                return xstrdup(target);
        const char *slash = strrchr(e->clean, '/');
        return slash == NULL ? xstrdup(target)
                             : xasprintf("%.*s/%s", (int)(slash - e->clean), e->clean, target);
}

static void owner_root(uid_t *uid, gid_t *gid, void *data)
{
        const uid_t *ids = data;
        *uid = ids[0];
        *gid = ids[1];
}

/* -a into a container in a user namespace: ids into its range. */
struct shift {
        struct storage_idmap *uid, *gid;
        size_t n_uid, n_gid;
};

static void shift_owner(uid_t *uid, gid_t *gid, void *data)
{
        const struct shift *s = data;
        uint32_t u = storage_idmap_to_host(s->uid, s->n_uid, *uid);
        uint32_t g = storage_idmap_to_host(s->gid, s->n_gid, *gid);
        *uid = u != (uint32_t)-1 ? u : 65534;
        *gid = g != (uint32_t)-1 ? g : 65534;
}

static int copy_between(struct end *src, struct end *dst, const char *src_shown,
                        const char *dst_shown, const struct container_cp_opts *o, uid_t owner_uid,
                        gid_t owner_gid, struct shift *sh, struct berth_error **err)
{
        uid_t ids[2] = {owner_uid, owner_gid};
        bool archive = o != NULL && o->archive;
        struct storage_copy_opts co = {
            .overwrite = true,
            .map_owner = archive ? (sh ? shift_owner : NULL) : owner_root,
            .map_data = archive ? (void *)sh : (void *)ids,
        };
        bool src_dir = S_ISDIR(src->st.st_mode);
        if (!src_dir && (src->trailing_slash || src->contents))
                return berth_err(err, ENOTDIR, "%s: not a directory", src_shown);
        if (dst->pfd < 0)
                return berth_err(err, ENOENT, "%s: no such directory", dst_shown);
        _cleanup_close_ int linked = symlink_dir(dst);
        bool dst_dir = (dst->exists && S_ISDIR(dst->st.st_mode)) || linked >= 0;
        _cleanup_close_ int dfd = -1;
        if (dst_dir) {
                dfd = linked >= 0 ? steal_fd(&linked)
                                  : openat(dst->pfd, dst->name,
                                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0)
                        return berth_err(err, errno, "opening `%s`", dst_shown);
        }
        if (!src_dir) {
                if (dst_dir)
                        return storage_copy_entry(src->pfd, src->name, dfd, src->name, &co, err);
                if (dst->trailing_slash)
                        return berth_err(err, ENOENT, "%s: no such directory", dst_shown);
                return storage_copy_entry(src->pfd, src->name, dst->pfd, dst->name, &co, err);
        }
        if (dst->exists && !dst_dir)
                return berth_err(err, ENOTDIR, "cannot copy a directory to a file: %s", dst_shown);
        _cleanup_close_ int sfd =
            openat(src->pfd, src->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return berth_err(err, errno, "opening `%s`", src_shown);
        if (dst_dir && !src->contents) {
                /* "dir" into an existing directory: it keeps its name
                 * (the root of the container has none: its content). */
                if (strcmp(src->name, ".") == 0)
                        return storage_tree_copy(sfd, dfd, &co, err);
                return storage_copy_entry(src->pfd, src->name, dfd, src->name, &co, err);
        }
        if (!dst_dir) {
                if (mkdirat(dst->pfd, dst->name, 0755) < 0)
                        return berth_err(err, errno, "creating `%s`", dst_shown);
                dfd = openat(dst->pfd, dst->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0)
                        return berth_err(err, errno, "opening `%s`", dst_shown);
                co.copy_root_meta = true;
        }
        return storage_tree_copy(sfd, dfd, &co, err);
}

int container_cp_from(const char *root, const char *id, const char *src, const char *dst,
                      int out_fd, const struct container_cp_opts *o, struct berth_error **err)
{
        struct container_fs_view v;
        if (container_fs_view_open(root, id, false, &v, err) < 0)
                return berth_err_ret(*err);
        struct end s, d = {.pfd = -1};
        int r = end_resolve(&s, v.rootfd, src[0] ? src : "/", err);
        /* -L: what a symlink source points to, the link read and resolved
         * again inside the container (so never leaving it). */
        for (int hops = 0; r == 0 && o != NULL && o->follow_link && s.exists &&
                           S_ISLNK(s.st.st_mode) && hops < 40;
             hops++) {
                _cleanup_free_ char *next = link_next(&s);
                if (next == NULL)
                        break;
                end_clear(&s);
                r = end_resolve(&s, v.rootfd, next, err);
        }
        _cleanup_free_ char *shown = xasprintf("%.12s:%s", id, src);
        if (r == 0 && (s.pfd < 0 || !s.exists))
                r = berth_err(err, 0, "Could not find the file %s in container %.12s", src, id);
        if (r == 0 && strcmp(dst, "-") == 0) {
                if (!S_ISDIR(s.st.st_mode) && (s.trailing_slash || s.contents))
                        r = berth_err(err, ENOTDIR, "%s: not a directory", shown);
                else
                        r = container_tar_write(s.pfd, s.name,
                                                s.contents                 ? ""
                                                : strcmp(s.name, ".") == 0 ? "/"
                                                                           : s.name,
                                                out_fd, err);
        } else if (r == 0) {
                end_resolve(&d, -1, dst, err);
                r = copy_between(&s, &d, shown, dst, o, getuid(), getgid(), NULL, err);
        }
        end_clear(&s);
        end_clear(&d);
        container_fs_view_close(&v);
        return r < 0 ? berth_err_ret(*err) : 0;
}

int container_cp_to(const char *root, const char *id, const char *src, int in_fd, const char *dst,
                    const struct container_cp_opts *o, struct berth_error **err)
{
        struct end s = {.pfd = -1}, d = {.pfd = -1};
        _cleanup_free_ char *shown = xasprintf("%.12s:%s", id, dst);
        bool stream = strcmp(src, "-") == 0;
        if (!stream) {
                /* -L on the host: the user's own path, followed as usual. */
                _cleanup_free_ char *real =
                    o != NULL && o->follow_link ? realpath(src, NULL) : NULL;
                end_resolve(&s, -1, real ? real : src, err);
                if (s.pfd < 0 || !s.exists) {
                        end_clear(&s);
                        return berth_err(err, ENOENT, "lstat %s", src);
                }
        }
        struct container_fs_view v;
        if (container_fs_view_open(root, id, true, &v, err) < 0) {
                end_clear(&s);
                return berth_err_ret(*err);
        }
        int r = 0;
        if (stream) {
                /* A tar into an existing directory, extracted by the layer
                 * code that contains every entry within it. */
                _cleanup_close_ int dfd =
                    util_path_open_in_root(v.rootfd, dst, O_RDONLY | O_DIRECTORY, 0, err);
                if (dfd < 0) {
                        r = berth_err_wrap(err, "%s: the destination must be a directory", shown);
                } else {
                        struct image_layer_apply_opts ao = {.whiteouts = IMAGE_WHITEOUT_NONE};
                        struct image_layer_stats stats;
                        r = image_layer_apply(in_fd, dfd, &ao, &stats, err);
                }
        } else {
                /* The container's root is its mapped host id in a user
                 * namespace (with -a, ids are shifted into its range). */
                _cleanup_free_ char *dir = container_record_dir(root, id);
                struct shift sh = {0};
                sh.n_uid = container_idmaps_load(dir, &sh.uid, &sh.gid, &sh.n_gid);
                uid_t ruid = sh.n_uid ? storage_idmap_to_host(sh.uid, sh.n_uid, 0) : 0;
                gid_t rgid = sh.n_gid ? storage_idmap_to_host(sh.gid, sh.n_gid, 0) : 0;
                end_resolve(&d, v.rootfd, dst, err);
                /* A symlink destination is followed once, inside the
                 * container, as Docker's client does: the file it names is
                 * written, not the link replaced.  A link into a directory
                 * that does not exist is replaced (Docker fails). */
                _cleanup_free_ char *next =
                    d.exists && S_ISLNK(d.st.st_mode) && !d.trailing_slash ? link_next(&d) : NULL;
                struct end t = {.pfd = -1};
                if (next != NULL)
                        end_resolve(&t, v.rootfd, next, err);
                if (t.pfd >= 0) {
                        end_clear(&d);
                        d = t;
                } else {
                        end_clear(&t);
                }
                r = copy_between(&s, &d, src, shown, o, ruid, rgid, sh.n_uid ? &sh : NULL, err);
                free(sh.uid);
                free(sh.gid);
        }
        end_clear(&s);
        end_clear(&d);
        container_fs_view_close(&v);
        return r < 0 ? berth_err_ret(*err) : 0;
}
