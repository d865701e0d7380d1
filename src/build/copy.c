/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COPY and ADD.  Sources are resolved inside their root (the context, or a
 * stage's or image's filesystem for --from) and walked without following
 * any symlink below the named source; destinations are resolved inside the
 * step's rootfs, as a container would see them.  The same walk computes
 * the content checksum the cache keys on: names, types, modes, owners,
 * symlink targets and file contents, never mtimes.  ADD's URLs are
 * fetched (fetch.c) and then are sources like the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "build/build-private.h"
#include "build/expand.h"
#include "container/spec.h"
#include "image/digest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

struct copy_entry {
        char *rel; /* below the source ("" for the source itself) */
        struct stat st;
        char *link; /* symlink target */
};

struct copy_source {
        char *name; /* as the context (or --from root) names it */
        int fd;     /* O_PATH of the source itself */
        bool is_dir;
        struct copy_entry *e; /* sorted, parents first */
        size_t n;
        char *heredoc;                   /* COPY <<EOF: the content, expanded unless quoted */
        const struct build_fetched *url; /* ADD URL: the builder's */
};

struct copy_job {
        struct builder *b;
        struct build_stage *st;
        const struct build_instruction *in;
        bool add;
        int root_fd;     /* where sources are */
        bool in_context; /* sources are the context's: .dockerignore, owner 0:0 */
        struct copy_source *src;
        size_t n_src;
        bool chown;
        uid_t uid;
        gid_t gid;
        bool chmod;
        mode_t mode;
};

/* openat2 beneath dirfd with no symlink anywhere in path: names found by
 * the walk below are reopened this way, so a tree changed meanwhile can't
 * point us outside the source. */
static int open_beneath(int dirfd, const char *path, int flags, struct berth_error **err)
{
        struct open_how how = {
            .flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        return fd;
}

static bool has_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

static void source_clear(struct copy_source *s)
{
        free(s->name);
        free(s->heredoc);
        if (s->fd >= 0)
                close(s->fd);
        for (size_t i = 0; i < s->n; i++) {
                free(s->e[i].rel);
                free(s->e[i].link);
        }
        free(s->e);
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ignored(struct copy_job *j, const char *ctx_path)
{
        return j->in_context && build_ignore_match(j->b->ignore, ctx_path);
}

static void add_entry(struct copy_source *s, const char *rel, const struct stat *st,
                      const char *link)
{
        s->e = xrealloc(s->e, (s->n + 1) * sizeof(*s->e));
        s->e[s->n].rel = xstrdup(rel);
        s->e[s->n].st = *st;
        s->e[s->n].link = link ? xstrdup(link) : NULL;
        s->n++;
}

/* Walk dir (rel below the source) in name order.  Returns how many
 * entries were kept: an ignored directory stays only for a kept child. */
static int walk(struct copy_job *j, struct copy_source *s, int parent, const char *rel,
                struct berth_error **err)
{
        _cleanup_close_ int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "reading `%s`", rel);
        DIR *d = fdopendir(fd);
        if (d == NULL)
                return berth_err(err, errno, "reading `%s`", rel);
        fd = -1;
        _cleanup_closedir_ DIR *dir = d;
        _cleanup_strv_ char **names = xcalloc(1, sizeof(char *));
        size_t n = 0;
        for (struct dirent *de; (de = readdir(dir)) != NULL;) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                strv_append(&names, de->d_name);
                n++;
        }
        qsort(names, n, sizeof(char *), cmp_names);
        int kept = 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *crel =
                    *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
                _cleanup_free_ char *cpath =
                    *s->name ? xasprintf("%s/%s", s->name, crel) : xstrdup(crel);
                struct stat st;
                if (fstatat(dirfd(dir), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "reading `%s`", cpath);
                bool ign = ignored(j, cpath);
                if (S_ISDIR(st.st_mode)) {
                        size_t at = s->n;
                        add_entry(s, crel, &st, NULL);
                        _cleanup_close_ int sub = openat(
                            dirfd(dir), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                return berth_err(err, errno, "reading `%s`", cpath);
                        int r = walk(j, s, sub, crel, err);
                        if (r < 0)
                                return r;
                        if (ign && r == 0) {
                                free(s->e[at].rel);
                                s->n--;
                                continue;
                        }
                        kept++;
                        continue;
                }
                if (ign)
                        continue;
                _cleanup_free_ char *link = NULL;
                if (S_ISLNK(st.st_mode)) {
                        link = xcalloc(1, (size_t)st.st_size + 2);
                        ssize_t l = readlinkat(dirfd(dir), names[i], link, (size_t)st.st_size + 1);
                        if (l < 0)
                                return berth_err(err, errno, "reading the link `%s`", cpath);
                        link[l] = '\0';
                } else if (!S_ISREG(st.st_mode)) {
                        log_warn("build: skipping `%s`: not a file, directory or symlink", cpath);
                        continue;
                }
                add_entry(s, crel, &st, link);
                kept++;
        }
        return kept;
}

/* Glob pattern (cleaned, relative) against the tree under root: one path
 * element at a time, each matched with fnmatch. */
static void glob_walk(int parent, const char *prefix, char **parts, char ***out)
{
        _cleanup_close_ int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (d == NULL)
                return;
        fd = -1;
        _cleanup_closedir_ DIR *dir = d;
        _cleanup_strv_ char **names = xcalloc(1, sizeof(char *));
        size_t n = 0;
        for (struct dirent *de; (de = readdir(dir)) != NULL;) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fnmatch(parts[0], de->d_name, FNM_PERIOD & 0) == 0) {
                        strv_append(&names, de->d_name);
                        n++;
                }
        }
        qsort(names, n, sizeof(char *), cmp_names);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p =
                    *prefix ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
                if (parts[1] == NULL) {
                        strv_append(out, p);
                        continue;
                }
                _cleanup_close_ int sub =
                    openat(dirfd(dir), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                        glob_walk(sub, p, parts + 1, out);
        }
}

