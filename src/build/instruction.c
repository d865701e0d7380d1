/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From one logical Dockerfile line to an instruction: BuildKit's splitting
 * of the name, the --flags and the arguments, instruction by instruction.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build/parse.h"
#include "build/text.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static const char *const names[BUILD_INSTR_COUNT] = {
    [BUILD_INSTR_ADD] = "ADD",
    [BUILD_INSTR_ARG] = "ARG",
    [BUILD_INSTR_CMD] = "CMD",
    [BUILD_INSTR_COPY] = "COPY",
    [BUILD_INSTR_ENTRYPOINT] = "ENTRYPOINT",
    [BUILD_INSTR_ENV] = "ENV",
    [BUILD_INSTR_EXPOSE] = "EXPOSE",
    [BUILD_INSTR_FROM] = "FROM",
    [BUILD_INSTR_HEALTHCHECK] = "HEALTHCHECK",
    [BUILD_INSTR_LABEL] = "LABEL",
    [BUILD_INSTR_MAINTAINER] = "MAINTAINER",
    [BUILD_INSTR_ONBUILD] = "ONBUILD",
    [BUILD_INSTR_RUN] = "RUN",
    [BUILD_INSTR_SHELL] = "SHELL",
    [BUILD_INSTR_STOPSIGNAL] = "STOPSIGNAL",
    [BUILD_INSTR_USER] = "USER",
    [BUILD_INSTR_VOLUME] = "VOLUME",
    [BUILD_INSTR_WORKDIR] = "WORKDIR",
};

const char *build_instr_name(enum build_instr kind)
{
        return kind > BUILD_INSTR_UNKNOWN && kind < BUILD_INSTR_COUNT ? names[kind] : NULL;
}

enum build_instr build_instr_lookup(const char *name)
{
        for (int k = BUILD_INSTR_UNKNOWN + 1; k < BUILD_INSTR_COUNT; k++)
                if (strcasecmp(names[k], name) == 0)
                        return (enum build_instr)k;
        return BUILD_INSTR_UNKNOWN;
}

bool build_instr_expands(enum build_instr kind)
{
        switch (kind) {
        case BUILD_INSTR_ADD:
        case BUILD_INSTR_ARG:
        case BUILD_INSTR_COPY:
        case BUILD_INSTR_ENV:
        case BUILD_INSTR_EXPOSE:
        case BUILD_INSTR_FROM:
        case BUILD_INSTR_LABEL:
        case BUILD_INSTR_STOPSIGNAL:
        case BUILD_INSTR_USER:
        case BUILD_INSTR_VOLUME:
        case BUILD_INSTR_WORKDIR:
                return true;
        default:
                return false;
        }
}

static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        if (la > 32 || lb > 32)
                return (size_t)-1;
        size_t d[33][33];
        for (size_t i = 0; i <= la; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = (a[i - 1] | 0x20) != (b[j - 1] | 0x20);
                        size_t v = d[i - 1][j - 1] + cost;
                        if (d[i - 1][j] + 1 < v)
                                v = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < v)
                                v = d[i][j - 1] + 1;
                        /* A swap of neighbours (FORM) is one typo. */
                        if (i > 1 && j > 1 && (a[i - 1] | 0x20) == (b[j - 2] | 0x20) &&
                            (a[i - 2] | 0x20) == (b[j - 1] | 0x20) && d[i - 2][j - 2] + 1 < v)
                                v = d[i - 2][j - 2] + 1;
                        d[i][j] = v;
                }
        return d[la][lb];
}

const char *build_instr_suggest(const char *name)
{
        const char *best = NULL;
        /* One typo per three letters, at least one. */
        size_t len = strlen(name), best_d = (len / 3 > 1 ? len / 3 : 1) + 1;
        for (int k = BUILD_INSTR_UNKNOWN + 1; k < BUILD_INSTR_COUNT; k++) {
                size_t d = edit_distance(name, names[k]);
                if (d < best_d) {
                        best_d = d;
                        best = names[k];
                }
        }
        return best;
}

static void add_arg(struct build_instruction *in, const char *s, size_t n)
{
        in->args = xrealloc(in->args, (in->n_args + 2) * sizeof(char *));
        in->arg_lens = xrealloc(in->arg_lens, (in->n_args + 1) * sizeof(size_t));
        in->args[in->n_args] = xstrndup(s, n);
        /* xstrndup stops at a NUL; a JSON string may hold one. */
        if (memchr(s, '\0', n) != NULL) {
                free(in->args[in->n_args]);
                in->args[in->n_args] = xmalloc(n + 1);
                memcpy(in->args[in->n_args], s, n);
                in->args[in->n_args][n] = '\0';
        }
        in->arg_lens[in->n_args] = n;
        in->n_args++;
        in->args[in->n_args] = NULL;
}

