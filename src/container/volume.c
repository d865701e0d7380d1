/* SPDX-License-Identifier: Apache-2.0 */
/* The volume store: create, inspect, list, remove, prune. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container/volume-private.h"
#include "container/volume.h"
#include "storage/copy.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

/* ---- the store ---- */

/* Finish what a crashed writer left: only an exclusive holder can get
 * here, and every writer holds the lock for its whole operation. */
static int clean_leftovers(struct volume_store *s, const char *dir, struct berth_error **err)
{
        _cleanup_close_ int fd = openat(s->dir_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
        if (d == NULL)
                return berth_err(err, errno, "listing volumes/%s", dir);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *data = xasprintf("%s/%s/_data", dir, de->d_name);
                _cleanup_free_ char *path = xasprintf("%s/volumes/%s", s->root, data);
                /* A volume option may have left its mount; never recurse
                 * into it (remove_tree refuses mount points anyway). */
                (void)umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
                if (util_path_remove_tree(dirfd(d), de->d_name, err) < 0)
                        return berth_err_wrap(err, "cleaning up volumes/%s", dir);
        }
        return 0;
}

int volume_store_open(const char *root, bool exclusive, struct volume_store *s,
                      struct berth_error **err)
{
        *s = (struct volume_store){.root_fd = -1, .dir_fd = -1, .lock_fd = -1};
        _cleanup_free_ char *dir = xasprintf("%s/volumes", root);
        if (util_path_mkdir_p(dir, 0701, err) < 0)
                return berth_err_wrap(err, "opening the volume store");
        s->root = xstrdup(root);
        s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0 || s->dir_fd < 0) {
                int e = errno;
                volume_store_close(s);
                return berth_err(err, e, "opening `%s`", dir);
        }
        _cleanup_free_ char *lock = xasprintf("%s/.lock", dir);
        s->lock_fd = util_lock_acquire(lock, exclusive ? LOCK_EX : LOCK_SH, err);
        if (s->lock_fd < 0 || (exclusive && (clean_leftovers(s, ".staging", err) < 0 ||
                                             clean_leftovers(s, ".trash", err) < 0))) {
                volume_store_close(s);
                return berth_err_ret(*err);
        }
        return 0;
}

void volume_store_close(struct volume_store *s)
{
        if (s->dir_fd >= 0)
                close(s->dir_fd);
        if (s->root_fd >= 0)
                close(s->root_fd);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        free(s->root);
        *s = (struct volume_store){.root_fd = -1, .dir_fd = -1, .lock_fd = -1};
}

static void volume_store_closep(struct volume_store *s)
{
        volume_store_close(s);
}
#define _cleanup_volume_store_ __attribute__((cleanup(volume_store_closep)))

