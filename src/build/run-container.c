/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A RUN step's container, through the runtime library in this process
 * (apart from run.c: the runtime's and the image's config.h can't meet in
 * one file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "build/build-private.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

struct stdio_save {
        int fd[3];
};

/* The container inherits fds 0-2 from us: no stdin, and its output goes to
 * the progress stream (nowhere with -q). */
static int stdio_redirect(struct builder *b, struct stdio_save *s, struct berth_error **err)
{
        for (int i = 0; i < 3; i++)
                s->fd[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || s->fd[0] < 0 || s->fd[1] < 0 || s->fd[2] < 0)
                return berth_err(err, errno, "redirecting the step's output");
        int out = b->o->progress == BUILD_PROGRESS_QUIET ? null : fileno(b->out);
        fflush(stdout);
        fflush(b->out);
        if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || (out != 2 && dup2(out, 2) < 0))
                return berth_err(err, errno, "redirecting the step's output");
        return 0;
}

static void stdio_restore(struct stdio_save *s)
{
        for (int i = 0; i < 3; i++) {
                if (s->fd[i] >= 0) {
                        dup2(s->fd[i], i);
                        close(s->fd[i]);
                        s->fd[i] = -1;
                }
        }
}

int build_container_run(struct builder *b, const char *state, const char *id, const char *bundle,
                        struct berth_error **err)
{
        struct stdio_save save = {{-1, -1, -1}};
        int r = stdio_redirect(b, &save, err);
        pid_t pid = -1;
        struct runtime_create_options co = {.bundle = bundle};
        if (r >= 0)
                r = runtime_container_create(state, id, &co, &pid, err);
        stdio_restore(&save);
        if (r < 0)
                return berth_err_ret(*err);
        int code = -1;
        if (runtime_container_start(state, id, err) >= 0)
                code = runtime_wait_exit_code(pid, err);
        else
                runtime_wait_exit_code(pid, NULL);
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (runtime_container_delete(state, id, true, &scratch) < 0 && code >= 0) {
                *err = steal_pointer(&scratch);
                return berth_err_ret(*err);
        }
        if (code < 0)
                return berth_err_ret(*err);
        if (code != 0)
                return berth_err(err, 0, "exited with status %d", code);
        return 0;
}