static void add_arg_str(struct build_instruction *in, const char *s)
{
        add_arg(in, s, strlen(s));
}

void build_instruction_clear(struct build_instruction *in)
{
        free(in->name);
        free(in->original);
        strv_free(in->flags);
        for (size_t i = 0; i < in->n_args; i++)
                free(in->args[i]);
        free(in->args);
        free(in->arg_lens);
        if (in->sub != NULL) {
                build_instruction_clear(in->sub);
                free(in->sub);
        }
        for (size_t i = 0; i < in->n_heredocs; i++) {
                free(in->heredocs[i].name);
                free(in->heredocs[i].content);
        }
        free(in->heredocs);
        memset(in, 0, sizeof(*in));
}

/* Leading --flags.  Quotes and backslashes inside a flag word are
 * processed; "--" alone ends the flags.  Returns the rest of the line. */
static const char *extract_flags(const char *line, char ***flags, size_t *n_flags)
{
        enum { SPACES, WORD, QUOTE } phase = SPACES;
        struct build_buf word = {0};
        bool blank_ok = false;
        char quote = 0;
        size_t len = strlen(line);
        const char *rest = line + len;
        for (size_t pos = 0; pos <= len; pos++) {
                char c = pos < len ? line[pos] : '\0';
                if (phase == SPACES) {
                        if (pos == len)
                                break;
                        if (build_text_is_hspace(c) || c == '\n')
                                continue;
                        if (c != '-' || pos + 1 == len || line[pos + 1] != '-') {
                                rest = line + pos;
                                break;
                        }
                        phase = WORD;
                }
                bool is_dashdash = word.len == 2 && memcmp(word.data, "--", 2) == 0;
                if (pos == len) {
                        if (!is_dashdash && (blank_ok || word.len > 0)) {
                                strv_append(flags, word.data ? word.data : "");
                                (*n_flags)++;
                        }
                        break;
                }
                if (phase == WORD) {
                        if (build_text_is_hspace(c) || c == '\n') {
                                phase = SPACES;
                                if (is_dashdash) {
                                        rest = line + pos;
                                        break;
                                }
                                if (blank_ok || word.len > 0) {
                                        strv_append(flags, word.data ? word.data : "");
                                        (*n_flags)++;
                                }
                                build_buf_free(&word);
                                blank_ok = false;
                                continue;
                        }
                        if (c == '\'' || c == '"') {
                                quote = c;
                                blank_ok = true;
                                phase = QUOTE;
                                continue;
                        }
                        if (c == '\\') {
                                if (pos + 1 == len)
                                        continue;
                                c = line[++pos];
                        }
                        build_buf_putc(&word, c);
                        continue;
                }
                /* QUOTE */
                if (c == quote) {
                        phase = WORD;
                        continue;
                }
                if (c == '\\') {
                        if (pos + 1 == len) {
                                phase = WORD;
                                continue;
                        }
                        c = line[++pos];
                }
                build_buf_putc(&word, c);
        }
        build_buf_free(&word);
        return rest;
}

/* Words separated by whitespace, quotes and escapes kept as written (they
 * are removed later, when the words are expanded). */
static char **parse_words(const char *rest, char escape)
{
        enum { SPACES, WORD, QUOTE } phase = SPACES;
        char **words = NULL;
        struct build_buf word = {0};
        bool blank_ok = false;
        uint32_t quote = 0, c = 0;
        size_t len = strlen(rest), w = 0;
        for (size_t pos = 0; pos <= len; pos += w) {
                if (pos < len)
                        w = build_text_rune(rest + pos, len - pos, &c);
                else
                        w = 1;
                if (phase == SPACES) {
                        if (pos == len)
                                break;
                        if (build_text_is_space(c))
                                continue;
                        phase = WORD;
                }
                if (pos == len) {
                        if (blank_ok || word.len > 0)
                                strv_append(&words, word.data ? word.data : "");
                        break;
                }
                if (phase == WORD) {
                        if (build_text_is_space(c)) {
                                phase = SPACES;
                                if (blank_ok || word.len > 0)
                                        strv_append(&words, word.data ? word.data : "");
                                build_buf_free(&word);
                                blank_ok = false;
                                continue;
                        }
                        if (c == '\'' || c == '"') {
                                quote = c;
                                blank_ok = true;
                                phase = QUOTE;
                        }
                        if (c == (uint32_t)escape) {
                                if (pos + w == len)
                                        continue; /* an escape at the very end is dropped */
                                /* The escape and the character after it are kept
                                 * together, even a quote, which then opens nothing. */
                                build_buf_put(&word, rest + pos, w);
                                pos += w;
                                w = build_text_rune(rest + pos, len - pos, &c);
                        }
                        build_buf_put(&word, rest + pos, w);
                        continue;
                }
                /* QUOTE */
                if (c == quote)
                        phase = WORD;
                if (c == (uint32_t)escape && quote != '\'') {
                        if (pos + w == len) {
                                phase = WORD;
                                continue;
                        }
                        build_buf_put(&word, rest + pos, w);
                        pos += w;
                        w = build_text_rune(rest + pos, len - pos, &c);
                }
                build_buf_put(&word, rest + pos, w);
        }
        build_buf_free(&word);
        return words;
}

