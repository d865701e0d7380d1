/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static const char *const layer_types[] = {
    IMAGE_MT_OCI_LAYER,
    IMAGE_MT_OCI_LAYER_GZIP,
    IMAGE_MT_OCI_LAYER_ZSTD,
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    IMAGE_MT_DOCKER_LAYER,
    IMAGE_MT_DOCKER_LAYER_GZIP,
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    NULL,
};

int image_layer_media_type_known(const char *mt)
{
        for (size_t i = 0; layer_types[i] != NULL; i++)
                if (strcmp(mt, layer_types[i]) == 0)
                        return 0;
        return -1;
}

static void normalize_arch(char **arch)
{
        if (strcmp(*arch, "x86_64") == 0 || strcmp(*arch, "x86-64") == 0) {
                free(*arch);
                *arch = xstrdup("amd64");
        } else if (strcmp(*arch, "aarch64") == 0) {
                free(*arch);
                *arch = xstrdup("arm64");
        }
}

static int parse_platform(json_t *obj, struct image_platform **out, struct berth_error **err)
{
        struct image_platform p = {0};
        if (util_json_dup_string(obj, "os", "platform.os", &p.os, err) < 0 ||
            util_json_dup_string(obj, "architecture", "platform.architecture", &p.architecture,
                                 err) < 0 ||
            util_json_dup_string(obj, "variant", "platform.variant", &p.variant, err) < 0) {
                image_platform_clear(&p);
                return berth_err_ret(*err);
        }
        if (p.os == NULL)
                p.os = xstrdup("");
        if (p.architecture == NULL)
                p.architecture = xstrdup("");
        normalize_arch(&p.architecture);
        *out = xmalloc(sizeof(p));
        **out = p;
        return 0;
}

static int parse_descriptor(json_t *obj, const char *what, struct image_descriptor *d,
                            struct berth_error **err)
{
        if (!json_is_object(obj))
                return berth_err(err, 0, "%s: expected an object", what);
        const char *digest = NULL;
        if (util_json_dup_string(obj, "mediaType", what, &d->media_type, err) < 0 ||
            util_json_string(obj, "digest", what, &digest, err) < 0 ||
            util_json_int(obj, "size", what, &d->size, err) < 0)
                return berth_err_ret(*err);
        if (digest == NULL || *digest == '\0')
                return berth_err(err, 0, "%s: no digest", what);
        if (image_digest_validate(digest, err) < 0)
                return berth_err_wrap(err, "%s", what);
        memcpy(d->digest, digest, IMAGE_DIGEST_LEN);
        if (d->size < 0)
                return berth_err(err, 0, "%s: negative size", what);
        json_t *plat = json_object_get(obj, "platform");
        if (json_is_object(plat) && parse_platform(plat, &d->platform, err) < 0)
                return berth_err_wrap(err, "%s", what);
        json_t *ann = json_object_get(obj, "annotations");
        const char *ref =
            json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
        if (ref != NULL)
                d->ref_name = xstrdup(ref);
        const char *iname = json_string_value(json_object_get(ann, "io.containerd.image.name"));
        if (iname != NULL)
                d->image_name = xstrdup(iname);
        return 0;
}

