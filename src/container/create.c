/* SPDX-License-Identifier: Apache-2.0 */
/* `create`: image + options -> record, writable layer and OCI bundle. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/lifecycle-private.h"
#include "container/lifecycle.h"
#include "container/spec.h"
#include "storage/image.h"
#include "container/rootfs.h"
#include "container/volume.h"
#include "storage/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

char *container_runtime_root(const struct container_engine *e)
{
        return xasprintf("%s/runtime", e->runroot);
}

/* What a failed create leaves to undo. */
struct create_ctx {
        const struct container_engine *e;
        struct container_record *rec;
        char *dir, *rootfs;
        bool mounted, recorded;
};

static void create_undo(struct create_ctx *x)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (x->mounted)
                (void)storage_rootfs_umount(x->rootfs, &scratch);
        if (x->recorded) {
                /* Anonymous volumes made for it go; named ones stay. */
                (void)container_volumes_release(x->e->root, x->rec->id, true, &scratch);
                (void)container_record_remove(x->e->root, x->rec->id, &scratch);
        }
}

static int write_layers(int dirfd, char *const *lowers, unsigned flags, struct berth_error **err)
{
        size_t len = 0;
        for (char *const *l = lowers; l && *l; l++)
                len += strlen(*l) + 1;
        _cleanup_free_ char *buf = xcalloc(len + 1, 1);
        char *p = buf;
        for (char *const *l = lowers; l && *l; l++) {
                size_t n = strlen(*l);
                memcpy(p, *l, n);
                p[n] = '\n';
                p += n + 1;
        }
        return util_file_write(dirfd, "layers", buf, len, 0600, flags, err);
}

/* --network container:X: X must be running; its netns and hostname. */
static int joined_container(const struct container_engine *e, const char *what, char **netns,
                            char **hostname, struct berth_error **err)
{
        char id[65];
        if (container_record_resolve(e->root, what, id, err) < 0)
                return berth_err_ret(*err);
        _cleanup_container_record_ struct container_record *r = NULL;
        if (container_inspect(e, id, &r, err) <= 0)
                return berth_err(err, ENOENT, "No such container: %s", what);
        if (r->state.status != CONTAINER_RUNNING && r->state.status != CONTAINER_PAUSED)
                return berth_err(err, EINVAL,
                                 "cannot join network namespace of a non running container: "
                                 "container %s is %s",
                                 r->id, container_status_name(r->state.status));
        *netns = xasprintf("/proc/%d/ns/net", r->state.pid);
        *hostname = xstrdup(r->hostname ? r->hostname : "");
        return 0;
}

static void record_mounts(struct container_record *r, const struct container_options *o,
                          const struct container_volume_list *vols)
{
        r->mounts = xcalloc(o->n_mounts + vols->n + 1, sizeof(*r->mounts));
        for (size_t i = 0; i < o->n_mounts; i++) {
                const struct container_mount *m = &o->mounts[i];
                if (m->type == CONTAINER_MOUNT_VOLUME)
                        continue;
                struct container_record_mount *d = &r->mounts[r->n_mounts++];
                d->type = xstrdup(m->type == CONTAINER_MOUNT_BIND ? "bind" : "tmpfs");
                d->source = xstrdup(m->source ? m->source : "");
                d->destination = xstrdup(m->target);
                d->mode = xstrdup(m->readonly ? "ro" : "");
                d->rw = !m->readonly;
        }
        for (size_t i = 0; i < vols->n; i++) {
                const struct container_volume *v = &vols->v[i];
                struct container_record_mount *d = &r->mounts[r->n_mounts++];
                d->type = xstrdup("volume");
                d->name = xstrdup(v->name);
                d->source = xstrdup(v->host_path);
                d->destination = xstrdup(v->target);
                d->mode = xstrdup(v->readonly ? "ro" : "z");
                d->rw = !v->readonly;
                d->anonymous = v->anonymous;
        }
}

