/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/xalloc.h"

int berth_err(struct berth_error **err, int code, const char *fmt, ...)
{
        int ret = code > 0 ? -code : -EINVAL;
        va_list ap;

        if (err == NULL || *err != NULL)
                return ret;
        struct berth_error *e = xcalloc(1, sizeof(*e));
        e->code = code > 0 ? code : 0;
        va_start(ap, fmt);
        e->msg = xvasprintf(fmt, ap);
        va_end(ap);
        *err = e;
        return ret;
}

int berth_err_ret(const struct berth_error *err)
{
        if (err == NULL || err->code == 0)
                return -EINVAL;
        return -err->code;
}

int berth_err_wrap(struct berth_error **err, const char *fmt, ...)
{
        va_list ap;

        if (err == NULL || *err == NULL)
                return -EINVAL;
        va_start(ap, fmt);
        char *ctx = xvasprintf(fmt, ap);
        va_end(ap);
        char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
        free(ctx);
        free((*err)->msg);
        (*err)->msg = msg;
        return berth_err_ret(*err);
}

char *berth_error_text(const struct berth_error *err)
{
        if (err == NULL)
                return xstrdup("unknown error");
        if (err->code == 0)
                return xstrdup(err->msg);
        return xasprintf("%s: %s", err->msg, strerror(err->code));
}

void berth_error_print(const struct berth_error *err, const char *prog)
{
        char *text = berth_error_text(err);
        /* Messages quote untrusted names (tar members, image metadata):
         * keep the error one line and keep escape sequences off the
         * terminal. */
        for (unsigned char *p = (unsigned char *)text; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        *p = '?';
        fprintf(stderr, "%s: %s\n", prog, text);
        free(text);
}

void berth_error_free(struct berth_error *err)
{
        if (err == NULL)
                return;
        free(err->msg);
        free(err);
}

void berth_error_freep(struct berth_error **err)
{
        berth_error_free(*err);
        *err = NULL;
}
