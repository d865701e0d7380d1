/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* bytes in the largest unit under which it is at least 1. */
static char *scaled(int64_t bytes, double base, const char *const units[6], int digits)
{
        double v = (double)bytes;
        size_t u = 0;
        while (v >= base && u + 1 < 6) {
                v /= base;
                u++;
        }
        return xasprintf("%.*g%s", digits, v, units[u]);
}

char *cli_human_size(int64_t bytes)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        return scaled(bytes, 1000.0, units, 3);
}

char *cli_bytes_size(int64_t bytes)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        return scaled(bytes, 1024.0, units, 4);
}

char *cli_human_ago(time_t t)
{
        if (t == (time_t)-1)
                return xstrdup("N/A");
        double secs = difftime(time(NULL), t);
        if (secs < 0)
                secs = 0;
        long s = (long)secs;
        long minutes = s / 60;
        long hours = (long)(secs / 3600.0 + 0.5);
        char *d;
        if (secs < 1)
                d = xstrdup("Less than a second");
        else if (s == 1)
                d = xstrdup("1 second");
        else if (s < 60)
                d = xasprintf("%ld seconds", s);
        else if (minutes == 1)
                d = xstrdup("About a minute");
        else if (minutes < 60)
                d = xasprintf("%ld minutes", minutes);
        else if (hours == 1)
                d = xstrdup("About an hour");
        else if (hours < 48)
                d = xasprintf("%ld hours", hours);
        else if (hours < 24 * 7 * 2)
                d = xasprintf("%ld days", hours / 24);
        else if (hours < 24 * 30 * 2)
                d = xasprintf("%ld weeks", hours / 24 / 7);
        else if (hours < 24 * 365 * 2)
                d = xasprintf("%ld months", hours / 24 / 30);
        else
                d = xasprintf("%ld years", (long)(secs / 3600.0 / 24 / 365));
        char *out = xasprintf("%s ago", d);
        free(d);
        return out;
}

char *cli_time_string(time_t t)
{
        struct tm tm;
        gmtime_r(&t, &tm);
        char buf[64];
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        return xstrdup(buf);
}

struct cli_table {
        size_t ncols;
        char ***rows;
        size_t nrows;
};

struct cli_table *cli_table_new(size_t ncols)
{
        struct cli_table *t = xcalloc(1, sizeof(*t));
        t->ncols = ncols;
        return t;
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
        t->rows = xrealloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
        char **row = xcalloc(t->ncols, sizeof(char *));
        for (size_t i = 0; i < t->ncols; i++) {
                row[i] = xstrdup(cells[i] ? cells[i] : "");
                /* Cells carry image metadata (history, labels): an escape
                 * sequence in them must not reach the terminal, and a
                 * newline must not break the table. */
                for (unsigned char *p = (unsigned char *)row[i]; *p; p++)
                        if (*p < 0x20 || *p == 0x7f)
                                *p = ' ';
        }
        t->rows[t->nrows++] = row;
}

/* Display width: count UTF-8 code points, not bytes. */
size_t cli_width(const char *s)
{
        size_t w = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        w++;
        return w;
}

void cli_table_print(struct cli_table *t, FILE *out)
{
        _cleanup_free_ size_t *w = xcalloc(t->ncols, sizeof(size_t));
        for (size_t r = 0; r < t->nrows; r++)
                for (size_t c = 0; c < t->ncols; c++) {
                        size_t n = cli_width(t->rows[r][c]) + 3;
                        if (n < 10)
                                n = 10;
                        if (n > w[c])
                                w[c] = n;
                }
        for (size_t r = 0; r < t->nrows; r++) {
                for (size_t c = 0; c < t->ncols; c++) {
                        fputs(t->rows[r][c], out);
                        if (c + 1 < t->ncols)
                                fprintf(out, "%*s", (int)(w[c] - cli_width(t->rows[r][c])), "");
                }
                fputc('\n', out);
        }
}

