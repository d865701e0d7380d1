/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

int util_json_load_string(const char *text, size_t len, const char *what, json_t **out,
                          struct berth_error **err)
{
        json_error_t jerr;
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (j == NULL)
                return berth_err(err, EINVAL, "%s: invalid JSON at line %d: %s", what, jerr.line,
                                 jerr.text);
        *out = j;
        return 0;
}

int util_json_load_file(int dirfd, const char *path, json_t **out, struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = util_file_read(dirfd, path, &text, &len, err);
        if (r < 0)
                return r;
        return util_json_load_string(text, len, path, out, err);
}

int util_json_write(int dirfd, const char *name, json_t *value, unsigned flags,
                    struct berth_error **err)
{
        _cleanup_free_ char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (text == NULL)
                return berth_err(err, ENOMEM, "encoding `%s`", name);
        return util_file_write(dirfd, name, text, strlen(text), 0644, flags, err);
}

int util_json_write_atomic(int dirfd, const char *name, json_t *value, struct berth_error **err)
{
        return util_json_write(dirfd, name, value, UTIL_WRITE_DURABLE, err);
}

static int get(json_t *obj, const char *key, json_t **v)
{
        *v = obj != NULL ? json_object_get(obj, key) : NULL;
        return *v != NULL && !json_is_null(*v);
}

static int mismatch(const char *what, const char *type, struct berth_error **err)
{
        return berth_err(err, EINVAL, "%s: expected %s", what, type);
}

int util_json_string(json_t *obj, const char *key, const char *what, const char **out,
                     struct berth_error **err)
{
        json_t *v;
        if (!get(obj, key, &v))
                return 0;
        if (!json_is_string(v))
                return mismatch(what, "a string", err);
        *out = json_string_value(v);
        return 1;
}

int util_json_dup_string(json_t *obj, const char *key, const char *what, char **out,
                         struct berth_error **err)
{
        const char *s;
        int r = util_json_string(obj, key, what, &s, err);
        if (r > 0) {
                free(*out);
                *out = xstrdup(s);
        }
        return r;
}

int util_json_int(json_t *obj, const char *key, const char *what, int64_t *out,
                  struct berth_error **err)
{
        json_t *v;
        if (!get(obj, key, &v))
                return 0;
        if (!json_is_integer(v))
                return mismatch(what, "an integer", err);
        *out = json_integer_value(v);
        return 1;
}

int util_json_bool(json_t *obj, const char *key, const char *what, bool *out,
                   struct berth_error **err)
{
        json_t *v;
        if (!get(obj, key, &v))
                return 0;
        if (!json_is_boolean(v))
                return mismatch(what, "a boolean", err);
        *out = json_is_true(v);
        return 1;
}

int util_json_object(json_t *obj, const char *key, const char *what, json_t **out,
                     struct berth_error **err)
{
        json_t *v;
        if (!get(obj, key, &v))
                return 0;
        if (!json_is_object(v))
                return mismatch(what, "an object", err);
        *out = v;
        return 1;
}

int util_json_array(json_t *obj, const char *key, const char *what, json_t **out,
                    struct berth_error **err)
{
        json_t *v;
        if (!get(obj, key, &v))
                return 0;
        if (!json_is_array(v))
                return mismatch(what, "an array", err);
        *out = v;
        return 1;
}

int util_json_strv(json_t *obj, const char *key, const char *what, char ***out,
                   struct berth_error **err)
{
        json_t *arr;
        int r = util_json_array(obj, key, what, &arr, err);
        if (r <= 0)
                return r;
        size_t n = json_array_size(arr);
        _cleanup_strv_ char **v = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                json_t *s = json_array_get(arr, i);
                if (!json_is_string(s))
                        return mismatch(what, "an array of strings", err);
                v[i] = xstrdup(json_string_value(s));
        }
        strv_free(*out);
        *out = steal_pointer(&v);
        return 1;
}

json_t *util_json_from_strv(char *const *v)
{
        json_t *a = json_array();
        for (size_t i = 0; v != NULL && v[i] != NULL; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}
