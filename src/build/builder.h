/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_BUILD_BUILDER_H
#define BERTH_BUILD_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "image/digest.h"
#include "util/error.h"

/*
 * `berth build`: a Dockerfile and a context into an image.  FROM attaches a
 * base image's layer stack and config; RUN runs in a container over an
 * overlay of the current layers and its upper dir becomes a layer; COPY and
 * ADD write into such an overlay without running anything; the other
 * instructions change the config only (history entries with empty_layer).
 * Every step has a cache key chained from its parent's; a step whose key is
 * in <root>/cache/ is not run again.
 */

enum build_progress {
        BUILD_PROGRESS_PLAIN,
        BUILD_PROGRESS_TTY,
        BUILD_PROGRESS_QUIET, /* -q: nothing but errors */
};

enum build_network {
        BUILD_NETWORK_NONE, /* the default: loopback only */
        BUILD_NETWORK_HOST,
};

struct build_options {
        const char *root;        /* --root */
        const char *runroot;     /* --runroot */
        const char *context;     /* a directory, "-" (a tar on stdin) or a tarball */
        const char *dockerfile;  /* -f: NULL for <context>/Dockerfile, "-" for stdin */
        char *const *tags;       /* -t, several */
        char *const *build_args; /* "K=V", or "K" taken from the environment */
        const char *target;      /* --target: NULL for the last stage */
        char *const *labels;     /* --label "K=V" */
        bool no_cache;
        enum build_progress progress;
        enum build_network network;
        const char *platform;      /* NULL or "linux/amd64" */
        int64_t source_date_epoch; /* < 0: none */
        FILE *out;                 /* progress; NULL: stderr */
};

/* Build; on success id holds the image ID (the config digest) and every tag
 * names the image.  On failure nothing is tagged and no container, mount
 * or staging directory of the build remains. */
int build_image(const struct build_options *opts, char id[IMAGE_DIGEST_LEN],
                struct berth_error **err);

/*
 * .dockerignore (Docker's rules): one pattern per line, `#` comments, `!`
 * exceptions, later lines win, patterns cleaned (leading "/" and "./"
 * dropped), `*` `?` `[...]` within one path element and `**` for any number
 * of them; a pattern that matches a directory excludes what is under it.
 */
struct build_ignore;
int build_ignore_parse(const char *text, struct build_ignore **out, struct berth_error **err);
/* path relative to the context, "/"-separated */
bool build_ignore_match(const struct build_ignore *ig, const char *path);
void build_ignore_free(struct build_ignore *ig);
void build_ignore_freep(struct build_ignore **ig);
#define _cleanup_ignore_ __attribute__((cleanup(build_ignore_freep)))

/* Lexically clean a context-relative path ("./a//b/../c" -> "a/c"); -1
 * when it would leave the context ("../x"). */
int build_path_clean(const char *path, char **out);

#endif