static int auto_idmaps(struct container_idmap *u, struct container_idmap *g,
                       struct berth_error **err)
{
        static const char *const files[] = {"/etc/subuid", "/etc/subgid"};
        struct container_idmap *out[] = {u, g};
        for (int i = 0; i < 2; i++) {
                _cleanup_free_ char *content = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)util_file_read(AT_FDCWD, files[i], &content, NULL, &scratch);
                if (container_subid_lookup(content, "root", 0, out[i]) <= 0)
                        return berth_err(err, ENOENT, "--userns=auto: no range for root in %s",
                                         files[i]);
        }
        return 0;
}

/* The bundle: etc files, config.json; the rootfs mounted meanwhile. */
static int make_bundle(struct create_ctx *x, const struct container_options *o,
                       const struct storage_image_rootfs *img, char *const *env,
                       struct berth_error **err)
{
        const struct container_engine *e = x->e;
        struct container_record *r = x->rec;
        _cleanup_close_ int dirfd = open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return berth_err(err, errno, "opening `%s`", x->dir);
        static const char *const sub[] = {"upper", "work", "rootfs"};
        for (size_t i = 0; i < 3; i++)
                if (mkdirat(dirfd, sub[i], 0700) < 0 && errno != EEXIST)
                        return berth_err(err, errno, "creating `%s/%s`", x->dir, sub[i]);
        /* What start needs must survive a crash, unless the container
         * goes with its one run (--rm). */
        unsigned durable = o->rm ? 0 : UTIL_WRITE_DURABLE;
        if (write_layers(dirfd, img->lowerdirs, durable, err) < 0)
                return berth_err_ret(*err);

