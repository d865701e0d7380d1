/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "build/expand.h"
#include "build/text.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define END (-1)

struct lexer {
        const char *src;
        size_t len, pos;
        char *const *env;
        struct build_expand_opts o;
        char *error; /* the first error; scanning stops at it */
};

/* Words being split at unquoted whitespace, as BuildKit's wordsStruct:
 * text from quotes is taken whole, text from the source or from unquoted
 * expansions splits. */
struct words {
        struct build_buf word;
        char **list;
        bool in_word;
};

static void words_add_raw(struct words *w, const char *s, size_t n)
{
        if (w == NULL)
                return;
        build_buf_put(&w->word, s, n);
        w->in_word = true;
}

static void words_add_rune(struct words *w, const char *s, size_t n, uint32_t r)
{
        if (w == NULL)
                return;
        if (build_text_is_space(r)) {
                if (w->in_word && w->word.len > 0) {
                        char *word = build_buf_steal(&w->word);
                        strv_append(&w->list, word);
                        free(word);
                        w->in_word = false;
                }
                return;
        }
        words_add_raw(w, s, n);
}

static void words_add_split(struct words *w, const char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                uint32_t r;
                size_t k = build_text_rune(s + i, n - i, &r);
                words_add_rune(w, s + i, k, r);
                i += k;
        }
}

static char **words_finish(struct words *w)
{
        if (w->word.len > 0) {
                char *word = build_buf_steal(&w->word);
                strv_append(&w->list, word);
                free(word);
        }
        build_buf_free(&w->word);
        char **list = w->list ? w->list : xcalloc(1, sizeof(char *));
        w->list = NULL;
        return list;
}

static int fail(struct lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct lexer *lx, const char *fmt, ...)
{
        if (lx->error == NULL) {
                va_list ap;
                va_start(ap, fmt);
                lx->error = xvasprintf(fmt, ap);
                va_end(ap);
        }
        return -1;
}

/* The rune at the cursor (END at the end) and its width. */
static int peek_w(struct lexer *lx, size_t *w)
{
        if (lx->pos >= lx->len) {
                *w = 0;
                return END;
        }
        uint32_t r;
        *w = build_text_rune(lx->src + lx->pos, lx->len - lx->pos, &r);
        return (int)r;
}

static int peek(struct lexer *lx)
{
        size_t w;
        return peek_w(lx, &w);
}

/* Consume one rune; its bytes (as written, even if malformed) are
 * src[*at .. *at + *w). */
static int next(struct lexer *lx, size_t *at, size_t *w)
{
        size_t width;
        int r = peek_w(lx, &width);
        if (at != NULL)
                *at = lx->pos;
        if (w != NULL)
                *w = width;
        lx->pos += width;
        return r;
}

static bool is_special_param(int c)
{
        return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
               c == '0';
}

static char *scan_name(struct lexer *lx)
{
        size_t start = lx->pos, w;
        int c = peek_w(lx, &w);
        if (c == END)
                return xstrdup("");
        if (build_text_is_digit((uint32_t)c)) {
                /* $1, $999: positional parameters, never set here. */
                while ((c = peek_w(lx, &w)) != END && build_text_is_digit((uint32_t)c))
                        lx->pos += w;
                return xstrndup(lx->src + start, lx->pos - start);
        }
        if (is_special_param(c)) {
                lx->pos += w;
                return xstrndup(lx->src + start, w);
        }
        while ((c = peek_w(lx, &w)) != END && (c == '_' || build_text_is_alnum((uint32_t)c)))
                lx->pos += w;
        return xstrndup(lx->src + start, lx->pos - start);
}

static int lookup(struct lexer *lx, const char *name, const char **value)
{
        if (lx->o.on_use != NULL)
                lx->o.on_use(lx->o.data, name);
        int set = build_env_lookup(lx->env, name, value);
        if (!set)
                *value = "";
        return set;
}

static int scan(struct lexer *lx, int stop, struct build_buf *out, struct words *w);
static int expand_pattern(struct lexer *lx, struct build_buf *out, const char *name, int op);

