/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_UTIL_XALLOC_H
#define BERTH_UTIL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Allocators that abort on OOM: callers never check for NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
void strv_free(char **v);
void strv_freep(char ***v);
/* Append a copy of s; *v may be NULL. */
void strv_append(char ***v, const char *s);
char **strv_dup(char *const *v);

#endif
