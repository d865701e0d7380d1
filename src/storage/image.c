/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/config.h"
#include "image/reference.h"
#include "storage/image.h"
#include "storage/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Extract the layers of a staged image; returns its size. */
static int ensure_layers(struct image_txn *t, const char *manifest, image_progress_fn progress,
                         void *pdata, int64_t *size, struct berth_error **err)
{
        _cleanup_manifest_ struct image_manifest *m = NULL;
        _cleanup_config_ struct image_config *c = NULL;
        if (image_read_image(t, NULL, manifest, &m, &c, err) < 0)
                return berth_err_ret(*err);
        if (c->n_diff_ids != m->n_layers)
                return berth_err(err, 0, "manifest %s has %zu layers, its config %zu", manifest,
                                 m->n_layers, c->n_diff_ids);
        _cleanup_free_ char(*chain)[IMAGE_DIGEST_LEN] =
            xcalloc(c->n_diff_ids + 1, IMAGE_DIGEST_LEN);
        image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
        *size = 0;
        for (size_t i = 0; i < m->n_layers; i++) {
                struct storage_layer_meta meta;
                if (progress != NULL)
                        progress("Extracting", m->layers[i].digest, m->layers[i].size, pdata);
                if (storage_layer_ensure(t, chain[i], i ? chain[i - 1] : NULL, c->diff_ids[i],
                                         m->layers[i].digest, &meta, err) < 0)
                        return berth_err_ret(*err);
                *size += meta.size;
        }
        return 0;
}