static int add_source(struct copy_job *j, const char *name, const char *shown,
                      struct berth_error **err)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_close_ int fd =
            util_path_open_in_root(j->root_fd, *name ? name : ".", O_PATH, 0, &scratch);
        if (fd < 0 || (*name && ignored(j, name)))
                return berth_err(err, 0, "%s: `%s` not found in %s", j->in->name, shown,
                                 j->in_context ? "the build context" : "the --from source");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_err(err, errno, "reading `%s`", shown);
        j->src = xrealloc(j->src, (j->n_src + 1) * sizeof(*j->src));
        struct copy_source *s = &j->src[j->n_src++];
        memset(s, 0, sizeof(*s));
        s->name = xstrdup(name);
        s->fd = -1;
        s->is_dir = S_ISDIR(st.st_mode);
        add_entry(s, "", &st, NULL);
        if (s->is_dir) {
                _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return berth_err(err, errno, "reading `%s`", shown);
                if (walk(j, s, dfd, "", err) < 0)
                        return berth_err_ret(*err);
        } else if (!S_ISREG(st.st_mode)) {
                return berth_err(err, 0, "%s: `%s` is not a file or directory", j->in->name, shown);
        }
        s->fd = steal_fd(&fd);
        return 0;
}

/* Remote files are 0600 and root's (BuildKit's), dated Last-Modified. */
static int add_url_source(struct copy_job *j, const char *url, struct berth_error **err)
{
        const struct build_fetched *f = NULL;
        if (build_fetch(j->b, url, &f, err) < 0)
                return berth_err_ret(*err);
        struct stat st;
        if (fstat(f->fd, &st) < 0)
                return berth_err(err, errno, "fetching %s", url);
        st.st_mode = S_IFREG | 0600;
        st.st_uid = 0;
        st.st_gid = 0;
        j->src = xrealloc(j->src, (j->n_src + 1) * sizeof(*j->src));
        struct copy_source *s = &j->src[j->n_src++];
        memset(s, 0, sizeof(*s));
        s->name = xstrdup(f->name);
        s->fd = -1;
        s->url = f;
        add_entry(s, "", &st, NULL);
        return 0;
}

