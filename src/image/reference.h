/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_IMAGE_REFERENCE_H
#define BERTH_IMAGE_REFERENCE_H

#include "util/error.h"

/*
 * Image references as Docker parses them (distribution/reference):
 *   [domain[:port]/]path[:tag][@digest]
 * normalized so that `busybox` is docker.io/library/busybox:latest.
 */
struct image_reference {
        char *domain; /* "docker.io", "localhost:5000", "[::1]:5000" */
        char *path;   /* "library/busybox" */
        char *tag;    /* NULL when none was given (and a digest was) */
        char *digest; /* "sha256:..." or NULL */
};

/* Parse and normalize s.  A missing tag becomes "latest" unless a digest
 * is given.  Errors read like Docker's: "invalid reference format: ...". */
int image_reference_parse(const char *s, struct image_reference **out, struct berth_error **err);

/* "domain/path" */
char *image_reference_name(const struct image_reference *r);
/* "domain/path:tag" (NULL without a tag) */
char *image_reference_name_tag(const struct image_reference *r);
/* The full normalized string: "domain/path[:tag][@digest]" */
char *image_reference_string(const struct image_reference *r);
/* Docker's short form for display: docker.io/library/x -> x,
 * docker.io/u/x -> u/x; other domains unchanged. */
char *image_reference_familiar_name(const char *name);

/* A string that can only be an image ID or an ID prefix: 1-64 lowercase
 * hex digits, optionally after "sha256:". */
int image_reference_is_id_prefix(const char *s);

void image_reference_free(struct image_reference *r);
void image_reference_freep(struct image_reference **r);
#define _cleanup_reference_ __attribute__((cleanup(image_reference_freep)))

#endif
