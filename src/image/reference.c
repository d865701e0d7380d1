/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "image/digest.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The grammar is distribution/reference's (reference.go, regexp.go):
 * a domain is dot-separated components of [a-zA-Z0-9-] not starting or
 * ending with '-', or a bracketed IPv6 address, with an optional port; a
 * path is '/'-separated components of [a-z0-9]+ joined by '.', '_', '__'
 * or a run of '-'. */

#define NAME_MAX_TOTAL 255

static bool valid_domain_component(const char *s, size_t n)
{
        if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool valid_domain(const char *s, size_t n)
{
        size_t hostlen = n;
        const char *colon = NULL;
        if (n > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (close == NULL || close - s < 3)
                        return false;
                for (const char *p = s + 1; p < close; p++)
                        if (!isxdigit((unsigned char)*p) && *p != ':')
                                return false;
                hostlen = (size_t)(close - s) + 1;
                if (hostlen < n) {
                        if (s[hostlen] != ':')
                                return false;
                        colon = s + hostlen;
                }
        } else {
                colon = memchr(s, ':', n);
                if (colon != NULL)
                        hostlen = (size_t)(colon - s);
                size_t start = 0;
                for (size_t i = 0; i <= hostlen; i++) {
                        if (i == hostlen || s[i] == '.') {
                                if (!valid_domain_component(s + start, i - start))
                                        return false;
                                start = i + 1;
                        }
                }
        }
        if (colon != NULL) {
                size_t plen = n - (size_t)(colon - s) - 1;
                if (plen == 0)
                        return false;
                for (size_t i = 1; i <= plen; i++)
                        if (!isdigit((unsigned char)colon[i]))
                                return false;
        }
        return true;
}

/* One path component; uppercase letters are reported separately so the
 * error can say "must be lowercase" as Docker does. */
static bool valid_path_component(const char *s, size_t n, bool *upper)
{
        if (n == 0)
                return false;
        size_t i = 0;
        while (i < n) {
                size_t run = 0;
                while (i < n && (isdigit((unsigned char)s[i]) || isalpha((unsigned char)s[i]))) {
                        if (isupper((unsigned char)s[i]))
                                *upper = true;
                        i++;
                        run++;
                }
                if (run == 0)
                        return false;
                if (i == n)
                        return true;
                /* separator: '.', '_', '__' or one or more '-' */
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i++;
                        if (i < n && s[i] == '_')
                                i++;
                } else if (s[i] == '-') {
                        while (i < n && s[i] == '-')
                                i++;
                } else {
                        return false;
                }
                if (i == n)
                        return false;
        }
        return true;
}

static bool valid_tag(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128)
                return false;
        if (!isalnum((unsigned char)t[0]) && t[0] != '_')
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
                        return false;
        return true;
}

