/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The build context: a directory used in place, or a tar (stdin or a file)
 * extracted with the layer code's hostile-input rules into the build's
 * work dir.  Either way it is only ever opened through
 * util_path_open_in_root from then on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build-private.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int extract(struct builder *b, int in_fd, const char *what, struct berth_error **err)
{
        b->ctx_extracted = xasprintf("%s/context", b->work);
        if (mkdir(b->ctx_extracted, 0755) < 0)
                return berth_err(err, errno, "creating `%s`", b->ctx_extracted);
        b->ctx_fd = open(b->ctx_extracted, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->ctx_fd < 0)
                return berth_err(err, errno, "opening `%s`", b->ctx_extracted);
        struct image_layer_apply_opts o = {
            .whiteouts = IMAGE_WHITEOUT_NONE,
            .refuse_devices = true,
        };
        if (image_layer_apply(in_fd, b->ctx_fd, &o, NULL, err) < 0)
                return berth_err_wrap(err, "reading the build context from %s", what);
        return 0;
}

int build_context_open(struct builder *b, struct berth_error **err)
{
        const char *c = b->o->context;
        if (strcmp(c, "-") == 0) {
                if (b->o->dockerfile != NULL && strcmp(b->o->dockerfile, "-") == 0)
                        return berth_err(
                            err, EINVAL,
                            "the context and the Dockerfile can't both come from stdin");
                if (extract(b, STDIN_FILENO, "stdin", err) < 0)
                        return berth_err_ret(*err);
        } else {
                struct stat st;
                if (stat(c, &st) < 0)
                        return berth_err(err, errno, "build context `%s`", c);
                if (S_ISDIR(st.st_mode)) {
                        b->ctx_fd = open(c, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (b->ctx_fd < 0)
                                return berth_err(err, errno, "opening the build context `%s`", c);
                } else if (S_ISREG(st.st_mode)) {
                        _cleanup_close_ int fd = open(c, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                return berth_err(err, errno, "opening `%s`", c);
                        if (extract(b, fd, c, err) < 0)
                                return berth_err_ret(*err);
                } else {
                        return berth_err(err, EINVAL,
                                         "build context `%s`: not a directory or a tarball", c);
                }
        }
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_close_ int ifd =
            util_path_open_in_root(b->ctx_fd, ".dockerignore", O_RDONLY, 0, &scratch);
        if (ifd >= 0) {
                _cleanup_free_ char *text = NULL;
                size_t len;
                _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", ifd);
                if (util_file_read(AT_FDCWD, p, &text, &len, err) < 0 ||
                    build_ignore_parse(text, &b->ignore, err) < 0)
                        return berth_err_wrap(err, "reading .dockerignore");
        }
        return 0;
}

void build_context_close(struct builder *b)
{
        if (b->ctx_fd >= 0)
                close(b->ctx_fd);
        b->ctx_fd = -1;
        free(b->ctx_extracted);
        b->ctx_extracted = NULL;
}
