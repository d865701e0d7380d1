/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes in a container's life: prepared at create, released at rm. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/parse.h"
#include "container/spec-private.h"
#include "container/volume-private.h"
#include "container/volume.h"
#include "storage/copy.h"
#include "storage/idmap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

static bool strv_has(char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

/* The options a --mount volume-opt gave for the volume at target. */
static char *const *mount_options(const struct container_options *o, const char *target)
{
        for (size_t i = 0; i < o->n_mounts; i++) {
                const struct container_mount *m = &o->mounts[i];
                if (m->type != CONTAINER_MOUNT_VOLUME)
                        continue;
                _cleanup_free_ char *t = container_path_clean(m->target);
                if (strcmp(t, target) == 0)
                        return m->volume_opts;
        }
        return NULL;
}

static int users_change(struct volume_store *s, const char *name, const char *id, bool add,
                        struct berth_error **err)
{
        _cleanup_json_ json_t *meta = NULL;
        int r = volume_meta_load(s, name, &meta, err);
        if (r <= 0)
                return r;
        json_t *users = json_object_get(meta, "UsedBy");
        if (!json_is_array(users)) {
                users = json_array();
                json_object_set_new(meta, "UsedBy", users);
        }
        size_t i;
        json_t *u;
        bool changed = false;
        json_array_foreach(users, i, u)
        {
                const char *uid = json_string_value(u);
                if (uid != NULL && strcmp(uid, id) == 0) {
                        if (add)
                                return 0;
                        json_array_remove(users, i);
                        changed = true;
                        break;
                }
        }
        if (add) {
                json_array_append_new(users, json_string(id));
                changed = true;
        }
        if (changed && volume_meta_save(s, name, meta, err) < 0)
                return berth_err_ret(*err);
        return 1;
}

/* The local driver's "o": mount flags by name, the rest as data. */
static void parse_mount_o(const char *o, unsigned long *flags, char **data)
{
        static const struct {
                const char *name;
                unsigned long set, clear;
        } words[] = {
            {"ro", MS_RDONLY, 0},         {"rw", 0, MS_RDONLY},
            {"bind", MS_BIND, 0},         {"rbind", MS_BIND | MS_REC, 0},
            {"nosuid", MS_NOSUID, 0},     {"suid", 0, MS_NOSUID},
            {"nodev", MS_NODEV, 0},       {"dev", 0, MS_NODEV},
            {"noexec", MS_NOEXEC, 0},     {"exec", 0, MS_NOEXEC},
            {"sync", MS_SYNCHRONOUS, 0},  {"async", 0, MS_SYNCHRONOUS},
            {"noatime", MS_NOATIME, 0},   {"nodiratime", MS_NODIRATIME, 0},
            {"relatime", MS_RELATIME, 0}, {"strictatime", MS_STRICTATIME, 0},
        };
        _cleanup_free_ char *copy = xstrdup(o ? o : "");
        char *p = copy;
        *flags = 0;
        *data = xstrdup("");
        for (char *w = strsep(&p, ","); w != NULL; w = strsep(&p, ",")) {
                bool known = false;
                for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !known; i++)
                        if (strcmp(w, words[i].name) == 0) {
                                *flags = (*flags | words[i].set) & ~words[i].clear;
                                known = true;
                        }
                if (known || w[0] == '\0')
                        continue;
                char *d = (*data)[0] ? xasprintf("%s,%s", *data, w) : xstrdup(w);
                free(*data);
                *data = d;
        }
}

/* A volume made with options (type, device, o) is a mount of that
 * device on _data while a container uses it, as Docker's local driver. */
