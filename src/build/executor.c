/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The executor: stages, their order, and the instructions that only change
 * the config.  COPY/ADD (copy.c) and RUN (run.c) add layers through a
 * step's overlay (step.c); every step goes through the cache (cache.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build/build-private.h"
#include "build/expand.h"
#include "container/parse.h"
#include "container/spec.h"
#include "image/config.h"
#include "image/manifest.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timestamp.h"
#include "util/xalloc.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const predefined_args[] = {
    "TARGETPLATFORM=linux/amd64",
    "TARGETOS=linux",
    "TARGETARCH=amd64",
    "TARGETVARIANT=",
    "BUILDPLATFORM=linux/amd64",
    "BUILDOS=linux",
    "BUILDARCH=amd64",
    "BUILDVARIANT=",
    NULL,
};

/* ---- small helpers ---- */

static void env_set(char ***env, const char *key, const char *value)
{
        size_t kl = strlen(key);
        _cleanup_free_ char *kv = xasprintf("%s=%s", key, value);
        for (char **e = *env; e && *e; e++) {
                if (strncmp(*e, key, kl) == 0 && (*e)[kl] == '=') {
                        free(*e);
                        *e = xstrdup(kv);
                        return;
                }
        }
        strv_append(env, kv);
}

static const char *env_get(char *const *env, const char *key)
{
        const char *v = NULL;
        return build_env_lookup(env, key, &v) == 1 ? v : NULL;
}

static json_t *config_obj(struct build_stage *st)
{
        json_t *c = json_object_get(st->image, "config");
        if (!json_is_object(c)) {
                c = json_object();
                json_object_set_new(st->image, "config", c);
        }
        return c;
}

char **build_stage_env(const struct build_stage *st)
{
        /* ARGs first: an ENV of the same name wins (last entry). */
        char **env = strv_dup(st->args);
        json_t *e = json_object_get(json_object_get(st->image, "config"), "Env");
        size_t i;
        json_t *v;
        json_array_foreach(e, i, v) if (json_is_string(v)) strv_append(&env, json_string_value(v));
        return env;
}

int build_expand(struct builder *b, struct build_stage *st, const char *word, char **out,
                 struct berth_error **err)
{
        _cleanup_strv_ char **env = st ? build_stage_env(st) : strv_dup(b->global_args);
        struct build_expand_opts o = {.escape = b->df->escape};
        return build_expand_word(word, env, &o, out, err);
}

static int expand_words(struct builder *b, struct build_stage *st, char *const *words, char ***out,
                        struct berth_error **err)
{
        char **v = xcalloc(1, sizeof(char *));
        for (char *const *w = words; w && *w; w++) {
                _cleanup_free_ char *x = NULL;
                if (build_expand(b, st, *w, &x, err) < 0) {
                        strv_free(v);
                        return berth_err_ret(*err);
                }
                strv_append(&v, x);
        }
        *out = v;
        return 0;
}

char *build_created(struct builder *b)
{
        return b->epoch >= 0 ? util_time_rfc3339((time_t)b->epoch) : util_time_now_rfc3339();
}

void build_history_add(struct build_stage *st, const char *created, const char *created_by,
                       bool empty_layer)
{
        json_t *h = json_object_get(st->image, "history");
        if (!json_is_array(h)) {
                h = json_array();
                json_object_set_new(st->image, "history", h);
        }
        json_t *e = json_pack("{s:s,s:s,s:s}", "created", created, "created_by", created_by,
                              "comment", "buildkit.dockerfile.v0");
        if (empty_layer)
                json_object_set_new(e, "empty_layer", json_true());
        json_array_append_new(h, e);
}

/* ---- progress ---- */

static bool quiet(const struct builder *b)
{
        return b->o->progress == BUILD_PROGRESS_QUIET;
}

/* ---- ARG ---- */

static const char *build_arg_value(struct builder *b, const char *name, bool *given)
{
        size_t nl = strlen(name);
        *given = false;
        const char *found = NULL;
        for (char *const *a = b->o->build_args; a && *a; a++) {
                if (strncmp(*a, name, nl) != 0)
                        continue;
                if ((*a)[nl] == '=') {
                        found = *a + nl + 1;
                        *given = true;
                } else if ((*a)[nl] == '\0') {
                        /* --build-arg K: K's value in our environment */
                        const char *v = getenv(name);
                        if (v != NULL) {
                                found = v;
                                *given = true;
                        }
                }
        }
        return found;
}

static void consume(struct builder *b, const char *name)
{
        for (char **c = b->consumed; c && *c; c++)
                if (strcmp(*c, name) == 0)
                        return;
        strv_append(&b->consumed, name);
}

/* One ARG word into scope (st NULL: the global scope before FROM). */
static int do_arg(struct builder *b, struct build_stage *st, const char *word,
                  struct berth_error **err)
{
        const char *eq = strchr(word, '=');
        _cleanup_free_ char *name = eq ? xstrndup(word, (size_t)(eq - word)) : xstrdup(word);
        _cleanup_free_ char *def = NULL;
        if (eq != NULL && build_expand(b, st, eq + 1, &def, err) < 0)
                return berth_err_ret(*err);
        consume(b, name);
        bool given;
        const char *v = build_arg_value(b, name, &given);
        if (!given)
                v = def;
        if (v == NULL && st != NULL)
                v = env_get(b->global_args, name);
        if (v == NULL)
                for (const char *const *p = predefined_args; *p; p++)
                        if (strncmp(*p, name, strlen(name)) == 0 && (*p)[strlen(name)] == '=')
                                v = *p + strlen(name) + 1;
        if (v == NULL)
                return 0;
        env_set(st ? &st->args : &b->global_args, name, v);
        return 0;
}