        enum storage_rootfs_driver driver = STORAGE_ROOTFS_AUTO;
        const char *want = getenv("BERTH_STORAGE_DRIVER");
        if (want != NULL && storage_rootfs_driver_parse(want, &driver) < 0)
                return berth_err(err, EINVAL, "BERTH_STORAGE_DRIVER: unknown driver `%s`", want);
        /* The id maps first: a container in a user namespace gets its
         * image's files shifted into its range (idmapped layers). */
        struct container_idmap umap = {0}, gmap = {0};
        if (o->userns == CONTAINER_USERNS_AUTO && auto_idmaps(&umap, &gmap, err) < 0)
                return berth_err_ret(*err);
        if (container_rootfs_mount(x->dir, img->lowerdirs, x->rootfs, o, &umap, &gmap,
                                   o->rm ? STORAGE_ROOTFS_VOLATILE : 0, &driver, err) < 0)
                return berth_err_ret(*err);
        x->mounted = true;
        r->rootfs_driver = xstrdup(storage_rootfs_driver_name(driver));
        _cleanup_close_ int rootfd = open(x->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_err(err, errno, "opening `%s`", x->rootfs);

        struct container_volume_list vols = {0};
        container_volumes_plan(img->config, o, &vols);
        int ret = -1;
        _cleanup_free_ char *netns = NULL, *other_host = NULL, *hostname = NULL;
        _cleanup_free_ char *init_path = NULL, *cgpath = NULL, *cwd = NULL;
        _cleanup_free_ char *hostname_path = NULL, *hosts_path = NULL, *resolv_path = NULL;
        _cleanup_strv_ char **caps = NULL;
        _cleanup_json_ json_t *spec = NULL;
        if (container_volumes_prepare(e->root, r->id, o, &vols, x->rootfs, err) < 0)
                goto out;
        if (o->network == CONTAINER_NETWORK_CONTAINER &&
            joined_container(e, o->network_name, &netns, &other_host, err) < 0)
                goto out;
        if (o->network == CONTAINER_NETWORK_HOST) {
                char h[256] = "";
                gethostname(h, sizeof(h) - 1);
                other_host = xstrdup(h);
        }
        hostname = container_hostname(o, r->id, other_host);
        if (container_etc_files_write(dirfd, o, hostname, NULL, NULL, err) < 0)
                goto out;
        if (o->init && container_init_binary(e, &init_path, err) < 0)
                goto out;
        cwd = xstrdup(o->workdir && *o->workdir ? o->workdir
                      : img->config->working_dir && *img->config->working_dir
                          ? img->config->working_dir
                          : "/");
        if (container_workdir_ensure(rootfd, cwd, err) < 0)
                goto out;
        cgpath = xasprintf("/berth/%s", r->id);
        caps = container_caps_available();
        hostname_path = xasprintf("%s/hostname", x->dir);
        hosts_path = xasprintf("%s/hosts", x->dir);
        resolv_path = xasprintf("%s/resolv.conf", x->dir);
        struct container_spec_input in = {
            .img = img->config,
            .opts = o,
            .env = env,
            .id = r->id,
            .rootfs_path = x->rootfs,
            .rootfd = rootfd,
            .hostname = hostname,
            .hostname_path = hostname_path,
            .hosts_path = hosts_path,
            .resolv_conf_path = resolv_path,
            .netns_path = netns,
            .init_path = init_path,
            .volumes = &vols,
            .host_dev_dir = o->privileged ? "/dev" : NULL,
            .cgroups_path = cgpath,
            .caps_available = caps,
            .auto_uidmap = &umap,
            .auto_gidmap = &gmap,
            .n_auto_uidmap = 1,
            .n_auto_gidmap = 1,
        };
        if (container_spec_generate(&in, &spec, err) < 0)
                goto out;
        if (util_json_write(dirfd, "config.json", spec, durable, err) < 0)
                goto out;
        json_t *args = json_object_get(json_object_get(spec, "process"), "args");
        size_t i;
        json_t *a;
        /* Path and Args are the command as given: --init's "/dev/init --"
         * is the spec's alone, as in Docker (inspect, ps). */
        size_t first = o->init ? 2 : 0;
        r->args = xcalloc(1, sizeof(char *));
        json_array_foreach(args, i, a)
        {
                if (i == first)
                        r->path = xstrdup(json_string_value(a));
                else if (i > first)
                        strv_append(&r->args, json_string_value(a));
        }
        r->hostname = xstrdup(hostname);
        record_mounts(r, o, &vols);
        ret = 0;
out:
        container_volume_list_clear(&vols);
        return ret < 0 ? berth_err_ret(*err) : 0;
}

static int set_created(struct container_record *r, void *data, struct berth_error **err)
{
        struct container_record *src = data;
        /* Move the bundle's results in; the record on disk has the rest. */
        free(r->path);
        r->path = steal_pointer(&src->path);
        strv_free(r->args);
        r->args = steal_pointer(&src->args);
        free(r->hostname);
        r->hostname = steal_pointer(&src->hostname);
        free(r->rootfs_driver);
        r->rootfs_driver = steal_pointer(&src->rootfs_driver);
        container_record_mounts_clear(r);
        r->mounts = steal_pointer(&src->mounts);
        r->n_mounts = src->n_mounts;
        src->n_mounts = 0;
        free(r->log_path);
        r->log_path = xstrdup(src->log_path);
        return 0;
}

static bool env_has_key(char *const *env, const char *kv)
{
        size_t klen = strcspn(kv, "=");
        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, kv, klen) == 0 && ((*e)[klen] == '=' || (*e)[klen] == '\0'))
                        return true;
        return false;
}

/* Docker's Config is the one the container runs with: the image's Env,
 * Cmd, Entrypoint, WorkingDir and User fill what the options left out
 * (its merge(): the options' Env first, then the image's other keys). */
static void config_merge_image(json_t *c, const struct image_config *img, char *const *env)
{
        _cleanup_strv_ char **merged = strv_dup(env);
        for (char *const *kv = img->env; kv && *kv; kv++)
                if (!env_has_key(env, *kv))
                        strv_append(&merged, *kv);
        json_object_set_new(c, "Env", util_json_from_strv(merged));
        if (json_is_null(json_object_get(c, "Entrypoint"))) {
                if (json_is_null(json_object_get(c, "Cmd")) && img->cmd != NULL)
                        json_object_set_new(c, "Cmd", util_json_from_strv(img->cmd));
                if (img->entrypoint != NULL)
                        json_object_set_new(c, "Entrypoint", util_json_from_strv(img->entrypoint));
        }
        static const char *const strs[] = {"WorkingDir", "User"};
        const char *img_strs[] = {img->working_dir, img->user};
        for (size_t i = 0; i < 2; i++) {
                const char *v = json_string_value(json_object_get(c, strs[i]));
                if ((v == NULL || *v == '\0') && img_strs[i] != NULL)
                        json_object_set_new(c, strs[i], json_string(img_strs[i]));
        }
}