void cli_table_free(struct cli_table *t)
{
        if (t == NULL)
                return;
        for (size_t r = 0; r < t->nrows; r++) {
                for (size_t c = 0; c < t->ncols; c++)
                        free(t->rows[r][c]);
                free(t->rows[r]);
        }
        free(t->rows);
        free(t);
}

char *cli_truncate(const char *s, size_t max)
{
        if (cli_width(s) <= max)
                return xstrdup(s);
        size_t cols = 0;
        const char *p = s;
        for (; *p; p++) {
                if (((unsigned char)*p & 0xc0) != 0x80) {
                        if (cols == max - 1)
                                break;
                        cols++;
                }
        }
        return xasprintf("%.*s…", (int)(p - s), s);
}

static void append(char **buf, size_t *len, const char *s, size_t n)
{
        *buf = xrealloc(*buf, *len + n + 1);
        memcpy(*buf + *len, s, n);
        *len += n;
        (*buf)[*len] = '\0';
}

static int key_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A value as Go's text/template prints it without `json`: strings raw,
 * lists as [a b], objects as map[k:v] with sorted keys, null as <nil>. */
static char *go_print(json_t *v)
{
        if (json_is_string(v))
                return xstrdup(json_string_value(v));
        if (json_is_null(v))
                return xstrdup("<nil>");
        char *out = xstrdup("");
        size_t len = 0;
        if (json_is_array(v)) {
                append(&out, &len, "[", 1);
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e)
                {
                        _cleanup_free_ char *t = go_print(e);
                        if (i > 0)
                                append(&out, &len, " ", 1);
                        append(&out, &len, t, strlen(t));
                }
                append(&out, &len, "]", 1);
                return out;
        }
        if (json_is_object(v)) {
                size_t n = json_object_size(v), k = 0;
                _cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));
                const char *key;
                json_t *e;
                json_object_foreach(v, key, e) keys[k++] = key;
                qsort(keys, n, sizeof(char *), key_cmp);
                append(&out, &len, "map[", 4);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *t = go_print(json_object_get(v, keys[i]));
                        if (i > 0)
                                append(&out, &len, " ", 1);
                        append(&out, &len, keys[i], strlen(keys[i]));
                        append(&out, &len, ":", 1);
                        append(&out, &len, t, strlen(t));
                }
                append(&out, &len, "]", 1);
                return out;
        }
        free(out);
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* ---- a Go text/template subset ---- */

struct tmpl {
        const char *p; /* the next unread byte of the template */
        char *out;
        size_t len;
};

static void skip_space(const char **s)
{
        while (**s == ' ' || **s == '\t')
                (*s)++;
}

static bool truthy(json_t *v)
{
        if (v == NULL || json_is_null(v) || json_is_false(v))
                return false;
        if (json_is_string(v))
                return json_string_length(v) > 0;
        if (json_is_array(v))
                return json_array_size(v) > 0;
        if (json_is_object(v))
                return json_object_size(v) > 0;
        if (json_is_integer(v))
                return json_integer_value(v) != 0;
        if (json_is_real(v))
                return json_real_value(v) != 0;
        return true;
}

/* .A.B from v; a new reference, NULL when missing. */
static json_t *fields(const char **s, json_t *v)
{
        json_incref(v);
        while (**s == '.' && (isalnum((unsigned char)(*s)[1]) || (*s)[1] == '_')) {
                const char *k = ++*s;
                while (isalnum((unsigned char)**s) || **s == '_')
                        (*s)++;
                _cleanup_free_ char *key = xstrndup(k, (size_t)(*s - k));
                json_t *next = json_object_get(v, key);
                json_incref(next);
                json_decref(v);
                v = next;
        }
        return v;
}

static json_t *pipeline(const char **s, json_t *dot);

