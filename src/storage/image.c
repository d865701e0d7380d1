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

int storage_image_in_use(struct image_store *s, const char *id, char **container)
{
        _cleanup_close_ int fd =
            openat(s->root_fd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
        if (d == NULL)
                return 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *rel = xasprintf("containers/%s/container.json", de->d_name);
                _cleanup_json_ json_t *root = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (util_json_load_file(s->root_fd, rel, &root, &scratch) < 0)
                        continue;
                const char *img = json_string_value(json_object_get(root, "Image"));
                if (img != NULL && strcmp(img, id) == 0) {
                        if (container != NULL)
                                *container = xstrdup(de->d_name);
                        return 1;
                }
        }
        return 0;
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

/* ---- rmi, prune ---- */

static char *short_id(const char *id)
{
        return xstrndup(image_digest_hex(id), 12);
}

static int remove_one(struct image_store *s, struct image_db *db, const char *what, bool force,
                      struct storage_rmi_result *out, struct berth_error **err)
{
        struct image_record *rec = NULL;
        _cleanup_free_ char *matched = NULL;
        int r = image_db_resolve(db, what, &rec, &matched, err);
        if (r < 0)
                return r;
        if (r == 0)
                return berth_err(err, 0, "No such image: %s", what);
        char id[IMAGE_DIGEST_LEN];
        memcpy(id, rec->id, IMAGE_DIGEST_LEN);
        size_t ntags = 0;
        _cleanup_free_ const char **tags = image_db_tags_of(db, rec, &ntags);
        _cleanup_free_ char *container = NULL;
        bool used = storage_image_in_use(s, id, &container) > 0;
        _cleanup_free_ char *sid = short_id(id);

        /* By name, with other names left: only that name goes. */
        if (matched != NULL && strchr(matched, '@') == NULL && ntags > 1) {
                _cleanup_free_ char *fam = image_reference_familiar_name(matched);
                image_db_untag(db, matched);
                strv_append(&out->untagged, fam);
                return 0;
        }
        if (used && !force)
                return berth_err(err, EBUSY,
                                 "conflict: unable to remove image %s (must force) - container "
                                 "%.12s is using it",
                                 matched ? matched : sid, container);
        if (matched == NULL && ntags > 1 && !force)
                return berth_err(err, EBUSY,
                                 "conflict: unable to delete %s (must be forced) - image is "
                                 "referenced in multiple repositories",
                                 sid);
        for (size_t i = 0; i < ntags; i++) {
                _cleanup_free_ char *fam = image_reference_familiar_name(tags[i]);
                strv_append(&out->untagged, fam);
        }
        if (used) {
                /* Forced, but a container still needs its layers: the
                 * image only loses its names. */
                for (size_t i = 0; i < ntags; i++) {
                        _cleanup_free_ char *name = xstrdup(tags[i]);
                        image_db_untag(db, name);
                }
                return 0;
        }
        image_db_remove(db, id);
        strv_append(&out->deleted, id);
        return 0;
}

int storage_image_remove(const char *root, char *const *what, bool force,
                         struct storage_rmi_result *out, struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        out->untagged = xcalloc(1, sizeof(char *));
        out->deleted = xcalloc(1, sizeof(char *));
        int ret = 0;
        for (char *const *w = what; *w != NULL; w++) {
                /* Docker goes on with the other names after a failure and
                 * reports it at the end. */
                if (remove_one(s, db, *w, force, out, err) < 0 && ret == 0)
                        ret = berth_err_ret(*err);
        }
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

int storage_image_prune(const char *root, bool all, char ***deleted, int64_t *reclaimed,
                        struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        _cleanup_strv_ char **gone = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < db->n_images;) {
                struct image_record *rec = &db->images[i];
                size_t ntags = 0;
                _cleanup_free_ const char **tags = image_db_tags_of(db, rec, &ntags);
                if ((ntags == 0 || all) && storage_image_in_use(s, rec->id, NULL) == 0) {
                        strv_append(&gone, rec->id);
                        image_db_remove(db, rec->id);
                        continue;
                }
                i++;
        }
        if (image_db_save(s, db, err) < 0 || storage_gc(s, db, reclaimed, err) < 0)
                return berth_err_ret(*err);
        *deleted = steal_pointer(&gone);
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

int storage_df_get(const char *root, struct storage_df *out, struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, false, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        memset(out, 0, sizeof(*out));
        out->images = db->n_images;
        _cleanup_strv_ char **active_layers = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < db->n_images; i++) {
                if (storage_image_in_use(s, db->images[i].id, NULL) <= 0)
                        continue;
                out->images_active++;
                _cleanup_manifest_ struct image_manifest *m = NULL;
                _cleanup_config_ struct image_config *c = NULL;
                if (image_read_image(NULL, s, db->images[i].manifests[0], &m, &c, err) < 0)
                        return berth_err_ret(*err);
                _cleanup_free_ char(*chain)[IMAGE_DIGEST_LEN] =
                    xcalloc(c->n_diff_ids + 1, IMAGE_DIGEST_LEN);
                image_chain_ids(c->diff_ids, c->n_diff_ids, chain);
                for (size_t k = 0; k < c->n_diff_ids; k++)
                        strv_append(&active_layers, chain[k]);
        }
        _cleanup_strv_ char **layers = NULL;
        if (storage_layer_list(s, &layers, err) < 0)
                return berth_err_ret(*err);
        for (char **l = layers; *l != NULL; l++) {
                struct storage_layer_meta meta;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (storage_layer_get(s, *l, &meta, &scratch) <= 0)
                        continue;
                out->images_size += meta.size;
                if (!in(active_layers, *l))
                        out->images_reclaimable += meta.size;
        }
        _cleanup_close_ int fd =
            openat(s->root_fd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
                struct dirent *de;
                while (d != NULL && (de = readdir(d)) != NULL)
                        if (de->d_name[0] != '.')
                                out->containers++;
        }
        return 0;
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