int image_reference_is_id_prefix(const char *s)
{
        if (strncmp(s, "sha256:", 7) == 0)
                s += 7;
        size_t n = strlen(s);
        return n >= 1 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

int image_reference_parse(const char *s, struct image_reference **out, struct berth_error **err)
{
        if (*s == '\0')
                return berth_err(err, 0, "invalid reference format: empty name");
        _cleanup_free_ char *name = NULL;
        _cleanup_free_ char *tag = NULL;
        _cleanup_free_ char *digest = NULL;

        const char *at = strchr(s, '@');
        size_t namelen = at ? (size_t)(at - s) : strlen(s);
        if (at != NULL) {
                const char *d = at + 1;
                const char *colon = strchr(d, ':');
                if (colon == NULL || colon == d || strlen(colon + 1) < 32)
                        return berth_err(err, 0, "invalid reference format: bad digest `%s`", d);
                _cleanup_error_ struct berth_error *derr = NULL;
                if (image_digest_validate(d, &derr) < 0)
                        return berth_err(err, 0, "invalid reference format: %s", derr->msg);
                digest = xstrdup(d);
        }
        /* A tag is a ':' after the last '/'; a ':' before it is a port. */
        const char *slash = memrchr(s, '/', namelen);
        const char *tagc =
            memchr(slash ? slash : s, ':', namelen - (size_t)((slash ? slash : s) - s));
        if (tagc != NULL) {
                tag = xstrndup(tagc + 1, namelen - (size_t)(tagc + 1 - s));
                namelen = (size_t)(tagc - s);
                if (!valid_tag(tag))
                        return berth_err(err, 0, "invalid reference format: bad tag `%s`", tag);
        }
        if (namelen == 0)
                return berth_err(err, 0, "invalid reference format: `%s` has no name", s);
        if (namelen > NAME_MAX_TOTAL)
                return berth_err(err, 0,
                                 "invalid reference format: repository name must not be more "
                                 "than %d characters",
                                 NAME_MAX_TOTAL);
        name = xstrndup(s, namelen);
        if (strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64)
                return berth_err(err, 0,
                                 "invalid repository name (%s), cannot specify 64-byte "
                                 "hexadecimal strings",
                                 name);

        /* Docker's rule: the first component is a domain when it has a '.'
         * or ':', is "localhost", or has an uppercase letter. */
        _cleanup_free_ char *domain = NULL;
        const char *path = name;
        char *first = strchr(name, '/');
        if (first != NULL) {
                size_t flen = (size_t)(first - name);
                bool upper = false;
                for (size_t i = 0; i < flen; i++)
                        upper |= isupper((unsigned char)name[i]) != 0;
                if (memchr(name, '.', flen) || memchr(name, ':', flen) ||
                    (flen == 9 && strncmp(name, "localhost", 9) == 0) || upper) {
                        if (!valid_domain(name, flen))
                                return berth_err(err, 0,
                                                 "invalid reference format: bad registry host "
                                                 "in `%s`",
                                                 s);
                        domain = xstrndup(name, flen);
                        path = first + 1;
                }
        }
        if (domain == NULL || strcmp(domain, "index.docker.io") == 0) {
                free(domain);
                domain = xstrdup("docker.io");
        }
        bool upper = false;
        for (const char *p = path;;) {
                const char *e = strchr(p, '/');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (!valid_path_component(p, n, &upper))
                        return berth_err(err, 0, "invalid reference format: `%s`", s);
                if (e == NULL)
                        break;
                p = e + 1;
        }
        if (upper)
                return berth_err(err, 0,
                                 "invalid reference format: repository name (%s) must be "
                                 "lowercase",
                                 path);

        struct image_reference *r = xcalloc(1, sizeof(*r));
        if (strcmp(domain, "docker.io") == 0 && strchr(path, '/') == NULL)
                r->path = xasprintf("library/%s", path);
        else
                r->path = xstrdup(path);
        r->domain = steal_pointer(&domain);
        if (tag == NULL && digest == NULL)
                tag = xstrdup("latest");
        r->tag = steal_pointer(&tag);
        r->digest = steal_pointer(&digest);
        *out = r;
        return 0;
}

char *image_reference_name(const struct image_reference *r)
{
        return xasprintf("%s/%s", r->domain, r->path);
}

char *image_reference_name_tag(const struct image_reference *r)
{
        if (r->tag == NULL)
                return NULL;
        return xasprintf("%s/%s:%s", r->domain, r->path, r->tag);
}

char *image_reference_string(const struct image_reference *r)
{
        return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "",
                         r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *image_reference_familiar_name(const char *name)
{
        if (strncmp(name, "docker.io/", 10) == 0) {
                const char *rest = name + 10;
                if (strncmp(rest, "library/", 8) == 0 && strchr(rest + 8, '/') == NULL)
                        return xstrdup(rest + 8);
                return xstrdup(rest);
        }
        return xstrdup(name);
}

void image_reference_free(struct image_reference *r)
{
        if (r == NULL)
                return;
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        free(r);
}

void image_reference_freep(struct image_reference **r)
{
        image_reference_free(*r);
        *r = NULL;
}
