/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the builder refuses before running anything, beyond the syntax: the
 * flags each instruction takes, its number of arguments, HEALTHCHECK's
 * type, durations and retries, SHELL's JSON form and stage names.  The
 * parser accepts all of these (BuildKit's does too, and its dump shows
 * them), so they are checked here, once the instruction is to be used.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build/parse.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

enum flag_type { FLAG_STRING, FLAG_BOOL, FLAG_LIST };

struct flag_spec {
        enum build_instr kind;
        const char *name;
        enum flag_type type;
};

static const struct flag_spec flag_specs[] = {
    {BUILD_INSTR_FROM, "platform", FLAG_STRING},
    {BUILD_INSTR_RUN, "mount", FLAG_LIST},
    {BUILD_INSTR_RUN, "network", FLAG_STRING},
    {BUILD_INSTR_RUN, "security", FLAG_STRING},
    {BUILD_INSTR_RUN, "device", FLAG_LIST},
    {BUILD_INSTR_COPY, "from", FLAG_STRING},
    {BUILD_INSTR_COPY, "chown", FLAG_STRING},
    {BUILD_INSTR_COPY, "chmod", FLAG_STRING},
    {BUILD_INSTR_COPY, "link", FLAG_BOOL},
    {BUILD_INSTR_COPY, "parents", FLAG_BOOL},
    {BUILD_INSTR_COPY, "exclude", FLAG_LIST},
    {BUILD_INSTR_ADD, "chown", FLAG_STRING},
    {BUILD_INSTR_ADD, "chmod", FLAG_STRING},
    {BUILD_INSTR_ADD, "link", FLAG_BOOL},
    {BUILD_INSTR_ADD, "keep-git-dir", FLAG_BOOL},
    {BUILD_INSTR_ADD, "checksum", FLAG_STRING},
    {BUILD_INSTR_ADD, "exclude", FLAG_LIST},
    {BUILD_INSTR_ADD, "unpack", FLAG_BOOL},
    {BUILD_INSTR_HEALTHCHECK, "interval", FLAG_STRING},
    {BUILD_INSTR_HEALTHCHECK, "timeout", FLAG_STRING},
    {BUILD_INSTR_HEALTHCHECK, "start-period", FLAG_STRING},
    {BUILD_INSTR_HEALTHCHECK, "start-interval", FLAG_STRING},
    {BUILD_INSTR_HEALTHCHECK, "retries", FLAG_STRING},
};

static const struct flag_spec *find_flag(enum build_instr kind, const char *name, size_t n)
{
        for (size_t i = 0; i < sizeof(flag_specs) / sizeof(flag_specs[0]); i++)
                if (flag_specs[i].kind == kind && strlen(flag_specs[i].name) == n &&
                    strncmp(flag_specs[i].name, name, n) == 0)
                        return &flag_specs[i];
        return NULL;
}

int build_flag_get(const struct build_instruction *in, const char *name, const char **value)
{
        size_t n = strlen(name);
        int found = 0;
        for (size_t i = 0; i < in->n_flags; i++) {
                const char *f = in->flags[i];
                if (strncmp(f, "--", 2) != 0 || strncmp(f + 2, name, n) != 0)
                        continue;
                if (f[2 + n] == '=') {
                        *value = f + 3 + n;
                        found = 1;
                } else if (f[2 + n] == '\0') {
                        *value = NULL;
                        found = 1;
                }
        }
        return found;
}

/*
 * A Go duration ("1h30m", "1.5s", "300ms"), in nanoseconds; -1 when it is
 * none.  The builder's time flags are Go durations.
 */