static int resolve_sources(struct copy_job *j, char **words, size_t n, struct berth_error **err)
{
        for (size_t i = 0; i < n; i++) {
                const char *w = words[i];
                if (strncmp(w, "<<", 2) == 0) {
                        const struct build_heredoc *h = NULL;
                        for (size_t k = 0; k < j->in->n_heredocs; k++)
                                if (strcmp(j->in->heredocs[k].name, w + 2 + (w[2] == '-')) == 0 ||
                                    strstr(w, j->in->heredocs[k].name) != NULL)
                                        h = &j->in->heredocs[k];
                        if (h == NULL)
                                return berth_err(err, 0, "%s: no heredoc for `%s`", j->in->name, w);
                        j->src = xrealloc(j->src, (j->n_src + 1) * sizeof(*j->src));
                        struct copy_source *s = &j->src[j->n_src++];
                        memset(s, 0, sizeof(*s));
                        s->name = xstrdup(h->name);
                        s->fd = -1;
                        if (h->expand) {
                                /* Only the variables: quotes and escapes are
                                 * the file's own text. */
                                _cleanup_strv_ char **env = build_stage_env(j->st);
                                struct build_expand_opts o = {.escape = j->b->df->escape,
                                                              .raw_quotes = true,
                                                              .raw_escapes = true};
                                if (build_expand_word(h->content, env, &o, &s->heredoc, err) < 0)
                                        return berth_err_wrap(err, "heredoc %s", h->name);
                        } else {
                                s->heredoc = xstrdup(h->content);
                        }
                        continue;
                }
                if (j->add && build_is_url(w)) {
                        if (add_url_source(j, w, err) < 0)
                                return berth_err_ret(*err);
                        continue;
                }
                if (j->add && strncmp(w, "git@", 4) == 0)
                        return berth_err(err, 0,
                                         "ADD %s: git repositories are not supported by berth "
                                         "build; clone it into the context and ADD the directory",
                                         w);
                _cleanup_free_ char *clean = NULL;
                if (build_path_clean(w, &clean) < 0)
                        return berth_err(err, 0, "%s %s: the path is outside the build context",
                                         j->in->name, w);
                if (!has_glob(clean)) {
                        if (add_source(j, clean, w, err) < 0)
                                return berth_err_ret(*err);
                        continue;
                }
                _cleanup_strv_ char **parts = xcalloc(1, sizeof(char *));
                _cleanup_free_ char *copy = xstrdup(clean);
                char *save = NULL;
                for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
                        strv_append(&parts, t);
                _cleanup_strv_ char **matches = xcalloc(1, sizeof(char *));
                _cleanup_close_ int rfd =
                    openat(j->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rfd >= 0 && parts[0] != NULL)
                        glob_walk(rfd, "", parts, &matches);
                size_t kept = 0;
                for (char **m = matches; *m; m++) {
                        if (ignored(j, *m))
                                continue;
                        if (add_source(j, *m, *m, err) < 0)
                                return berth_err_ret(*err);
                        kept++;
                }
                if (kept == 0)
                        return berth_err(err, 0, "%s: no source files were specified by `%s`",
                                         j->in->name, w);
        }
        return 0;
}

/* ---- checksum ---- */

static int open_entry(struct copy_job *j, struct copy_source *s, const struct copy_entry *e,
                      struct berth_error **err)
{
        if (s->url != NULL) {
                /* Its own offset: the fetched file is read once per step. */
                _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", s->url->fd);
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                return fd < 0 ? berth_err(err, errno, "reading the file of %s", s->url->url) : fd;
        }
        if (*e->rel == '\0')
                return util_path_open_in_root(j->root_fd, *s->name ? s->name : ".", O_RDONLY, 0,
                                              err);
        return open_beneath(s->fd, e->rel, O_RDONLY, err);
}

