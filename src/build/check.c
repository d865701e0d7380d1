/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `berth dockerfile check`: likely mistakes found without building.  The
 * variables are tracked the way the builder scopes them: ARGs before the
 * first FROM are global and visible only to FROM lines (and to a stage that
 * declares them again); each stage starts with nothing but what its parent
 * stage set with ENV (a base image's own environment is unknown here), and
 * sees the ARGs and ENVs declared in it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build/expand.h"
#include "build/parse.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

struct arg {
        char *name;
        int line;
        bool known; /* has a value (a default, here or in the global) */
        bool used;
};

struct args {
        struct arg *v;
        size_t n;
};

struct stage {
        char *name; /* AS name, or NULL */
        char **env; /* what its ENVs set, "K=V", inherited by child stages */
};

struct checker {
        const struct build_dockerfile *df;
        struct build_warning *out;
        size_t n_out;
        struct args globals;
        char **genv;      /* the global ARGs, "K=default" */
        struct args args; /* the current stage's */
        char **env;       /* the current stage's ARGs and ENVs */
        char **stage_env; /* its ENVs only */
        struct stage *stages;
        size_t n_stages;
        bool in_stage;
        int line;                                        /* of the instruction being looked at */
        struct args *scope;                              /* which ARGs a use marks */
        int last_cmd, last_entrypoint, last_healthcheck; /* their lines in this stage */
        bool uncertain; /* an expansion used an ARG with no known value */
};

static void warn(struct checker *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(struct checker *c, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        /* A variable used twice on one line is one mistake. */
        for (size_t i = 0; i < c->n_out; i++)
                if (c->out[i].line == line && strcmp(c->out[i].msg, msg) == 0) {
                        free(msg);
                        return;
                }
        c->out = xrealloc(c->out, (c->n_out + 1) * sizeof(*c->out));
        c->out[c->n_out].line = line;
        c->out[c->n_out].msg = msg;
        c->n_out++;
}

/* The ARGs every build defines, and PATH, which every base image sets. */
static bool predefined(const char *name)
{
        static const char *const names[] = {
            "HTTP_PROXY",     "http_proxy", "HTTPS_PROXY",  "https_proxy",   "FTP_PROXY",
            "ftp_proxy",      "NO_PROXY",   "no_proxy",     "ALL_PROXY",     "all_proxy",
            "TARGETPLATFORM", "TARGETOS",   "TARGETARCH",   "TARGETVARIANT", "BUILDPLATFORM",
            "BUILDOS",        "BUILDARCH",  "BUILDVARIANT", "TARGETSTAGE",   "SOURCE_DATE_EPOCH",
            "PATH",
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return strncmp(name, "BUILDKIT_", 9) == 0;
}

static void on_unset(void *data, const char *name)
{
        struct checker *c = data;
        /* $1, $@...: never set in a Dockerfile, but no misspelt name either. */
        if (name[0] == '\0' || strchr("@*#?-$!0123456789", name[0]) != NULL || predefined(name))
                return;
        warn(c, c->line, "undefined variable `%s` (never set by ARG or ENV)", name);
}

static void mark_used(struct args *a, const char *name, bool *uncertain)
{
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->v[i].name, name) == 0) {
                        a->v[i].used = true;
                        if (!a->v[i].known && uncertain != NULL)
                                *uncertain = true;
                }
}

static void on_use(void *data, const char *name)
{
        struct checker *c = data;
        mark_used(c->scope, name, &c->uncertain);
}

/* Expand word in env as the builder would, noting uses and undefined
 * names; NULL (and a warning) when it does not expand. */
static char *expand(struct checker *c, const char *word, char **env, struct args *scope)
{
        struct build_expand_opts o = {
            .escape = c->df->escape, .on_unset = on_unset, .on_use = on_use, .data = c};
        _cleanup_error_ struct berth_error *err = NULL;
        char *out = NULL;
        c->scope = scope;
        if (build_expand_word(word, env, &o, &out, &err) < 0) {
                warn(c, c->line, "%s", err->msg);
                return NULL;
        }
        return out;
}

/* RUN sees ARGs as environment variables: a $NAME or ${NAME in its text
 * (or a heredoc's) uses the ARG. */
static void scan_refs(struct checker *c, const char *s)
{
        for (const char *p = strchr(s, '$'); p != NULL; p = strchr(p + 1, '$')) {
                const char *q = p + 1 + (p[1] == '{');
                size_t n = 0;
                while (q[n] == '_' || (q[n] >= 'a' && q[n] <= 'z') ||
                       (q[n] >= 'A' && q[n] <= 'Z') || (n > 0 && q[n] >= '0' && q[n] <= '9'))
                        n++;
                if (n == 0)
                        continue;
                _cleanup_free_ char *name = xstrndup(q, n);
                mark_used(&c->args, name, NULL);
        }
}

static void env_set(char ***env, const char *name, const char *value)
{
        char *kv = xasprintf("%s=%s", name, value);
        strv_append(env, kv);
        free(kv);
}

static void add_arg(struct args *a, const char *name, int line, bool known)
{
        a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
        a->v[a->n++] = (struct arg){.name = xstrdup(name), .line = line, .known = known};
}

static void report_unused(struct checker *c, struct args *a, const char *where)
{
        for (size_t i = 0; i < a->n; i++)
                if (!a->v[i].used && strncmp(a->v[i].name, "BUILDKIT_", 9) != 0)
                        warn(c, a->v[i].line, "ARG `%s` is declared but never used%s", a->v[i].name,
                             where);
}

static void clear_args(struct args *a)
{
        for (size_t i = 0; i < a->n; i++)
                free(a->v[i].name);
        free(a->v);
        a->v = NULL;
        a->n = 0;
}

static void end_stage(struct checker *c)
{
        if (!c->in_stage)
                return;
        report_unused(c, &c->args, "");
        clear_args(&c->args);
        strv_free(c->env);
        c->env = NULL;
        c->stages[c->n_stages - 1].env = steal_pointer(&c->stage_env);
        c->in_stage = false;
}

static void check_arg(struct checker *c, const struct build_instruction *in)
{
        bool global = !c->in_stage;
        for (size_t i = 0; i < in->n_args; i++) {
                const char *eq = strchr(in->args[i], '=');
                _cleanup_free_ char *name =
                    eq ? xstrndup(in->args[i], (size_t)(eq - in->args[i])) : xstrdup(in->args[i]);
                _cleanup_free_ char *value = NULL;
                bool known = eq != NULL;
                if (eq != NULL)
                        value = expand(c, eq + 1, global ? c->genv : c->env,
                                       global ? &c->globals : &c->args);
                if (global) {
                        add_arg(&c->globals, name, c->line, known);
                        env_set(&c->genv, name, value ? value : "");
                        continue;
                }
                /* Declaring a global ARG again is how a stage uses it, and it
                 * brings the global default along. */
                const char *gv;
                if (!known && build_env_lookup(c->genv, name, &gv)) {
                        mark_used(&c->globals, name, NULL);
                        for (size_t g = 0; g < c->globals.n; g++)
                                if (strcmp(c->globals.v[g].name, name) == 0 &&
                                    c->globals.v[g].known) {
                                        known = true;
                                        value = xstrdup(gv);
                                        break;
                                }
                } else if (build_env_lookup(c->genv, name, &gv)) {
                        mark_used(&c->globals, name, NULL);
                }
                add_arg(&c->args, name, c->line, known);
                env_set(&c->env, name, value ? value : "");
        }
}

static bool is_stage(struct checker *c, const char *name, char ***env)
{
        for (size_t i = c->n_stages; i-- > 0;)
                if (c->stages[i].name != NULL && strcasecmp(c->stages[i].name, name) == 0) {
                        if (env != NULL)
                                *env = c->stages[i].env;
                        return true;
                }
        return false;
}

static void check_from(struct checker *c, const struct build_instruction *in)
{
        end_stage(c);
        for (size_t i = 0; i < in->n_flags; i++) {
                const char *eq = strchr(in->flags[i], '=');
                if (eq != NULL)
                        free(expand(c, eq + 1, c->genv, &c->globals));
        }
        c->uncertain = false;
        _cleanup_free_ char *image =
            in->n_args > 0 ? expand(c, in->args[0], c->genv, &c->globals) : NULL;
        const char *name = NULL;
        if (in->n_args == 3 && strcasecmp(in->args[1], "AS") == 0)
                name = in->args[2];
        if (name != NULL && is_stage(c, name, NULL))
                warn(c, c->line, "duplicate stage name `%s`", name);
        c->last_cmd = c->last_entrypoint = c->last_healthcheck = 0;
        char **parent_env = NULL;
        bool from_stage = image != NULL && is_stage(c, image, &parent_env);
        if (image != NULL && !c->uncertain && !from_stage && strcmp(image, "scratch") != 0 &&
            strchr(image, '@') == NULL) {
                const char *last = strrchr(image, '/');
                if (strchr(last ? last + 1 : image, ':') == NULL)
                        warn(c, c->line,
                             "FROM %s has no tag: the build takes whatever `latest` is at "
                             "the time (pin a tag or a digest)",
                             image);
        }
        c->stages = xrealloc(c->stages, (c->n_stages + 1) * sizeof(*c->stages));
        c->stages[c->n_stages++] = (struct stage){.name = name ? xstrdup(name) : NULL};
        c->stage_env = strv_dup(parent_env);
        c->env = strv_dup(parent_env);
        c->in_stage = true;
}

static void check_env(struct checker *c, const struct build_instruction *in)
{
        /* All values expand in the environment from before the instruction
         * (ENV a=1 b=$a gives b the old a), then all keys are set. */
        size_t n = in->n_args / 3;
        char **values = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                values[i] = expand(c, in->args[3 * i + 1], c->env, &c->args);
                if (values[i] == NULL)
                        values[i] = xstrdup("");
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *key = expand(c, in->args[3 * i], c->env, &c->args);
                if (key == NULL)
                        continue;
                env_set(&c->env, key, values[i]);
                env_set(&c->stage_env, key, values[i]);
        }
        strv_free(values);
}