/* The word after ${name<op>, up to the closing brace. */
static int scan_operand(struct lexer *lx, struct build_buf *word)
{
        if (scan(lx, '}', word, NULL) < 0) {
                if (peek(lx) == END) {
                        free(lx->error);
                        lx->error = NULL;
                        return fail(lx, "syntax error: missing '}'");
                }
                return -1;
        }
        return 0;
}

/* Whether the glob pattern matches value[i..j) exactly. */
static bool glob_match(const char *pattern, const char *value, size_t i, size_t j)
{
        _cleanup_free_ char *part = xstrndup(value + i, j - i);
        return fnmatch(pattern, part, 0) == 0;
}

/* ${v#p} ${v##p} ${v%p} ${v%%p}: drop the shortest (or, doubled, the
 * longest) prefix or suffix that matches the glob. */
static void trim_pattern(struct build_buf *out, const char *value, const char *pattern, bool suffix,
                         bool longest)
{
        size_t n = strlen(value);
        for (size_t k = 0; k <= n; k++) {
                size_t len = longest ? n - k : k;
                bool hit = suffix ? glob_match(pattern, value, n - len, n)
                                  : glob_match(pattern, value, 0, len);
                if (hit) {
                        build_buf_put(out, suffix ? value : value + len, n - len);
                        return;
                }
        }
        build_buf_puts(out, value);
}

/* ${v/p/r} ${v//p/r}: replace the leftmost longest match (or every one). */
static void replace_pattern(struct build_buf *out, const char *value, const char *pattern,
                            const char *repl, bool all)
{
        size_t n = strlen(value), i = 0;
        bool done = pattern[0] == '\0';
        if (!done && strpbrk(pattern, "*?[\\") == NULL) {
                /* A plain string: no need to try every span. */
                size_t pl = strlen(pattern);
                for (const char *hit; !done && (hit = strstr(value + i, pattern)) != NULL;) {
                        build_buf_put(out, value + i, (size_t)(hit - value) - i);
                        build_buf_puts(out, repl);
                        i = (size_t)(hit - value) + pl;
                        done = !all;
                }
                build_buf_puts(out, value + i);
                return;
        }
        while (i < n) {
                size_t end = 0;
                bool hit = false;
                for (size_t j = n; !done && j > i; j--)
                        if (glob_match(pattern, value, i, j)) {
                                hit = true;
                                end = j;
                                break;
                        }
                if (!hit) {
                        build_buf_putc(out, value[i++]);
                        continue;
                }
                build_buf_puts(out, repl);
                i = end;
                done = !all;
        }
}

static int expand_dollar(struct lexer *lx, struct build_buf *out)
{
        const char *value;
        next(lx, NULL, NULL); /* '$' */
        if (peek(lx) != '{') {
                _cleanup_free_ char *name = scan_name(lx);
                if (name[0] == '\0') {
                        build_buf_putc(out, '$');
                        return 0;
                }
                if (!lookup(lx, name, &value)) {
                        if (lx->o.on_unset != NULL)
                                lx->o.on_unset(lx->o.data, name);
                        if (lx->o.skip_unset) {
                                build_buf_printf(out, "$%s", name);
                                return 0;
                        }
                }
                build_buf_puts(out, value);
                return 0;
        }
        next(lx, NULL, NULL); /* '{' */
        int c = peek(lx);
        if (c == END)
                return fail(lx, "syntax error: missing '}'");
        if (c == '{' || c == '}' || c == ':')
                return fail(lx, "syntax error: bad substitution");
        _cleanup_free_ char *name = scan_name(lx);
        size_t at, width;
        int op = next(lx, &at, &width);
        if (op == '}') {
                if (!lookup(lx, name, &value)) {
                        if (lx->o.on_unset != NULL)
                                lx->o.on_unset(lx->o.data, name);
                        if (lx->o.skip_unset) {
                                build_buf_printf(out, "${%s}", name);
                                return 0;
                        }
                }
                build_buf_puts(out, value);
                return 0;
        }
        if (op == END)
                return fail(lx, "syntax error: missing '}'");
        if (op == '#' || op == '%' || op == '/')
                return expand_pattern(lx, out, name, op);
        bool colon = op == ':';
        if (colon) {
                op = next(lx, &at, &width);
                if (op == END)
                        return fail(lx, "syntax error: missing '}'");
        }
        if (op != '-' && op != '+' && op != '?')
                return fail(lx, "unsupported modifier (%.*s) in substitution", (int)width,
                            lx->src + at);
        struct build_buf word = {0};
        if (scan_operand(lx, &word) < 0) {
                build_buf_free(&word);
                return -1;
        }
        _cleanup_free_ char *operand = build_buf_steal(&word);
        int set = lookup(lx, name, &value);
        if (lx->o.skip_unset && !set) {
                build_buf_printf(out, "${%s%s%c%s}", name, colon ? ":" : "", op, operand);
                return 0;
        }
        /* With the colon, an empty value counts as unset. */
        bool present = colon ? set && value[0] != '\0' : set;
        switch (op) {
        case '-':
                build_buf_puts(out, present ? value : operand);
                return 0;
        case '+':
                build_buf_puts(out, present ? operand : "");
                return 0;
        default: /* '?' */
                if (!set)
                        return fail(lx, "%s: %s", name,
                                    operand[0] ? operand : "is not allowed to be unset");
                if (!present)
                        return fail(lx, "%s: %s", name,
                                    operand[0] ? operand : "is not allowed to be empty");
                build_buf_puts(out, value);
                return 0;
        }
}

