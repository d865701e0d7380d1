/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_UTIL_JSON_H
#define BERTH_UTIL_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/*
 * JSON is parsed into typed structs at the edges; these helpers keep the
 * parsing code short and its errors precise ("config.json: process.args:
 * expected an array of strings").
 */

/* jansson >= 2.9 provides json_decrefp(). */
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))

int util_json_load_file(int dirfd, const char *path, json_t **out, struct berth_error **err);
int util_json_load_string(const char *text, size_t len, const char *what, json_t **out,
                          struct berth_error **err);
/* Compact, keys in insertion order, atomic (util_file_write, flags as
 * there); _atomic is with UTIL_WRITE_DURABLE. */
int util_json_write(int dirfd, const char *name, json_t *value, unsigned flags,
                    struct berth_error **err);
int util_json_write_atomic(int dirfd, const char *name, json_t *value, struct berth_error **err);

/* Typed field getters.  Each returns 1 when the key is present and of the
 * right type, 0 when absent or null, negative (with err) on a type mismatch.
 * `what` names the field in errors. */
int util_json_string(json_t *obj, const char *key, const char *what, const char **out,
                     struct berth_error **err);
int util_json_dup_string(json_t *obj, const char *key, const char *what, char **out,
                         struct berth_error **err);
int util_json_int(json_t *obj, const char *key, const char *what, int64_t *out,
                  struct berth_error **err);
int util_json_bool(json_t *obj, const char *key, const char *what, bool *out,
                   struct berth_error **err);
int util_json_object(json_t *obj, const char *key, const char *what, json_t **out,
                     struct berth_error **err);
int util_json_array(json_t *obj, const char *key, const char *what, json_t **out,
                    struct berth_error **err);
/* An array of strings into a fresh NULL-terminated strv. */
int util_json_strv(json_t *obj, const char *key, const char *what, char ***out,
                   struct berth_error **err);

/* A strv as a JSON array (NULL gives an empty array). */
json_t *util_json_from_strv(char *const *v);

#endif