/* ---- FROM ---- */

void build_stage_clear(struct build_stage *st)
{
        json_decref(st->image);
        st->image = NULL;
        free(st->layers);
        st->layers = NULL;
        st->n_layers = 0;
        free(st->base_id);
        st->base_id = NULL;
}

static int from_image(struct builder *b, struct build_stage *st, const char *ref,
                      struct berth_error **err)
{
        _cleanup_image_details_ struct image_details *d = NULL;
        _cleanup_free_ struct storage_layer_meta *metas = NULL;
        int r = storage_image_describe(b->o->root, ref, &d, &metas, err);
        if (r < 0)
                return berth_err_ret(*err);
        if (r == 0)
                return berth_err(err, 0,
                                 "base image `%s` not found (berth has no registry client: "
                                 "`berth load` or `berth import` it first)",
                                 ref);
        json_error_t jerr;
        st->image = json_loads(d->config_json, 0, &jerr);
        if (!json_is_object(st->image))
                return berth_err(err, 0, "image %s: config is not a JSON object", ref);
        const struct image_config *c = d->summary.config;
        if ((c->architecture && strcmp(c->architecture, "amd64") != 0) ||
            (c->os && strcmp(c->os, "linux") != 0))
                return berth_err(err, 0, "image %s is %s/%s, berth builds linux/amd64 only", ref,
                                 c->os, c->architecture);
        if (d->manifest->n_layers != c->n_diff_ids)
                return berth_err(err, 0, "image %s: %zu layers but %zu diff_ids", ref,
                                 d->manifest->n_layers, c->n_diff_ids);
        st->layers = xcalloc(c->n_diff_ids + 1, sizeof(*st->layers));
        for (size_t i = 0; i < c->n_diff_ids; i++) {
                struct build_layer *l = &st->layers[i];
                if (metas[i].chain_id[0] == '\0' || metas[i].blob[0] == '\0')
                        return berth_err(err, ENOENT, "image %s: layer %zu is missing", ref, i);
                memcpy(l->chain_id, metas[i].chain_id, IMAGE_DIGEST_LEN);
                memcpy(l->diff_id, c->diff_ids[i], IMAGE_DIGEST_LEN);
                const struct image_descriptor *desc = &d->manifest->layers[i];
                memcpy(l->blob, desc->digest, IMAGE_DIGEST_LEN);
                snprintf(l->media_type, sizeof(l->media_type), "%s",
                         desc->media_type ? desc->media_type : IMAGE_MT_DOCKER_LAYER_GZIP);
                l->size = desc->size;
        }
        st->n_layers = c->n_diff_ids;
        st->base_id = xstrdup(d->summary.id);
        /* What describes the base image's build is no part of ours. */
        json_object_del(st->image, "container");
        json_object_del(st->image, "container_config");
        json_object_del(st->image, "docker_version");
        json_object_del(st->image, "comment");
        return 0;
}

int build_stage_from_image(struct builder *b, struct build_stage *st, const char *ref,
                           struct berth_error **err)
{
        if (from_image(b, st, ref, err) < 0)
                return berth_err_wrap(err, "--from=%s", ref);
        return 0;
}

static struct build_stage *stage_by_name(struct builder *b, const char *name, size_t before)
{
        for (size_t i = 0; i < before && i < b->n_stages; i++)
                if (b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0)
                        return &b->stages[i];
        char *end = NULL;
        unsigned long n = strtoul(name, &end, 10);
        if (*name != '\0' && *end == '\0' && n < before)
                return &b->stages[n];
        return NULL;
}

/* What FROM lines see: the predefined ARGs and the global ones (which
 * win). */
static int expand_global(struct builder *b, const char *word, char **out, struct berth_error **err)
{
        struct build_expand_opts o = {.escape = b->df->escape};
        _cleanup_strv_ char **env = xcalloc(1, sizeof(char *));
        for (const char *const *p = predefined_args; *p; p++)
                strv_append(&env, *p);
        for (char *const *g = b->global_args; g && *g; g++)
                strv_append(&env, *g);
        return build_expand_word(word, env, &o, out, err);
}

static char *from_ref(struct builder *b, struct build_stage *st, struct berth_error **err)
{
        char *ref = NULL;
        if (expand_global(b, st->from->args[0], &ref, err) < 0)
                return NULL;
        return ref;
}

static int run_instruction(struct builder *b, struct build_stage *st,
                           const struct build_instruction *in, struct berth_error **err);

static int run_onbuild(struct builder *b, struct build_stage *st, char **triggers,
                       struct berth_error **err)
{
        for (char **t = triggers; t && *t; t++) {
                _cleanup_dockerfile_ struct build_dockerfile *df = NULL;
                if (build_dockerfile_parse("ONBUILD", *t, strlen(*t), 0, &df, err) < 0)
                        return berth_err_ret(*err);
                for (size_t i = 0; i < df->n_instrs; i++) {
                        const struct build_instruction *in = &df->instrs[i];
                        if (in->kind == BUILD_INSTR_FROM || in->kind == BUILD_INSTR_ONBUILD ||
                            in->kind == BUILD_INSTR_MAINTAINER)
                                return berth_err(err, 0, "ONBUILD: %s isn't allowed as a trigger",
                                                 in->name);
                        if (build_instruction_validate(df, in, err) < 0 ||
                            run_instruction(b, st, in, err) < 0)
                                return berth_err_wrap(err, "ONBUILD trigger `%s`", *t);
                }
        }
        return 0;
}