/* The forms with a glob pattern: ${v#p} ${v##p} ${v%p} ${v%%p} ${v/p/r}
 * ${v//p/r}.  The pattern itself may hold expansions. */
static int expand_pattern(struct lexer *lx, struct build_buf *out, const char *name, int op)
{
        bool doubled = peek(lx) == op;
        if (doubled)
                next(lx, NULL, NULL);
        struct build_buf pat = {0}, repl = {0};
        int r;
        if (op == '/') {
                /* The pattern ends at the next unescaped slash; the escapes stay
                 * for fnmatch to honour. */
                bool saved = lx->o.raw_escapes;
                lx->o.raw_escapes = true;
                r = scan(lx, '/', &pat, NULL);
                if (r == 0)
                        r = scan_operand(lx, &repl);
                lx->o.raw_escapes = saved;
        } else {
                r = scan_operand(lx, &pat);
        }
        _cleanup_free_ char *pattern = build_buf_steal(&pat);
        _cleanup_free_ char *replacement = build_buf_steal(&repl);
        if (r < 0)
                return -1;
        const char *value;
        if (!lookup(lx, name, &value) && lx->o.skip_unset) {
                const char *ops = op == '/'   ? (doubled ? "//" : "/")
                                  : op == '#' ? (doubled ? "##" : "#")
                                              : (doubled ? "%%" : "%");
                if (op == '/')
                        build_buf_printf(out, "${%s%s%s/%s}", name, ops, pattern, replacement);
                else
                        build_buf_printf(out, "${%s%s%s}", name, ops, pattern);
                return 0;
        }
        if (op == '/')
                replace_pattern(out, value, pattern, replacement, doubled);
        else
                trim_pattern(out, value, pattern, op == '%', doubled);
        return 0;
}

static int single_quote(struct lexer *lx, struct build_buf *out)
{
        size_t at, w;
        next(lx, &at, &w);
        if (lx->o.raw_quotes)
                build_buf_putc(out, '\'');
        for (;;) {
                int c = next(lx, &at, &w);
                if (c == END)
                        return fail(lx, "unexpected end of statement while looking for "
                                        "matching single-quote");
                if (c == '\'') {
                        if (lx->o.raw_quotes)
                                build_buf_putc(out, '\'');
                        return 0;
                }
                build_buf_put(out, lx->src + at, w);
        }
}