int storage_image_load(const char *root, const char *path, const struct image_load_opts *opts,
                       struct image_load_result **out, struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_txn_ struct image_txn *t = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        _cleanup_load_result_ struct image_load_result *res = NULL;
        if (image_store_open(root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0 ||
            image_txn_begin(s, &t, err) < 0)
                return berth_err_ret(*err);
        if (image_load_archive(t, path, opts, &res, err) < 0)
                return berth_err_wrap(err, "loading `%s`", path);
        for (size_t i = 0; i < res->n; i++) {
                int64_t size = 0;
                if (ensure_layers(t, res->images[i].manifest, opts ? opts->progress : NULL,
                                  opts ? opts->progress_data : NULL, &size, err) < 0)
                        return berth_err_wrap(err, "loading `%s`", path);
                image_db_add(db, res->images[i].id, res->images[i].manifest, size);
                for (char **n = res->images[i].names; *n != NULL; n++) {
                        struct image_record *old = NULL;
                        for (size_t k = 0; k < db->n_tags && old == NULL; k++)
                                if (strcmp(db->tags[k].name, *n) == 0)
                                        old = image_db_find_manifest(db, db->tags[k].manifest);
                        if (old != NULL && strcmp(old->id, res->images[i].id) != 0) {
                                strv_append(&res->moved, *n);
                                strv_append(&res->moved, old->id);
                        }
                        image_db_tag(db, *n, res->images[i].manifest);
                }
        }
        if (image_txn_commit(t, db, err) < 0)
                return berth_err_wrap(err, "loading `%s`", path);
        *out = steal_pointer(&res);
        return 0;
}

/* ---- containers: the contract with container/ ---- */

int storage_image_in_use(struct image_store *s, const char *id, char **container, bool *running)
{
        _cleanup_close_ int fd =
            openat(s->root_fd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
        if (d == NULL)
                return 0;
        struct dirent *de;
        int found = 0;
        while ((de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *rel = xasprintf("containers/%s/container.json", de->d_name);
                _cleanup_json_ json_t *root = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (util_json_load_file(s->root_fd, rel, &root, &scratch) < 0)
                        continue;
                const char *img = json_string_value(json_object_get(root, "Image"));
                if (img == NULL || strcmp(img, id) != 0)
                        continue;
                bool up = json_is_true(json_object_get(json_object_get(root, "State"), "Running"));
                /* A running one names the conflict that force can't lift. */
                if (found && !up)
                        continue;
                found = 1;
                if (container != NULL) {
                        free(*container);
                        *container = xstrdup(de->d_name);
                }
                if (running != NULL)
                        *running = up;
                if (up)
                        break;
        }
        return found;
}

/* ---- garbage collection ---- */

static bool in(char **v, const char *s)
{
        for (; v && *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

int storage_gc(struct image_store *s, struct image_db *db, int64_t *reclaimed,
               struct berth_error **err)
{
        _cleanup_strv_ char **blobs_keep = xcalloc(1, sizeof(char *));
        _cleanup_strv_ char **layers_keep = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < db->n_images; i++) {
                for (char **md = db->images[i].manifests; *md != NULL; md++) {
                        _cleanup_manifest_ struct image_manifest *m = NULL;
                        _cleanup_config_ struct image_config *c = NULL;
                        if (image_read_image(NULL, s, *md, &m, &c, err) < 0)
                                return berth_err_wrap(err, "collecting garbage");
                        strv_append(&blobs_keep, *md);
                        strv_append(&blobs_keep, m->config.digest);
                        for (size_t k = 0; k < m->n_layers; k++)
                                strv_append(&blobs_keep, m->layers[k].digest);
                        _cleanup_free_ char(*chain)[IMAGE_DIGEST_LEN] =
                            xcalloc(c->n_diff_ids + 1, IMAGE_DIGEST_LEN);
                        image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
                        for (size_t k = 0; k < c->n_diff_ids; k++)
                                strv_append(&layers_keep, chain[k]);
                }
        }
        int64_t freed = 0;
        _cleanup_strv_ char **blobs = NULL;
        _cleanup_strv_ char **layers = NULL;
        if (image_blob_list(s, &blobs, err) < 0 || storage_layer_list(s, &layers, err) < 0)
                return berth_err_wrap(err, "collecting garbage");
        for (char **l = layers; *l != NULL; l++) {
                if (in(layers_keep, *l))
                        continue;
                struct storage_layer_meta meta = {0};
                if (storage_layer_get(s, *l, &meta, err) > 0)
                        freed += meta.size;
                if (storage_layer_remove(s, *l, err) < 0)
                        return berth_err_wrap(err, "collecting garbage");
        }
        for (char **b = blobs; *b != NULL; b++) {
                if (in(blobs_keep, *b))
                        continue;
                int64_t sz = 0;
                if (image_blob_stat(s, *b, &sz) > 0)
                        freed += sz;
                if (image_blob_remove(s, *b, err) < 0)
                        return berth_err_wrap(err, "collecting garbage");
        }
        if (reclaimed != NULL)
                *reclaimed = freed;
        return 0;
}

/* The Image of every container record, one entry per container. */
static char **container_images(struct image_store *s)
{
        char **out = xcalloc(1, sizeof(char *));
        _cleanup_close_ int fd =
            openat(s->root_fd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(steal_fd(&fd)) : NULL;
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *rel = xasprintf("containers/%s/container.json", de->d_name);
                _cleanup_json_ json_t *root = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (util_json_load_file(s->root_fd, rel, &root, &scratch) < 0)
                        continue;
                const char *img = json_string_value(json_object_get(root, "Image"));
                if (img != NULL)
                        strv_append(&out, img);
        }
        return out;
}

/* ---- rmi, prune ---- */

static char *short_id(const char *id)
{
        return xstrndup(image_digest_hex(id), 12);
}

/* Each image's config, read once: rmi and prune ask for parents and
 * children again as images go. */
struct lineage {
        struct image_db *db;
        size_t n;
        char (*ids)[IMAGE_DIGEST_LEN];
        struct image_config **configs;
};

static void lineage_load(struct image_store *s, struct image_db *db, struct lineage *l)
{
        l->db = db;
        l->n = db->n_images;
        l->configs = image_db_configs(s, db);
        l->ids = xcalloc(l->n + 1, IMAGE_DIGEST_LEN);
        for (size_t i = 0; i < l->n; i++)
                memcpy(l->ids[i], db->images[i].id, IMAGE_DIGEST_LEN);
}

static void lineage_clear(struct lineage *l)
{
        image_configs_free(l->configs, l->n);
        free(l->ids);
}

/* Each image's parent among those db has now: parent[i] for
 * db->images[i] (image_config_parents). */
static ssize_t *lineage_parents(const struct lineage *l)
{
        struct image_db *db = l->db;
        _cleanup_free_ struct image_config **configs = xcalloc(db->n_images + 1, sizeof(*configs));
        ssize_t *parent = xcalloc(db->n_images + 1, sizeof(*parent));
        for (size_t i = 0; i < db->n_images; i++)
                for (size_t k = 0; k < l->n; k++)
                        if (strcmp(l->ids[k], db->images[i].id) == 0)
                                configs[i] = l->configs[k];
        image_config_parents(configs, db->n_images, parent);
        return parent;
}

static size_t children_of(const struct image_db *db, const ssize_t *parent, size_t i)
{
        size_t n = 0;
        for (size_t k = 0; k < db->n_images; k++)
                n += parent[k] == (ssize_t)i;
        return n;
}

/* id's parent among the images db has now (NULL for none), and how many
 * of them have id as their parent. */
static const char *lineage_of(const struct lineage *l, const char *id, size_t *children)
{
        struct image_db *db = l->db;
        _cleanup_free_ ssize_t *parent = lineage_parents(l);
        *children = 0;
        for (size_t i = 0; i < db->n_images; i++) {
                if (strcmp(db->images[i].id, id) != 0)
                        continue;
                *children = children_of(db, parent, i);
                return parent[i] >= 0 ? db->images[parent[i]].id : NULL;
        }
        return NULL;
}

/* Docker's rmi without --no-prune: after an image goes, its parent goes
 * too while it has no name, no container and no other child. */
static void prune_parents(struct image_store *s, const struct lineage *l, const char *parent_in,
                          struct storage_rmi_result *out)
{
        char parent[IMAGE_DIGEST_LEN];
        snprintf(parent, sizeof(parent), "%s", parent_in ? parent_in : "");
        while (parent[0] != '\0') {
                struct image_record *rec = image_db_find_id(l->db, parent);
                size_t ntags = 0, children = 0;
                _cleanup_free_ const char **tags = image_db_tags_of(l->db, rec, &ntags);
                const char *next = lineage_of(l, parent, &children);
                if (ntags > 0 || children > 0 || storage_image_in_use(s, parent, NULL, NULL) != 0)
                        return;
                strv_append(&out->deleted, parent);
                char grand[IMAGE_DIGEST_LEN];
                snprintf(grand, sizeof(grand), "%s", next ? next : "");
                image_db_remove(l->db, parent);
                memcpy(parent, grand, IMAGE_DIGEST_LEN);
        }
}

static int remove_one(struct image_store *s, const struct lineage *l, const char *what,
                      const struct storage_rmi_opts *o, struct storage_rmi_result *out,
                      struct berth_error **err)
{
        struct image_db *db = l->db;
        struct image_record *rec = NULL;
        _cleanup_free_ char *matched = NULL;
        int r = image_db_resolve(db, what, &rec, &matched, err);
        if (r < 0)
                return r;
        if (r == 0)
                return berth_err(err, 0, "No such image: %s", what);
        char id[IMAGE_DIGEST_LEN];
        memcpy(id, rec->id, IMAGE_DIGEST_LEN);
        size_t ntags = 0, children = 0;
        _cleanup_free_ const char **tags = image_db_tags_of(db, rec, &ntags);
        _cleanup_free_ char *container = NULL;
        bool running = false;
        bool used = storage_image_in_use(s, id, &container, &running) > 0;
        _cleanup_free_ char *sid = short_id(id);
        const char *parent = lineage_of(l, id, &children);
        char parent_id[IMAGE_DIGEST_LEN];
        snprintf(parent_id, sizeof(parent_id), "%s", parent ? parent : "");
        bool by_name = matched != NULL && strchr(matched, '@') == NULL;

        /* By name, with other names left: only that name goes. */
        if (by_name && ntags > 1) {
                _cleanup_free_ char *fam = image_reference_familiar_name(matched);
                image_db_untag(db, matched);
                strv_append(&out->untagged, fam);
                return 0;
        }
        if (used && by_name && !o->force) {
                _cleanup_free_ char *fam = image_reference_familiar_name(matched);
                return berth_err(err, EBUSY,
                                 "conflict: unable to remove repository reference \"%s\" (must "
                                 "force) - container %.12s is using its referenced image %s",
                                 fam, container, sid);
        }
        if (used && !by_name && (running || !o->force))
                return berth_err(err, EBUSY,
                                 "conflict: unable to delete %s (%s) - image is being used by %s "
                                 "container %.12s",
                                 sid, running ? "cannot be forced" : "must be forced",
                                 running ? "running" : "stopped", container);
        if (children > 0 && !by_name)
                return berth_err(err, EBUSY,
                                 "conflict: unable to delete %s (cannot be forced) - image has "
                                 "dependent child images",
                                 sid);
        if (!by_name && ntags > 1 && !o->force)
                return berth_err(err, EBUSY,
                                 "conflict: unable to delete %s (must be forced) - image is "
                                 "referenced in multiple repositories",
                                 sid);
        for (size_t i = 0; i < ntags; i++) {
                _cleanup_free_ char *fam = image_reference_familiar_name(tags[i]);
                strv_append(&out->untagged, fam);
        }
        if (used || children > 0) {
                /* A container still needs its layers (force only took the
                 * name), or an image built on it does: it stays, unnamed. */
                for (size_t i = 0; i < ntags; i++) {
                        _cleanup_free_ char *name = xstrdup(tags[i]);
                        image_db_untag(db, name);
                }
                return 0;
        }
        image_db_remove(db, id);
        strv_append(&out->deleted, id);
        if (!o->no_prune)
                prune_parents(s, l, parent_id, out);
        return 0;
}

int storage_image_remove(const char *root, char *const *what, const struct storage_rmi_opts *o,
                         struct storage_rmi_result *out, struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        out->untagged = xcalloc(1, sizeof(char *));
        out->deleted = xcalloc(1, sizeof(char *));
        struct lineage l;
        lineage_load(s, db, &l);
        int ret = 0;
        for (char *const *w = what; *w != NULL; w++) {
                /* Docker goes on with the other names after a failure and
                 * reports it at the end. */
                if (remove_one(s, &l, *w, o, out, err) < 0 && ret == 0)
                        ret = berth_err_ret(*err);
        }
        lineage_clear(&l);
        if (image_db_save(s, db, err) < 0) {
                /* Nothing was untagged or deleted after all (ENOSPC, say):
                 * don't let the caller report that it was. */
                storage_rmi_result_clear(out);
                return berth_err_ret(*err);
        }
        /* images.json first: once an image is gone from it, its blobs are
         * garbage whatever happens next. */
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (storage_gc(s, db, NULL, ret < 0 ? &scratch : err) < 0 && ret == 0)
                return berth_err_ret(*err);
        return ret;
}

void storage_rmi_result_clear(struct storage_rmi_result *r)
{
        strv_free(r->untagged);
        strv_free(r->deleted);
        r->untagged = r->deleted = NULL;
}

/* The next image prune removes: unused, no child (an intermediate image
 * goes once the image built on it has gone, as Docker prunes parents),
 * and unnamed unless all.  NULL when none is left. */
static const char *prunable(const struct lineage *l, char **used, bool all)
{
        _cleanup_free_ ssize_t *parent = lineage_parents(l);
        for (size_t i = 0; i < l->db->n_images; i++) {
                struct image_record *rec = &l->db->images[i];
                size_t ntags = 0;
                _cleanup_free_ const char **tags = image_db_tags_of(l->db, rec, &ntags);
                if ((ntags == 0 || all) && children_of(l->db, parent, i) == 0 && !in(used, rec->id))
                        return rec->id;
        }
        return NULL;
}

int storage_image_prune(const char *root, bool all, struct storage_rmi_result *out,
                        int64_t *reclaimed, struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        out->untagged = xcalloc(1, sizeof(char *));
        out->deleted = xcalloc(1, sizeof(char *));
        _cleanup_strv_ char **used = container_images(s);
        struct lineage l;
        lineage_load(s, db, &l);
        for (const char *id; (id = prunable(&l, used, all)) != NULL;) {
                size_t ntags = 0;
                _cleanup_free_ const char **tags =
                    image_db_tags_of(db, image_db_find_id(db, id), &ntags);
                for (size_t i = 0; i < ntags; i++) {
                        _cleanup_free_ char *fam = image_reference_familiar_name(tags[i]);
                        strv_append(&out->untagged, fam);
                }
                strv_append(&out->deleted, id);
                image_db_remove(db, out->deleted[strv_len(out->deleted) - 1]);
        }
        lineage_clear(&l);
        if (image_db_save(s, db, err) < 0) {
                storage_rmi_result_clear(out);
                return berth_err_ret(*err);
        }
        if (storage_gc(s, db, reclaimed, err) < 0)
                return berth_err_ret(*err);
        return 0;
}

int storage_image_layers_size(struct image_store *s, const char *manifest, int64_t *size,
                              struct berth_error **err)
{
        _cleanup_manifest_ struct image_manifest *m = NULL;
        _cleanup_config_ struct image_config *c = NULL;
        if (image_read_image(NULL, s, manifest, &m, &c, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char(*chain)[IMAGE_DIGEST_LEN] =
            xcalloc(c->n_diff_ids + 1, IMAGE_DIGEST_LEN);
        image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
        *size = 0;
        for (size_t i = 0; i < c->n_diff_ids; i++) {
                struct storage_layer_meta meta;
                if (storage_layer_get(s, chain[i], &meta, err) > 0)
                        *size += meta.size;
        }
        return 0;
}

int storage_image_describe(const char *root, const char *what, struct image_details **d,
                           struct storage_layer_meta **layers, struct berth_error **err)
{
        _cleanup_image_details_ struct image_details *det = NULL;
        int r = image_details_get(root, what, &det, err);
        if (r <= 0)
                return r;
        _cleanup_store_ struct image_store *s = NULL;
        if (image_store_open(root, false, &s, err) < 0)
                return berth_err_ret(*err);
        const struct image_config *c = det->summary.config;
        _cleanup_free_ char(*chain)[IMAGE_DIGEST_LEN] =
            xcalloc(c->n_diff_ids + 1, IMAGE_DIGEST_LEN);
        image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
        struct storage_layer_meta *metas = xcalloc(c->n_diff_ids + 1, sizeof(*metas));
        for (size_t i = 0; i < c->n_diff_ids; i++) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (storage_layer_get(s, chain[i], &metas[i], &scratch) <= 0) {
                        memset(&metas[i], 0, sizeof(metas[i]));
                        memcpy(metas[i].chain_id, chain[i], IMAGE_DIGEST_LEN);
                        memcpy(metas[i].diff_id, c->diff_ids[i], IMAGE_DIGEST_LEN);
                }
        }
        *layers = metas;
        *d = steal_pointer(&det);
        return 1;
}

/* One image's chain IDs, bottom first (NULL-terminated strv). */
static char **chain_of(const struct image_config *c)
{
        char **out = xcalloc(1, sizeof(char *));
        if (c == NULL)
                return out;
        _cleanup_free_ char(*chain)[IMAGE_DIGEST_LEN] =
            xcalloc(c->n_diff_ids + 1, IMAGE_DIGEST_LEN);
        image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
        for (size_t k = 0; k < c->n_diff_ids; k++)
                strv_append(&out, chain[k]);
        return out;
}

int storage_df_get(const char *root, struct storage_df *out, struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, false, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        memset(out, 0, sizeof(*out));
        out->rows = xcalloc(db->n_images + 1, sizeof(*out->rows));
        struct image_config **configs = image_db_configs(s, db);
        _cleanup_free_ ssize_t *parent = xcalloc(db->n_images + 1, sizeof(*parent));
        image_config_parents(configs, db->n_images, parent);
        _cleanup_strv_ char **used = container_images(s);
        char ***chains = xcalloc(db->n_images + 1, sizeof(*chains));
        _cleanup_free_ size_t *row_of = xcalloc(db->n_images + 1, sizeof(*row_of));
        _cleanup_strv_ char **active_layers = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < db->n_images; i++) {
                chains[i] = chain_of(configs[i]);
                size_t containers = 0;
                for (char **u = used; *u; u++)
                        containers += strcmp(*u, db->images[i].id) == 0;
                if (containers > 0)
                        for (char **c = chains[i]; *c; c++)
                                strv_append(&active_layers, *c);
                size_t ntags = 0, children = 0;
                _cleanup_free_ const char **tags = image_db_tags_of(db, &db->images[i], &ntags);
                for (size_t k = 0; k < db->n_images; k++)
                        children += parent[k] == (ssize_t)i;
                /* As Docker's df: intermediate images are counted in their
                 * children, whose layers they are. */
                if (ntags == 0 && children > 0)
                        continue;
                struct storage_df_image *row = &out->rows[out->images++];
                memcpy(row->id, db->images[i].id, IMAGE_DIGEST_LEN);
                row->repo_tags = xcalloc(1, sizeof(char *));
                for (size_t k = 0; k < ntags; k++) {
                        _cleanup_free_ char *fam = image_reference_familiar_name(tags[k]);
                        strv_append(&row->repo_tags, fam);
                }
                row->created = image_time_parse(configs[i] ? configs[i]->created : NULL);
                row->containers = containers;
                row_of[out->images - 1] = i;
                out->images_active += containers > 0;
        }
        /* Each layer's size, and how many listed images have it. */
        _cleanup_strv_ char **layers = NULL;
        int r = storage_layer_list(s, &layers, err);
        for (char **l = layers; r >= 0 && *l != NULL; l++) {
                struct storage_layer_meta meta;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (storage_layer_get(s, *l, &meta, &scratch) <= 0)
                        continue;
                out->images_size += meta.size;
                if (!in(active_layers, *l))
                        out->images_reclaimable += meta.size;
                size_t users = 0;
                for (size_t k = 0; k < out->images; k++)
                        users += in(chains[row_of[k]], *l);
                for (size_t k = 0; k < out->images; k++) {
                        if (!in(chains[row_of[k]], *l))
                                continue;
                        out->rows[k].size += meta.size;
                        if (users > 1)
                                out->rows[k].shared_size += meta.size;
                }
        }
        for (size_t i = 0; i < db->n_images; i++)
                strv_free(chains[i]);
        free(chains);
        image_configs_free(configs, db->n_images);
        if (r < 0)
                storage_df_clear(out);
        return r < 0 ? berth_err_ret(*err) : 0;
}

void storage_df_clear(struct storage_df *df)
{
        for (size_t i = 0; df->rows != NULL && i < df->images; i++)
                strv_free(df->rows[i].repo_tags);
        free(df->rows);
        memset(df, 0, sizeof(*df));
}

int storage_image_rootfs_get(const char *root, const char *what, struct storage_image_rootfs **out,
                             struct berth_error **err)
{
        _cleanup_image_details_ struct image_details *d = NULL;
        _cleanup_free_ struct storage_layer_meta *layers = NULL;
        int r = storage_image_describe(root, what, &d, &layers, err);
        if (r <= 0)
                return r;
        _cleanup_store_ struct image_store *s = NULL;
        if (image_store_open(root, false, &s, err) < 0)
                return berth_err_ret(*err);
        struct storage_image_rootfs *rf = xcalloc(1, sizeof(*rf));
        memcpy(rf->id, d->summary.id, IMAGE_DIGEST_LEN);
        rf->lowerdirs = xcalloc(1, sizeof(char *));
        size_t n = d->summary.config->n_diff_ids;
        for (size_t i = n; i-- > 0;) {
                if (layers[i].size == 0 && layers[i].blob[0] == '\0') {
                        storage_image_rootfs_free(rf);
                        return berth_err(err, ENOENT, "image %s: layer %s is missing", what,
                                         layers[i].chain_id);
                }
                _cleanup_free_ char *p = storage_layer_diff_path(s, layers[i].chain_id);
                strv_append(&rf->lowerdirs, p);
        }
        rf->config = steal_pointer(&d->summary.config);
        *out = rf;
        return 1;
}

void storage_image_rootfs_free(struct storage_image_rootfs *r)
{
        if (r == NULL)
                return;
        image_config_free(r->config);
        strv_free(r->lowerdirs);
        free(r);
}

void storage_image_rootfs_freep(struct storage_image_rootfs **r)
{
        storage_image_rootfs_free(*r);
        *r = NULL;
}