/* One operand: ., .A.B, "str", a number, or (pipeline) with fields after. */
static json_t *operand(const char **s, json_t *dot)
{
        skip_space(s);
        if (**s == '(') {
                (*s)++;
                _cleanup_json_ json_t *v = pipeline(s, dot);
                skip_space(s);
                if (**s == ')')
                        (*s)++;
                return fields(s, v);
        }
        if (**s == '"') {
                const char *b = ++*s;
                while (**s && **s != '"')
                        *s += (**s == '\\' && (*s)[1]) ? 2 : 1;
                _cleanup_free_ char *str = xstrndup(b, (size_t)(*s - b));
                if (**s == '"')
                        (*s)++;
                return json_string(str);
        }
        if (isdigit((unsigned char)**s) || **s == '-') {
                char *end;
                long long n = strtoll(*s, &end, 10);
                *s = end;
                return json_integer(n);
        }
        if (**s == '.') {
                if (!isalnum((unsigned char)(*s)[1]) && (*s)[1] != '_') {
                        (*s)++;
                        return json_incref(dot);
                }
                return fields(s, dot);
        }
        /* An unknown word: skip it, it has no value. */
        while (**s && !strchr(" \t)", **s))
                (*s)++;
        return NULL;
}

static bool word(const char **s, const char *w)
{
        size_t n = strlen(w);
        if (strncmp(*s, w, n) != 0 || (isalnum((unsigned char)(*s)[n]) || (*s)[n] == '_'))
                return false;
        *s += n;
        return true;
}

static json_t *index_of(json_t *v, json_t *key)
{
        if (json_is_array(v) && json_is_integer(key))
                return json_incref(json_array_get(v, (size_t)json_integer_value(key)));
        if (json_is_object(v) && json_is_string(key))
                return json_incref(json_object_get(v, json_string_value(key)));
        return NULL;
}

/* A command: a function and its arguments, or one operand.  Functions:
 * json, index, join, len, lower, upper (Docker's template funcs), and
 * Go's eq, ne, not. */
static json_t *command(const char **s, json_t *dot, json_t *piped)
{
        skip_space(s);
        if (word(s, "json")) {
                _cleanup_json_ json_t *v = piped ? json_incref(piped) : operand(s, dot);
                if (v == NULL)
                        return json_string("null");
                _cleanup_free_ char *d =
                    json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
                return json_string(d);
        }
        if (word(s, "index")) {
                _cleanup_json_ json_t *v = operand(s, dot);
                json_t *cur = json_incref(v);
                for (skip_space(s); **s && **s != ')' && **s != '|'; skip_space(s)) {
                        _cleanup_json_ json_t *k = operand(s, dot);
                        json_t *next = index_of(cur, k);
                        json_decref(cur);
                        cur = next;
                }
                return cur;
        }
        if (word(s, "join")) {
                _cleanup_json_ json_t *v = operand(s, dot);
                _cleanup_json_ json_t *sep = operand(s, dot);
                char *out = xstrdup("");
                size_t len = 0, i;
                json_t *e;
                json_array_foreach(v, i, e)
                {
                        _cleanup_free_ char *t = go_print(e);
                        if (i > 0 && json_is_string(sep))
                                append(&out, &len, json_string_value(sep), json_string_length(sep));
                        append(&out, &len, t, strlen(t));
                }
                json_t *r = json_string(out);
                free(out);
                return r;
        }
        if (word(s, "len")) {
                _cleanup_json_ json_t *v = piped ? json_incref(piped) : operand(s, dot);
                size_t n = json_is_array(v)    ? json_array_size(v)
                           : json_is_object(v) ? json_object_size(v)
                           : json_is_string(v) ? json_string_length(v)
                                               : 0;
                return json_integer((json_int_t)n);
        }
        bool is_eq = word(s, "eq");
        if (is_eq || word(s, "ne")) {
                /* Go's eq a b c: a equals any of the others. */
                _cleanup_json_ json_t *a = piped ? json_incref(piped) : operand(s, dot);
                bool hit = false;
                for (skip_space(s); **s && **s != ')' && **s != '|'; skip_space(s)) {
                        _cleanup_json_ json_t *b = operand(s, dot);
                        hit |= a != NULL && b != NULL && json_equal(a, b);
                }
                return json_boolean(is_eq ? hit : !hit);
        }
        if (word(s, "not")) {
                _cleanup_json_ json_t *v = piped ? json_incref(piped) : operand(s, dot);
                return json_boolean(!truthy(v));
        }
        bool up = word(s, "upper");
        if (up || word(s, "lower")) {
                _cleanup_json_ json_t *v = piped ? json_incref(piped) : operand(s, dot);
                _cleanup_free_ char *t = v ? go_print(v) : xstrdup("");
                for (char *c = t; *c; c++)
                        *c = (char)(up ? toupper((unsigned char)*c) : tolower((unsigned char)*c));
                return json_string(t);
        }
        /* Docker's methods that take a key, {{.Label "k"}}: here a map
         * and the key to look up in it ("" when missing, as the method). */
        json_t *v = operand(s, dot);
        for (skip_space(s); json_is_object(v) && **s == '"'; skip_space(s)) {
                _cleanup_json_ json_t *k = operand(s, dot);
                json_t *next = index_of(v, k);
                json_decref(v);
                v = next ? next : json_string("");
        }
        return v;
}