static int do_from(struct builder *b, struct build_stage *st, struct berth_error **err)
{
        build_progress_begin(b, st, st->from->original);
        const char *platform = NULL;
        if (build_flag_get(st->from, "platform", &platform) == 1 && platform != NULL) {
                _cleanup_free_ char *p = NULL;
                if (expand_global(b, platform, &p, err) < 0)
                        return berth_err_ret(*err);
                if (strcmp(p, "linux/amd64") != 0 && strcmp(p, "linux/x86_64") != 0)
                        return berth_err(err, 0,
                                         "FROM --platform=%s: berth builds linux/amd64 only", p);
        }
        _cleanup_free_ char *ref = from_ref(b, st, err);
        if (ref == NULL)
                return berth_err_ret(*err);
        struct build_stage *parent = stage_by_name(b, ref, st->index);
        char **triggers = NULL;
        if (strcasecmp(ref, "scratch") == 0) {
                st->image = json_pack("{s:s,s:s,s:{s:[s]},s:{s:s,s:[]}}", "architecture", "amd64",
                                      "os", "linux", "config", "Env", DEFAULT_PATH, "rootfs",
                                      "type", "layers", "diff_ids");
                build_cache_key(b->epoch_key, "FROM scratch", st->key);
        } else if (parent != NULL) {
                st->image = json_deep_copy(parent->image);
                st->layers = xcalloc(parent->n_layers + 1, sizeof(*st->layers));
                memcpy(st->layers, parent->layers, parent->n_layers * sizeof(*st->layers));
                st->n_layers = parent->n_layers;
                memcpy(st->key, parent->key, IMAGE_DIGEST_LEN);
        } else {
                if (from_image(b, st, ref, err) < 0)
                        return berth_err_ret(*err);
                _cleanup_free_ char *text = xasprintf("FROM %s", st->base_id);
                build_cache_key(b->epoch_key, text, st->key);
        }
        json_t *cfg = config_obj(st);
        json_t *ob = json_object_get(cfg, "OnBuild");
        if (json_is_array(ob) && json_array_size(ob) > 0) {
                size_t i;
                json_t *v;
                json_array_foreach(ob, i, v) strv_append(&triggers, json_string_value(v));
        }
        /* A child inherits the triggers' effect, not the triggers. */
        json_object_del(cfg, "OnBuild");
        json_object_set_new(st->image, "architecture", json_string("amd64"));
        json_object_set_new(st->image, "os", json_string("linux"));
        /* FROM reports CACHED once the same base has been used before. */
        struct build_cache_entry ce = {0};
        bool cached = !b->o->no_cache && build_cache_get(b, st->key, &ce) == 1;
        if (!cached && !b->o->no_cache && build_cache_put(b, st->key, &ce, err) < 0)
                return berth_err_ret(*err);
        build_progress_end(b, cached);
        _cleanup_strv_ char **t = triggers;
        b->total += strv_len(t);
        if (t != NULL && !quiet(b)) {
                fprintf(b->out, "#%zu executing %zu ONBUILD trigger(s)\n", b->step, strv_len(t));
                fflush(b->out);
        }
        return run_onbuild(b, st, t, err);
}

/* ---- metadata instructions ---- */

static json_t *command_json(struct build_stage *st, const struct build_instruction *in,
                            size_t first)
{
        if (in->json) {
                json_t *a = json_array();
                for (size_t i = first; i < in->n_args; i++)
                        json_array_append_new(a, json_stringn(in->args[i], in->arg_lens[i]));
                return a;
        }
        json_t *shell = json_object_get(config_obj(st), "Shell");
        json_t *a = json_is_array(shell) && json_array_size(shell) > 0
                        ? json_deep_copy(shell)
                        : json_pack("[s,s]", "/bin/sh", "-c");
        _cleanup_free_ char *joined = NULL;
        for (size_t i = first; i < in->n_args; i++) {
                char *n = joined ? xasprintf("%s %s", joined, in->args[i]) : xstrdup(in->args[i]);
                free(joined);
                joined = n;
        }
        json_array_append_new(a, json_string(joined ? joined : ""));
        return a;
}

/* Go's time.ParseDuration for the forms HEALTHCHECK takes, in ns. */
static int parse_duration(const char *s, int64_t *out, struct berth_error **err)
{
        double total = 0;
        const char *p = s;
        if (*p == '\0')
                return berth_err(err, 0, "invalid duration `%s`", s);
        while (*p) {
                char *end = NULL;
                double v = strtod(p, &end);
                if (end == p)
                        return berth_err(err, 0, "invalid duration `%s`", s);
                p = end;
                double unit;
                if (strncmp(p, "ns", 2) == 0)
                        unit = 1, p += 2;
                else if (strncmp(p, "us", 2) == 0 || strncmp(p, "µs", 3) == 0)
                        unit = 1e3, p += (p[0] == 'u' ? 2 : 3);
                else if (strncmp(p, "ms", 2) == 0)
                        unit = 1e6, p += 2;
                else if (*p == 's')
                        unit = 1e9, p++;
                else if (*p == 'm')
                        unit = 60e9, p++;
                else if (*p == 'h')
                        unit = 3600e9, p++;
                else if (v == 0 && *p == '\0')
                        unit = 0;
                else
                        return berth_err(err, 0, "invalid duration `%s`", s);
                total += v * unit;
        }
        *out = (int64_t)total;
        return 0;
}