int volume_meta_load(struct volume_store *s, const char *name, json_t **meta,
                     struct berth_error **err)
{
        if (!container_volume_name_valid(name))
                return 0;
        _cleanup_free_ char *rel = xasprintf("%s/meta.json", name);
        if (faccessat(s->dir_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (util_json_load_file(s->dir_fd, rel, meta, err) < 0)
                return berth_err_wrap(err, "volume %s", name);
        if (!json_is_object(*meta)) {
                json_decref(*meta);
                *meta = NULL;
                return berth_err(err, 0, "volume %s: meta.json is not an object", name);
        }
        return 1;
}

int volume_meta_save(struct volume_store *s, const char *name, json_t *meta,
                     struct berth_error **err)
{
        _cleanup_close_ int fd = openat(s->dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening volume %s", name);
        if (util_json_write_atomic(fd, "meta.json", meta, err) < 0)
                return berth_err_wrap(err, "volume %s", name);
        return 0;
}

bool volume_user_live(struct volume_store *s, const char *id)
{
        if (id == NULL || id[0] == '\0' || strchr(id, '/') != NULL || id[0] == '.')
                return false;
        _cleanup_free_ char *rel = xasprintf("containers/%s", id);
        struct stat st;
        return fstatat(s->root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

char **volume_live_users(struct volume_store *s, json_t *meta)
{
        char **out = xcalloc(1, sizeof(char *));
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(meta, "UsedBy"), i, u)
        {
                const char *id = json_string_value(u);
                if (id != NULL && volume_user_live(s, id))
                        strv_append(&out, id);
        }
        return out;
}

bool volume_data_mounted(struct volume_store *s, const char *name)
{
        _cleanup_free_ char *rel = xasprintf("%s/_data", name);
        struct statx stx;
        if (statx(s->dir_fd, rel, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
                return false;
        return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* ---- records ---- */

static char *random_name(void)
{
        unsigned char b[32];
        size_t got = 0;
        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        abort(); /* no entropy source at all: nothing sane to do */
                got += (size_t)n;
        }
        char *s = xmalloc(65);
        for (size_t i = 0; i < sizeof(b); i++) {
                static const char hex[] = "0123456789abcdef";
                s[2 * i] = hex[b[i] >> 4];
                s[2 * i + 1] = hex[b[i] & 15];
        }
        s[64] = '\0';
        return s;
}

/* "k=v" or "k" (value "") into obj; a later key replaces an earlier. */
static void kv_set(json_t *obj, const char *kv)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
        json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
}

static char **kv_strv(json_t *obj)
{
        char **out = xcalloc(1, sizeof(char *));
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v)
        {
                _cleanup_free_ char *kv = xasprintf("%s=%s", k, json_string_value(v) ?: "");
                strv_append(&out, kv);
        }
        return out;
}

/* moby's local driver validateOpts. */
static int options_check(json_t *opts, struct berth_error **err)
{
        static const char *const valid[] = {"type", "device", "o", "size"};
        const char *k;
        json_t *v;
        json_object_foreach(opts, k, v)
        {
                bool ok = false;
                for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
                        ok |= strcmp(k, valid[i]) == 0;
                if (!ok)
                        return berth_err(err, 0, "invalid option: \"%s\"", k);
        }
        if (json_object_get(opts, "size") != NULL)
                return berth_err(err, 0, "quota size requested but no quota support");
        static const char *const needs[][2] = {
            {"device", "type"}, {"type", "device"}, {"o", "device"}};
        for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
                if (json_object_get(opts, needs[i][0]) && !json_object_get(opts, needs[i][1]))
                        return berth_err(err, 0, "missing required option: \"%s\"", needs[i][1]);
        return 0;
}

static char *now_rfc3339(void)
{
        time_t t = time(NULL);
        struct tm tm;
        char buf[64];
        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return xstrdup(buf);
}

static int mkdir_in(int dirfd, const char *name, mode_t mode, struct berth_error **err)
{
        if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
                return berth_err(err, errno, "creating volumes/%s", name);
        return 0;
}

int volume_create_locked(struct volume_store *s, const struct container_volume_create_opts *o,
                         char **name_out, bool *created, struct berth_error **err)
{
        _cleanup_free_ char *name = o->name ? xstrdup(o->name) : random_name();
        if (!container_volume_name_valid(name))
                return berth_err(err, 0,
                                 "create %s: \"%s\" includes invalid characters for a local "
                                 "volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If "
                                 "you intended to pass a host directory, use absolute path",
                                 name, name);
        _cleanup_json_ json_t *existing = NULL;
        int r = volume_meta_load(s, name, &existing, err);
        if (r < 0)
                return r;
        if (r > 0) {
                *created = false;
                *name_out = steal_pointer(&name);
                return 0;
        }
        _cleanup_json_ json_t *labels = json_object();
        _cleanup_json_ json_t *opts = json_object();
        for (char *const *l = o->labels; l && *l; l++)
                kv_set(labels, *l);
        if (o->anonymous)
                json_object_set_new(labels, CONTAINER_VOLUME_ANON_LABEL, json_string(""));
        for (char *const *p = o->options; p && *p; p++)
                kv_set(opts, *p);
        if (options_check(opts, err) < 0)
                return berth_err_wrap(err, "create %s", name);

        _cleanup_free_ char *created_at = now_rfc3339();
        _cleanup_json_ json_t *meta =
            json_pack("{s:s,s:s,s:s,s:O,s:O,s:s,s:b,s:[]}", "Name", name, "Driver", "local",
                      "CreatedAt", created_at, "Labels", labels, "Options", opts, "Scope", "local",
                      "Anonymous", o->anonymous, "UsedBy");
        /* Staged whole (meta.json and _data), then renamed in: a volume
         * either exists complete or not at all. */
        if (mkdir_in(s->dir_fd, ".staging", 0700, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *tmp = random_name();
        _cleanup_free_ char *staged = xasprintf(".staging/%s", tmp);
        if (mkdir_in(s->dir_fd, staged, 0701, err) < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int fd = openat(s->dir_fd, staged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || mkdirat(fd, "_data", 0755) < 0 || fchmodat(fd, "_data", 0755, 0) < 0) {
                r = berth_err(err, errno, "creating volume %s", name);
                goto fail;
        }
        if (util_json_write_atomic(fd, "meta.json", meta, err) < 0) {
                r = berth_err_wrap(err, "creating volume %s", name);
                goto fail;
        }
        if (renameat(s->dir_fd, staged, s->dir_fd, name) < 0) {
                r = berth_err(err, errno, "creating volume %s", name);
                goto fail;
        }
        fsync(s->dir_fd);
        *created = true;
        *name_out = steal_pointer(&name);
        return 0;
fail:;
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)util_path_remove_tree(s->dir_fd, staged, &scratch);
        return r;
}

int volume_remove_locked(struct volume_store *s, const char *name, struct berth_error **err)
{
        if (volume_data_mounted(s, name)) {
                _cleanup_free_ char *path = xasprintf("%s/volumes/%s/_data", s->root, name);
                if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                        return berth_err(err, errno, "remove %s: unmounting `%s`", name, path);
        }
        /* Out of sight first (one rename), then emptied: a crash halfway
         * leaves .trash/ for the next writer, never half a volume. */
        if (mkdir_in(s->dir_fd, ".trash", 0700, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *tmp = random_name();
        _cleanup_free_ char *trash = xasprintf(".trash/%s", tmp);
        if (renameat(s->dir_fd, name, s->dir_fd, trash) < 0)
                return berth_err(err, errno, "remove %s", name);
        if (util_path_remove_tree(s->dir_fd, trash, err) < 0)
                return berth_err_wrap(err, "remove %s", name);
        return 0;
}

static struct container_volume_info *info_from_meta(struct volume_store *s, const char *name,
                                                    json_t *meta)
{
        struct container_volume_info *v = xcalloc(1, sizeof(*v));
        v->name = xstrdup(name);
        v->mountpoint = xasprintf("%s/volumes/%s/_data", s->root, name);
        const char *at = json_string_value(json_object_get(meta, "CreatedAt"));
        v->created_at = xstrdup(at ? at : "");
        v->labels = kv_strv(json_object_get(meta, "Labels"));
        v->options = kv_strv(json_object_get(meta, "Options"));
        v->used_by = volume_live_users(s, meta);
        v->anonymous =
            json_object_get(json_object_get(meta, "Labels"), CONTAINER_VOLUME_ANON_LABEL) != NULL;
        return v;
}

void container_volume_info_free(struct container_volume_info *v)
{
        if (v == NULL)
                return;
        free(v->name);
        free(v->mountpoint);
        free(v->created_at);
        strv_free(v->labels);
        strv_free(v->options);
        strv_free(v->used_by);
        free(v);
}

void container_volume_info_freep(struct container_volume_info **v)
{
        container_volume_info_free(*v);
        *v = NULL;
}

void container_volume_info_list_clear(struct container_volume_info_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                container_volume_info_free(l->v[i]);
        free(l->v);
        *l = (struct container_volume_info_list){0};
}

/* ---- the commands ---- */

int container_volume_create(const char *root, const struct container_volume_create_opts *o,
                            struct container_volume_info **out, struct berth_error **err)
{
        _cleanup_volume_store_ struct volume_store s = {.root_fd = -1, .dir_fd = -1, .lock_fd = -1};
        _cleanup_free_ char *name = NULL;
        bool created;
        if (volume_store_open(root, true, &s, err) < 0 ||
            volume_create_locked(&s, o, &name, &created, err) < 0)
                return berth_err_ret(*err);
        if (out != NULL) {
                _cleanup_json_ json_t *meta = NULL;
                if (volume_meta_load(&s, name, &meta, err) <= 0)
                        return berth_err(err, ENOENT, "volume %s vanished", name);
                *out = info_from_meta(&s, name, meta);
        }
        return 0;
}

int container_volume_inspect(const char *root, const char *name, struct container_volume_info **out,
                             struct berth_error **err)
{
        _cleanup_volume_store_ struct volume_store s = {.root_fd = -1, .dir_fd = -1, .lock_fd = -1};
        if (volume_store_open(root, false, &s, err) < 0)
                return berth_err_ret(*err);
        _cleanup_json_ json_t *meta = NULL;
        int r = volume_meta_load(&s, name, &meta, err);
        if (r <= 0)
                return r;
        *out = info_from_meta(&s, name, meta);
        return 1;
}

static int by_name(const void *a, const void *b)
{
        return strcmp((*(struct container_volume_info *const *)a)->name,
                      (*(struct container_volume_info *const *)b)->name);
}

static int list_locked(struct volume_store *s, struct container_volume_info_list *out,
                       struct berth_error **err)
{
        *out = (struct container_volume_info_list){0};
        int fd = dup(s->dir_fd);
        if (fd < 0)
                return berth_err(err, errno, "listing volumes");
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (d == NULL) {
                close(fd);
                return berth_err(err, errno, "listing volumes");
        }
        rewinddir(d); /* a dup shares the offset */
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (!container_volume_name_valid(de->d_name))
                        continue;
                _cleanup_json_ json_t *meta = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                /* One unreadable volume must not hide the others. */
                if (volume_meta_load(s, de->d_name, &meta, &scratch) <= 0)
                        continue;
                out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
                out->v[out->n++] = info_from_meta(s, de->d_name, meta);
        }
        if (out->n > 1)
                qsort(out->v, out->n, sizeof(*out->v), by_name);
        return 0;
}

int container_volume_list(const char *root, struct container_volume_info_list *out,
                          struct berth_error **err)
{
        _cleanup_volume_store_ struct volume_store s = {.root_fd = -1, .dir_fd = -1, .lock_fd = -1};
        if (volume_store_open(root, false, &s, err) < 0)
                return berth_err_ret(*err);
        return list_locked(&s, out, err);
}

static char *join_ids(char **ids)
{
        size_t len = 1;
        for (char **p = ids; *p; p++)
                len += strlen(*p) + 2;
        char *s = xcalloc(1, len);
        for (char **p = ids; *p; p++) {
                if (p != ids)
                        memcpy(s + strlen(s), ", ", 3);
                memcpy(s + strlen(s), *p, strlen(*p) + 1);
        }
        return s;
}

int container_volume_remove(const char *root, const char *name, bool force,
                            struct berth_error **err)
{
        _cleanup_volume_store_ struct volume_store s = {.root_fd = -1, .dir_fd = -1, .lock_fd = -1};
        if (volume_store_open(root, true, &s, err) < 0)
                return berth_err_ret(*err);
        _cleanup_json_ json_t *meta = NULL;
        int r = volume_meta_load(&s, name, &meta, err);
        if (r < 0)
                return r;
        if (r == 0) {
                if (force)
                        return 0;
                return berth_err(err, 0, "get %s: no such volume", name);
        }
        _cleanup_strv_ char **users = volume_live_users(&s, meta);
        if (users[0] != NULL) {
                _cleanup_free_ char *ids = join_ids(users);
                return berth_err(err, 0, "remove %s: volume is in use - [%s]", name, ids);
        }
        if (volume_remove_locked(&s, name, err) < 0)
                return berth_err_ret(*err);
        return 1;
}

/* ---- filters ---- */

static const char *const filter_keys[] = {"dangling", "name", "label", "label!", "driver"};

int container_volume_filter_check(char *const *filters, struct berth_error **err)
{
        for (char *const *f = filters; f && *f; f++) {
                const char *eq = strchr(*f, '=');
                if (eq == NULL)
                        return berth_err(err, 0, "bad format of filter (expected name=value)");
                _cleanup_free_ char *key = xstrndup(*f, (size_t)(eq - *f));
                bool ok = false;
                for (size_t i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++)
                        ok |= strcmp(key, filter_keys[i]) == 0;
                if (!ok)
                        return berth_err(err, 0, "invalid filter '%s'", key);
                if (strcmp(key, "dangling") == 0 && strcmp(eq + 1, "true") != 0 &&
                    strcmp(eq + 1, "false") != 0 && strcmp(eq + 1, "1") != 0 &&
                    strcmp(eq + 1, "0") != 0)
                        return berth_err(err, 0, "invalid filter 'dangling=%s'", eq + 1);
        }
        return 0;
}

static bool label_has(char **labels, const char *want)
{
        const char *eq = strchr(want, '=');
        size_t klen = eq ? (size_t)(eq - want) : strlen(want);
        for (char **l = labels; l && *l; l++) {
                const char *leq = strchr(*l, '=');
                size_t lk = leq ? (size_t)(leq - *l) : strlen(*l);
                if (lk != klen || strncmp(*l, want, klen) != 0)
                        continue;
                if (eq == NULL || strcmp(leq ? leq + 1 : "", eq + 1) == 0)
                        return true;
        }
        return false;
}

static bool one_matches(const struct container_volume_info *v, const char *key, const char *val)
{
        if (strcmp(key, "dangling") == 0) {
                bool want = strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
                return (v->used_by == NULL || v->used_by[0] == NULL) == want;
        }
        if (strcmp(key, "name") == 0)
                return strstr(v->name, val) != NULL;
        if (strcmp(key, "label") == 0)
                return label_has(v->labels, val);
        if (strcmp(key, "label!") == 0)
                return !label_has(v->labels, val);
        if (strcmp(key, "driver") == 0)
                return strcmp(val, "local") == 0;
        return false;
}

bool container_volume_matches(const struct container_volume_info *v, char *const *filters)
{
        /* Each key: any of its values matches (label: all must, as
         * Docker's label filters are ANDed). */
        for (size_t k = 0; k < sizeof(filter_keys) / sizeof(filter_keys[0]); k++) {
                const char *key = filter_keys[k];
                bool any_given = false, any_match = false, all_match = true;
                for (char *const *f = filters; f && *f; f++) {
                        const char *eq = strchr(*f, '=');
                        if (eq == NULL || strlen(key) != (size_t)(eq - *f) ||
                            strncmp(*f, key, (size_t)(eq - *f)) != 0)
                                continue;
                        any_given = true;
                        bool m = one_matches(v, key, eq + 1);
                        any_match |= m;
                        all_match &= m;
                }
                if (!any_given)
                        continue;
                bool labels = strncmp(key, "label", 5) == 0;
                if (labels ? !all_match : !any_match)
                        return false;
        }
        return true;
}

int container_volume_prune(const char *root, bool all, char *const *filters, char ***removed,
                           long long *reclaimed, struct berth_error **err)
{
        *removed = xcalloc(1, sizeof(char *));
        *reclaimed = 0;
        if (container_volume_filter_check(filters, err) < 0)
                return berth_err_ret(*err);
        _cleanup_volume_store_ struct volume_store s = {.root_fd = -1, .dir_fd = -1, .lock_fd = -1};
        if (volume_store_open(root, true, &s, err) < 0)
                return berth_err_ret(*err);
        struct container_volume_info_list l;
        if (list_locked(&s, &l, err) < 0)
                return berth_err_ret(*err);
        int r = 0;
        for (size_t i = 0; i < l.n && r == 0; i++) {
                struct container_volume_info *v = l.v[i];
                if (v->used_by[0] != NULL || (!all && !v->anonymous) ||
                    !container_volume_matches(v, filters))
                        continue;
                long long size = 0;
                _cleanup_free_ char *data = xasprintf("%s/_data", v->name);
                _cleanup_close_ int fd =
                    openat(s.dir_fd, data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (fd >= 0)
                        (void)storage_tree_size(fd, &size, &scratch);
                r = volume_remove_locked(&s, v->name, err);
                if (r == 0) {
                        *reclaimed += size;
                        strv_append(removed, v->name);
                }
        }
        container_volume_info_list_clear(&l);
        return r;
}

json_t *container_volume_info_json(const struct container_volume_info *v)
{
        json_t *labels = json_null(), *opts = json_null();
        if (v->labels != NULL) {
                labels = json_object();
                for (char **l = v->labels; *l; l++)
                        kv_set(labels, *l);
        }
        if (v->options != NULL) {
                opts = json_object();
                for (char **o = v->options; *o; o++)
                        kv_set(opts, *o);
        }
        return json_pack("{s:s,s:s,s:o,s:s,s:s,s:o,s:s}", "CreatedAt", v->created_at, "Driver",
                         "local", "Labels", labels, "Mountpoint", v->mountpoint, "Name", v->name,
                         "Options", opts, "Scope", "local");
}