static int hash_file(int fd, struct image_digester *d, struct berth_error **err)
{
        char buf[65536];
        for (;;) {
                ssize_t r = read(fd, buf, sizeof(buf));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return berth_err(err, errno, "reading a source file");
                if (r == 0)
                        return 0;
                image_digester_update(d, buf, (size_t)r);
        }
}

static mode_t entry_mode(struct copy_job *j, const struct stat *st)
{
        if (j->chmod && !S_ISLNK(st->st_mode))
                return j->mode;
        return st->st_mode & 07777;
}

static int checksum(struct copy_job *j, char out[IMAGE_DIGEST_LEN], struct berth_error **err)
{
        _cleanup_digester_ struct image_digester *d = image_digester_new();
        for (size_t i = 0; i < j->n_src; i++) {
                struct copy_source *s = &j->src[i];
                _cleanup_free_ char *head = xasprintf("source %s\n", s->name);
                image_digester_update(d, head, strlen(head));
                if (s->heredoc != NULL) {
                        image_digester_update(d, s->heredoc, strlen(s->heredoc));
                        continue;
                }
                for (size_t k = 0; k < s->n; k++) {
                        const struct copy_entry *e = &s->e[k];
                        /* Context files are owned by root in the image
                         * whatever they are on this host. */
                        unsigned long uid = j->in_context ? 0 : e->st.st_uid;
                        unsigned long gid = j->in_context ? 0 : e->st.st_gid;
                        _cleanup_free_ char *line = xasprintf(
                            "%s\t%o\t%o\t%lu:%lu\t%s\n", e->rel, (unsigned)(e->st.st_mode & S_IFMT),
                            (unsigned)entry_mode(j, &e->st), uid, gid, e->link ? e->link : "");
                        image_digester_update(d, line, strlen(line));
                        if (s->url != NULL) {
                                image_digester_update(d, s->url->digest, strlen(s->url->digest));
                        } else if (S_ISREG(e->st.st_mode)) {
                                _cleanup_close_ int fd = open_entry(j, s, e, err);
                                if (fd < 0)
                                        return berth_err_ret(*err);
                                if (hash_file(fd, d, err) < 0)
                                        return berth_err_ret(*err);
                        }
                }
        }
        image_digester_final(d, out);
        return 0;
}

/* ---- writing ---- */

static void entry_owner(struct copy_job *j, const struct stat *st, uid_t *uid, gid_t *gid)
{
        if (j->chown) {
                *uid = j->uid;
                *gid = j->gid;
        } else if (j->in_context) {
                *uid = 0;
                *gid = 0;
        } else {
                *uid = st->st_uid;
                *gid = st->st_gid;
        }
}

static char *path_join(const char *a, const char *b)
{
        if (*b == '\0')
                return xstrdup(a);
        size_t al = strlen(a);
        return al > 0 && a[al - 1] == '/' ? xasprintf("%s%s", a, b) : xasprintf("%s/%s", a, b);
}

/* The parent of target inside root (made as needed) and target's name. */
static int open_parent(int root, const char *target, const char **base, struct berth_error **err)
{
        const char *slash = strrchr(target, '/');
        _cleanup_free_ char *parent =
            slash ? xstrndup(target, (size_t)(slash - target)) : xstrdup(".");
        *base = slash ? slash + 1 : target;
        return util_path_mkdir_in_root(root, *parent ? parent : "/", 0755, err);
}

/* Clear the way for a non-directory: whatever is there (not a directory)
 * is replaced, as cp does. */
