/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/format.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

char *cli_human_size(int64_t bytes)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = (double)bytes;
        size_t u = 0;
        while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000.0;
                u++;
        }
        return xasprintf("%.3g%s", v, units[u]);
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

char *cli_template_expand(const char *tmpl, json_t *obj)
{
        char *out = xstrdup("");
        size_t len = 0;
        for (const char *p = tmpl; *p;) {
                if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
                        append(&out, &len, p[1] == 't' ? "\t" : "\n", 1);
                        p += 2;
                        continue;
                }
                if (strncmp(p, "{{", 2) != 0) {
                        append(&out, &len, p, 1);
                        p++;
                        continue;
                }
                const char *end = strstr(p, "}}");
                if (end == NULL) {
                        append(&out, &len, p, strlen(p));
                        break;
                }
                _cleanup_free_ char *expr = xstrndup(p + 2, (size_t)(end - p - 2));
                p = end + 2;
                char *e = expr;
                while (*e == ' ')
                        e++;
                bool as_json = false;
                if (strncmp(e, "json ", 5) == 0) {
                        as_json = true;
                        e += 5;
                        while (*e == ' ')
                                e++;
                }
                char *tail = e + strlen(e);
                while (tail > e && tail[-1] == ' ')
                        *--tail = '\0';
                json_t *v = obj;
                if (strcmp(e, ".") != 0) {
                        char *save = NULL;
                        for (char *k = strtok_r(e, ".", &save); k && v;
                             k = strtok_r(NULL, ".", &save))
                                v = json_object_get(v, k);
                }
                if (v == NULL) {
                        append(&out, &len, as_json ? "null" : "<no value>", as_json ? 4 : 10);
                        continue;
                }
                if (!as_json) {
                        _cleanup_free_ char *text = go_print(v);
                        append(&out, &len, text, strlen(text));
                        continue;
                }
                _cleanup_free_ char *dump =
                    json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
                append(&out, &len, dump, strlen(dump));
        }
        return out;
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