static void split_whitespace(const char *rest, struct build_instruction *in)
{
        if (rest[0] == '\0')
                return;
        const char *p = rest;
        for (;;) {
                size_t n = 0;
                while (p[n] != '\0' && !build_text_is_hspace(p[n]))
                        n++;
                add_arg(in, p, n);
                p += n;
                if (*p == '\0')
                        break;
                while (build_text_is_hspace(*p))
                        p++;
        }
}

/* A copy of s with every invalid UTF-8 byte replaced by U+FFFD, as Go's
 * JSON decoder reads it. */
static char *valid_utf8(const char *s)
{
        struct build_buf b = {0};
        size_t len = strlen(s);
        for (size_t i = 0; i < len;) {
                uint32_t r;
                size_t w = build_text_rune(s + i, len - i, &r);
                if (r == 0xfffd && w == 1)
                        build_buf_puts(&b, "\xef\xbf\xbd");
                else
                        build_buf_put(&b, s + i, w);
                i += w;
        }
        return build_buf_steal(&b);
}

/* 1: a JSON array of strings (args set); 0: not JSON, take the shell form;
 * -1: JSON but not an array of strings, an error. */
static int parse_json(const char *rest, struct build_instruction *in, char **msg)
{
        while (*rest != '\0') {
                uint32_t r;
                size_t w = build_text_rune(rest, strlen(rest), &r);
                if (!build_text_is_space(r))
                        break;
                rest += w;
        }
        if (rest[0] != '[')
                return 0;
        _cleanup_free_ char *text = valid_utf8(rest);
        json_error_t jerr;
        /* Like Go's json.Decoder, read one value and ignore what follows. */
        _cleanup_json_ json_t *arr =
            json_loads(text, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &jerr);
        if (arr == NULL || !json_is_array(arr)) {
                in->json_fallback = true;
                return 0;
        }
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
                if (!json_is_string(v)) {
                        *msg = xstrdup("when using JSON array syntax, arrays must be comprised "
                                       "of strings only");
                        return -1;
                }
        }
        json_array_foreach(arr, i, v) add_arg(in, json_string_value(v), json_string_length(v));
        in->json = true;
        return 1;
}

static int parse_maybe_json(const char *rest, struct build_instruction *in, char **msg)
{
        if (rest[0] == '\0')
                return 0;
        int r = parse_json(rest, in, msg);
        if (r < 0)
                return -1;
        if (r == 0)
                add_arg_str(in, rest);
        return 0;
}

static int parse_maybe_json_list(const char *rest, struct build_instruction *in, char **msg)
{
        int r = parse_json(rest, in, msg);
        if (r < 0)
                return -1;
        if (r == 0)
                split_whitespace(rest, in);
        return 0;
}

/* ENV and LABEL: `KEY value` (the old form: the rest of the line is the
 * value) or `k=v k2="v 2" ...`; the form is chosen by the first word. */
static int parse_name_val(const char *rest, const char *what, char escape,
                          struct build_instruction *in, char **msg)
{
        _cleanup_strv_ char **words = parse_words(rest, escape);
        if (words == NULL)
                return 0;
        if (strchr(words[0], '=') == NULL) {
                size_t n = 0;
                while (rest[n] != '\0' && !build_text_is_hspace(rest[n]))
                        n++;
                if (rest[n] == '\0') {
                        *msg = xasprintf("%s must have two arguments", what);
                        return -1;
                }
                const char *value = rest + n;
                while (build_text_is_hspace(*value))
                        value++;
                add_arg(in, rest, n);
                add_arg_str(in, value);
                add_arg_str(in, "");
                return 0;
        }
        for (size_t i = 0; words[i] != NULL; i++) {
                const char *eq = strchr(words[i], '=');
                if (eq == NULL) {
                        *msg = xasprintf("Syntax error - can't find = in \"%s\". Must be of the "
                                         "form: name=value",
                                         words[i]);
                        return -1;
                }
                add_arg(in, words[i], (size_t)(eq - words[i]));
                add_arg_str(in, eq + 1);
                add_arg_str(in, "=");
        }
        return 0;
}