static long long parse_duration(const char *s)
{
        if (strcmp(s, "0") == 0)
                return 0;
        if (*s == '\0')
                return -1;
        long double total = 0;
        while (*s) {
                char *end;
                errno = 0;
                if (!isdigit((unsigned char)*s) && *s != '.')
                        return -1;
                long double v = strtold(s, &end);
                if (end == s || errno != 0)
                        return -1;
                s = end;
                static const struct {
                        const char *unit;
                        long double ns;
                } units[] = {{"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
                             {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
                size_t best = 0, best_len = 0;
                for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                        size_t l = strlen(units[i].unit);
                        if (strncmp(s, units[i].unit, l) == 0 && l > best_len) {
                                best = i;
                                best_len = l;
                        }
                }
                if (best_len == 0)
                        return -1;
                total += v * units[best].ns;
                s += best_len;
        }
        if (total > 9.2e18L)
                return -1;
        return (long long)total;
}

static int check_flags(const struct build_instruction *in, char **msg)
{
        const char *what = build_instr_name(in->kind);
        for (size_t i = 0; i < in->n_flags; i++) {
                const char *f = in->flags[i];
                if (strncmp(f, "--", 2) != 0) {
                        *msg = xasprintf("%s: bad flag `%s`", what, f);
                        return -1;
                }
                const char *name = f + 2, *eq = strchr(name, '=');
                size_t n = eq ? (size_t)(eq - name) : strlen(name);
                const struct flag_spec *spec = find_flag(in->kind, name, n);
                if (spec == NULL) {
                        *msg = xasprintf("%s: unknown flag: --%.*s", what, (int)n, name);
                        return -1;
                }
                if (spec->type != FLAG_BOOL && eq == NULL) {
                        *msg = xasprintf("%s: missing a value on flag: --%s", what, spec->name);
                        return -1;
                }
                if (spec->type == FLAG_BOOL && eq != NULL && strcasecmp(eq + 1, "true") != 0 &&
                    strcasecmp(eq + 1, "false") != 0) {
                        *msg = xasprintf("%s: expecting boolean value for flag --%s, not: %s", what,
                                         spec->name, eq + 1);
                        return -1;
                }
                if (spec->type == FLAG_LIST)
                        continue;
                for (size_t j = 0; j < i; j++) {
                        const char *g = in->flags[j];
                        if (strncmp(g + 2, name, n) == 0 && (g[2 + n] == '=' || g[2 + n] == '\0')) {
                                *msg = xasprintf("%s: duplicate flag specified: --%s", what,
                                                 spec->name);
                                return -1;
                        }
                }
        }
        return 0;
}

static bool valid_stage_name(const char *s)
{
        if (!isalpha((unsigned char)s[0]))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
                        return false;
        return true;
}

static int check_healthcheck(const struct build_instruction *in, char **msg)
{
        if (in->n_args == 0) {
                *msg = xstrdup("HEALTHCHECK requires an argument: CMD or NONE");
                return -1;
        }
        if (strcasecmp(in->args[0], "NONE") == 0) {
                if (in->n_args > 1 || in->n_flags > 0) {
                        *msg = xstrdup("HEALTHCHECK NONE takes no arguments");
                        return -1;
                }
                return 0;
        }
        if (strcasecmp(in->args[0], "CMD") != 0) {
                *msg = xasprintf("unknown type \"%s\" in HEALTHCHECK (try CMD)", in->args[0]);
                return -1;
        }
        if (in->n_args < 2) {
                *msg = xstrdup("missing command after HEALTHCHECK CMD");
                return -1;
        }
        static const char *const durations[] = {"interval", "timeout", "start-period",
                                                "start-interval"};
        for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
                const char *v;
                if (build_flag_get(in, durations[i], &v) != 1 || v == NULL)
                        continue;
                long long ns = parse_duration(v);
                if (ns < 0) {
                        *msg =
                            xasprintf("HEALTHCHECK: --%s: invalid duration `%s`", durations[i], v);
                        return -1;
                }
                if (ns != 0 && ns < 1000000) {
                        *msg = xasprintf("HEALTHCHECK: --%s cannot be less than 1ms", durations[i]);
                        return -1;
                }
        }
        const char *retries;
        if (build_flag_get(in, "retries", &retries) == 1 && retries != NULL) {
                char *end;
                errno = 0;
                long v = strtol(retries, &end, 10);
                if (*retries == '\0' || *end != '\0' || errno != 0 || v < 0) {
                        *msg = xasprintf("HEALTHCHECK: --retries must be a number 0 or more, "
                                         "not `%s`",
                                         retries);
                        return -1;
                }
        }
        return 0;
}

static int check_args(const struct build_instruction *in, char **msg)
{
        const char *what = build_instr_name(in->kind);
        switch (in->kind) {
        case BUILD_INSTR_FROM:
                if (in->n_args != 1 && in->n_args != 3) {
                        *msg = xstrdup("FROM requires either one or three arguments");
                        return -1;
                }
                if (in->n_args == 3 && strcasecmp(in->args[1], "AS") != 0) {
                        *msg = xasprintf("FROM: expected `AS` before the stage name, got `%s`",
                                         in->args[1]);
                        return -1;
                }
                if (in->n_args == 3 && !valid_stage_name(in->args[2])) {
                        *msg = xasprintf("invalid name for build stage: \"%s\", name can't "
                                         "start with a number or contain symbols",
                                         in->args[2]);
                        return -1;
                }
                return 0;
        case BUILD_INSTR_ADD:
        case BUILD_INSTR_COPY:
                if (in->n_args < 2) {
                        *msg = xasprintf("%s requires at least two arguments, but only %s was "
                                         "provided: the destination could not be determined",
                                         what, in->n_args ? "one" : "none");
                        return -1;
                }
                return 0;
        case BUILD_INSTR_ARG:
                for (size_t i = 0; i < in->n_args; i++)
                        if (in->args[i][0] == '=') {
                                *msg = xasprintf("ARG names can not be blank: `%s`", in->args[i]);
                                return -1;
                        }
                /* fall through */
        case BUILD_INSTR_ENV:
        case BUILD_INSTR_LABEL:
        case BUILD_INSTR_EXPOSE:
        case BUILD_INSTR_RUN:
        case BUILD_INSTR_ONBUILD:
                if (in->n_args == 0 && in->sub == NULL) {
                        *msg = xasprintf("%s requires at least one argument", what);
                        return -1;
                }
                return 0;
        case BUILD_INSTR_VOLUME:
                if (in->n_args == 0) {
                        *msg = xstrdup("VOLUME requires at least one argument");
                        return -1;
                }
                for (size_t i = 0; i < in->n_args; i++)
                        if (in->args[i][0] == '\0') {
                                *msg = xstrdup("VOLUME specified can not be an empty string");
                                return -1;
                        }
                return 0;
        case BUILD_INSTR_SHELL:
                if (!in->json) {
                        *msg = xstrdup("SHELL requires the arguments to be in JSON form");
                        return -1;
                }
                if (in->n_args == 0) {
                        *msg = xstrdup("SHELL requires at least one argument");
                        return -1;
                }
                return 0;
        case BUILD_INSTR_MAINTAINER:
        case BUILD_INSTR_STOPSIGNAL:
        case BUILD_INSTR_USER:
        case BUILD_INSTR_WORKDIR:
                if (in->n_args != 1) {
                        *msg = xasprintf("%s requires exactly one argument", what);
                        return -1;
                }
                return 0;
        case BUILD_INSTR_HEALTHCHECK:
                return check_healthcheck(in, msg);
        default:
                return 0;
        }
}

int build_instruction_check(const struct build_instruction *in, char **msg)
{
        if (in->kind == BUILD_INSTR_UNKNOWN) {
                const char *hint = build_instr_suggest(in->name);
                if (hint != NULL)
                        *msg =
                            xasprintf("unknown instruction: %s (did you mean %s?)", in->name, hint);
                else
                        *msg = xasprintf("unknown instruction: %s", in->name);
                return -1;
        }
        if (check_flags(in, msg) < 0 || check_args(in, msg) < 0)
                return -1;
        if (in->sub == NULL)
                return 0;
        if (in->sub->kind == BUILD_INSTR_ONBUILD) {
                *msg = xstrdup("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                return -1;
        }
        if (in->sub->kind == BUILD_INSTR_FROM || in->sub->kind == BUILD_INSTR_MAINTAINER) {
                *msg = xasprintf("%s isn't allowed as an ONBUILD trigger",
                                 build_instr_name(in->sub->kind));
                return -1;
        }
        return build_instruction_check(in->sub, msg);
}

int build_instruction_validate(const struct build_dockerfile *df,
                               const struct build_instruction *in, struct berth_error **err)
{
        _cleanup_free_ char *msg = NULL;
        if (build_instruction_check(in, &msg) < 0)
                return berth_err(err, 0, "%s:%d: %s", df->file, in->start_line, msg);
        return 0;
}