static json_t *pipeline(const char **s, json_t *dot)
{
        json_t *v = command(s, dot, NULL);
        for (skip_space(s); **s == '|'; skip_space(s)) {
                (*s)++;
                json_t *next = command(s, dot, v);
                json_decref(v);
                v = next;
        }
        return v;
}

/* The action at t->p ("{{" already consumed) up to "}}": its text, with
 * the trim markers applied. */
static char *action(struct tmpl *t)
{
        const char *b = t->p, *e = strstr(b, "}}");
        if (e == NULL)
                e = b + strlen(b);
        t->p = *e ? e + 2 : e;
        if (*b == '-' && (b[1] == ' ' || b[1] == '\t')) {
                b++;
                while (t->len > 0 && isspace((unsigned char)t->out[t->len - 1]))
                        t->out[--t->len] = '\0';
        }
        if (e > b && e[-1] == '-' && e - 1 > b && (e[-2] == ' ' || e[-2] == '\t')) {
                e--;
                while (isspace((unsigned char)*t->p))
                        t->p++;
        }
        char *a = xstrndup(b, (size_t)(e - b));
        char *tail = a + strlen(a);
        while (tail > a && (tail[-1] == ' ' || tail[-1] == '\t'))
                *--tail = '\0';
        return a;
}

enum stop { STOP_EOF, STOP_END, STOP_ELSE };

/* Text and actions up to the {{end}} or {{else}} of this level; output
 * only when emit (a branch not taken is still parsed, to find its end). */
static enum stop expand(struct tmpl *t, json_t *dot, bool emit)
{
        while (*t->p) {
                if (t->p[0] == '\\' && (t->p[1] == 't' || t->p[1] == 'n')) {
                        if (emit)
                                append(&t->out, &t->len, t->p[1] == 't' ? "\t" : "\n", 1);
                        t->p += 2;
                        continue;
                }
                if (strncmp(t->p, "{{", 2) != 0) {
                        if (emit)
                                append(&t->out, &t->len, t->p, 1);
                        t->p++;
                        continue;
                }
                t->p += 2;
                _cleanup_free_ char *a = action(t);
                const char *s = a;
                skip_space(&s);
                if (word(&s, "end"))
                        return STOP_END;
                if (word(&s, "else"))
                        return STOP_ELSE;
                bool is_if = word(&s, "if");
                if (is_if || word(&s, "range")) {
                        _cleanup_json_ json_t *v = emit ? pipeline(&s, dot) : NULL;
                        const char *body = t->p;
                        if (is_if) {
                                enum stop st = expand(t, dot, emit && truthy(v));
                                if (st == STOP_ELSE)
                                        expand(t, dot, emit && !truthy(v));
                                continue;
                        }
                        /* range: the body once per element (a map's values
                         * in key order, as Go), else the else branch. */
                        size_t n = json_is_array(v) ? json_array_size(v) : json_object_size(v);
                        _cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));
                        if (json_is_object(v)) {
                                const char *key;
                                json_t *e;
                                size_t k = 0;
                                json_object_foreach(v, key, e) keys[k++] = key;
                                qsort(keys, n, sizeof(char *), key_cmp);
                        }
                        enum stop st = expand(t, dot, false);
                        for (size_t i = 0; i < n; i++) {
                                t->p = body;
                                json_t *e = json_is_array(v) ? json_array_get(v, i)
                                                             : json_object_get(v, keys[i]);
                                st = expand(t, e, true);
                        }
                        if (st == STOP_ELSE)
                                expand(t, dot, emit && n == 0);
                        continue;
                }
                if (!emit)
                        continue;
                _cleanup_json_ json_t *v = pipeline(&s, dot);
                if (v == NULL) {
                        append(&t->out, &t->len, "<no value>", 10);
                        continue;
                }
                _cleanup_free_ char *text = go_print(v);
                append(&t->out, &t->len, text, strlen(text));
        }
        return STOP_EOF;
}

