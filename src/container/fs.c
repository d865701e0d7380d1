/* SPDX-License-Identifier: Apache-2.0 */
/* A container's filesystem from outside: the view, diff and export. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "container/fs-private.h"
#include "container/fs.h"
#include "container/record.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* ---- the view ---- */

static char **read_lowers(const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/layers", dir);
        _cleanup_free_ char *text = NULL;
        _cleanup_error_ struct berth_error *scratch = NULL;
        char **out = xcalloc(1, sizeof(char *));
        if (util_file_read(AT_FDCWD, path, &text, NULL, &scratch) < 0)
                return out;
        char *p = text;
        for (char *l = strsep(&p, "\n"); l != NULL; l = strsep(&p, "\n"))
                if (l[0] == '/')
                        strv_append(&out, l);
        return out;
}

static int overlay_fd(char *const *lowers, const char *upper, const char *work, bool writable,
                      struct berth_error **err)
{
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return berth_err(err, errno, "opening an overlay context");
        /* Read-only: upper/ is simply the top lower, so the container's
         * own mount (if any) is not disturbed and no work dir is used. */
        if (!writable && fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", upper, 0) < 0)
                return berth_err(err, errno, "overlay lower dir `%s`", upper);
        for (char *const *l = lowers; *l; l++)
                if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", *l, 0) < 0)
                        return berth_err(err, errno, "overlay lower dir `%s`", *l);
        if (writable && (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
                         fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
                return berth_err(err, errno, "overlay upper dir `%s`", upper);
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return berth_err(err, errno, "creating an overlay of the container's layers");
        int mnt = fsmount(fs, FSMOUNT_CLOEXEC, writable ? 0 : MOUNT_ATTR_RDONLY);
        if (mnt < 0)
                return berth_err(err, errno, "mounting the container's layers");
        return mnt;
}

int container_fs_view_open(const char *root, const char *id, bool writable,
                           struct container_fs_view *v, struct berth_error **err)
{
        *v = (struct container_fs_view){.rootfd = -1, .upperfd = -1, .mntfd = -1};
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_record_load(root, id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, 0, "No such container: %s", id);
        _cleanup_free_ char *dir = container_record_dir(root, id);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_free_ char *work = xasprintf("%s/work", dir);
        v->lowers = read_lowers(dir);
        v->upperfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (v->upperfd < 0) {
                int e = errno;
                container_fs_view_close(v);
                return berth_err(err, e, "opening `%s`", upper);
        }
        bool running =
            (r->state.status == CONTAINER_RUNNING || r->state.status == CONTAINER_PAUSED) &&
            r->state.pid > 0 && kill(r->state.pid, 0) == 0;
        if (running) {
                /* The live root, as its processes see it (volumes too).
                 * Everything below is resolved relative to this fd with
                 * RESOLVE_IN_ROOT, so it stays inside. */
                _cleanup_free_ char *p = xasprintf("/proc/%d/root", r->state.pid);
                v->rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (v->rootfd >= 0) {
                        v->running = true;
                        return 0;
                }
                log_debug("container %s: %s: %m; using its layers", id, p);
        }
        _cleanup_free_ char *marker = xasprintf("%s/copied", work);
        if (v->lowers[0] == NULL || access(marker, F_OK) == 0 ||
            (r->rootfs_driver != NULL && strcmp(r->rootfs_driver, "copy") == 0)) {
                /* No layers, or the copy driver: upper/ is the whole tree. */
                v->rootfd = dup(v->upperfd);
                return v->rootfd < 0 ? berth_err(err, errno, "opening `%s`", upper) : 0;
        }
        v->mntfd = overlay_fd(v->lowers, upper, work, writable, err);
        if (v->mntfd < 0) {
                container_fs_view_close(v);
                return berth_err_wrap(err, "container %.12s", id);
        }
        v->rootfd = openat(v->mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (v->rootfd < 0) {
                int e = errno;
                container_fs_view_close(v);
                return berth_err(err, e, "opening the container's layers");
        }
        return 0;
}

void container_fs_view_close(struct container_fs_view *v)
{
        if (v->rootfd >= 0)
                close(v->rootfd);
        if (v->upperfd >= 0)
                close(v->upperfd);
        /* The last reference to a detached mount: closing it unmounts. */
        if (v->mntfd >= 0)
                close(v->mntfd);
        strv_free(v->lowers);
        *v = (struct container_fs_view){.rootfd = -1, .upperfd = -1, .mntfd = -1};
}

/* ---- diff ---- */

void container_change_list_clear(struct container_change_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        free(l->v);
        *l = (struct container_change_list){0};
}

static void change_add(struct container_change_list *l, char kind, const char *path)
{
        l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
        l->v[l->n++] = (struct container_change){.kind = kind, .path = xstrdup(path)};
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool is_opaque(int dfd)
{
        char v[2] = {0};
        return fgetxattr(dfd, "trusted.overlay.opaque", v, 1) == 1 && v[0] == 'y';
}

/* Whether the image (the lowers, top first, with their whiteouts and
 * opaque dirs) has path (relative, no leading "/").  The lookup never
 * follows a symlink: overlay itself doesn't across layers. */
static bool lower_has(char *const *lowers, const char *path)
{
        _cleanup_free_ char *copy = xstrdup(path);
        char *slash = strrchr(copy, '/');
        const char *parent = slash ? (*slash = '\0', copy) : ".";
        const char *base = slash ? slash + 1 : copy;
        for (char *const *l = lowers; l && *l; l++) {
                _cleanup_close_ int lfd = open(*l, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (lfd < 0)
                        continue;
                struct open_how how = {
                    .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
                };
                _cleanup_close_ int pfd = (int)syscall(SYS_openat2, lfd, parent, &how, sizeof(how));
                if (pfd < 0)
                        continue;
                struct stat st;
                if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return !is_whiteout(&st);
                if (is_opaque(pfd))
                        return false; /* hides everything below it */
        }
        return false;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int changes_walk(int dfd, const char *rel, char *const *lowers, bool lower_visible,
                        struct container_change_list *out, struct berth_error **err)
{
        int fd = dup(dfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (d == NULL) {
                if (fd >= 0)
                        close(fd);
                return berth_err(err, errno, "listing `/%s`", rel);
        }
        /* A dup shares the offset: start from the top. */
        rewinddir(d);
        char **names = xcalloc(1, sizeof(char *));
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        strv_append(&names, de->d_name);
        closedir(d);
        _cleanup_strv_ char **owned = names;
        qsort(names, strv_len(names), sizeof(char *), cmp_str);
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *path = rel[0] ? xasprintf("%s/%s", rel, *n) : xstrdup(*n);
                _cleanup_free_ char *shown = xasprintf("/%s", path);
                struct stat st;
                if (fstatat(dfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "inspecting `%s`", shown);
                if (is_whiteout(&st)) {
                        change_add(out, 'D', shown);
                        continue;
                }
                bool in_lower = lower_visible && lower_has(lowers, path);
                change_add(out, in_lower ? 'C' : 'A', shown);
                if (!S_ISDIR(st.st_mode))
                        continue;
                _cleanup_close_ int sub =
                    openat(dfd, *n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return berth_err(err, errno, "opening `%s`", shown);
                /* Below a new or opaque dir, everything is new. */
                if (changes_walk(sub, path, lowers, in_lower && !is_opaque(sub), out, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

int container_changes_compute(int upperfd, char *const *lowers, struct container_change_list *out,
                              struct berth_error **err)
{
        *out = (struct container_change_list){0};
        int r = changes_walk(upperfd, "", lowers, true, out, err);
        if (r < 0)
                container_change_list_clear(out);
        return r;
}

/*
 * What the runtime makes as mount points (/proc, /etc/hosts, ...) is in
 * Docker's "init" layer, never in a diff: drop those entries when empty,
 * and then /etc or /dev when nothing else below them changed.
 */
static void drop_init_entries(int upperfd, struct container_change_list *l)
{
        static const char *const init[] = {"/proc",      "/sys",          "/dev",
                                           "/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
                                           "/etc/mtab",  "/.dockerenv"};
        size_t w = 0;
        for (size_t i = 0; i < l->n; i++) {
                bool drop = false;
                for (size_t k = 0; k < sizeof(init) / sizeof(init[0]) && !drop; k++) {
                        struct stat st;
                        if (l->v[i].kind != 'A' || strcmp(l->v[i].path, init[k]) != 0 ||
                            fstatat(upperfd, l->v[i].path + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        drop = (S_ISREG(st.st_mode) && st.st_size == 0) || S_ISDIR(st.st_mode);
                }
                /* /dev's content is the runtime's too (its nodes, pts). */
                drop |= strncmp(l->v[i].path, "/dev/", 5) == 0 && l->v[i].kind == 'A';
                if (drop)
                        free(l->v[i].path);
                else
                        l->v[w++] = l->v[i];
        }
        l->n = w;
        w = 0;
        for (size_t i = 0; i < l->n; i++) {
                const char *p = l->v[i].path;
                bool parent_only =
                    l->v[i].kind == 'C' && (strcmp(p, "/etc") == 0 || strcmp(p, "/dev") == 0);
                size_t len = strlen(p);
                bool has_child = i + 1 < l->n && strncmp(l->v[i + 1].path, p, len) == 0 &&
                                 l->v[i + 1].path[len] == '/';
                if (parent_only && !has_child)
                        free(l->v[i].path);
                else
                        l->v[w++] = l->v[i];
        }
        l->n = w;
}

int container_diff(const char *root, const char *id, struct container_change_list *out,
                   struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_record_load(root, id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, 0, "No such container: %s", id);
        _cleanup_free_ char *dir = container_record_dir(root, id);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ufd < 0)
                return berth_err(err, errno, "opening `%s`", upper);
        _cleanup_strv_ char **lowers = read_lowers(dir);
        _cleanup_free_ char *marker = xasprintf("%s/work/copied", dir);
        if (access(marker, F_OK) == 0)
                return berth_err(err, ENOTSUP,
                                 "diff: container %.12s uses the copy driver: its changes are "
                                 "not kept apart from the image",
                                 id);
        if (container_changes_compute(ufd, lowers, out, err) < 0)
                return berth_err_ret(*err);
        drop_init_entries(ufd, out);
        return 0;
}

/* ---- export ---- */

int container_export(const char *root, const char *id, int out_fd, struct berth_error **err)
{
        struct container_fs_view v;
        if (container_fs_view_open(root, id, false, &v, err) < 0)
                return berth_err_wrap(err, "export");
        int r = container_tar_write(v.rootfd, ".", "", out_fd, err);
        container_fs_view_close(&v);
        return r < 0 ? berth_err_wrap(err, "export") : 0;
}
