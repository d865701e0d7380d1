/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Dockerfile's lines: parser directives, comments, continuations and
 * heredoc bodies, as BuildKit's parser reads them; each logical line then
 * goes to instruction.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build/parse.h"
#include "build/text.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct reader {
        const char *text;
        size_t len, pos;
        int line; /* lines consumed so far */
};

/* The next physical line, its newline included. */
static bool read_line(struct reader *r, const char **s, size_t *n)
{
        if (r->pos >= r->len)
                return false;
        const char *start = r->text + r->pos;
        const char *nl = memchr(start, '\n', r->len - r->pos);
        size_t len = nl ? (size_t)(nl - start) + 1 : r->len - r->pos;
        r->pos += len;
        r->line++;
        *s = start;
        *n = len;
        return true;
}

static size_t trim_newline(const char *s, size_t n)
{
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                n--;
        return n;
}

static size_t skip_leading_space(const char *s, size_t n)
{
        size_t start, end;
        build_text_trim(s, n, &start, &end);
        (void)end;
        /* build_text_trim trims both ends; only the leading part counts. */
        return start;
}

static bool is_comment(const char *s, size_t n)
{
        n = trim_newline(s, n);
        size_t i = skip_leading_space(s, n);
        return i < n && s[i] == '#';
}

struct directives {
        bool done;
        char escape;
        char *syntax, *check;
        bool seen_escape;
};

