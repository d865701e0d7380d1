/* SPDX-License-Identifier: Apache-2.0 */
/* `commit`: a container's writable layer as a new image. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container/commit.h"
#include "container/record.h"
#include "container/rootfs.h"
#include "container/spec.h"
#include "image/config.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "storage/config-change.h"
#include "storage/idmap.h"
#include "storage/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/timestamp.h"
#include "util/xalloc.h"

/* The container's Config over the image's: what it was run with is what
 * the new image runs with (Docker's merge), then the -c changes. */
static int merge_config(json_t *cfg, const struct container_record *r,
                        const struct container_commit_opts *o, struct berth_error **err)
{
        _cleanup_json_ json_t *cc = NULL;
        if (r->config_json != NULL && util_json_load_string(r->config_json, strlen(r->config_json),
                                                            "container Config", &cc, err) < 0)
                return berth_err_ret(*err);
        static const char *const keys[] = {"Cmd",        "Entrypoint",   "WorkingDir", "User",
                                           "StopSignal", "ExposedPorts", "Volumes"};
        for (size_t i = 0; cc != NULL && i < sizeof(keys) / sizeof(keys[0]); i++) {
                json_t *v = json_object_get(cc, keys[i]);
                bool empty = v == NULL || json_is_null(v) ||
                             (json_is_string(v) && json_string_length(v) == 0) ||
                             (json_is_object(v) && json_object_size(v) == 0);
                if (!empty)
                        json_object_set(cfg, keys[i], v);
        }
        /* Env: the image's with the container's -e replacing or adding. */
        json_t *cenv = cc ? json_object_get(cc, "Env") : NULL;
        if (json_array_size(cenv) > 0) {
                _cleanup_strv_ char **base = NULL, **add = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)util_json_strv(cfg, "Env", "Env", &base, &scratch);
                (void)util_json_strv(cc, "Env", "Env", &add, &scratch);
                _cleanup_strv_ char **merged = container_env_merge(base, add);
                json_object_set_new(cfg, "Env", util_json_from_strv(merged));
        }
        if (r->labels != NULL && r->labels[0] != NULL) {
                json_t *l = json_object();
                for (char **kv = r->labels; *kv; kv++) {
                        const char *eq = strchr(*kv, '=');
                        _cleanup_free_ char *k =
                            eq ? xstrndup(*kv, (size_t)(eq - *kv)) : xstrdup(*kv);
                        json_object_set_new(l, k, json_string(eq ? eq + 1 : ""));
                }
                json_object_set_new(cfg, "Labels", l);
        }
        for (char *const *c = o->changes; c && *c; c++)
                if (storage_config_change_apply(cfg, *c, err) < 0)
                        return berth_err_ret(*err);
        return 0;
}

/* The upper dir as a layer tar in an unnamed file on the store's file
 * system (nothing to clean up if we die), rewound. */
