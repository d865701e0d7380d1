/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_UTIL_ERROR_H
#define BERTH_UTIL_ERROR_H

/*
 * One error idiom everywhere: a function that can fail returns int, >= 0 on
 * success with *err untouched, negative (normally -errno) on failure with
 * *err set.  Context is prepended at component boundaries, and only the top
 * level prints, once: "berth: creating container web: mounting /data: No
 * such file or directory".
 */

struct berth_error {
        int code;  /* errno value, or 0 when strerror() adds nothing */
        char *msg; /* the context chain, outermost first */
};

/* Set *err (if err is non-NULL and *err is still empty: the first error
 * wins) and return -code, or -EINVAL when code is 0. */
int berth_err(struct berth_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "context: " to *err and return its negative code. */
int berth_err_wrap(struct berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The negative return value that matches err. */
int berth_err_ret(const struct berth_error *err);

/* "msg: strerror(code)" in a fresh string. */
char *berth_error_text(const struct berth_error *err);

/* Print "prog: text" to stderr. */
void berth_error_print(const struct berth_error *err, const char *prog);

void berth_error_free(struct berth_error *err);
void berth_error_freep(struct berth_error **err);
#define _cleanup_error_ __attribute__((cleanup(berth_error_freep)))

#endif