static int options_mount(struct volume_store *s, const char *name, struct berth_error **err)
{
        _cleanup_json_ json_t *meta = NULL;
        if (volume_meta_load(s, name, &meta, err) <= 0)
                return berth_err_ret(*err);
        json_t *opts = json_object_get(meta, "Options");
        if (json_object_size(opts) == 0 || volume_data_mounted(s, name))
                return 0;
        const char *type = json_string_value(json_object_get(opts, "type"));
        const char *device = json_string_value(json_object_get(opts, "device"));
        unsigned long flags;
        _cleanup_free_ char *data = NULL;
        parse_mount_o(json_string_value(json_object_get(opts, "o")), &flags, &data);
        _cleanup_free_ char *path = xasprintf("%s/volumes/%s/_data", s->root, name);
        /* A bind's "device" is a host path the volume's creator named, as
         * with Docker's `-o bind`: root's decision, not the container's. */
        if (mount(device, path, type && strcmp(type, "none") != 0 ? type : NULL, flags & ~MS_RDONLY,
                  data[0] ? data : NULL) < 0)
                return berth_err(err, errno, "mounting volume %s (%s on `%s`)", name,
                                 device ? device : "", path);
        if ((flags & MS_RDONLY) &&
            mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & MS_REC), NULL) <
                0) {
                int e = errno;
                umount2(path, MNT_DETACH);
                return berth_err(err, e, "mounting volume %s read-only", name);
        }
        return 0;
}

static bool dir_empty(int fd)
{
        int d2 = dup(fd);
        if (d2 < 0)
                return false;
        DIR *d = fdopendir(d2);
        if (d == NULL) {
                close(d2);
                return false;
        }
        /* A dup shares the offset: start from the top. */
        rewinddir(d);
        struct dirent *de;
        bool empty = true;
        while (empty && (de = readdir(d)) != NULL)
                empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        closedir(d);
        return empty;
}

/*
 * Docker's copy-up: an empty volume gets what the image has at target.
 * target is resolved inside the rootfs (RESOLVE_IN_ROOT): a symlink in the
 * image at or above it leads somewhere in the rootfs, never to the host.
 */
static int copy_up(struct volume_store *s, const char *name, int rootfd, const char *target,
                   struct berth_error **err)
{
        _cleanup_free_ char *data = xasprintf("%s/_data", name);
        _cleanup_close_ int dst =
            openat(s->dir_fd, data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dst < 0)
                return berth_err(err, errno, "opening volume %s", name);
        if (!dir_empty(dst))
                return 0;
        _cleanup_error_ struct berth_error *missing = NULL;
        _cleanup_close_ int src =
            util_path_open_in_root(rootfd, target, O_RDONLY | O_DIRECTORY, 0, &missing);
        if (src < 0) {
                int e = missing ? missing->code : 0;
                if (e == ENOENT || e == ENOTDIR)
                        return 0; /* nothing in the image there: nothing to copy */
                return berth_err(err, e, "copying %s into volume %s", target, name);
        }
        /* In a user namespace the rootfs is already seen through the
         * container's idmap (idmapped layers): its ids are copied as is. */
        struct storage_copy_opts co = {.copy_root_meta = true};
        if (storage_tree_copy(src, dst, &co, err) < 0)
                return berth_err_wrap(err, "copying %s into volume %s", target, name);
        return 0;
}

/* The container's id maps when it gets a user namespace: as the spec has
 * them (a uid map alone serves gids too; --userns=auto: root's range in
 * /etc/subuid and /etc/subgid).  0 without one. */
static size_t userns_maps(const struct container_options *o, struct storage_idmap **u,
                          struct storage_idmap **g, size_t *ng)
{
        *u = *g = NULL;
        *ng = 0;
        if (!container_spec_userns(o))
                return 0;
        size_t nu = 0;
        if (o->userns == CONTAINER_USERNS_AUTO) {
                static const char *const files[] = {"/etc/subuid", "/etc/subgid"};
                struct storage_idmap **out[] = {u, g};
                for (int i = 0; i < 2; i++) {
                        _cleanup_free_ char *content = NULL;
                        _cleanup_error_ struct berth_error *scratch = NULL;
                        struct container_idmap m;
                        (void)util_file_read(AT_FDCWD, files[i], &content, NULL, &scratch);
                        if (container_subid_lookup(content, "root", 0, &m) <= 0)
                                continue;
                        *out[i] = xcalloc(2, sizeof(**out[i]));
                        (*out[i])[0] = (struct storage_idmap){m.container_id, m.host_id, m.size};
                        *(i ? ng : &nu) = 1;
                }
        } else {
                *u = xcalloc(o->n_uidmap + 1, sizeof(**u));
                for (size_t i = 0; i < o->n_uidmap; i++)
                        (*u)[i] = (struct storage_idmap){o->uidmap[i].container_id,
                                                         o->uidmap[i].host_id, o->uidmap[i].size};
                nu = o->n_uidmap;
                *g = xcalloc(o->n_gidmap + 1, sizeof(**g));
                for (size_t i = 0; i < o->n_gidmap; i++)
                        (*g)[i] = (struct storage_idmap){o->gidmap[i].container_id,
                                                         o->gidmap[i].host_id, o->gidmap[i].size};
                *ng = o->n_gidmap;
        }
        if (*ng == 0 && nu > 0) {
                free(*g);
                *g = xcalloc(nu + 1, sizeof(**g));
                memcpy(*g, *u, nu * sizeof(**g));
                *ng = nu;
        } else if (nu == 0 && *ng > 0) {
                free(*u);
                *u = xcalloc(*ng + 1, sizeof(**u));
                memcpy(*u, *g, *ng * sizeof(**u));
                nu = *ng;
        }
        return nu;
}