static int parse_descriptors(json_t *arr, const char *what, struct image_descriptor **out,
                             size_t *n, struct berth_error **err)
{
        if (arr == NULL || json_is_null(arr)) {
                *out = NULL;
                *n = 0;
                return 0;
        }
        if (!json_is_array(arr))
                return berth_err(err, 0, "%s: expected an array", what);
        *n = json_array_size(arr);
        *out = xcalloc(*n + 1, sizeof(**out));
        for (size_t i = 0; i < *n; i++) {
                _cleanup_free_ char *w = xasprintf("%s[%zu]", what, i);
                if (parse_descriptor(json_array_get(arr, i), w, &(*out)[i], err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int parse_manifest_body(json_t *root, struct image_manifest *m, bool docker,
                               struct berth_error **err)
{
        if (parse_descriptor(json_object_get(root, "config"), "config", &m->config, err) < 0)
                return berth_err_ret(*err);
        const char *cmt = m->config.media_type;
        if (cmt == NULL)
                return berth_err(err, 0, "config: no mediaType");
        if (strcmp(cmt, IMAGE_MT_OCI_CONFIG) != 0 && strcmp(cmt, IMAGE_MT_DOCKER_CONFIG) != 0)
                return berth_err(err, 0, "not a container image: config media type `%s`", cmt);
        json_t *layers = json_object_get(root, "layers");
        if (!json_is_array(layers))
                return berth_err(err, 0, "layers: expected an array");
        if (parse_descriptors(layers, "layers", &m->layers, &m->n_layers, err) < 0)
                return berth_err_ret(*err);
        for (size_t i = 0; i < m->n_layers; i++) {
                const char *lmt = m->layers[i].media_type;
                if (lmt == NULL)
                        return berth_err(err, 0, "layers[%zu]: no mediaType", i);
                if (image_layer_media_type_known(lmt) < 0)
                        return berth_err(err, 0, "layers[%zu]: unsupported media type `%s`", i,
                                         lmt);
        }
        (void)docker;
        return 0;
}

int image_manifest_parse(const char *buf, size_t len, const char *declared_mt,
                         struct image_manifest **out, struct berth_error **err)
{
        _cleanup_json_ json_t *root = NULL;
        json_error_t jerr;
        root = json_loadb(buf, len, 0, &jerr);
        if (root == NULL)
                return berth_err(err, 0, "manifest is not valid JSON (line %d: %s)", jerr.line,
                                 jerr.text);
        if (!json_is_object(root))
                return berth_err(err, 0, "manifest is not a JSON object");
        json_t *sv = json_object_get(root, "schemaVersion");
        if (!json_is_integer(sv))
                return berth_err(err, 0, "manifest has no schemaVersion");
        if (json_integer_value(sv) == 1)
                return berth_err(err, ENOTSUP,
                                 "Docker schema 1 manifests are not supported (deprecated since "
                                 "Docker 1.10; re-push the image with a current tool)");
        if (json_integer_value(sv) != 2)
                return berth_err(err, 0, "unsupported manifest schemaVersion %lld",
                                 (long long)json_integer_value(sv));

        const char *mt = json_string_value(json_object_get(root, "mediaType"));
        if (mt != NULL && declared_mt != NULL && strcmp(mt, declared_mt) != 0)
                return berth_err(err, EINVAL,
                                 "manifest media type `%s` does not match its descriptor's `%s`",
                                 mt, declared_mt);
        if (mt == NULL)
                mt = declared_mt;
        if (mt == NULL) {
                /* The OCI spec makes mediaType optional: go by shape. */
                if (json_object_get(root, "manifests") != NULL)
                        mt = IMAGE_MT_OCI_INDEX;
                else if (json_object_get(root, "config") != NULL)
                        mt = IMAGE_MT_OCI_MANIFEST;
                else
                        return berth_err(err, EINVAL,
                                         "manifest has no mediaType and is neither an image "
                                         "manifest nor an index");
        }

        _cleanup_manifest_ struct image_manifest *m = xcalloc(1, sizeof(*m));
        m->media_type = xstrdup(mt);
        if (strcmp(mt, IMAGE_MT_OCI_INDEX) == 0 || strcmp(mt, IMAGE_MT_DOCKER_LIST) == 0) {
                m->kind = IMAGE_KIND_INDEX;
                json_t *arr = json_object_get(root, "manifests");
                if (!json_is_array(arr))
                        return berth_err(err, 0, "index: manifests: expected an array");
                if (parse_descriptors(arr, "manifests", &m->manifests, &m->n_manifests, err) < 0)
                        return berth_err_wrap(err, "index");
        } else if (strcmp(mt, IMAGE_MT_OCI_MANIFEST) == 0 ||
                   strcmp(mt, IMAGE_MT_DOCKER_MANIFEST) == 0) {
                m->kind = IMAGE_KIND_MANIFEST;
                if (parse_manifest_body(root, m, strcmp(mt, IMAGE_MT_DOCKER_MANIFEST) == 0, err) <
                    0)
                        return berth_err_wrap(err, "manifest");
        } else {
                return berth_err(err, 0, "unsupported manifest media type `%s`", mt);
        }
        *out = steal_pointer(&m);
        return 0;
}

int image_platform_parse(const char *s, struct image_platform *out, struct berth_error **err)
{
        _cleanup_free_ char *copy = xstrdup(s);
        char *arch = strchr(copy, '/');
        if (arch == NULL || arch == copy || arch[1] == '\0')
                return berth_err(err, 0, "invalid platform `%s`: expected os/arch[/variant]", s);
        *arch++ = '\0';
        char *variant = strchr(arch, '/');
        if (variant != NULL) {
                *variant++ = '\0';
                if (*variant == '\0' || strchr(variant, '/') != NULL)
                        return berth_err(err, EINVAL,
                                         "invalid platform `%s`: expected os/arch[/variant]", s);
        }
        out->os = xstrdup(copy);
        out->architecture = xstrdup(arch);
        out->variant = variant ? xstrdup(variant) : NULL;
        normalize_arch(&out->architecture);
        return 0;
}

void image_platform_default(struct image_platform *out)
{
        out->os = xstrdup("linux");
        out->architecture = xstrdup("amd64");
        out->variant = NULL;
}

void image_platform_clear(struct image_platform *p)
{
        if (p == NULL)
                return;
        free(p->os);
        free(p->architecture);
        free(p->variant);
        p->os = p->architecture = p->variant = NULL;
}

char *image_platform_string(const struct image_platform *p)
{
        return xasprintf("%s/%s%s%s", p->os, p->architecture, p->variant ? "/" : "",
                         p->variant ? p->variant : "");
}

static const char *effective_variant(const struct image_platform *p)
{
        if (p->variant != NULL && *p->variant != '\0')
                return p->variant;
        if (strcmp(p->architecture, "arm64") == 0)
                return "v8";
        if (strcmp(p->architecture, "arm") == 0)
                return "v7";
        return NULL;
}

int image_manifest_select(const struct image_manifest *index, const struct image_platform *want,
                          const struct image_descriptor **out)
{
        const struct image_descriptor *fallback = NULL;
        const char *wv = effective_variant(want);
        for (size_t i = 0; i < index->n_manifests; i++) {
                const struct image_descriptor *d = &index->manifests[i];
                if (d->platform == NULL) {
                        if (fallback == NULL)
                                fallback = d;
                        continue;
                }
                if (strcmp(d->platform->os, want->os) != 0 ||
                    strcmp(d->platform->architecture, want->architecture) != 0)
                        continue;
                /* Variants matter where an architecture has them (arm:
                 * v7 by default, arm64: v8), or when asked for. */
                const char *dv = effective_variant(d->platform);
                if (wv != NULL && (dv == NULL || strcmp(dv, wv) != 0))
                        continue;
                *out = d;
                return 1;
        }
        if (fallback != NULL) {
                *out = fallback;
                return 1;
        }
        return 0;
}

void image_descriptor_clear(struct image_descriptor *d)
{
        free(d->media_type);
        if (d->platform != NULL) {
                image_platform_clear(d->platform);
                free(d->platform);
        }
        free(d->ref_name);
        free(d->image_name);
        memset(d, 0, sizeof(*d));
}

void image_manifest_free(struct image_manifest *m)
{
        if (m == NULL)
                return;
        free(m->media_type);
        image_descriptor_clear(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                image_descriptor_clear(&m->layers[i]);
        free(m->layers);
        for (size_t i = 0; i < m->n_manifests; i++)
                image_descriptor_clear(&m->manifests[i]);
        free(m->manifests);
        free(m);
}

void image_manifest_freep(struct image_manifest **m)
{
        image_manifest_free(*m);
        *m = NULL;
}
