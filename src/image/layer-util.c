/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <string.h>

#include "image/layer-private.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int layer_path_clean(const char *name, char **out)
{
        size_t len = strlen(name);
        _cleanup_free_ char *res = xmalloc(len + 1);
        size_t n = 0;
        const char *p = name;
        while (*p != '\0') {
                while (*p == '/')
                        p++;
                const char *c = p;
                while (*p != '\0' && *p != '/')
                        p++;
                size_t clen = (size_t)(p - c);
                if (clen == 0 || (clen == 1 && c[0] == '.'))
                        continue;
                if (clen == 2 && c[0] == '.' && c[1] == '.') {
                        if (n == 0)
                                return -1;
                        while (n > 0 && res[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--; /* the separator before it */
                        continue;
                }
                if (n > 0)
                        res[n++] = '/';
                memcpy(res + n, c, clen);
                n += clen;
        }
        res[n] = '\0';
        *out = steal_pointer(&res);
        return 0;
}

struct layer_set {
        char **keys;
        char **values;
        size_t cap; /* a power of two */
        size_t count;
};

static uint64_t hash(const char *s)
{
        /* FNV-1a: the keys are paths, not attacker-chosen for collisions
         * that matter (a slow layer is all a crafted one can get). */
        uint64_t h = 1469598103934665603ULL;
        for (; *s != '\0'; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h;
}

struct layer_set *layer_set_new(void)
{
        struct layer_set *s = xcalloc(1, sizeof(*s));
        s->cap = 64;
        s->keys = xcalloc(s->cap, sizeof(char *));
        s->values = xcalloc(s->cap, sizeof(char *));
        return s;
}

static size_t slot(const struct layer_set *s, const char *key)
{
        size_t i = (size_t)hash(key) & (s->cap - 1);
        while (s->keys[i] != NULL && strcmp(s->keys[i], key) != 0)
                i = (i + 1) & (s->cap - 1);
        return i;
}

static void grow(struct layer_set *s)
{
        char **keys = s->keys, **values = s->values;
        size_t cap = s->cap;
        s->cap *= 2;
        s->keys = xcalloc(s->cap, sizeof(char *));
        s->values = xcalloc(s->cap, sizeof(char *));
        for (size_t i = 0; i < cap; i++) {
                if (keys[i] == NULL)
                        continue;
                size_t j = slot(s, keys[i]);
                s->keys[j] = keys[i];
                s->values[j] = values[i];
        }
        free(keys);
        free(values);
}

bool layer_set_add(struct layer_set *s, const char *key, const char *value)
{
        if ((s->count + 1) * 2 > s->cap)
                grow(s);
        size_t i = slot(s, key);
        if (s->keys[i] != NULL)
                return false;
        s->keys[i] = xstrdup(key);
        s->values[i] = value != NULL ? xstrdup(value) : NULL;
        s->count++;
        return true;
}

bool layer_set_contains(const struct layer_set *s, const char *key)
{
        return s->keys[slot(s, key)] != NULL;
}

const char *layer_set_get(const struct layer_set *s, const char *key)
{
        size_t i = slot(s, key);
        return s->keys[i] != NULL ? s->values[i] : NULL;
}

size_t layer_set_count(const struct layer_set *s)
{
        return s->count;
}

void layer_set_free(struct layer_set *s)
{
        if (s == NULL)
                return;
        for (size_t i = 0; i < s->cap; i++) {
                free(s->keys[i]);
                free(s->values[i]);
        }
        free(s->keys);
        free(s->values);
        free(s);
}

void layer_set_freep(struct layer_set **s)
{
        layer_set_free(*s);
}

bool layer_xattr_is_private(const char *name)
{
        return strncmp(name, "trusted.overlay.", 16) == 0 ||
               strncmp(name, "user.overlay.", 13) == 0;
}