/* Each command of an action names a function berth has, or none: an
 * unknown one would otherwise print "<no value>" and exit 0. */
static int check_functions(const char *a, struct berth_error **err)
{
        static const char *const known[] = {"json", "index", "join",  "len", "eq",    "ne",
                                            "not",  "upper", "lower", "if",  "range", "end",
                                            "else", "true",  "false", "nil"};
        /* Go's and Docker's that berth does not have. */
        static const char *const missing[] = {
            "and",  "or",       "print", "printf", "println",  "html",  "js",    "urlquery",
            "call", "lt",       "le",    "gt",     "ge",       "slice", "split", "title",
            "pad",  "truncate", "with",  "define", "template", "block", "break", "continue"};
        bool start = true, quoted = false;
        for (const char *c = a; *c; c++) {
                if (quoted) {
                        quoted = !(*c == '"' && c[-1] != '\\');
                        continue;
                }
                if (*c == '"') {
                        quoted = true;
                } else if (*c == '|' || *c == '(') {
                        start = true;
                } else if (start && (isalpha((unsigned char)*c) || *c == '_')) {
                        size_t n = strspn(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_");
                        _cleanup_free_ char *f = xstrndup(c, n);
                        bool ok = false;
                        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                                ok |= strcmp(f, known[i]) == 0;
                        for (size_t i = 0; !ok && i < sizeof(missing) / sizeof(missing[0]); i++)
                                if (strcmp(f, missing[i]) == 0)
                                        return berth_err(
                                            err, 0,
                                            "template parsing error: function \"%s\" is not "
                                            "supported by berth",
                                            f);
                        if (!ok)
                                return berth_err(err, 0,
                                                 "template parsing error: template: :1: function "
                                                 "\"%s\" not defined",
                                                 f);
                        /* "if" and "range" are followed by a pipeline. */
                        start = strcmp(f, "if") == 0 || strcmp(f, "range") == 0;
                        c += n - 1;
                } else if (!isspace((unsigned char)*c) && *c != '-') {
                        start = false;
                }
        }
        return 0;
}

int cli_template_check(const char *tmpl, struct berth_error **err)
{
        int depth = 0;
        for (const char *p = strstr(tmpl, "{{"); p != NULL; p = strstr(p, "{{")) {
                const char *end = strstr(p + 2, "}}");
                if (end == NULL)
                        return berth_err(err, 0, "template parsing error: unclosed action");
                _cleanup_free_ char *a = xstrndup(p + 2, (size_t)(end - p - 2));
                const char *s = a + (a[0] == '-' ? 1 : 0);
                skip_space(&s);
                int parens = 0;
                bool quoted = false;
                for (const char *c = s; *c; c++) {
                        if (*c == '"' && (c == s || c[-1] != '\\'))
                                quoted = !quoted;
                        else if (!quoted)
                                parens += *c == '(' ? 1 : *c == ')' ? -1 : 0;
                }
                if (quoted || parens != 0)
                        return berth_err(err, 0, "template parsing error: bad action {{%s}}", a);
                if (check_functions(s, err) < 0)
                        return berth_err_ret(*err);
                if (word(&s, "if") || word(&s, "range")) {
                        skip_space(&s);
                        if (*s == '\0' || *s == '-')
                                return berth_err(
                                    err, 0, "template parsing error: missing value in {{%s}}", a);
                        depth++;
                } else if (word(&s, "end") && --depth < 0) {
                        return berth_err(err, 0, "template parsing error: unexpected {{end}}");
                } else if (word(&s, "else") && depth == 0) {
                        return berth_err(err, 0, "template parsing error: unexpected {{else}}");
                }
                p = end + 2;
        }
        if (depth > 0)
                return berth_err(err, 0,
                                 "template parsing error: unexpected EOF (an {{end}} is missing)");
        return 0;
}

char *cli_template_expand(const char *tmpl, json_t *obj)
{
        struct tmpl t = {.p = tmpl, .out = xstrdup("")};
        while (*t.p)
                expand(&t, obj, true);
        return t.out;
}

struct cli_list_format {
        const char *tmpl; /* NULL: json */
        struct cli_table *table;
};

/* A template's output split at tabs into a row of the table (empty
 * cells kept: an empty PORTS is still a column). */
static void table_row(struct cli_table **t, const char *tmpl, json_t *obj)
{
        _cleanup_free_ char *line = cli_template_expand(tmpl, obj);
        _cleanup_strv_ char **cells = xcalloc(1, sizeof(char *));
        char *rest = line;
        for (char *c = strsep(&rest, "\t"); c; c = strsep(&rest, "\t"))
                strv_append(&cells, c);
        if (*t == NULL)
                *t = cli_table_new(strv_len(cells));
        while (strv_len(cells) < (*t)->ncols)
                strv_append(&cells, "");
        cli_table_add(*t, (const char *const *)cells);
}

struct cli_list_format *cli_list_format_new(const char *format, const char *default_row,
                                            json_t *headers)
{
        struct cli_list_format *f = xcalloc(1, sizeof(*f));
        if (format == NULL)
                format = "table";
        if (strcmp(format, "json") == 0 || strcmp(format, "{{json .}}") == 0)
                return f;
        f->tmpl = format;
        if (strncmp(format, "table", 5) == 0 &&
            (format[5] == '\0' || isspace((unsigned char)format[5]))) {
                f->tmpl = format + 5 + strspn(format + 5, " ");
                if (*f->tmpl == '\0')
                        f->tmpl = default_row;
                table_row(&f->table, f->tmpl, headers);
        }
        return f;
}

bool cli_list_format_is_json(const struct cli_list_format *f)
{
        return f->tmpl == NULL;
}

void cli_list_format_row(struct cli_list_format *f, json_t *obj)
{
        if (f->tmpl == NULL) {
                _cleanup_free_ char *s = json_dumps(obj, JSON_COMPACT);
                puts(s);
        } else if (f->table != NULL) {
                table_row(&f->table, f->tmpl, obj);
        } else {
                _cleanup_free_ char *s = cli_template_expand(f->tmpl, obj);
                puts(s);
        }
}

void cli_list_format_end(struct cli_list_format *f)
{
        if (f->table != NULL) {
                cli_table_print(f->table, stdout);
                cli_table_free(f->table);
        }
        free(f);
}

bool cli_progress_enabled(void)
{
        return isatty(STDOUT_FILENO) == 1;
}

void cli_progress_line(const char *what, const char *digest, int64_t size, void *data)
{
        (void)data;
        _cleanup_free_ char *hs = cli_human_size(size);
        printf("%-14s %.19s  %s\n", what, digest, size > 0 ? hs : "");
        fflush(stdout);
}

void cli_inspect_print(json_t *docs, const char *format)
{
        if (format == NULL) {
                _cleanup_free_ char *s = json_dumps(docs, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                puts(s);
                return;
        }
        size_t i;
        json_t *o;
        json_array_foreach(docs, i, o)
        {
                _cleanup_free_ char *s = cli_template_expand(format, o);
                puts(s);
        }
}