static bool is_re_space(char c)
{
        /* Go regexp's \s */
        return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/*
 * Directives ("# escape=`") count only at the very top: the first line
 * that is not one (a comment, a blank line, an instruction) ends them, as
 * in BuildKit.  Returns -1 with *msg on a bad or repeated directive.
 */
static int directive(struct directives *d, const char *s, size_t n, char **msg)
{
        if (d->done)
                return 0;
        size_t i = 0;
        if (n == 0 || s[0] != '#') {
                d->done = true;
                return 0;
        }
        i = 1;
        while (i < n && is_re_space(s[i]))
                i++;
        size_t key = i;
        if (i >= n || !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')) {
                d->done = true;
                return 0;
        }
        while (i < n &&
               (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') || (s[i] >= '0' && s[i] <= '9')))
                i++;
        size_t key_end = i;
        while (i < n && is_re_space(s[i]))
                i++;
        if (i >= n || s[i] != '=') {
                d->done = true;
                return 0;
        }
        i++;
        while (i < n && is_re_space(s[i]))
                i++;
        size_t end = n;
        while (end > i && is_re_space(s[end - 1]))
                end--;
        if (end == i) {
                d->done = true;
                return 0;
        }
        _cleanup_free_ char *name = xstrndup(s + key, key_end - key);
        _cleanup_free_ char *value = xstrndup(s + i, end - i);
        char **slot = NULL;
        bool *seen = NULL;
        bool seen_syntax = d->syntax != NULL, seen_check = d->check != NULL;
        if (strcasecmp(name, "escape") == 0) {
                seen = &d->seen_escape;
        } else if (strcasecmp(name, "syntax") == 0) {
                slot = &d->syntax;
                seen = &seen_syntax;
        } else if (strcasecmp(name, "check") == 0) {
                slot = &d->check;
                seen = &seen_check;
        } else {
                d->done = true;
                return 0;
        }
        if (*seen) {
                for (char *p = name; *p; p++)
                        *p = (char)(*p | 0x20);
                *msg = xasprintf("only one %s parser directive can be used", name);
                return -1;
        }
        *seen = true;
        if (slot != NULL) {
                *slot = steal_pointer(&value);
                return 0;
        }
        if (strcmp(value, "`") != 0 && strcmp(value, "\\") != 0) {
                *msg = xasprintf("invalid escape token '%s' does not match ` or \\", value);
                return -1;
        }
        d->escape = value[0];
        return 0;
}

/*
 * A line ending in the escape character (then only blanks) continues on
 * the next; a doubled escape at the end is an escaped escape, no
 * continuation.  Returns the new length (the escape and blanks dropped) and
 * whether the line continues.
 */
static bool continues(const char *s, size_t *n, char escape)
{
        size_t k = *n;
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
                k--;
        if (k == 0 || s[k - 1] != escape)
                return false;
        if (k >= 2 && s[k - 2] == escape)
                return false;
        *n = k - 1;
        return true;
}

static void add_warning(struct build_dockerfile *df, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_warning(struct build_dockerfile *df, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        df->warnings = xrealloc(df->warnings, (df->n_warnings + 1) * sizeof(*df->warnings));
        df->warnings[df->n_warnings].line = line;
        df->warnings[df->n_warnings].msg = xvasprintf(fmt, ap);
        df->n_warnings++;
        va_end(ap);
}

static int fail(struct berth_error **err, const char *file, int line, const char *msg)
{
        return berth_err(err, 0, "%s:%d: %s", file, line > 0 ? line : 1, msg);
}

/* Read the bodies of the heredocs the instruction's line opened. */
static int read_heredocs(struct reader *r, struct build_instruction *in, const char *file,
                         struct berth_error **err)
{
        for (size_t i = 0; i < in->n_heredocs; i++) {
                struct build_heredoc *h = &in->heredocs[i];
                struct build_buf body = {0};
                bool terminated = false;
                const char *s;
                size_t n;
                while (read_line(r, &s, &n)) {
                        size_t len = trim_newline(s, n), off = 0;
                        if (h->chomp)
                                while (off < len && s[off] == '\t')
                                        off++;
                        if (len - off == strlen(h->name) &&
                            memcmp(s + off, h->name, len - off) == 0) {
                                terminated = true;
                                break;
                        }
                        /* <<- strips leading tabs from the body too. */
                        build_buf_put(&body, s + off, n - off);
                        if (s[n - 1] != '\n')
                                build_buf_putc(&body, '\n');
                }
                h->content = build_buf_steal(&body);
                if (!terminated) {
                        _cleanup_free_ char *msg =
                            xasprintf("unterminated heredoc: no line `%s` after line %d", h->name,
                                      in->start_line);
                        return fail(err, file, in->start_line, msg);
                }
        }
        return 0;
}

static int parse_instruction(struct reader *r, struct build_dockerfile *df, const char *line,
                             int start, unsigned flags, struct berth_error **err)
{
        struct build_instruction in = {0};
        _cleanup_free_ char *msg = NULL;
        if (build_instruction_parse_line(line, df->escape, flags & BUILD_PARSE_LENIENT, &in, &msg) <
            0) {
                build_instruction_clear(&in);
                return fail(err, df->file, start, msg);
        }
        in.start_line = start;
        if (build_instruction_takes_heredocs(&in)) {
                int n = build_heredocs_from_line(line, &in.heredocs, &msg);
                if (n < 0) {
                        build_instruction_clear(&in);
                        return fail(err, df->file, start, msg);
                }
                in.n_heredocs = (size_t)n;
                if (read_heredocs(r, &in, df->file, err) < 0) {
                        build_instruction_clear(&in);
                        return -EINVAL;
                }
        }
        in.end_line = r->line;
        df->instrs = xrealloc(df->instrs, (df->n_instrs + 1) * sizeof(*df->instrs));
        df->instrs[df->n_instrs++] = in;
        return 0;
}

int build_dockerfile_parse(const char *file, const char *text, size_t len, unsigned flags,
                           struct build_dockerfile **out, struct berth_error **err)
{
        if (memchr(text, '\0', len) != NULL)
                return berth_err(err, 0, "%s: contains a NUL byte: not a Dockerfile", file);
        struct build_dockerfile *df = xcalloc(1, sizeof(*df));
        df->file = xstrdup(file);
        struct directives d = {.escape = '\\'};
        struct reader r = {.text = text, .len = len};
        /* A UTF-8 byte order mark is no part of the first line. */
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                r.pos = 3;
        const char *s;
        size_t n;
        int ret = 0;
        while (read_line(&r, &s, &n)) {
                bool comment = is_comment(s, n);
                size_t l = trim_newline(s, n), i = skip_leading_space(s, l);
                _cleanup_free_ char *msg = NULL;
                if (directive(&d, s + i, l - i, &msg) < 0) {
                        ret = fail(err, file, r.line, msg);
                        goto out;
                }
                df->escape = d.escape;
                if (comment)
                        continue;
                int start = r.line;
                struct build_buf line = {0};
                build_buf_put(&line, s + i, l - i);
                bool more = continues(line.data, &line.len, d.escape);
                line.data[line.len] = '\0';
                if (!more && line.len == 0) {
                        build_buf_free(&line);
                        continue;
                }
                bool empty_continuation = false;
                while (more && read_line(&r, &s, &n)) {
                        if (is_comment(s, n))
                                continue; /* comments inside a continuation vanish */
                        size_t cl = trim_newline(s, n);
                        if (skip_leading_space(s, cl) == cl) {
                                empty_continuation = true;
                                continue;
                        }
                        more = continues(s, &cl, d.escape);
                        build_buf_put(&line, s, cl);
                }
                if (empty_continuation)
                        add_warning(df, start,
                                    "empty continuation line (a future release of the "
                                    "Dockerfile syntax makes this an error)");
                char *joined = build_buf_steal(&line);
                ret = parse_instruction(&r, df, joined, start, flags, err);
                free(joined);
                if (ret < 0)
                        goto out;
        }
        if (df->n_instrs == 0) {
                ret = fail(err, file, r.line, "file with no instructions");
                goto out;
        }
        df->syntax = steal_pointer(&d.syntax);
        df->check = steal_pointer(&d.check);
        *out = steal_pointer(&df);
out:
        free(d.syntax);
        free(d.check);
        build_dockerfile_free(df);
        return ret;
}

int build_dockerfile_parse_file(int dirfd, const char *path, const char *file, unsigned flags,
                                struct build_dockerfile **out, struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (util_file_read(dirfd, path, &text, &len, err) < 0)
                return berth_err_wrap(err, "reading the Dockerfile");
        return build_dockerfile_parse(file, text, len, flags, out, err);
}

void build_dockerfile_free(struct build_dockerfile *df)
{
        if (df == NULL)
                return;
        for (size_t i = 0; i < df->n_instrs; i++)
                build_instruction_clear(&df->instrs[i]);
        free(df->instrs);
        build_warnings_free(df->warnings, df->n_warnings);
        free(df->file);
        free(df->syntax);
        free(df->check);
        free(df);
}

void build_dockerfile_freep(struct build_dockerfile **df)
{
        build_dockerfile_free(*df);
}

void build_warnings_free(struct build_warning *w, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(w[i].msg);
        free(w);
}