static int do_healthcheck(struct build_stage *st, const struct build_instruction *in,
                          struct berth_error **err)
{
        json_t *cfg = config_obj(st);
        if (strcasecmp(in->args[0], "NONE") == 0) {
                json_object_set_new(cfg, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
                return 0;
        }
        json_t *test = command_json(st, in, 1);
        if (in->json)
                json_array_insert_new(test, 0, json_string("CMD"));
        else {
                /* CMD-SHELL takes the text alone: the shell is the image's. */
                json_t *text = json_incref(json_array_get(test, json_array_size(test) - 1));
                json_decref(test);
                test = json_pack("[s,o]", "CMD-SHELL", text);
        }
        json_t *hc = json_pack("{s:o}", "Test", test);
        static const struct {
                const char *flag, *key;
        } durs[] = {{"interval", "Interval"},
                    {"timeout", "Timeout"},
                    {"start-period", "StartPeriod"},
                    {"start-interval", "StartInterval"}};
        for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
                const char *v = NULL;
                int64_t ns = 0;
                if (build_flag_get(in, durs[i].flag, &v) == 1 && v != NULL) {
                        if (parse_duration(v, &ns, err) < 0) {
                                json_decref(hc);
                                return berth_err_wrap(err, "HEALTHCHECK --%s", durs[i].flag);
                        }
                        json_object_set_new(hc, durs[i].key, json_integer(ns));
                }
        }
        const char *retries = NULL;
        if (build_flag_get(in, "retries", &retries) == 1 && retries != NULL)
                json_object_set_new(hc, "Retries", json_integer(strtoll(retries, NULL, 10)));
        json_object_set_new(cfg, "Healthcheck", hc);
        return 0;
}

static int set_kv(struct builder *b, struct build_stage *st, const struct build_instruction *in,
                  bool env, struct berth_error **err)
{
        json_t *cfg = config_obj(st);
        /* Every value of one instruction expands against the state before
         * it, as BuildKit does. */
        _cleanup_strv_ char **snapshot = build_stage_env(st);
        struct build_expand_opts o = {.escape = b->df->escape};
        for (size_t i = 0; i + 2 < in->n_args + 1 && i + 1 < in->n_args; i += 3) {
                _cleanup_free_ char *k = NULL, *v = NULL;
                if (build_expand_word(in->args[i], snapshot, &o, &k, err) < 0 ||
                    build_expand_word(in->args[i + 1], snapshot, &o, &v, err) < 0)
                        return berth_err_ret(*err);
                if (env) {
                        json_t *e = json_object_get(cfg, "Env");
                        char **cur = NULL;
                        util_json_strv(cfg, "Env", "Env", &cur, err);
                        (void)e;
                        env_set(&cur, k, v);
                        json_object_set_new(cfg, "Env", util_json_from_strv(cur));
                        strv_free(cur);
                } else {
                        json_t *l = json_object_get(cfg, "Labels");
                        if (!json_is_object(l)) {
                                l = json_object();
                                json_object_set_new(cfg, "Labels", l);
                        }
                        json_object_set_new(l, k, json_string(v));
                }
        }
        return 0;
}

static int do_workdir(struct builder *b, struct build_stage *st, const char *path, bool *added,
                      struct berth_error **err);

/* The config-only instructions. */
static int do_meta(struct builder *b, struct build_stage *st, const struct build_instruction *in,
                   struct berth_error **err)
{
        json_t *cfg = config_obj(st);
        _cleanup_free_ char *one = NULL;
        switch (in->kind) {
        case BUILD_INSTR_ENV:
                return set_kv(b, st, in, true, err);
        case BUILD_INSTR_LABEL:
                return set_kv(b, st, in, false, err);
        case BUILD_INSTR_USER:
                if (build_expand(b, st, in->args[0], &one, err) < 0)
                        return berth_err_ret(*err);
                json_object_set_new(cfg, "User", json_string(one));
                return 0;
        case BUILD_INSTR_STOPSIGNAL: {
                /* Checked as Docker does: an image that names no signal
                 * could never be run. */
                int sig;
                if (build_expand(b, st, in->args[0], &one, err) < 0 ||
                    container_parse_signal(one, &sig, err) < 0)
                        return berth_err_ret(*err);
                json_object_set_new(cfg, "StopSignal", json_string(one));
                return 0;
        }
        case BUILD_INSTR_MAINTAINER:
                json_object_set_new(st->image, "author", json_string(in->args[0]));
                return 0;
        case BUILD_INSTR_EXPOSE:
        case BUILD_INSTR_VOLUME: {
                bool expose = in->kind == BUILD_INSTR_EXPOSE;
                _cleanup_strv_ char **words = NULL;
                if (expand_words(b, st, in->args, &words, err) < 0)
                        return berth_err_ret(*err);
                const char *key = expose ? "ExposedPorts" : "Volumes";
                json_t *set = json_object_get(cfg, key);
                if (!json_is_object(set)) {
                        set = json_object();
                        json_object_set_new(cfg, key, set);
                }
                for (char **w = words; *w; w++) {
                        if (**w == '\0')
                                continue;
                        _cleanup_free_ char *k = expose && strchr(*w, '/') == NULL
                                                     ? xasprintf("%s/tcp", *w)
                                                     : xstrdup(*w);
                        json_object_set_new(set, k, json_object());
                }
                return 0;
        }
        case BUILD_INSTR_CMD:
                json_object_set_new(cfg, "Cmd", command_json(st, in, 0));
                return 0;
        case BUILD_INSTR_ENTRYPOINT:
                json_object_set_new(cfg, "Entrypoint", command_json(st, in, 0));
                /* A base image's CMD means nothing to a new ENTRYPOINT. */
                if (!json_is_true(json_object_get(st->image, "x-cmd-set")))
                        json_object_set_new(cfg, "Cmd", json_null());
                return 0;
        case BUILD_INSTR_SHELL:
                json_object_set_new(cfg, "Shell", command_json(st, in, 0));
                return 0;
        case BUILD_INSTR_HEALTHCHECK:
                return do_healthcheck(st, in, err);
        case BUILD_INSTR_ONBUILD: {
                const char *t = in->original;
                while (*t == ' ' || *t == '\t')
                        t++;
                t += strlen("ONBUILD");
                while (*t == ' ' || *t == '\t')
                        t++;
                json_t *ob = json_object_get(cfg, "OnBuild");
                if (!json_is_array(ob)) {
                        ob = json_array();
                        json_object_set_new(cfg, "OnBuild", ob);
                }
                json_array_append_new(ob, json_string(t));
                return 0;
        }
        default:
                return berth_err(err, 0, "%s: not a config instruction", in->name);
        }
}

