/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A step's writable view of its stage (the stage's layers under a fresh
 * upper dir), the layer its upper dir becomes, and the final image.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build-private.h"
#include "image/config.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "storage/layer.h"
#include "storage/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

int build_mount_open(struct builder *b, const struct build_stage *st, struct build_mount *m,
                     struct berth_error **err)
{
        m->root_fd = -1;
        m->dir = xasprintf("%s/step-%u", b->work, b->seq++);
        m->upper = xasprintf("%s/upper", m->dir);
        m->merged = xasprintf("%s/merged", m->dir);
        _cleanup_free_ char *work = xasprintf("%s/work", m->dir);
        if (mkdir(m->dir, 0700) < 0 || mkdir(m->upper, 0755) < 0 || mkdir(work, 0700) < 0 ||
            mkdir(m->merged, 0755) < 0)
                return berth_err(err, errno, "creating the step's work dir");
        _cleanup_store_ struct image_store *s = NULL;
        if (image_store_open(b->o->root, false, &s, err) < 0)
                return berth_err_ret(*err);
        _cleanup_strv_ char **lowers = xcalloc(st->n_layers + 1, sizeof(char *));
        for (size_t i = 0; i < st->n_layers; i++)
                lowers[i] = storage_layer_diff_path(s, st->layers[st->n_layers - 1 - i].chain_id);
        /* Overlay or nothing: the copy driver would put every lower layer
         * into upper/, and the diff would hold the whole tree.  Without
         * layers the copy driver is a bind mount of the empty upper/. */
        enum storage_rootfs_driver drv =
            st->n_layers > 0 ? STORAGE_ROOTFS_OVERLAY : STORAGE_ROOTFS_AUTO;
        if (storage_rootfs_mount(lowers, st->n_layers, m->upper, work, m->merged, 0, &drv, err) < 0)
                return berth_err_wrap(err, "mounting the build step's root");
        m->mounted = true;
        m->root_fd = open(m->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (m->root_fd < 0)
                return berth_err(err, errno, "opening `%s`", m->merged);
        return 0;
}

int build_mount_unmount(struct build_mount *m, struct berth_error **err)
{
        if (m->root_fd >= 0) {
                close(m->root_fd);
                m->root_fd = -1;
        }
        if (!m->mounted)
                return 0;
        if (storage_rootfs_umount(m->merged, err) < 0)
                return berth_err_ret(*err);
        m->mounted = false;
        return 0;
}

void build_mount_close(struct build_mount *m)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        build_mount_unmount(m, &scratch);
        if (m->dir != NULL && !m->mounted)
                util_path_remove_tree(AT_FDCWD, m->dir, &scratch);
        free(m->dir);
        free(m->upper);
        free(m->merged);
        memset(m, 0, sizeof(*m));
        m->root_fd = -1;
}