static int layer_tar(const char *root, const char *id, struct image_layer_stats *stats,
                     struct berth_error **err)
{
        _cleanup_free_ char *dir = container_record_dir(root, id);
        _cleanup_free_ char *marker = xasprintf("%s/work/copied", dir);
        if (access(marker, F_OK) == 0)
                return berth_err(err, ENOTSUP,
                                 "container %.12s uses the copy driver: its changes are not kept "
                                 "apart from the image",
                                 id);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ufd < 0)
                return berth_err(err, errno, "opening `%s`", upper);
        /* A container in a user namespace wrote shifted ids: read its upper
         * dir through the inverse idmap, so the layer has the container's
         * own ids (0 for its root), as every image layer does. */
        _cleanup_free_ struct storage_idmap *u = NULL, *g = NULL;
        size_t ng = 0, nu = container_idmaps_load(dir, &u, &g, &ng);
        _cleanup_close_ int clone = -1;
        if (nu > 0) {
                for (size_t i = 0; i < nu; i++)
                        u[i] = (struct storage_idmap){u[i].host_id, u[i].container_id, u[i].size};
                for (size_t i = 0; i < ng; i++)
                        g[i] = (struct storage_idmap){g[i].host_id, g[i].container_id, g[i].size};
                _cleanup_close_ int ns = storage_userns_fd(u, nu, g, ng, err);
                if (ns < 0)
                        return berth_err_wrap(err, "commit");
                clone = storage_idmapped_clone(upper, ns, err);
                if (clone < 0)
                        return berth_err_wrap(err, "commit");
                close(ufd);
                ufd = openat(clone, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (ufd < 0)
                        return berth_err(err, errno, "opening `%s` idmapped", upper);
        }
        _cleanup_close_ int tfd = open(root, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
        if (tfd < 0)
                return berth_err(err, errno, "making a temporary file in `%s`", root);
        struct image_layer_diff_opts dopts = {.source_date_epoch = -1};
        if (image_layer_diff(ufd, tfd, &dopts, stats, err) < 0)
                return berth_err_wrap(err, "writing the layer of container %.12s", id);
        if (lseek(tfd, 0, SEEK_SET) < 0)
                return berth_err(err, errno, "rewinding the layer");
        return steal_fd(&tfd);
}

int container_commit(const char *root, const char *id, const struct container_commit_opts *o,
                     char image_id[IMAGE_DIGEST_LEN], struct berth_error **err)
{
        _cleanup_reference_ struct image_reference *ref = NULL;
        if (o->reference != NULL && image_reference_parse(o->reference, &ref, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *name_tag = ref ? image_reference_name_tag(ref) : NULL;
        if (ref != NULL && name_tag == NULL)
                return berth_err(err, 0, "commit: a reference needs a tag, not a digest");
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_record_load(root, id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, 0, "No such container: %s", id);

        struct image_layer_stats stats;
        _cleanup_close_ int tfd = layer_tar(root, id, &stats, err);
        if (tfd < 0)
                return tfd;

        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_txn_ struct image_txn *t = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0 ||
            image_txn_begin(s, &t, err) < 0)
                return berth_err_wrap(err, "commit");
        struct image_record *base = image_db_find_id(db, r->image);
        if (base == NULL)
                return berth_err(err, ENOENT, "commit: the image %s of container %.12s is gone",
                                 r->image, id);
        int64_t base_size = base->size;
        _cleanup_free_ char *mtext = NULL, *ctext = NULL;
        size_t mlen, clen;
        _cleanup_json_ json_t *man = NULL, *config = NULL;
        if (image_blob_read(s, base->manifests[0], &mtext, &mlen, err) < 0 ||
            util_json_load_string(mtext, mlen, "manifest", &man, err) < 0 ||
            image_blob_read(s, r->image, &ctext, &clen, err) < 0 ||
            util_json_load_string(ctext, clen, "image config", &config, err) < 0)
                return berth_err_wrap(err, "commit");

        /* The layer: its blob (uncompressed, so its digest is its diff ID)
         * and its extracted dir, the next link of the image's chain. */
        char blob[IMAGE_DIGEST_LEN];
        if (image_txn_blob_put_fd(t, tfd, stats.diff_id, (int64_t)stats.size, blob, err) < 0)
                return berth_err_wrap(err, "commit");
        _cleanup_config_ struct image_config *parsed = NULL;
        if (image_config_parse(ctext, clen, &parsed, err) < 0)
                return berth_err_wrap(err, "commit");
        size_t n = parsed->n_diff_ids;
        _cleanup_free_ char(*diff_ids)[IMAGE_DIGEST_LEN] = xcalloc(n + 1, IMAGE_DIGEST_LEN);
        _cleanup_free_ char(*chain)[IMAGE_DIGEST_LEN] = xcalloc(n + 1, IMAGE_DIGEST_LEN);
        memcpy(diff_ids, parsed->diff_ids, n * IMAGE_DIGEST_LEN);
        memcpy(diff_ids[n], stats.diff_id, IMAGE_DIGEST_LEN);
        image_chain_ids(diff_ids, n + 1, chain);
        struct storage_layer_meta meta;
        if (storage_layer_ensure(t, chain[n], n > 0 ? chain[n - 1] : NULL, stats.diff_id, blob,
                                 &meta, err) < 0)
                return berth_err_wrap(err, "commit");

        /* The config: the old one's fields kept, ours changed. */
        _cleanup_free_ char *created = util_time_now_rfc3339();
        json_t *cfg = json_object_get(config, "config");
        if (!json_is_object(cfg)) {
                cfg = json_object();
                json_object_set_new(config, "config", cfg);
        }
        if (merge_config(cfg, r, o, err) < 0)
                return berth_err_wrap(err, "commit");
        json_object_set_new(config, "created", json_string(created));
        json_object_set_new(config, "container", json_string(id));
        if (o->author != NULL)
                json_object_set_new(config, "author", json_string(o->author));
        if (o->message != NULL)
                json_object_set_new(config, "comment", json_string(o->message));
        json_t *rootfs = json_object_get(config, "rootfs");
        if (!json_is_object(rootfs)) {
                rootfs = json_pack("{s:s,s:[]}", "type", "layers", "diff_ids");
                json_object_set_new(config, "rootfs", rootfs);
        }
        json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(stats.diff_id));
        json_t *history = json_object_get(config, "history");
        if (!json_is_array(history)) {
                history = json_array();
                json_object_set_new(config, "history", history);
        }
        /* Docker's created_by: the command the container ran. */
        size_t by_len = strlen(r->path ? r->path : "") + 1;
        for (char **a = r->args; a && *a; a++)
                by_len += strlen(*a) + 1;
        _cleanup_free_ char *by = xcalloc(1, by_len);
        memcpy(by, r->path ? r->path : "", strlen(r->path ? r->path : "") + 1);
        for (char **a = r->args; a && *a; a++) {
                memcpy(by + strlen(by), " ", 2);
                memcpy(by + strlen(by), *a, strlen(*a) + 1);
        }
        json_t *h = json_pack("{s:s,s:s}", "created", created, "created_by", by);
        if (o->author != NULL)
                json_object_set_new(h, "author", json_string(o->author));
        if (o->message != NULL)
                json_object_set_new(h, "comment", json_string(o->message));
        json_array_append_new(history, h);
        _cleanup_free_ char *newc = json_dumps(config, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char cdigest[IMAGE_DIGEST_LEN], mdigest[IMAGE_DIGEST_LEN];
        if (image_txn_blob_put_buffer(t, newc, strlen(newc), NULL, cdigest, err) < 0)
                return berth_err_wrap(err, "commit");

        /* The manifest: the old one with the new config and one more
         * layer, in its own media-type family. */
        const char *mt = json_string_value(json_object_get(man, "mediaType"));
        bool docker = mt != NULL && strcmp(mt, IMAGE_MT_DOCKER_MANIFEST) == 0;
        json_t *cdesc = json_object_get(man, "config");
        if (!json_is_object(cdesc))
                return berth_err(err, 0, "commit: the image's manifest has no config");
        json_object_set_new(cdesc, "digest", json_string(cdigest));
        json_object_set_new(cdesc, "size", json_integer((json_int_t)strlen(newc)));
        json_t *layers = json_object_get(man, "layers");
        if (!json_is_array(layers)) {
                layers = json_array();
                json_object_set_new(man, "layers", layers);
        }
        json_array_append_new(layers, json_pack("{s:s,s:I,s:s}", "mediaType",
                                                docker ? IMAGE_MT_DOCKER_LAYER : IMAGE_MT_OCI_LAYER,
                                                "size", (json_int_t)stats.size, "digest", blob));
        json_object_del(man, "annotations");
        _cleanup_free_ char *newm = json_dumps(man, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
        if (image_txn_blob_put_buffer(t, newm, strlen(newm), NULL, mdigest, err) < 0)
                return berth_err_wrap(err, "commit");
        image_db_add(db, cdigest, mdigest, base_size + meta.size);
        if (name_tag != NULL)
                image_db_tag(db, name_tag, mdigest);
        if (image_txn_commit(t, db, err) < 0)
                return berth_err_wrap(err, "commit");
        memcpy(image_id, cdigest, IMAGE_DIGEST_LEN);
        return 0;
}
