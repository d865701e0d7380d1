/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_CONFIG_H
#define BERTH_IMAGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "util/error.h"

/*
 * The image config (OCI image-spec config.md, which Docker's v1 image
 * JSON matches), as typed structs: the container engine builds OCI
 * runtime specs from these, so nothing past this header sees JSON.
 */

struct image_label {
        char *key;
        char *value;
};

struct image_healthcheck {
        char **test; /* ["NONE"], ["CMD", ...] or ["CMD-SHELL", "..."]; NULL if unset */
        int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
        int64_t retries;
};

struct image_history {
        char *created; /* RFC 3339, may be NULL */
        char *created_by;
        char *author;
        char *comment;
        bool empty_layer; /* a metadata-only step: no layer in rootfs */
};

struct image_config {
        char *architecture;
        char *os;
        char *variant;
        char *created; /* RFC 3339, may be NULL */
        char *author;
        char *docker_version;
        char *comment;

        /* config.* */
        char *user;
        char **env;
        char **entrypoint; /* NULL when unset, distinct from empty */
        char **cmd;
        char *working_dir;
        char **exposed_ports; /* "80/tcp" */
        char **volumes;       /* "/data" */
        char *stop_signal;
        struct image_label *labels;
        size_t n_labels;
        struct image_healthcheck *healthcheck; /* NULL when unset */
        char **on_build;
        char **shell;
        bool args_escaped;

        struct image_history *history;
        size_t n_history;

        /* rootfs.diff_ids, bottom first */
        char (*diff_ids)[IMAGE_DIGEST_LEN];
        size_t n_diff_ids;
};

int image_config_parse(const char *buf, size_t len, struct image_config **out,
                       struct berth_error **err);

/* The value of a label, or NULL. */
const char *image_config_label(const struct image_config *c, const char *key);

/* chain IDs per the OCI spec: chain[0] = diff_ids[0],
 * chain[n] = sha256(chain[n-1] + " " + diff_ids[n]).  out has n entries. */
void image_chain_ids(char (*diff_ids)[IMAGE_DIGEST_LEN], size_t n, char (*out)[IMAGE_DIGEST_LEN]);

/*
 * Docker records an image's parent (each step of the classic builder,
 * commit); berth's store is content-addressed and keeps no such link, so,
 * as Podman does, it reads the relation from content.  child extends
 * parent when parent's layers and history are a prefix of child's and
 * child has at least one step more: a commit on it, a build that went on
 * from it.  An image with neither layers nor history is no one's parent.
 */
bool image_config_extends(const struct image_config *child, const struct image_config *parent);

/* parent[i]: the index of the image that configs[i] extends most closely
 * (the longest one), or -1.  NULL configs (images that can't be read)
 * have no parent and are no one's. */
void image_config_parents(struct image_config *const *configs, size_t n, ssize_t *parent);

void image_config_free(struct image_config *c);
void image_config_freep(struct image_config **c);
#define _cleanup_config_ __attribute__((cleanup(image_config_freep)))

#endif
