/* SPDX-License-Identifier: Apache-2.0 */
/* .dockerignore: Docker's pattern rules (moby/patternmatcher). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "build/builder.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

struct ignore_pattern {
        char *pattern; /* cleaned, without "!" */
        bool exception;
};

struct build_ignore {
        struct ignore_pattern *v;
        size_t n;
};

int build_path_clean(const char *path, char **out)
{
        _cleanup_strv_ char **parts = xcalloc(1, sizeof(char *));
        size_t n = 0;
        const char *p = path;
        while (*p != '\0') {
                while (*p == '/')
                        p++;
                size_t len = strcspn(p, "/");
                if (len == 0)
                        break;
                if (len == 1 && p[0] == '.') {
                        /* nothing */
                } else if (len == 2 && p[0] == '.' && p[1] == '.') {
                        if (n == 0)
                                return -1;
                        free(parts[--n]);
                        parts[n] = NULL;
                } else {
                        _cleanup_free_ char *c = xstrndup(p, len);
                        strv_append(&parts, c);
                        n++;
                }
                p += len;
        }
        size_t total = 1;
        for (size_t i = 0; i < n; i++)
                total += strlen(parts[i]) + 1;
        char *s = xcalloc(1, total);
        char *w = s;
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(parts[i]);
                if (i > 0)
                        *w++ = '/';
                memcpy(w, parts[i], l);
                w += l;
        }
        *w = '\0';
        *out = s;
        return 0;
}

/* One bracket expression at p (after "["), against c; *end is set past
 * the closing "]".  Returns -1 for a malformed class (never matches). */
static int match_class(const char *p, char c, const char **end)
{
        bool negate = false, matched = false;
        if (*p == '^' || *p == '!') {
                negate = true;
                p++;
        }
        bool first = true;
        while (*p != '\0' && (*p != ']' || first)) {
                first = false;
                char lo = *p;
                if (lo == '\\' && p[1] != '\0')
                        lo = *++p;
                char hi = lo;
                if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
                        hi = p[2];
                        if (hi == '\\' && p[3] != '\0') {
                                hi = p[3];
                                p++;
                        }
                        p += 2;
                }
                if (c >= lo && c <= hi)
                        matched = true;
                p++;
        }
        if (*p != ']')
                return -1;
        *end = p + 1;
        return matched != negate && c != '/';
}

/* Docker's translation of a pattern to a regular expression, walked
 * directly: `*` and `?` stay inside one element, `**` crosses them, and
 * `**` followed by "/" may also match nothing at all. */
static bool match_here(const char *p, const char *s)
{
        for (;;) {
                switch (*p) {
                case '\0':
                        return *s == '\0';
                case '*':
                        if (p[1] == '*') {
                                const char *rest = p + 2;
                                if (*rest == '/') {
                                        /* zero or more whole elements, then the rest */
                                        if (match_here(rest + 1, s))
                                                return true;
                                        for (const char *t = s; *t; t++)
                                                if (*t == '/' && match_here(rest + 1, t + 1))
                                                        return true;
                                        return false;
                                }
                                for (const char *t = s;; t++) {
                                        if (match_here(rest, t))
                                                return true;
                                        if (*t == '\0')
                                                return false;
                                }
                        }
                        for (const char *t = s;; t++) {
                                if (match_here(p + 1, t))
                                        return true;
                                if (*t == '\0' || *t == '/')
                                        return false;
                        }
                case '?':
                        if (*s == '\0' || *s == '/')
                                return false;
                        p++;
                        s++;
                        break;
                case '[': {
                        const char *end = NULL;
                        if (*s == '\0')
                                return false;
                        int r = match_class(p + 1, *s, &end);
                        if (r <= 0)
                                return false;
                        p = end;
                        s++;
                        break;
                }
                case '\\':
                        if (p[1] != '\0')
                                p++;
                        /* fall through */
                default:
                        if (*p != *s)
                                return false;
                        p++;
                        s++;
                }
        }
}

int build_ignore_parse(const char *text, struct build_ignore **out, struct berth_error **err)
{
        struct build_ignore *ig = xcalloc(1, sizeof(*ig));
        const char *line = text;
        while (line != NULL && *line != '\0') {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                _cleanup_free_ char *l = xstrndup(line, len);
                line = nl ? nl + 1 : NULL;
                char *s = l;
                while (isspace((unsigned char)*s))
                        s++;
                size_t sl = strlen(s);
                while (sl > 0 && isspace((unsigned char)s[sl - 1]))
                        s[--sl] = '\0';
                if (*s == '\0' || *s == '#')
                        continue;
                bool exception = false;
                if (*s == '!') {
                        exception = true;
                        s++;
                        while (isspace((unsigned char)*s))
                                s++;
                }
                _cleanup_free_ char *clean = NULL;
                /* filepath.Clean of a pattern that climbs out leaves ".."
                 * in it, which matches nothing in the context. */
                if (build_path_clean(s, &clean) < 0 || *clean == '\0')
                        continue;
                ig->v = xrealloc(ig->v, (ig->n + 1) * sizeof(*ig->v));
                ig->v[ig->n].pattern = steal_pointer(&clean);
                ig->v[ig->n].exception = exception;
                ig->n++;
        }
        *out = ig;
        return 0;
}

bool build_ignore_match(const struct build_ignore *ig, const char *path)
{
        if (ig == NULL)
                return false;
        bool matched = false;
        for (size_t i = 0; i < ig->n; i++) {
                const struct ignore_pattern *p = &ig->v[i];
                /* Only a pattern that could change the answer is tried. */
                if (p->exception != matched)
                        continue;
                bool m = match_here(p->pattern, path);
                if (!m) {
                        /* A pattern matching a parent directory covers
                         * everything under it. */
                        _cleanup_free_ char *parent = xstrdup(path);
                        for (char *slash = strrchr(parent, '/'); slash != NULL && !m;
                             slash = strrchr(parent, '/')) {
                                *slash = '\0';
                                m = match_here(p->pattern, parent);
                        }
                }
                if (m)
                        matched = !p->exception;
        }
        return matched;
}

void build_ignore_free(struct build_ignore *ig)
{
        if (ig == NULL)
                return;
        for (size_t i = 0; i < ig->n; i++)
                free(ig->v[i].pattern);
        free(ig->v);
        free(ig);
}

void build_ignore_freep(struct build_ignore **ig)
{
        build_ignore_free(*ig);
        *ig = NULL;
}
