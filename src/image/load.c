/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/source.h"
#include "image/load.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

struct loader {
        struct image_txn *txn;
        struct image_source *src;
        const struct image_load_opts *opts;
        struct image_platform platform;
        struct image_load_result *res;
};

static void progress(struct loader *l, const char *what, const char *digest, int64_t size)
{
        if (l->opts != NULL && l->opts->progress != NULL)
                l->opts->progress(what, digest, size, l->opts->progress_data);
}

static char *blob_name(const char *digest)
{
        return xasprintf("blobs/sha256/%s", image_digest_hex(digest));
}

static int put_descriptor(struct loader *l, const struct image_descriptor *d, const char *what,
                          struct berth_error **err)
{
        _cleanup_free_ char *name = blob_name(d->digest);
        /* Already in the store (verified when it went in) or staged: the
         * archive's copy isn't needed. */
        if (image_blob_stat(image_txn_store(l->txn), d->digest, NULL) > 0)
                return 0;
        if (!image_source_has(l->src, name)) {
                /* Already in the store: nothing to copy, and it was
                 * verified when it went in. */
                if (image_txn_blob_has(l->txn, d->digest))
                        return 0;
                return berth_err(err, 0, "%s names blob %s, which the archive does not contain",
                                 what, d->digest);
        }
        char got[IMAGE_DIGEST_LEN];
        if (image_source_put_blob(l->src, name, d->digest, d->size, got, err) < 0)
                return berth_err_wrap(err, "%s", what);
        return 0;
}

/* Name img name:tag.  A name that is not a valid name:tag is an error, as
 * in `docker load`: dropping it would load the image under no name, or
 * under fewer names than the archive claims. */
static int add_name(struct image_loaded *img, const char *name, struct berth_error **err)
{
        _cleanup_reference_ struct image_reference *ref = NULL;
        if (image_reference_parse(name, &ref, err) < 0)
                return berth_err_ret(*err);
        if (ref->tag == NULL)
                return berth_err(err, EINVAL, "`%s` is not a name:tag", name);
        _cleanup_free_ char *nt = image_reference_name_tag(ref);
        for (char **n = img->names; n && *n; n++)
                if (strcmp(*n, nt) == 0)
                        return 0;
        strv_append(&img->names, nt);
        return 0;
}

static struct image_loaded *add_image(struct loader *l, const char *manifest, const char *id)
{
        for (size_t i = 0; i < l->res->n; i++)
                if (strcmp(l->res->images[i].manifest, manifest) == 0)
                        return &l->res->images[i];
        l->res->images = xrealloc(l->res->images, (l->res->n + 1) * sizeof(*l->res->images));
        struct image_loaded *img = &l->res->images[l->res->n++];
        memset(img, 0, sizeof(*img));
        memcpy(img->manifest, manifest, IMAGE_DIGEST_LEN);
        memcpy(img->id, id, IMAGE_DIGEST_LEN);
        img->names = xcalloc(1, sizeof(char *));
        return img;
}