static int double_quote(struct lexer *lx, struct build_buf *out)
{
        size_t at, w;
        next(lx, &at, &w);
        if (lx->o.raw_quotes)
                build_buf_putc(out, '"');
        for (;;) {
                int c = peek(lx);
                if (c == END)
                        return fail(lx, "unexpected end of statement while looking for "
                                        "matching double-quote");
                if (c == '"') {
                        next(lx, NULL, NULL);
                        if (lx->o.raw_quotes)
                                build_buf_putc(out, '"');
                        return 0;
                }
                if (c == '$') {
                        if (expand_dollar(lx, out) < 0)
                                return -1;
                        continue;
                }
                next(lx, &at, &w);
                if (c == lx->o.escape) {
                        /* Inside double quotes the escape character only
                         * escapes ", $ and itself; elsewhere it is literal. */
                        int n = peek(lx);
                        if (n == END)
                                continue;
                        if (n == '"' || n == '$' || n == lx->o.escape) {
                                if (lx->o.raw_escapes)
                                        build_buf_putc(out, lx->o.escape);
                                next(lx, &at, &w);
                        }
                }
                build_buf_put(out, lx->src + at, w);
        }
}

static int scan(struct lexer *lx, int stop, struct build_buf *out, struct words *w)
{
        for (;;) {
                int c = peek(lx);
                if (c == END)
                        break;
                if (stop != END && c == stop) {
                        next(lx, NULL, NULL);
                        return 0;
                }
                if (c == '$' || c == '\'' || c == '"') {
                        struct build_buf part = {0};
                        int r = c == '$'    ? expand_dollar(lx, &part)
                                : c == '\'' ? single_quote(lx, &part)
                                            : double_quote(lx, &part);
                        if (r < 0) {
                                build_buf_free(&part);
                                return -1;
                        }
                        build_buf_put(out, part.data ? part.data : "", part.len);
                        /* Unquoted expansions split; quoted text stays whole. */
                        if (c == '$')
                                words_add_split(w, part.data ? part.data : "", part.len);
                        else
                                words_add_raw(w, part.data ? part.data : "", part.len);
                        build_buf_free(&part);
                        continue;
                }
                size_t at, width;
                next(lx, &at, &width);
                if (c == lx->o.escape) {
                        if (lx->o.raw_escapes) {
                                build_buf_putc(out, lx->o.escape);
                                words_add_raw(w, &lx->o.escape, 1);
                        }
                        c = next(lx, &at, &width);
                        if (c == END)
                                break; /* a trailing escape is dropped */
                        build_buf_put(out, lx->src + at, width);
                        words_add_raw(w, lx->src + at, width);
                        continue;
                }
                build_buf_put(out, lx->src + at, width);
                words_add_rune(w, lx->src + at, width, (uint32_t)c);
        }
        if (stop != END)
                return fail(lx, "unexpected end of statement while looking for matching %c", stop);
        return 0;
}

static int run(const char *word, char *const *env, const struct build_expand_opts *opts, char **out,
               char ***words, struct berth_error **err)
{
        struct lexer lx = {.src = word, .len = strlen(word), .env = env};
        if (opts != NULL)
                lx.o = *opts;
        if (lx.o.escape == 0)
                lx.o.escape = '\\';
        struct build_buf result = {0};
        struct words w = {0};
        if (scan(&lx, END, &result, words ? &w : NULL) < 0) {
                build_buf_free(&result);
                strv_free(words_finish(&w));
                int r = berth_err(err, 0, "failed to process \"%s\": %s", word, lx.error);
                free(lx.error);
                return r;
        }
        if (out != NULL)
                *out = build_buf_steal(&result);
        build_buf_free(&result);
        if (words != NULL)
                *words = words_finish(&w);
        return 0;
}

int build_expand_word(const char *word, char *const *env, const struct build_expand_opts *opts,
                      char **out, struct berth_error **err)
{
        return run(word, env, opts, out, NULL, err);
}

int build_expand_words(const char *word, char *const *env, const struct build_expand_opts *opts,
                       char ***out, struct berth_error **err)
{
        return run(word, env, opts, NULL, out, err);
}

int build_env_lookup(char *const *env, const char *name, const char **value)
{
        int found = 0;
        size_t n = strlen(name);
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
                if (strncmp(env[i], name, n) != 0)
                        continue;
                if (env[i][n] == '=') {
                        *value = env[i] + n + 1;
                        found = 1;
                } else if (env[i][n] == '\0') {
                        *value = "";
                        found = 1;
                }
        }
        return found;
}
