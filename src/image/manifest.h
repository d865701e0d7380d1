/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_MANIFEST_H
#define BERTH_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "image/digest.h"
#include "util/error.h"

/* Media types berth reads and writes. */
#define IMAGE_MT_OCI_MANIFEST      "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_OCI_INDEX         "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_OCI_CONFIG        "application/vnd.oci.image.config.v1+json"
#define IMAGE_MT_OCI_LAYER         "application/vnd.oci.image.layer.v1.tar"
#define IMAGE_MT_OCI_LAYER_GZIP    "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMAGE_MT_OCI_LAYER_ZSTD    "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMAGE_MT_DOCKER_MANIFEST   "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_LIST       "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMAGE_MT_DOCKER_CONFIG     "application/vnd.docker.container.image.v1+json"
#define IMAGE_MT_DOCKER_LAYER      "application/vnd.docker.image.rootfs.diff.tar"
#define IMAGE_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

enum image_manifest_kind {
        IMAGE_KIND_MANIFEST, /* OCI image manifest or Docker schema 2 manifest */
        IMAGE_KIND_INDEX,    /* OCI image index or Docker manifest list */
};

struct image_platform {
        char *os;
        char *architecture;
        char *variant; /* may be NULL */
};

struct image_descriptor {
        char *media_type; /* may be NULL (optional in OCI) */
        char digest[IMAGE_DIGEST_LEN];
        int64_t size;
        struct image_platform *platform; /* indexes only; may be NULL */
        char *ref_name;                  /* org.opencontainers.image.ref.name, may be NULL */
        char *image_name;                /* io.containerd.image.name, may be NULL */
};

struct image_manifest {
        enum image_manifest_kind kind;
        char *media_type; /* as declared, or the one its shape implies */
        /* manifests */
        struct image_descriptor config;
        struct image_descriptor *layers;
        size_t n_layers;
        /* indexes */
        struct image_descriptor *manifests;
        size_t n_manifests;
};

/* Parse a manifest or index.  declared_mt is the media type of the
 * descriptor that pointed here (NULL if none); when both it and the
 * document name one they must agree.  Refused with a clear error: text
 * that isn't JSON, schema 1, schema versions other than 2, unknown media
 * types, artifacts whose config is not an image config, and layers of a
 * media type berth can't apply. */
int image_manifest_parse(const char *buf, size_t len, const char *declared_mt,
                         struct image_manifest **out, struct berth_error **err);

/* "os/arch[/variant]"; arch aliases (x86_64, aarch64) are normalized. */
int image_platform_parse(const char *s, struct image_platform *out, struct berth_error **err);
/* linux/amd64 */
void image_platform_default(struct image_platform *out);
void image_platform_clear(struct image_platform *p);
#define _cleanup_platform_ __attribute__((cleanup(image_platform_clear)))
char *image_platform_string(const struct image_platform *p);

/* The index entry that best matches want: os and architecture equal, and
 * the variant equal when want has one or the architecture has a default
 * (a missing variant counts as v7 on arm, v8 on arm64).  Entries without a platform match only when
 * nothing else does. Returns 1 with *out set, 0 when nothing matches. */
int image_manifest_select(const struct image_manifest *index, const struct image_platform *want,
                          const struct image_descriptor **out);

/* Is a layer of this media type compressed, and how: the layer code
 * detects compression from content, this only checks that berth knows the
 * type.  Returns 0 for a known layer type, -1 otherwise. */
int image_layer_media_type_known(const char *mt);

void image_descriptor_clear(struct image_descriptor *d);
void image_manifest_free(struct image_manifest *m);
void image_manifest_freep(struct image_manifest **m);
#define _cleanup_manifest_ __attribute__((cleanup(image_manifest_freep)))

#endif
