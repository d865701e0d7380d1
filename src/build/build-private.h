/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_BUILD_BUILD_PRIVATE_H
#define BERTH_BUILD_BUILD_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "build/builder.h"
#include "build/dockerfile.h"
#include "image/digest.h"
#include "util/error.h"

/* The executor's internals, shared by its files. */

/* One layer of the image being built, as its manifest will list it. */
struct build_layer {
        char chain_id[IMAGE_DIGEST_LEN];
        char diff_id[IMAGE_DIGEST_LEN];
        char blob[IMAGE_DIGEST_LEN];
        char media_type[96];
        int64_t size; /* the blob's */
};

/* A stage as it is being built. */
struct build_stage {
        size_t index;
        char *name; /* AS name (lower case), or NULL */
        struct build_instruction *from;
        struct build_instruction **instrs; /* after FROM */
        size_t n_instrs;
        bool needed, built;

        json_t *image; /* the image config document so far */
        struct build_layer *layers;
        size_t n_layers;
        char key[IMAGE_DIGEST_LEN]; /* cache key of the last step */
        char **args;                /* ARGs in scope: "K=V" */
        char *base_id;              /* FROM's image ID, or NULL */
};

/* progress.c: the tty view's state */
#define BUILD_VIEW_TAIL 20
struct build_view {
        bool live;  /* a running step is drawn */
        char *line; /* "#N [stage i/n] INSTRUCTION" */
        double t0, drawn;
        size_t rows;                 /* drawn, to go back up over */
        char *tail[BUILD_VIEW_TAIL]; /* the step's last output lines */
        size_t n_tail;
        char partial[1024]; /* the line being written */
        size_t plen;
};

struct builder {
        const struct build_options *o;
        FILE *out;
        struct build_dockerfile *df;
        char *df_name;
        int ctx_fd;           /* the context's root directory */
        char *ctx_extracted;  /* a tar context extracted here, removed at the end */
        int stdin_dockerfile; /* `build - < Dockerfile`: the Dockerfile, else -1 */
        struct build_ignore *ignore;
        char *work; /* <root>/build/<pid>-<n>: uppers, mounts, bundles */
        char **global_args;
        char **consumed; /* build-arg names some ARG consumed */
        struct build_stage *stages;
        size_t n_stages;
        size_t step, total;
        int64_t epoch; /* SOURCE_DATE_EPOCH, or -1 */
        /* Every stage's cache chain starts from it: layers made with the
         * epoch's clamped times are not those made without. */
        char epoch_key[32];
        unsigned seq; /* per-step work names */
        struct build_fetched **fetched;
        size_t n_fetched;
        bool curl_ready;
        struct build_view view;
};

/* executor.c */
char **build_stage_env(const struct build_stage *st);
int build_expand(struct builder *b, struct build_stage *st, const char *word, char **out,
                 struct berth_error **err);
void build_history_add(struct build_stage *st, const char *created, const char *created_by,
                       bool empty_layer);
char *build_created(struct builder *b);

struct build_stage *build_stage_find(struct builder *b, const char *name, size_t before);
/* A stage made of an image (COPY --from=image). */
int build_stage_from_image(struct builder *b, struct build_stage *st, const char *ref,
                           struct berth_error **err);
void build_stage_clear(struct build_stage *st);

/* archive.c: ADD's unpacking of a local tar (any compression) into dest;
 * 1 unpacked, 0 not an archive (copy it as a file). */
int build_archive_extract(struct builder *b, int fd, int root, const char *dest,
                          struct berth_error **err);

/* progress.c: a step starts (b->step counts it) and ends */
void build_progress_begin(struct builder *b, const struct build_stage *st, const char *text);
void build_progress_end(struct builder *b, bool cached);
/* RUN's output, for the tty view; tick redraws its time */
void build_progress_output(struct builder *b, const char *buf, size_t n);
void build_progress_tick(struct builder *b);
/* The build failed: the tty view marks the step ERROR, with its output's
 * last lines. */
void build_progress_fail(struct builder *b);
void build_progress_release(struct builder *b);

/* fetch.c: ADD's URLs (http and https), each fetched once per build. */
struct build_fetched {
        char *url;
        char *name; /* the URL path's last element, or "__unnamed__" */
        int fd;     /* the content: an unnamed file in the work dir */
        char digest[IMAGE_DIGEST_LEN];
};
bool build_is_url(const char *s);
/* The last element of the URL's decoded path ("__unnamed__" for none). */
char *build_url_file_name(const char *url);
int build_fetch(struct builder *b, const char *url, const struct build_fetched **out,
                struct berth_error **err);
void build_fetch_release(struct builder *b);

/* step.c: a step's writable overlay over the stage's layers */
struct build_mount {
        char *dir;    /* work dir of the step */
        char *upper;  /* <dir>/upper */
        char *merged; /* <dir>/merged, mounted */
        int root_fd;  /* merged, O_PATH */
        bool mounted;
};
int build_mount_open(struct builder *b, const struct build_stage *st, struct build_mount *m,
                     struct berth_error **err);
/* Unmount (keeping upper/) */
int build_mount_unmount(struct build_mount *m, struct berth_error **err);
/* Unmount if needed and remove the work dir. */
void build_mount_close(struct build_mount *m);
/* Diff m's upper dir into a layer on top of st (none when it is empty:
 * *added false), recorded in the store. */
int build_layer_commit(struct builder *b, struct build_stage *st, struct build_mount *m,
                       bool *added, struct berth_error **err);
/* Commit the stage's image: config and manifest blobs, tags. */
int build_image_commit(struct builder *b, struct build_stage *st, char id[IMAGE_DIGEST_LEN],
                       struct berth_error **err);

/* copy.c: COPY and ADD; *sum_out is the content checksum of the sources
 * (cache key); with m NULL only the checksum is computed. */
int build_copy(struct builder *b, struct build_stage *st, const struct build_instruction *in,
               struct build_mount *m, char sum_out[IMAGE_DIGEST_LEN], struct berth_error **err);

/* run.c */
int build_run(struct builder *b, struct build_stage *st, const struct build_instruction *in,
              struct build_mount *m, struct berth_error **err);
/* run-container.c: create, start, wait, delete; a non-zero exit is an
 * error "exited with status N". */
int build_container_run(struct builder *b, const char *state, const char *id, const char *bundle,
                        struct berth_error **err);
void build_containers_reap(const char *state);
void build_signals_install(void);
void build_signals_restore(void);
/* The signal that interrupted the build, or 0. */
int build_interrupted(void);
char **build_run_args(struct builder *b, struct build_stage *st,
                      const struct build_instruction *in);

/* cache.c: key -> the layer a step added (or none) */
struct build_cache_entry {
        char created[64]; /* the step's history time when it first ran */
        bool has_layer;
        struct build_layer layer;
};
void build_cache_key(const char *parent, const char *text, char out[IMAGE_DIGEST_LEN]);
/* 1 hit (and the layer still exists), 0 miss */
int build_cache_get(struct builder *b, const char *key, struct build_cache_entry *out);
int build_cache_put(struct builder *b, const char *key, const struct build_cache_entry *e,
                    struct berth_error **err);

/* context.c */
int build_context_open(struct builder *b, struct berth_error **err);
void build_context_close(struct builder *b);

#endif