static void check_expanding(struct checker *c, const struct build_instruction *in)
{
        for (size_t i = 0; i < in->n_flags; i++) {
                const char *eq = strchr(in->flags[i], '=');
                if (eq != NULL)
                        free(expand(c, eq + 1, c->env, &c->args));
        }
        for (size_t i = 0; i < in->n_args; i++) {
                if (in->kind == BUILD_INSTR_LABEL && i % 3 == 2)
                        continue; /* the separator */
                free(expand(c, in->args[i], c->env, &c->args));
        }
}

static void check_syntax(struct checker *c, const struct build_instruction *in)
{
        _cleanup_free_ char *msg = NULL;
        if (build_instruction_check(in, &msg) < 0)
                warn(c, c->line, "%s", msg);
        for (const struct build_instruction *i = in; i != NULL; i = i->sub)
                if (i->json_fallback)
                        warn(c, c->line,
                             "%s looks like exec form (JSON) but is not valid JSON, so it is run "
                             "as a shell command (JSON strings take double quotes)",
                             build_instr_name(i->kind) ? build_instr_name(i->kind) : i->name);
}

/* CMD, ENTRYPOINT and HEALTHCHECK set one value per image: an earlier one
 * in the same stage is dead. */
static void check_repeats(struct checker *c, const struct build_instruction *in)
{
        int *last = in->kind == BUILD_INSTR_CMD           ? &c->last_cmd
                    : in->kind == BUILD_INSTR_ENTRYPOINT  ? &c->last_entrypoint
                    : in->kind == BUILD_INSTR_HEALTHCHECK ? &c->last_healthcheck
                                                          : NULL;
        if (last == NULL)
                return;
        if (*last > 0)
                warn(c, *last,
                     "%s is overridden by the one on line %d (only the last %s in a stage takes "
                     "effect)",
                     build_instr_name(in->kind), c->line, build_instr_name(in->kind));
        *last = c->line;
}