/* What the history records and the cache keys on: the instruction with
 * its variables expanded where the builder expands them. */
static char *step_text(struct builder *b, struct build_stage *st,
                       const struct build_instruction *in, struct berth_error **err)
{
        const char *name = build_instr_name(in->kind);
        if (in->kind == BUILD_INSTR_RUN) {
                _cleanup_strv_ char **args = build_run_args(b, st, in);
                _cleanup_free_ char *joined = xstrdup("");
                for (char **a = args; *a; a++) {
                        char *n = xasprintf("%s%s%s", joined, *joined ? " " : "", *a);
                        free(joined);
                        joined = n;
                }
                /* BuildKit's form: the ARGs in scope, counted, first. */
                _cleanup_free_ char *argl = xstrdup("");
                size_t n = strv_len(st->args);
                for (char **a = st->args; a && *a; a++) {
                        char *x = xasprintf("%s%s ", argl, *a);
                        free(argl);
                        argl = x;
                }
                if (n > 0)
                        return xasprintf("RUN |%zu %s%s # buildkit", n, argl, joined);
                return xasprintf("RUN %s # buildkit", joined);
        }
        if (!build_instr_expands(in->kind) || in->kind == BUILD_INSTR_ENV ||
            in->kind == BUILD_INSTR_LABEL || in->kind == BUILD_INSTR_ARG) {
                const char *t = in->original;
                while (*t == ' ' || *t == '\t')
                        t++;
                size_t nl = strlen(in->name);
                return xasprintf("%s%s", name, t + (strncasecmp(t, in->name, nl) == 0 ? nl : 0));
        }
        _cleanup_free_ char *joined = xstrdup(name);
        for (size_t i = 0; i < in->n_flags; i++) {
                _cleanup_free_ char *x = NULL;
                if (build_expand(b, st, in->flags[i], &x, err) < 0)
                        return NULL;
                char *n = xasprintf("%s %s", joined, x);
                free(joined);
                joined = n;
        }
        for (size_t i = 0; i < in->n_args; i++) {
                _cleanup_free_ char *x = NULL;
                if (build_expand(b, st, in->args[i], &x, err) < 0)
                        return NULL;
                char *n = xasprintf("%s %s", joined, x);
                free(joined);
                joined = n;
        }
        return steal_pointer(&joined);
}

static int do_workdir(struct builder *b, struct build_stage *st, const char *path, bool *added,
                      struct berth_error **err)
{
        struct build_mount m = {.root_fd = -1};
        int r = build_mount_open(b, st, &m, err);
        if (r >= 0) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_close_ int old =
                    util_path_open_in_root(m.root_fd, path, O_PATH, 0, &scratch);
                _cleanup_close_ int fd = util_path_mkdir_in_root(m.root_fd, path, 0755, err);
                r = fd < 0 ? fd : 0;
                /* BuildKit makes a new WORKDIR its USER's. */
                const char *user = json_string_value(json_object_get(config_obj(st), "User"));
                if (r >= 0 && old < 0 && user != NULL && *user != '\0') {
                        struct container_user u = {0};
                        r = container_user_resolve(m.root_fd, user, &u, err);
                        if (r >= 0 && fchownat(fd, "", u.uid, u.gid, AT_EMPTY_PATH) < 0)
                                r = berth_err(err, errno, "changing the owner of `%s`", path);
                        container_user_clear(&u);
                }
        }
        if (r >= 0)
                r = build_mount_unmount(&m, err);
        if (r >= 0)
                r = build_layer_commit(b, st, &m, added, err);
        build_mount_close(&m);
        return r;
}