static char *config_json(const struct container_options *o, char *const *env,
                         const struct image_config *img, const char *image, char *const *labels)
{
        _cleanup_json_ json_t *c = container_options_to_json(o, env);
        json_object_del(c, "HostConfig");
        json_object_del(c, "Name");
        config_merge_image(c, img, env);
        json_object_set_new(c, "Image", json_string(image));
        json_t *l = json_object();
        for (char *const *kv = labels; kv && *kv; kv++) {
                const char *eq = strchr(*kv, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*kv, eq - *kv) : xstrdup(*kv);
                json_object_set_new(l, k, json_string(eq ? eq + 1 : ""));
        }
        json_object_set_new(c, "Labels", l);
        return json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static char *host_config_json(const struct container_options *o)
{
        _cleanup_json_ json_t *c = container_options_to_json(o, NULL);
        json_t *h = json_object_get(c, "HostConfig");
        return h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : xstrdup("{}");
}

int container_create(const struct container_engine *e, const char *image,
                     const struct container_options *o, unsigned flags, char id[65],
                     struct berth_error **err)
{
        _cleanup_strv_ char **env = NULL;
        _cleanup_image_rootfs_ struct storage_image_rootfs *img = NULL;
        if (container_options_validate(o, err) < 0 || container_options_env(o, NULL, &env, err) < 0)
                return berth_err_ret(*err);
        /* The image store's lock, shared, from before the lookup: an rmi
         * (exclusive) can't delete the image between our lookup and the
         * record that pins it. */
        _cleanup_store_ struct image_store *store = NULL;
        if (image_store_open(e->root, false, &store, err) < 0)
                return berth_err_ret(*err);
        int found = storage_image_rootfs_get(e->root, image, &img, err);
        if (found < 0)
                return berth_err_ret(*err);
        if (found == 0)
                return berth_err(err, 0,
                                 "Unable to find image '%s' locally (berth has no registry "
                                 "client: load, import or build it)",
                                 image);
        int stop_signal = container_stop_signal(img->config, o, err);
        if (stop_signal < 0)
                return stop_signal;

        _cleanup_container_record_ struct container_record *r = xcalloc(1, sizeof(*r));
        r->name = o->name ? xstrdup(o->name) : NULL;
        r->image = xstrdup(img->id);
        r->image_ref = xstrdup(image);
        r->created = container_time_now();
        r->state.status = CONTAINER_CREATED;
        r->tty = o->tty;
        r->open_stdin = o->interactive;
        r->auto_remove = o->rm;
        r->restart_policy = o->restart;
        r->restart_max_retries = o->restart_max_retries;
        r->stop_signal = stop_signal;
        r->stop_timeout = o->stop_timeout_set ? o->stop_timeout : -1;
        r->labels = container_labels(img->config, o);
        r->config_json = config_json(o, env, img->config, image, r->labels);
        r->host_config_json = host_config_json(o);
        if (container_record_create(e->root, r, err) < 0)
                return berth_err_ret(*err);
        struct create_ctx x = {.e = e, .rec = r, .recorded = true};
        _cleanup_free_ char *dir = container_record_dir(e->root, r->id);
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        x.dir = dir;
        x.rootfs = rootfs;
        r->log_path = xasprintf("%s/%s-json.log", dir, r->id);
        if (make_bundle(&x, o, img, env, err) < 0 ||
            container_record_update(e->root, r->id, set_created, r, err) < 0) {
                create_undo(&x);
                return berth_err_wrap(err, "creating container");
        }
        /* Else the monitor mounts it again at start; a created container
         * holds no mount. */
        if (!(flags & CONTAINER_CREATE_MOUNTED) && storage_rootfs_umount(rootfs, err) < 0) {
                x.mounted = false;
                create_undo(&x);
                return berth_err_ret(*err);
        }
        memcpy(id, r->id, 65);
        return 0;
}