/* Config and layers of a staged manifest, and their consistency. */
static int load_manifest_content(struct loader *l, const struct image_manifest *m,
                                 struct berth_error **err)
{
        if (put_descriptor(l, &m->config, "manifest config", err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *cbuf = NULL;
        size_t clen = 0;
        _cleanup_config_ struct image_config *cfg = NULL;
        if (image_txn_blob_read(l->txn, m->config.digest, &cbuf, &clen, err) < 0 ||
            image_config_parse(cbuf, clen, &cfg, err) < 0)
                return berth_err_ret(*err);
        if (cfg->n_diff_ids != m->n_layers)
                return berth_err(err, EINVAL,
                                 "manifest has %zu layers but its config lists %zu diff IDs",
                                 m->n_layers, cfg->n_diff_ids);
        for (size_t i = 0; i < m->n_layers; i++) {
                _cleanup_free_ char *what = xasprintf("layer %zu", i + 1);
                progress(l, "Loading layer", m->layers[i].digest, m->layers[i].size);
                if (put_descriptor(l, &m->layers[i], what, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int load_descriptor(struct loader *l, const struct image_descriptor *d, int depth,
                           struct image_loaded **out, struct berth_error **err)
{
        if (d->media_type != NULL && strcmp(d->media_type, IMAGE_MT_OCI_MANIFEST) != 0 &&
            strcmp(d->media_type, IMAGE_MT_DOCKER_MANIFEST) != 0 &&
            strcmp(d->media_type, IMAGE_MT_OCI_INDEX) != 0 &&
            strcmp(d->media_type, IMAGE_MT_DOCKER_LIST) != 0)
                return berth_err(err, 0, "manifest %s: unsupported media type `%s`", d->digest,
                                 d->media_type);
        if (put_descriptor(l, d, "index", err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        _cleanup_manifest_ struct image_manifest *m = NULL;
        if (image_txn_blob_read(l->txn, d->digest, &buf, &len, err) < 0 ||
            image_manifest_parse(buf, len, d->media_type, &m, err) < 0)
                return berth_err_wrap(err, "manifest %s", d->digest);
        if (m->kind == IMAGE_KIND_INDEX) {
                if (depth > 4)
                        return berth_err(err, ELOOP, "indexes nested too deeply");
                const struct image_descriptor *sel = NULL;
                if (image_manifest_select(m, &l->platform, &sel) == 0) {
                        _cleanup_free_ char *p = image_platform_string(&l->platform);
                        return berth_err(err, 0, "index %s has no image for %s", d->digest, p);
                }
                return load_descriptor(l, sel, depth + 1, out, err);
        }
        if (load_manifest_content(l, m, err) < 0)
                return berth_err_wrap(err, "manifest %s", d->digest);
        *out = add_image(l, d->digest, m->config.digest);
        return 0;
}

static const char *descriptor_name(const struct image_descriptor *d)
{
        if (d->image_name != NULL)
                return d->image_name;
        /* A bare tag ("latest") names nothing by itself. */
        if (d->ref_name != NULL && strpbrk(d->ref_name, ":/@") != NULL)
                return d->ref_name;
        return NULL;
}

static bool same_group(const struct image_descriptor *a, const struct image_descriptor *b)
{
        const char *na = descriptor_name(a), *nb = descriptor_name(b);
        if (na == NULL || nb == NULL)
                return false;
        return strcmp(na, nb) == 0 && a->platform != NULL && b->platform != NULL;
}

static int load_oci(struct loader *l, struct berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        _cleanup_manifest_ struct image_manifest *index = NULL;
        if (image_source_read(l->src, "index.json", &buf, &len, err) < 0 ||
            image_manifest_parse(buf, len, NULL, &index, err) < 0)
                return berth_err_wrap(err, "index.json");
        if (index->kind != IMAGE_KIND_INDEX)
                return berth_err(err, 0, "index.json is not an image index");
        if (index->n_manifests == 0)
                return berth_err(err, 0, "index.json lists no images");
        bool *done = xcalloc(index->n_manifests, sizeof(bool));
        _cleanup_free_ bool *done_owned = done;
        for (size_t i = 0; i < index->n_manifests; i++) {
                if (done[i])
                        continue;
                /* Entries that share a name and carry platforms are one
                 * multi-platform image: pick one of them. */
                struct image_manifest group = {.kind = IMAGE_KIND_INDEX};
                _cleanup_free_ struct image_descriptor *members =
                    xcalloc(index->n_manifests, sizeof(*members));
                group.manifests = members;
                for (size_t j = i; j < index->n_manifests; j++) {
                        if (j == i || same_group(&index->manifests[i], &index->manifests[j])) {
                                members[group.n_manifests++] = index->manifests[j];
                                done[j] = true;
                        }
                }
                const struct image_descriptor *sel = &index->manifests[i];
                if (group.n_manifests > 1 &&
                    image_manifest_select(&group, &l->platform, &sel) == 0) {
                        _cleanup_free_ char *p = image_platform_string(&l->platform);
                        return berth_err(err, 0, "`%s` has no image for %s", descriptor_name(sel),
                                         p);
                }
                struct image_loaded *img = NULL;
                if (load_descriptor(l, sel, 0, &img, err) < 0)
                        return berth_err_ret(*err);
                const char *name = descriptor_name(sel);
                if (name != NULL && add_name(img, name, err) < 0)
                        return berth_err_wrap(err, "index.json: image name");
        }
        return 0;
}

static const char *member_digest(const char *name, char out[IMAGE_DIGEST_LEN])
{
        /* "<hex>.json", "<hex>/layer.tar" and "blobs/sha256/<hex>" name their
         * digest: hold them to it. */
        const char *base = strrchr(name, '/');
        base = base ? base + 1 : name;
        const char *cand[] = {base, name};
        for (size_t i = 0; i < 2; i++) {
                size_t n = strspn(cand[i], "0123456789abcdef");
                if (n == 64 && (cand[i][64] == '\0' || strcmp(cand[i] + 64, ".json") == 0) &&
                    (i == 1 || strncmp(name, "blobs/sha256/", 13) == 0 ||
                     strcmp(cand[i] + 64, ".json") == 0)) {
                        memcpy(out, "sha256:", 7);
                        memcpy(out + 7, cand[i], 64);
                        out[71] = '\0';
                        return out;
                }
        }
        return NULL;
}

static int load_docker_entry(struct loader *l, json_t *entry, size_t idx, struct berth_error **err)
{
        const char *config = NULL;
        json_t *layers = NULL;
        _cleanup_strv_ char **tags = NULL;
        if (!json_is_object(entry))
                return berth_err(err, 0, "manifest.json[%zu]: expected an object", idx);
        if (util_json_string(entry, "Config", "Config", &config, err) < 0 ||
            util_json_array(entry, "Layers", "Layers", &layers, err) < 0 ||
            util_json_strv(entry, "RepoTags", "RepoTags", &tags, err) < 0)
                return berth_err_wrap(err, "manifest.json[%zu]", idx);
        if (config == NULL || layers == NULL)
                return berth_err(err, 0, "manifest.json[%zu]: no Config or Layers", idx);

        char exp[IMAGE_DIGEST_LEN], cdigest[IMAGE_DIGEST_LEN];
        if (!image_source_has(l->src, config))
                return berth_err(err, 0,
                                 "manifest.json names config `%s`, which the archive does not "
                                 "contain",
                                 config);
        if (image_source_put_blob(l->src, config, member_digest(config, exp), -1, cdigest, err) < 0)
                return berth_err_wrap(err, "config `%s`", config);
        _cleanup_free_ char *cbuf = NULL;
        size_t clen = 0;
        _cleanup_config_ struct image_config *cfg = NULL;
        if (image_txn_blob_read(l->txn, cdigest, &cbuf, &clen, err) < 0 ||
            image_config_parse(cbuf, clen, &cfg, err) < 0)
                return berth_err_wrap(err, "config `%s`", config);
        size_t n = json_array_size(layers);
        if (n != cfg->n_diff_ids)
                return berth_err(
                    err, EINVAL,
                    "manifest.json[%zu] has %zu layers but its config lists %zu diff IDs", idx, n,
                    cfg->n_diff_ids);

        bool zstd = false;
        json_t *jl = json_array();
        for (size_t i = 0; i < n; i++) {
                const char *lname = json_string_value(json_array_get(layers, i));
                if (lname == NULL) {
                        json_decref(jl);
                        return berth_err(err, EINVAL,
                                         "manifest.json[%zu].Layers[%zu]: expected a string", idx,
                                         i);
                }
                if (!image_source_has(l->src, lname)) {
                        json_decref(jl);
                        return berth_err(err, 0,
                                         "manifest.json names layer `%s`, which the archive does "
                                         "not contain",
                                         lname);
                }
                unsigned char magic[4];
                char ldigest[IMAGE_DIGEST_LEN];
                if (image_source_peek(l->src, lname, magic, sizeof(magic), err) < 0 ||
                    image_source_put_blob(l->src, lname, member_digest(lname, exp), -1, ldigest,
                                          err) < 0) {
                        json_decref(jl);
                        return berth_err_wrap(err, "layer `%s`", lname);
                }
                _cleanup_close_ int fd = image_txn_blob_open(l->txn, ldigest, err);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        json_decref(jl);
                        return berth_err(err, errno, "layer `%s`", lname);
                }
                progress(l, "Loading layer", ldigest, st.st_size);
                const char *mt = IMAGE_MT_DOCKER_LAYER;
                if (magic[0] == 0x1f && magic[1] == 0x8b) {
                        mt = IMAGE_MT_DOCKER_LAYER_GZIP;
                } else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
                           magic[3] == 0xfd) {
                        mt = IMAGE_MT_OCI_LAYER_ZSTD;
                        zstd = true;
                }
                json_array_append_new(jl, json_pack("{s:s,s:I,s:s}", "mediaType", mt, "size",
                                                    (json_int_t)st.st_size, "digest", ldigest));
        }
        /* Docker's schema 2 has no zstd layer type: then write OCI. */
        if (zstd) {
                size_t i;
                json_t *d;
                json_array_foreach(jl, i, d)
                {
                        const char *mt = json_string_value(json_object_get(d, "mediaType"));
                        const char *oci =
                            strcmp(mt, IMAGE_MT_DOCKER_LAYER) == 0        ? IMAGE_MT_OCI_LAYER
                            : strcmp(mt, IMAGE_MT_DOCKER_LAYER_GZIP) == 0 ? IMAGE_MT_OCI_LAYER_GZIP
                                                                          : mt;
                        json_object_set_new(d, "mediaType", json_string(oci));
                }
        }
        _cleanup_json_ json_t *man =
            json_pack("{s:i,s:s,s:{s:s,s:I,s:s},s:o}", "schemaVersion", 2, "mediaType",
                      zstd ? IMAGE_MT_OCI_MANIFEST : IMAGE_MT_DOCKER_MANIFEST, "config",
                      "mediaType", zstd ? IMAGE_MT_OCI_CONFIG : IMAGE_MT_DOCKER_CONFIG, "size",
                      (json_int_t)clen, "digest", cdigest, "layers", jl);
        _cleanup_free_ char *text = json_dumps(man, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
        char mdigest[IMAGE_DIGEST_LEN];
        if (image_txn_blob_put_buffer(l->txn, text, strlen(text), NULL, mdigest, err) < 0)
                return berth_err_ret(*err);
        struct image_loaded *img = add_image(l, mdigest, cdigest);
        for (char **t = tags; t && *t; t++)
                if (add_name(img, *t, err) < 0)
                        return berth_err_wrap(err, "manifest.json[%zu]: RepoTags", idx);
        return 0;
}

static int load_docker(struct loader *l, struct berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        _cleanup_json_ json_t *root = NULL;
        if (image_source_read(l->src, "manifest.json", &buf, &len, err) < 0 ||
            util_json_load_string(buf, len, "manifest.json", &root, err) < 0)
                return berth_err_ret(*err);
        if (!json_is_array(root) || json_array_size(root) == 0)
                return berth_err(err, 0, "manifest.json: expected a non-empty array");
        size_t i;
        json_t *e;
        json_array_foreach(root, i, e)
        {
                if (load_docker_entry(l, e, i, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

/* Names that only manifest.json carries (an archive with both files). */
static void add_docker_names(struct loader *l)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        _cleanup_json_ json_t *root = NULL;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (image_source_read(l->src, "manifest.json", &buf, &len, &scratch) < 0 ||
            util_json_load_string(buf, len, "manifest.json", &root, &scratch) < 0)
                return;
        size_t i;
        json_t *e;
        json_array_foreach(root, i, e)
        {
                const char *config = json_string_value(json_object_get(e, "Config"));
                char d[IMAGE_DIGEST_LEN];
                if (config == NULL || member_digest(config, d) == NULL)
                        continue;
                for (size_t k = 0; k < l->res->n; k++) {
                        if (strcmp(l->res->images[k].id, d) != 0)
                                continue;
                        size_t j;
                        json_t *t;
                        json_array_foreach(json_object_get(e, "RepoTags"), j, t)
                        {
                                /* extra names from the secondary file:
                                 * skip what is not a name */
                                _cleanup_error_ struct berth_error *bad = NULL;
                                if (json_is_string(t))
                                        (void)add_name(&l->res->images[k], json_string_value(t),
                                                       &bad);
                        }
                }
        }
}

int image_load_archive(struct image_txn *t, const char *path, const struct image_load_opts *opts,
                       struct image_load_result **out, struct berth_error **err)
{
        _cleanup_load_result_ struct image_load_result *res = xcalloc(1, sizeof(*res));
        _cleanup_source_ struct image_source *src = NULL;
        if (image_source_open(t, path, &src, err) < 0)
                return berth_err_ret(*err);
        struct loader l = {.txn = t, .src = src, .opts = opts, .res = res};
        if (opts != NULL && opts->platform != NULL) {
                l.platform = *opts->platform;
        } else {
                l.platform = (struct image_platform){.os = "linux", .architecture = "amd64"};
        }
        int r;
        if (image_source_has(src, "index.json")) {
                r = load_oci(&l, err);
                if (r == 0 && image_source_has(src, "manifest.json"))
                        add_docker_names(&l);
        } else if (image_source_has(src, "manifest.json")) {
                r = load_docker(&l, err);
        } else {
                return berth_err(err, EINVAL,
                                 "`%s` is not an image archive: it has neither manifest.json "
                                 "(docker save) nor index.json (OCI image layout)",
                                 path);
        }
        if (r < 0)
                return r;
        *out = steal_pointer(&res);
        return 0;
}

int image_read_image(struct image_txn *t, struct image_store *s, const char *manifest_digest,
                     struct image_manifest **m, struct image_config **c, struct berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        _cleanup_manifest_ struct image_manifest *man = NULL;
        int r = t ? image_txn_blob_read(t, manifest_digest, &buf, &len, err)
                  : image_blob_read(s, manifest_digest, &buf, &len, err);
        if (r < 0 || image_manifest_parse(buf, len, NULL, &man, err) < 0)
                return berth_err_wrap(err, "manifest %s", manifest_digest);
        if (man->kind != IMAGE_KIND_MANIFEST)
                return berth_err(err, 0, "manifest %s is an index", manifest_digest);
        if (c != NULL) {
                _cleanup_free_ char *cbuf = NULL;
                r = t ? image_txn_blob_read(t, man->config.digest, &cbuf, &len, err)
                      : image_blob_read(s, man->config.digest, &cbuf, &len, err);
                if (r < 0 || image_config_parse(cbuf, len, c, err) < 0)
                        return berth_err_wrap(err, "config %s", man->config.digest);
        }
        if (m != NULL)
                *m = steal_pointer(&man);
        return 0;
}

void image_load_result_free(struct image_load_result *r)
{
        if (r == NULL)
                return;
        for (size_t i = 0; i < r->n; i++)
                strv_free(r->images[i].names);
        free(r->images);
        strv_free(r->moved);
        free(r);
}

void image_load_result_freep(struct image_load_result **r)
{
        image_load_result_free(*r);
        *r = NULL;
}