static int step_run(struct builder *b, struct build_stage *st, const struct build_instruction *in,
                    struct berth_error **err)
{
        build_progress_begin(b, st, in->original);
        if (in->kind == BUILD_INSTR_ARG)
                for (size_t i = 0; i < in->n_args; i++)
                        if (do_arg(b, st, in->args[i], err) < 0)
                                return berth_err_ret(*err);
        _cleanup_free_ char *text = step_text(b, st, in, err);
        if (text == NULL)
                return berth_err_ret(*err);
        char sum[IMAGE_DIGEST_LEN] = "";
        _cleanup_free_ char *keytext = NULL;
        _cleanup_free_ char *workdir = NULL;
        if (in->kind == BUILD_INSTR_COPY || in->kind == BUILD_INSTR_ADD) {
                if (build_copy(b, st, in, NULL, sum, err) < 0)
                        return berth_err_ret(*err);
                keytext = xasprintf(
                    "%s\nsources %s\nuser %s\nworkdir %s", text, sum,
                    json_string_value(json_object_get(config_obj(st), "User")) ?: "",
                    json_string_value(json_object_get(config_obj(st), "WorkingDir")) ?: "");
        } else if (in->kind == BUILD_INSTR_RUN) {
                /* The step sees its stage's whole environment. */
                _cleanup_strv_ char **env = build_stage_env(st);
                keytext = xstrdup(text);
                for (char **e = env; *e; e++) {
                        char *n = xasprintf("%s\nenv %s", keytext, *e);
                        free(keytext);
                        keytext = n;
                }
                json_t *cfg = config_obj(st);
                const char *netflag = NULL;
                build_flag_get(in, "network", &netflag);
                char *n = xasprintf("%s\nnetwork %d %s", keytext, (int)b->o->network,
                                    netflag ? netflag : "");
                free(keytext);
                keytext = n;
                n = xasprintf("%s\nuser %s\nworkdir %s", keytext,
                              json_string_value(json_object_get(cfg, "User")) ?: "",
                              json_string_value(json_object_get(cfg, "WorkingDir")) ?: "");
                free(keytext);
                keytext = n;
                for (size_t i = 0; i < in->n_heredocs; i++) {
                        n = xasprintf("%s\nheredoc %s", keytext, in->heredocs[i].content);
                        free(keytext);
                        keytext = n;
                }
        } else if (in->kind == BUILD_INSTR_WORKDIR) {
                _cleanup_free_ char *p = NULL;
                if (build_expand(b, st, in->args[0], &p, err) < 0)
                        return berth_err_ret(*err);
                const char *cur = json_string_value(json_object_get(config_obj(st), "WorkingDir"));
                _cleanup_free_ char *joined =
                    p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", cur && *cur ? cur : "", p);
                _cleanup_free_ char *clean = NULL;
                build_path_clean(joined, &clean);
                workdir = xasprintf("/%s", clean ? clean : "");
                keytext = xasprintf("WORKDIR %s", workdir);
        } else if (in->kind == BUILD_INSTR_ARG) {
                /* The values, not just the names: another --build-arg is
                 * another build from here on. */
                keytext = xstrdup(text);
                for (char **a = st->args; a && *a; a++) {
                        char *n = xasprintf("%s\narg %s", keytext, *a);
                        free(keytext);
                        keytext = n;
                }
        } else {
                keytext = xstrdup(text);
        }
        char key[IMAGE_DIGEST_LEN];
        build_cache_key(st->key, keytext, key);

        struct build_cache_entry ce = {0};
        bool cached = !b->o->no_cache && build_cache_get(b, key, &ce) == 1;
        bool layer_step = in->kind == BUILD_INSTR_RUN || in->kind == BUILD_INSTR_COPY ||
                          in->kind == BUILD_INSTR_ADD || in->kind == BUILD_INSTR_WORKDIR;
        bool added = false;
        if (in->kind == BUILD_INSTR_WORKDIR)
                json_object_set_new(config_obj(st), "WorkingDir", json_string(workdir));
        if (in->kind == BUILD_INSTR_ARG) {
                /* done above */
        } else if (!layer_step) {
                if (do_meta(b, st, in, err) < 0)
                        return berth_err_ret(*err);
                if (in->kind == BUILD_INSTR_CMD)
                        json_object_set_new(st->image, "x-cmd-set", json_true());
        } else if (cached) {
                if (ce.has_layer) {
                        st->layers = xrealloc(st->layers, (st->n_layers + 1) * sizeof(*st->layers));
                        st->layers[st->n_layers++] = ce.layer;
                        added = true;
                }
        } else if (in->kind == BUILD_INSTR_WORKDIR) {
                if (do_workdir(b, st, workdir, &added, err) < 0)
                        return berth_err_wrap(err, "WORKDIR %s", workdir);
        } else {
                struct build_mount m = {.root_fd = -1};
                int r = build_mount_open(b, st, &m, err);
                if (r >= 0)
                        r = in->kind == BUILD_INSTR_RUN ? build_run(b, st, in, &m, err)
                                                        : build_copy(b, st, in, &m, sum, err);
                if (r >= 0)
                        r = build_mount_unmount(&m, err);
                if (r >= 0)
                        r = build_layer_commit(b, st, &m, &added, err);
                build_mount_close(&m);
                if (r < 0)
                        return r;
        }
        /* A cached step keeps the time it first ran: a rebuild from cache
         * is the very same image, as with Docker. */
        _cleanup_free_ char *created = cached && ce.created[0] != '\0' && b->epoch < 0
                                           ? xstrdup(ce.created)
                                           : build_created(b);
        if (!cached && !b->o->no_cache) {
                struct build_cache_entry ne = {.has_layer = layer_step && added};
                snprintf(ne.created, sizeof(ne.created), "%s", created);
                if (ne.has_layer)
                        ne.layer = st->layers[st->n_layers - 1];
                if (build_cache_put(b, key, &ne, err) < 0)
                        return berth_err_ret(*err);
        }
        memcpy(st->key, key, IMAGE_DIGEST_LEN);
        build_history_add(st, created, text, !added);
        build_progress_end(b, cached);
        return 0;
}

static int run_instruction(struct builder *b, struct build_stage *st,
                           const struct build_instruction *in, struct berth_error **err)
{
        if (step_run(b, st, in, err) < 0)
                return berth_err_wrap(err, "step %zu/%zu %s", b->step, b->total, in->original);
        return 0;
}

/* ---- stages ---- */

static int split_stages(struct builder *b, struct berth_error **err)
{
        struct build_dockerfile *df = b->df;
        bool seen_from = false;
        for (size_t i = 0; i < df->n_instrs; i++) {
                struct build_instruction *in = &df->instrs[i];
                if (in->kind == BUILD_INSTR_FROM) {
                        seen_from = true;
                        b->stages = xrealloc(b->stages, (b->n_stages + 1) * sizeof(*b->stages));
                        struct build_stage *st = &b->stages[b->n_stages];
                        memset(st, 0, sizeof(*st));
                        st->index = b->n_stages++;
                        st->from = in;
                        if (in->n_args >= 3) {
                                st->name = xstrdup(in->args[2]);
                                for (char *p = st->name; *p; p++)
                                        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
                        }
                        continue;
                }
                if (!seen_from) {
                        if (in->kind != BUILD_INSTR_ARG)
                                return berth_err(err, 0,
                                                 "%s:%d: %s before the first FROM (only ARG may "
                                                 "come first)",
                                                 b->df_name, in->start_line, in->name);
                        for (size_t a = 0; a < in->n_args; a++)
                                if (do_arg(b, NULL, in->args[a], err) < 0)
                                        return berth_err_ret(*err);
                        continue;
                }
                struct build_stage *st = &b->stages[b->n_stages - 1];
                st->instrs = xrealloc(st->instrs, (st->n_instrs + 1) * sizeof(*st->instrs));
                st->instrs[st->n_instrs++] = in;
        }
        if (b->n_stages == 0)
                return berth_err(err, 0, "%s: no FROM instruction", b->df_name);
        return 0;
}