/* HEALTHCHECK TYPE [command]: the type, then the command as CMD takes it. */
static int parse_health(const char *rest, struct build_instruction *in, char **msg)
{
        size_t sep = 0;
        while (rest[sep] != '\0' && !build_text_is_hspace(rest[sep]) && rest[sep] != '\n')
                sep++;
        if (sep == 0)
                return 0;
        size_t next = sep;
        while (build_text_is_hspace(rest[next]) || rest[next] == '\n')
                next++;
        add_arg(in, rest, sep);
        return parse_maybe_json(rest + next, in, msg);
}

static int parse_args(enum build_instr kind, const char *rest, char escape, bool lenient,
                      struct build_instruction *in, char **msg)
{
        switch (kind) {
        case BUILD_INSTR_ADD:
        case BUILD_INSTR_COPY:
        case BUILD_INSTR_VOLUME:
                return parse_maybe_json_list(rest, in, msg);
        case BUILD_INSTR_CMD:
        case BUILD_INSTR_ENTRYPOINT:
        case BUILD_INSTR_RUN:
        case BUILD_INSTR_SHELL:
                return parse_maybe_json(rest, in, msg);
        case BUILD_INSTR_ENV:
                return parse_name_val(rest, "ENV", escape, in, msg);
        case BUILD_INSTR_LABEL:
                return parse_name_val(rest, "LABEL", escape, in, msg);
        case BUILD_INSTR_ARG: {
                char **words = parse_words(rest, escape);
                for (size_t i = 0; words != NULL && words[i] != NULL; i++)
                        add_arg_str(in, words[i]);
                strv_free(words);
                return 0;
        }
        case BUILD_INSTR_EXPOSE:
        case BUILD_INSTR_FROM:
                split_whitespace(rest, in);
                return 0;
        case BUILD_INSTR_HEALTHCHECK:
                return parse_health(rest, in, msg);
        case BUILD_INSTR_MAINTAINER:
        case BUILD_INSTR_STOPSIGNAL:
        case BUILD_INSTR_USER:
        case BUILD_INSTR_WORKDIR:
                if (rest[0] != '\0')
                        add_arg_str(in, rest);
                return 0;
        case BUILD_INSTR_ONBUILD: {
                if (rest[0] == '\0')
                        return 0;
                struct build_instruction *sub = xcalloc(1, sizeof(*sub));
                in->sub = sub;
                if (build_instruction_parse_line(rest, escape, lenient, sub, msg) < 0)
                        return -1;
                if (lenient)
                        return 0;
                if (sub->kind == BUILD_INSTR_ONBUILD) {
                        *msg = xstrdup("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                        return -1;
                }
                if (sub->kind == BUILD_INSTR_FROM || sub->kind == BUILD_INSTR_MAINTAINER) {
                        *msg = xasprintf("%s isn't allowed as an ONBUILD trigger",
                                         build_instr_name(sub->kind));
                        return -1;
                }
                return 0;
        }
        default:
                /* BuildKit's parser keeps an unknown instruction with one empty
                 * argument; its dump shows (foo ""). */
                add_arg_str(in, "");
                return 0;
        }
}

int build_instruction_parse_line(const char *line, char escape, bool lenient,
                                 struct build_instruction *in, char **msg)
{
        size_t start, end;
        build_text_trim(line, strlen(line), &start, &end);
        _cleanup_free_ char *trimmed = xstrndup(line + start, end - start);
        size_t n = 0;
        while (trimmed[n] != '\0' && !build_text_is_hspace(trimmed[n]))
                n++;
        in->name = xstrndup(trimmed, n);
        in->original = xstrdup(line);
        in->kind = build_instr_lookup(in->name);
        const char *after = trimmed + n;
        while (build_text_is_hspace(*after))
                after++;
        const char *rest = *after ? extract_flags(after, &in->flags, &in->n_flags) : after;
        build_text_trim(rest, strlen(rest), &start, &end);
        _cleanup_free_ char *args = xstrndup(rest + start, end - start);

        if (in->kind == BUILD_INSTR_UNKNOWN && !lenient)
                return build_instruction_check(in, msg); /* "unknown instruction" */
        return parse_args(in->kind, args, escape, lenient, in, msg);
}

bool build_instruction_takes_heredocs(const struct build_instruction *in)
{
        if (in->kind == BUILD_INSTR_ONBUILD && in->sub != NULL)
                in = in->sub;
        if (in->kind != BUILD_INSTR_RUN && in->kind != BUILD_INSTR_COPY &&
            in->kind != BUILD_INSTR_ADD)
                return false;
        return !in->json;
}