static int clear_name(int pfd, const char *base, struct berth_error **err)
{
        struct stat st;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (S_ISDIR(st.st_mode))
                return berth_err(err, EISDIR, "`%s` is a directory", base);
        if (unlinkat(pfd, base, 0) < 0)
                return berth_err(err, errno, "replacing `%s`", base);
        return 0;
}

static int copy_data(int in, int out, struct berth_error **err)
{
        for (;;) {
                ssize_t r = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (r < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL))
                        r = sendfile(out, in, NULL, 1 << 30);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return berth_err(err, errno, "copying");
                if (r == 0)
                        return 0;
        }
}

static int write_file(struct copy_job *j, int root, const char *target, int src_fd,
                      const char *content, const struct stat *st, struct berth_error **err)
{
        const char *base;
        _cleanup_close_ int pfd = open_parent(root, target, &base, err);
        if (pfd < 0 || clear_name(pfd, base, err) < 0)
                return berth_err_wrap(err, "writing `%s`", target);
        mode_t mode = st ? entry_mode(j, st) : (j->chmod ? j->mode : 0644);
        _cleanup_close_ int fd =
            openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return berth_err(err, errno, "creating `%s`", target);
        int r = content ? util_write_all(fd, content, strlen(content)) : copy_data(src_fd, fd, err);
        if (r < 0)
                return content ? berth_err(err, errno, "writing `%s`", target)
                               : berth_err_wrap(err, "writing `%s`", target);
        uid_t uid = 0;
        gid_t gid = 0;
        if (st)
                entry_owner(j, st, &uid, &gid);
        else if (j->chown)
                uid = j->uid, gid = j->gid;
        if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
                return berth_err(err, errno, "setting the owner and mode of `%s`", target);
        if (st != NULL) {
                struct timespec ts[2] = {st->st_atim, st->st_mtim};
                futimens(fd, ts);
        }
        return 0;
}

static int write_dir(struct copy_job *j, int root, const char *target, const struct stat *st,
                     bool existing_keeps, struct berth_error **err)
{
        const char *base;
        _cleanup_close_ int pfd = open_parent(root, target, &base, err);
        if (pfd < 0)
                return berth_err_wrap(err, "writing `%s`", target);
        if (*base == '\0')
                return 0; /* the root itself */
        struct stat cur;
        bool exists = fstatat(pfd, base, &cur, 0) == 0 && S_ISDIR(cur.st_mode);
        if (exists && existing_keeps)
                return 0;
        if (!exists) {
                if (clear_name(pfd, base, err) < 0)
                        return berth_err_wrap(err, "writing `%s`", target);
                if (mkdirat(pfd, base, 0700) < 0)
                        return berth_err(err, errno, "creating `%s`", target);
        }
        _cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", target);
        uid_t uid;
        gid_t gid;
        entry_owner(j, st, &uid, &gid);
        if (fchown(fd, uid, gid) < 0 || fchmod(fd, entry_mode(j, st)) < 0)
                return berth_err(err, errno, "setting the owner and mode of `%s`", target);
        return 0;
}

static int write_link(struct copy_job *j, int root, const char *target, const struct copy_entry *e,
                      struct berth_error **err)
{
        const char *base;
        _cleanup_close_ int pfd = open_parent(root, target, &base, err);
        if (pfd < 0 || clear_name(pfd, base, err) < 0)
                return berth_err_wrap(err, "writing `%s`", target);
        /* The link is made as it was: its target is never followed here,
         * and inside the image it resolves against the image's root. */
        if (symlinkat(e->link, pfd, base) < 0)
                return berth_err(err, errno, "creating the symlink `%s`", target);
        uid_t uid;
        gid_t gid;
        entry_owner(j, &e->st, &uid, &gid);
        if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_err(err, errno, "setting the owner of `%s`", target);
        struct timespec ts[2] = {e->st.st_atim, e->st.st_mtim};
        utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
}