/* Mark the target stage and, transitively, what it uses (FROM stage and
 * COPY --from=stage); the rest is skipped, as BuildKit does. */
static int mark_needed(struct builder *b, struct build_stage *st, struct berth_error **err)
{
        if (st->needed)
                return 0;
        st->needed = true;
        b->total += 1 + st->n_instrs;
        _cleanup_free_ char *ref = from_ref(b, st, err);
        if (ref == NULL)
                return berth_err_ret(*err);
        struct build_stage *p = stage_by_name(b, ref, st->index);
        if (p != NULL && mark_needed(b, p, err) < 0)
                return berth_err_ret(*err);
        for (size_t i = 0; i < st->n_instrs; i++) {
                const char *from = NULL;
                const struct build_instruction *in = st->instrs[i];
                if ((in->kind != BUILD_INSTR_COPY && in->kind != BUILD_INSTR_ADD) ||
                    build_flag_get(in, "from", &from) != 1 || from == NULL)
                        continue;
                _cleanup_free_ char *x = NULL;
                if (build_expand(b, NULL, from, &x, err) < 0)
                        return berth_err_ret(*err);
                struct build_stage *q = stage_by_name(b, x, st->index);
                if (q != NULL && mark_needed(b, q, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

struct build_stage *build_stage_find(struct builder *b, const char *name, size_t before)
{
        return stage_by_name(b, name, before);
}

static int build_stage(struct builder *b, struct build_stage *st, struct berth_error **err)
{
        if (do_from(b, st, err) < 0)
                return berth_err_wrap(err, "step %zu/%zu %s", b->step, b->total,
                                      st->from->original);
        for (size_t i = 0; i < st->n_instrs; i++) {
                if (build_interrupted())
                        return berth_err(err, EINTR, "interrupted by signal %d",
                                         build_interrupted());
                if (run_instruction(b, st, st->instrs[i], err) < 0)
                        return berth_err_ret(*err);
        }
        json_object_del(st->image, "x-cmd-set");
        st->built = true;
        return 0;
}

static int load_dockerfile(struct builder *b, struct berth_error **err)
{
        const char *f = b->o->dockerfile;
        if (f != NULL && strcmp(f, "-") == 0) {
                size_t cap = 4096, n = 0;
                _cleanup_free_ char *buf = xmalloc(cap + 1);
                for (;;) {
                        ssize_t r = util_read_all(STDIN_FILENO, buf + n, cap - n);
                        if (r < 0)
                                return berth_err(err, errno, "reading the Dockerfile from stdin");
                        n += (size_t)r;
                        if (n < cap)
                                break;
                        cap *= 2;
                        buf = xrealloc(buf, cap + 1);
                }
                buf[n] = '\0';
                b->df_name = xstrdup("Dockerfile");
                return build_dockerfile_parse(b->df_name, buf, n, 0, &b->df, err);
        }
        if (f != NULL) {
                const char *slash = strrchr(f, '/');
                b->df_name = xstrdup(slash ? slash + 1 : f);
                return build_dockerfile_parse_file(AT_FDCWD, f, b->df_name, 0, &b->df, err);
        }
        b->df_name = xstrdup("Dockerfile");
        if (b->stdin_dockerfile >= 0) {
                _cleanup_free_ char *path = xasprintf("/proc/self/fd/%d", b->stdin_dockerfile);
                return build_dockerfile_parse_file(AT_FDCWD, path, b->df_name, 0, &b->df, err);
        }
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_close_ int fd =
            util_path_open_in_root(b->ctx_fd, "Dockerfile", O_RDONLY, 0, &scratch);
        if (fd < 0)
                return berth_err(err, 0, "no Dockerfile in the build context (use -f)");
        _cleanup_free_ char *path = xasprintf("/proc/self/fd/%d", fd);
        return build_dockerfile_parse_file(AT_FDCWD, path, b->df_name, 0, &b->df, err);
}

/* A build that died (killed, machine crash) left its work dir, maybe with
 * step mounts in it: its pid is in the name, and a dead pid's dir goes. */
static void remove_stale_work(const char *dir)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (d == NULL)
                return;
        for (struct dirent *de; (de = readdir(d)) != NULL;) {
                char *end = NULL;
                long pid = strtol(de->d_name, &end, 10);
                if (de->d_name[0] == '.' || end == de->d_name || *end != '-' || pid <= 0 ||
                    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                        continue;
                _cleanup_free_ char *w = xasprintf("%s/%s", dir, de->d_name);
                _cleanup_closedir_ DIR *sd = opendir(w);
                for (struct dirent *se; sd != NULL && (se = readdir(sd)) != NULL;) {
                        if (strncmp(se->d_name, "step-", 5) != 0)
                                continue;
                        _cleanup_free_ char *mnt = xasprintf("%s/%s/merged", w, se->d_name);
                        umount2(mnt, MNT_DETACH | UMOUNT_NOFOLLOW);
                }
                _cleanup_error_ struct berth_error *scratch = NULL;
                log_debug("build: removing the stale work dir %s", w);
                util_path_remove_tree(AT_FDCWD, w, &scratch);
        }
}

static int prepare_work(struct builder *b, struct berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/build", b->o->root);
        if (util_path_mkdir_p(dir, 0700, err) < 0)
                return berth_err_ret(*err);
        /* The dead builds' containers first: they still use the mounts. */
        _cleanup_free_ char *state = xasprintf("%s/build", b->o->runroot);
        build_containers_reap(state);
        remove_stale_work(dir);
        for (unsigned i = 0;; i++) {
                char *w = xasprintf("%s/%d-%u", dir, (int)getpid(), i);
                if (mkdir(w, 0700) == 0) {
                        b->work = w;
                        return 0;
                }
                free(w);
                if (errno != EEXIST)
                        return berth_err(err, errno, "creating the build's work dir");
        }
}

static void builder_release(struct builder *b)
{
        build_fetch_release(b);
        build_progress_release(b);
        if (b->work != NULL) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                util_path_remove_tree(AT_FDCWD, b->work, &scratch);
                free(b->work);
        }
        build_context_close(b);
        for (size_t i = 0; i < b->n_stages; i++) {
                build_stage_clear(&b->stages[i]);
                free(b->stages[i].name);
                free(b->stages[i].instrs);
                strv_free(b->stages[i].args);
        }
        free(b->stages);
        strv_free(b->global_args);
        strv_free(b->consumed);
        build_dockerfile_free(b->df);
        free(b->df_name);
        build_ignore_free(b->ignore);
}

static int build_all(struct builder *b, char id[IMAGE_DIGEST_LEN], struct berth_error **err)
{
        if (b->o->platform != NULL && strcmp(b->o->platform, "linux/amd64") != 0 &&
            strcmp(b->o->platform, "linux/x86_64") != 0)
                return berth_err(err, 0, "--platform %s: berth builds linux/amd64 images only",
                                 b->o->platform);
        if (prepare_work(b, err) < 0 || build_context_open(b, err) < 0 ||
            load_dockerfile(b, err) < 0)
                return berth_err_ret(*err);
        if (b->df->n_instrs == 0)
                return berth_err(err, 0, "%s: the Dockerfile is empty (no instructions)",
                                 b->df_name);
        for (size_t i = 0; i < b->df->n_instrs; i++)
                if (build_instruction_validate(b->df, &b->df->instrs[i], err) < 0)
                        return berth_err_ret(*err);
        if (split_stages(b, err) < 0)
                return berth_err_ret(*err);
        struct build_stage *target = &b->stages[b->n_stages - 1];
        if (b->o->target != NULL) {
                target = stage_by_name(b, b->o->target, b->n_stages);
                if (target == NULL || target->name == NULL)
                        return berth_err(err, 0, "--target %s: no stage of that name",
                                         b->o->target);
        }
        if (mark_needed(b, target, err) < 0)
                return berth_err_ret(*err);
        for (size_t i = 0; i <= target->index; i++)
                if (b->stages[i].needed && build_stage(b, &b->stages[i], err) < 0)
                        return berth_err_ret(*err);
        /* Build-args no ARG consumed: Docker's warning, same words. */
        _cleanup_free_ char *unused = NULL;
        for (char *const *a = b->o->build_args; a && *a; a++) {
                _cleanup_free_ char *name = xstrndup(*a, strcspn(*a, "="));
                bool used = false;
                for (char **c = b->consumed; c && *c && !used; c++)
                        used = strcmp(*c, name) == 0;
                for (const char *const *p = predefined_args; *p && !used; p++)
                        used = strncmp(*p, name, strlen(name)) == 0 && (*p)[strlen(name)] == '=';
                if (used)
                        continue;
                char *n = unused ? xasprintf("%s %s", unused, name) : xstrdup(name);
                free(unused);
                unused = n;
        }
        if (unused != NULL)
                fprintf(stderr, "[Warning] One or more build-args [%s] were not consumed\n",
                        unused);
        for (char *const *l = b->o->labels; l && *l; l++) {
                const char *eq = strchr(*l, '=');
                _cleanup_free_ char *k = xstrndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
                json_t *cfg = config_obj(target);
                json_t *labels = json_object_get(cfg, "Labels");
                if (!json_is_object(labels)) {
                        labels = json_object();
                        json_object_set_new(cfg, "Labels", labels);
                }
                json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
        }
        return build_image_commit(b, target, id, err);
}

int build_image(const struct build_options *opts, char id[IMAGE_DIGEST_LEN],
                struct berth_error **err)
{
        struct builder b = {
            .o = opts,
            .out = opts->out ? opts->out : stderr,
            .ctx_fd = -1,
            .stdin_dockerfile = -1,
            .epoch = opts->source_date_epoch,
        };
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        if (b.epoch < 0 && sde != NULL && *sde != '\0') {
                char *end = NULL;
                long long v = strtoll(sde, &end, 10);
                if (*end != '\0' || v < 0) {
                        return berth_err(err, 0, "SOURCE_DATE_EPOCH=%s: not a number of seconds",
                                         sde);
                }
                b.epoch = v;
        }
        if (b.epoch >= 0)
                snprintf(b.epoch_key, sizeof(b.epoch_key), "epoch %lld", (long long)b.epoch);
        build_signals_install();
        /* Directories COPY makes on the way are 0755, as Docker's. */
        mode_t mask = umask(022);
        int r = build_all(&b, id, err);
        umask(mask);
        if (r >= 0 && build_interrupted())
                r = berth_err(err, EINTR, "interrupted by signal %d", build_interrupted());
        if (r < 0)
                build_progress_fail(&b);
        builder_release(&b);
        build_signals_restore();
        return r;
}