int build_layer_commit(struct builder *b, struct build_stage *st, struct build_mount *m,
                       bool *added, struct berth_error **err)
{
        *added = false;
        _cleanup_close_ int upper = open(m->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (upper < 0)
                return berth_err(err, errno, "opening `%s`", m->upper);
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_txn_ struct image_txn *t = NULL;
        if (image_store_open(b->o->root, true, &s, err) < 0 || image_txn_begin(s, &t, err) < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int fd =
            openat(image_txn_dir_fd(t), "layer.tar", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return berth_err(err, errno, "creating the layer file");
        struct image_layer_diff_opts dopts = {.source_date_epoch = b->epoch};
        struct image_layer_stats stats;
        if (image_layer_diff(upper, fd, &dopts, &stats, err) < 0)
                return berth_err_wrap(err, "making the layer");
        if (stats.entries == 0)
                return 0; /* nothing changed: no layer, as BuildKit */
        /* Uncompressed: the blob is the diff, its digest the diff ID. */
        if (image_txn_blob_adopt(t, "layer.tar", stats.diff_id, err) < 0)
                return berth_err_ret(*err);
        struct build_layer l = {.size = (int64_t)stats.size};
        memcpy(l.diff_id, stats.diff_id, IMAGE_DIGEST_LEN);
        memcpy(l.blob, stats.diff_id, IMAGE_DIGEST_LEN);
        snprintf(l.media_type, sizeof(l.media_type), "%s", IMAGE_MT_DOCKER_LAYER);
        const char *parent = st->n_layers > 0 ? st->layers[st->n_layers - 1].chain_id : NULL;
        if (parent != NULL) {
                _cleanup_free_ char *c = xasprintf("%s %s", parent, stats.diff_id);
                image_digest_buffer(c, strlen(c), l.chain_id);
        } else {
                memcpy(l.chain_id, stats.diff_id, IMAGE_DIGEST_LEN);
        }
        struct storage_layer_meta meta;
        if (storage_layer_ensure(t, l.chain_id, parent, l.diff_id, l.blob, &meta, err) < 0 ||
            image_txn_commit(t, NULL, err) < 0)
                return berth_err_wrap(err, "storing the layer");
        st->layers = xrealloc(st->layers, (st->n_layers + 1) * sizeof(*st->layers));
        st->layers[st->n_layers++] = l;
        *added = true;
        return 0;
}

int build_image_commit(struct builder *b, struct build_stage *st, char id[IMAGE_DIGEST_LEN],
                       struct berth_error **err)
{
        /* Tags are checked before anything is written. */
        _cleanup_strv_ char **tags = xcalloc(1, sizeof(char *));
        for (char *const *t = b->o->tags; t && *t; t++) {
                _cleanup_reference_ struct image_reference *ref = NULL;
                if (image_reference_parse(*t, &ref, err) < 0)
                        return berth_err_wrap(err, "-t %s", *t);
                _cleanup_free_ char *nt = image_reference_name_tag(ref);
                if (nt == NULL)
                        return berth_err(err, 0, "-t %s: a tag, not a digest", *t);
                strv_append(&tags, nt);
        }
        json_t *img = st->image;
        /* The image is as old as its last step (a rebuild from cache is
         * the same image). */
        json_t *hist = json_object_get(img, "history");
        const char *last = json_string_value(
            json_object_get(json_array_get(hist, json_array_size(hist) - 1), "created"));
        _cleanup_free_ char *created = last && b->epoch < 0 ? xstrdup(last) : build_created(b);
        json_object_set_new(img, "created", json_string(created));
        json_t *diff_ids = json_array();
        for (size_t i = 0; i < st->n_layers; i++)
                json_array_append_new(diff_ids, json_string(st->layers[i].diff_id));
        json_object_set_new(img, "rootfs",
                            json_pack("{s:s,s:o}", "type", "layers", "diff_ids", diff_ids));
        _cleanup_free_ char *ctext = json_dumps(img, JSON_COMPACT | JSON_SORT_KEYS);

        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_txn_ struct image_txn *t = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(b->o->root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0 ||
            image_txn_begin(s, &t, err) < 0)
                return berth_err_ret(*err);
        char cdigest[IMAGE_DIGEST_LEN], mdigest[IMAGE_DIGEST_LEN];
        if (image_txn_blob_put_buffer(t, ctext, strlen(ctext), NULL, cdigest, err) < 0)
                return berth_err_ret(*err);
        json_t *layers = json_array();
        int64_t size = 0;
        for (size_t i = 0; i < st->n_layers; i++) {
                const struct build_layer *l = &st->layers[i];
                struct storage_layer_meta meta;
                if (storage_layer_get(s, l->chain_id, &meta, err) != 1 ||
                    image_txn_blob_has(t, l->blob) != 1) {
                        json_decref(layers);
                        return berth_err(err, ENOENT,
                                         "layer %s was removed during the build (rmi or prune?)",
                                         l->chain_id);
                }
                size += meta.size;
                json_array_append_new(layers,
                                      json_pack("{s:s,s:I,s:s}", "mediaType", l->media_type, "size",
                                                (json_int_t)l->size, "digest", l->blob));
        }
        _cleanup_json_ json_t *man =
            json_pack("{s:i,s:s,s:{s:s,s:I,s:s},s:o}", "schemaVersion", 2, "mediaType",
                      IMAGE_MT_DOCKER_MANIFEST, "config", "mediaType", IMAGE_MT_DOCKER_CONFIG,
                      "size", (json_int_t)strlen(ctext), "digest", cdigest, "layers", layers);
        _cleanup_free_ char *mtext = json_dumps(man, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
        if (image_txn_blob_put_buffer(t, mtext, strlen(mtext), NULL, mdigest, err) < 0)
                return berth_err_ret(*err);
        image_db_add(db, cdigest, mdigest, size);
        for (char **tg = tags; *tg; tg++)
                image_db_tag(db, *tg, mdigest);
        if (image_txn_commit(t, db, err) < 0)
                return berth_err_wrap(err, "writing the image");
        memcpy(id, cdigest, IMAGE_DIGEST_LEN);
        if (b->o->progress != BUILD_PROGRESS_QUIET) {
                fprintf(b->out, "#%zu writing image %s done\n", b->step + 1, cdigest);
                for (char **tg = tags; *tg; tg++)
                        fprintf(b->out, "#%zu naming to %s done\n", b->step + 1, *tg);
                fflush(b->out);
        }
        return 0;
}