static int write_source(struct copy_job *j, int root, struct copy_source *s, const char *dest,
                        bool dest_dir, struct berth_error **err)
{
        if (s->heredoc != NULL) {
                _cleanup_free_ char *target = dest_dir ? path_join(dest, s->name) : xstrdup(dest);
                return write_file(j, root, target, -1, s->heredoc, NULL, err);
        }
        if (!s->is_dir) {
                const char *slash = strrchr(s->name, '/');
                const char *base = slash ? slash + 1 : s->name;
                _cleanup_free_ char *target = dest_dir ? path_join(dest, base) : xstrdup(dest);
                _cleanup_close_ int fd = open_entry(j, s, &s->e[0], err);
                if (fd < 0)
                        return berth_err_ret(*err);
                if (j->add && j->in_context && s->url == NULL) {
                        int r =
                            build_archive_extract(j->b, fd, root, dest_dir ? dest : target, err);
                        if (r != 0)
                                return r < 0 ? r : 0;
                        lseek(fd, 0, SEEK_SET);
                }
                return write_file(j, root, target, fd, NULL, &s->e[0].st, err);
        }
        /* A directory: its content goes to dest, made with its own mode
         * and owner (or --chown's and --chmod's) unless dest already is a
         * directory; `dest/` names the same directory. */
        _cleanup_free_ char *dir = xstrdup(dest);
        for (size_t l = strlen(dir); l > 1 && dir[l - 1] == '/'; l--)
                dir[l - 1] = '\0';
        if (write_dir(j, root, dir, &s->e[0].st, true, err) < 0)
                return berth_err_ret(*err);
        for (size_t k = 1; k < s->n; k++) {
                const struct copy_entry *e = &s->e[k];
                _cleanup_free_ char *target = path_join(dest, e->rel);
                int r;
                if (S_ISDIR(e->st.st_mode)) {
                        r = write_dir(j, root, target, &e->st, false, err);
                } else if (S_ISLNK(e->st.st_mode)) {
                        r = write_link(j, root, target, e, err);
                } else {
                        _cleanup_close_ int fd = open_entry(j, s, e, err);
                        r = fd < 0 ? fd : write_file(j, root, target, fd, NULL, &e->st, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool is_dir_in_root(int root, const char *path)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_close_ int fd =
            util_path_open_in_root(root, path, O_PATH | O_DIRECTORY, 0, &scratch);
        return fd >= 0;
}

/* ADD --checksum=sha256:...: what the URL gave must be that. */
static int verify_checksum(struct copy_job *j, const char *want, struct berth_error **err)
{
        if (image_digest_validate(want, err) < 0)
                return berth_err_wrap(err, "ADD --checksum");
        for (size_t i = 0; i < j->n_src; i++) {
                const struct copy_source *s = &j->src[i];
                if (s->url == NULL)
                        return berth_err(err, 0,
                                         "ADD --checksum: `%s` is not a URL (only fetched files "
                                         "are checked)",
                                         s->name);
                if (strcmp(s->url->digest, want) != 0)
                        return berth_err(err, 0, "%s: checksum mismatch: got %s, want %s",
                                         s->url->url, s->url->digest, want);
        }
        return 0;
}

static int parse_mode(const char *s, mode_t *out, struct berth_error **err)
{
        char *end = NULL;
        unsigned long v = strtoul(s, &end, 8);
        if (*s == '\0' || *end != '\0' || v > 07777)
                return berth_err(err, 0, "--chmod=%s: expected an octal mode", s);
        *out = (mode_t)v;
        return 0;
}

int build_copy(struct builder *b, struct build_stage *st, const struct build_instruction *in,
               struct build_mount *m, char sum_out[IMAGE_DIGEST_LEN], struct berth_error **err)
{
        struct copy_job j = {.b = b,
                             .st = st,
                             .in = in,
                             .add = in->kind == BUILD_INSTR_ADD,
                             .root_fd = b->ctx_fd,
                             .in_context = true};
        const char *flag = NULL;
        _cleanup_free_ char *from = NULL, *chown_spec = NULL, *want_sum = NULL;
        if (build_flag_get(in, "from", &flag) == 1 && flag != NULL &&
            build_expand(b, st, flag, &from, err) < 0)
                return berth_err_ret(*err);
        if (build_flag_get(in, "chown", &flag) == 1 && flag != NULL &&
            build_expand(b, st, flag, &chown_spec, err) < 0)
                return berth_err_ret(*err);
        if (build_flag_get(in, "chmod", &flag) == 1 && flag != NULL) {
                _cleanup_free_ char *x = NULL;
                if (build_expand(b, st, flag, &x, err) < 0 || parse_mode(x, &j.mode, err) < 0)
                        return berth_err_ret(*err);
                j.chmod = true;
        }
        if (build_flag_get(in, "checksum", &flag) == 1 && flag != NULL &&
            build_expand(b, st, flag, &want_sum, err) < 0)
                return berth_err_ret(*err);
        if (build_flag_get(in, "exclude", &flag) == 1 || build_flag_get(in, "parents", &flag) == 1)
                return berth_err(err, 0, "%s: --exclude and --parents are not supported", in->name);
        if (chown_spec != NULL) {
                j.chown = true;
                if (m != NULL) {
                        struct container_user u = {0};
                        if (container_user_resolve(m->root_fd, chown_spec, &u, err) < 0)
                                return berth_err_wrap(err, "--chown=%s", chown_spec);
                        j.uid = u.uid;
                        j.gid = u.gid;
                        container_user_clear(&u);
                }
        }

        struct build_stage tmp = {0};
        struct build_mount fm = {.root_fd = -1};
        int r = 0;
        if (from != NULL) {
                struct build_stage *fs = build_stage_find(b, from, st->index);
                if (fs == NULL) {
                        r = build_stage_from_image(b, &tmp, from, err);
                        fs = &tmp;
                } else if (!fs->built) {
                        r = berth_err(err, 0, "--from=%s: that stage is not built yet", from);
                }
                if (r >= 0)
                        r = build_mount_open(b, fs, &fm, err);
                j.root_fd = fm.root_fd;
                j.in_context = false;
        }
        _cleanup_strv_ char **words = NULL;
        if (r >= 0) {
                words = xcalloc(in->n_args + 1, sizeof(char *));
                for (size_t i = 0; i < in->n_args && r >= 0; i++)
                        r = build_expand(b, st, in->args[i], &words[i], err);
        }
        if (r >= 0)
                r = resolve_sources(&j, words, in->n_args - 1, err);
        if (r >= 0 && want_sum != NULL)
                r = verify_checksum(&j, want_sum, err);
        if (r >= 0 && m == NULL)
                r = checksum(&j, sum_out, err);
        if (r >= 0 && m != NULL) {
                const char *d = words[in->n_args - 1];
                const char *wd = json_string_value(
                    json_object_get(json_object_get(st->image, "config"), "WorkingDir"));
                _cleanup_free_ char *dest =
                    d[0] == '/' ? xstrdup(d) : path_join(wd && *wd ? wd : "/", d);
                size_t dl = strlen(dest);
                bool slash = dl > 0 && dest[dl - 1] == '/';
                if (j.n_src > 1 && !slash && !is_dir_in_root(m->root_fd, dest))
                        r = berth_err(err, 0,
                                      "%s: with more than one source the destination must be a "
                                      "directory and end with a /",
                                      in->name);
                bool dest_dir = slash || j.n_src > 1 || is_dir_in_root(m->root_fd, dest);
                for (size_t i = 0; i < j.n_src && r >= 0; i++)
                        r = write_source(&j, m->root_fd, &j.src[i], dest, dest_dir, err);
        }
        for (size_t i = 0; i < j.n_src; i++)
                source_clear(&j.src[i]);
        free(j.src);
        if (from != NULL)
                build_mount_close(&fm);
        build_stage_clear(&tmp);
        return r;
}