struct shift {
        struct storage_idmap *uid, *gid;
        size_t n_uid, n_gid;
};

/* Undo prepare's volume work for id: off the UsedBy lists, and the
 * volumes it made removed. */
static void rollback(struct volume_store *s, const char *id, char **joined, char **made)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        for (char **n = joined; n && *n; n++)
                (void)users_change(s, *n, id, false, &scratch);
        for (char **n = made; n && *n; n++) {
                berth_error_free(scratch);
                scratch = NULL;
                if (volume_remove_locked(s, *n, &scratch) < 0)
                        log_warn("removing volume %s after a failed create: %s", *n, scratch->msg);
        }
}

/* An empty volume still owned by host root, used by a container in a
 * user namespace, is given to the container's root (Docker's
 * userns-remap does the same), or that root could not write to it. */
static int give_to_root(struct volume_store *s, const char *name, const struct shift *sh,
                        struct berth_error **err)
{
        _cleanup_free_ char *data = xasprintf("%s/_data", name);
        _cleanup_close_ int fd =
            openat(s->dir_fd, data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return berth_err(err, errno, "opening volume %s", name);
        if (st.st_uid != 0 || st.st_gid != 0 || !dir_empty(fd))
                return 0;
        if (fchown(fd, storage_idmap_to_host(sh->uid, sh->n_uid, 0),
                   storage_idmap_to_host(sh->gid, sh->n_gid, 0)) < 0)
                return berth_err(err, errno, "giving volume %s to the container's root", name);
        return 0;
}

static int prepare_volume(struct volume_store *s, const char *id, const struct container_options *o,
                          struct container_volume *v, int rootfd, const struct shift *sh,
                          char ***joined, char ***made, struct berth_error **err)
{
        struct container_volume_create_opts co = {
            .name = v->name,
            .options = mount_options(o, v->target),
            .anonymous = v->name == NULL,
        };
        _cleanup_free_ char *name = NULL;
        bool created;
        if (volume_create_locked(s, &co, &name, &created, err) < 0)
                return berth_err_ret(*err);
        if (created)
                strv_append(made, name);
        if (v->name == NULL)
                v->name = xstrdup(name);
        if (!strv_has(*joined, name)) {
                if (users_change(s, name, id, true, err) < 0)
                        return berth_err_ret(*err);
                strv_append(joined, name);
        }
        if (options_mount(s, name, err) < 0 || (sh != NULL && give_to_root(s, name, sh, err) < 0))
                return berth_err_ret(*err);
        if (!v->nocopy && rootfd >= 0 && copy_up(s, name, rootfd, v->target, err) < 0)
                return berth_err_ret(*err);
        free(v->host_path);
        v->host_path = xasprintf("%s/volumes/%s/_data", s->root, name);
        return 0;
}

static int prepare_binds(const struct container_options *o, struct berth_error **err)
{
        for (size_t i = 0; i < o->n_mounts; i++) {
                const struct container_mount *m = &o->mounts[i];
                struct stat st;
                if (m->type != CONTAINER_MOUNT_BIND || stat(m->source, &st) == 0)
                        continue;
                if (errno != ENOENT)
                        return berth_err(err, errno, "inspecting the bind source `%s`", m->source);
                if (!m->from_volume_flag)
                        return berth_err(err, 0,
                                         "invalid mount config for type \"bind\": bind source "
                                         "path does not exist: %s",
                                         m->source);
                /* -v makes a missing host directory, as Docker does; the
                 * path is the user's own host path, not the container's. */
                if (util_path_mkdir_p(m->source, 0755, err) < 0)
                        return berth_err_wrap(err, "creating the bind source");
        }
        return 0;
}

int container_volumes_prepare(const char *root, const char *id, const struct container_options *o,
                              struct container_volume_list *plan, const char *rootfs_dir,
                              struct berth_error **err)
{
        if (prepare_binds(o, err) < 0)
                return berth_err_ret(*err);
        if (plan->n == 0)
                return 0;
        struct volume_store s;
        if (volume_store_open(root, true, &s, err) < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int rootfd = -1;
        if (rootfs_dir != NULL) {
                rootfd = open(rootfs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0) {
                        int e = errno;
                        volume_store_close(&s);
                        return berth_err(err, e, "opening the rootfs `%s`", rootfs_dir);
                }
        }
        _cleanup_strv_ char **joined = NULL;
        _cleanup_strv_ char **made = NULL;
        struct shift sh = {0};
        sh.n_uid = userns_maps(o, &sh.uid, &sh.gid, &sh.n_gid);
        int r = 0;
        for (size_t i = 0; i < plan->n && r == 0; i++)
                r = prepare_volume(&s, id, o, &plan->v[i], rootfd, sh.n_uid ? &sh : NULL, &joined,
                                   &made, err);
        free(sh.uid);
        free(sh.gid);
        if (r < 0) {
                rollback(&s, id, joined, made);
                /* The names handed out are gone again. */
                for (size_t i = 0; i < plan->n; i++)
                        if (plan->v[i].anonymous && strv_has(made, plan->v[i].name ?: "")) {
                                free(plan->v[i].name);
                                plan->v[i].name = NULL;
                        }
        }
        volume_store_close(&s);
        return r;
}

int container_volumes_release(const char *root, const char *id, bool remove_anonymous,
                              struct berth_error **err)
{
        struct volume_store s;
        if (volume_store_open(root, true, &s, err) < 0)
                return berth_err_ret(*err);
        int fd = dup(s.dir_fd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (d == NULL) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                volume_store_close(&s);
                return berth_err(err, e, "listing volumes");
        }
        rewinddir(d); /* a dup shares the offset */
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (!container_volume_name_valid(de->d_name))
                        continue;
                _cleanup_json_ json_t *meta = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (volume_meta_load(&s, de->d_name, &meta, &scratch) <= 0)
                        continue;
                bool listed = false;
                size_t i;
                json_t *u;
                json_array_foreach(json_object_get(meta, "UsedBy"), i, u)
                {
                        listed |= json_string_value(u) && strcmp(json_string_value(u), id) == 0;
                }
                if (!listed)
                        continue;
                struct berth_error **e = r < 0 ? &scratch : err;
                int rr = users_change(&s, de->d_name, id, false, e);
                rr = rr < 0 ? rr : 0;
                _cleanup_strv_ char **users = volume_live_users(&s, meta);
                bool others = false;
                for (char **p = users; *p; p++)
                        others |= strcmp(*p, id) != 0;
                bool anonymous = json_object_get(json_object_get(meta, "Labels"),
                                                 CONTAINER_VOLUME_ANON_LABEL) != NULL;
                if (rr == 0 && !others && anonymous && remove_anonymous)
                        rr = volume_remove_locked(&s, de->d_name, e);
                else if (rr == 0 && !others && volume_data_mounted(&s, de->d_name)) {
                        _cleanup_free_ char *path =
                            xasprintf("%s/volumes/%s/_data", s.root, de->d_name);
                        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                                rr = berth_err(e, errno, "unmounting volume %s", de->d_name);
                }
                if (rr < 0 && r == 0)
                        r = rr;
        }
        closedir(d);
        volume_store_close(&s);
        return r;
}