/* Stable: findings on one line keep the order they were found in. */
static void sort_by_line(struct build_warning *w, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct build_warning x = w[i];
                size_t j = i;
                for (; j > 0 && w[j - 1].line > x.line; j--)
                        w[j] = w[j - 1];
                w[j] = x;
        }
}

int build_dockerfile_check(const struct build_dockerfile *df, struct build_warning **out,
                           size_t *n_out)
{
        struct checker c = {.df = df};
        for (size_t i = 0; i < df->n_warnings; i++)
                warn(&c, df->warnings[i].line, "%s", df->warnings[i].msg);
        for (size_t i = 0; i < df->n_instrs; i++) {
                const struct build_instruction *in = &df->instrs[i];
                c.line = in->start_line;
                check_syntax(&c, in);
                if (in->kind == BUILD_INSTR_FROM) {
                        check_from(&c, in);
                        continue;
                }
                if (in->kind == BUILD_INSTR_ARG) {
                        check_arg(&c, in);
                        continue;
                }
                if (!c.in_stage) {
                        if (in->kind != BUILD_INSTR_UNKNOWN)
                                warn(&c, c.line,
                                     "%s before the first FROM (only ARG may come "
                                     "before FROM)",
                                     build_instr_name(in->kind));
                        continue;
                }
                check_repeats(&c, in);
                if (in->kind == BUILD_INSTR_ENV) {
                        check_env(&c, in);
                } else if (build_instr_expands(in->kind)) {
                        check_expanding(&c, in);
                } else if (in->kind == BUILD_INSTR_RUN) {
                        for (size_t f = 0; f < in->n_flags; f++)
                                scan_refs(&c, in->flags[f]);
                        for (size_t a = 0; a < in->n_args; a++)
                                scan_refs(&c, in->args[a]);
                }
                for (size_t h = 0; h < in->n_heredocs; h++)
                        if (in->heredocs[h].expand)
                                scan_refs(&c, in->heredocs[h].content);
        }
        end_stage(&c);
        report_unused(&c, &c.globals,
                      " (a global ARG is seen only by FROM lines and by "
                      "stages that declare it again)");
        clear_args(&c.globals);
        strv_free(c.genv);
        for (size_t i = 0; i < c.n_stages; i++) {
                free(c.stages[i].name);
                strv_free(c.stages[i].env);
        }
        free(c.stages);
        sort_by_line(c.out, c.n_out);
        *out = c.out;
        *n_out = c.n_out;
        return (int)c.n_out;
}
