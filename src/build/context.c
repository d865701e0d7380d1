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

/* stdin into an unnamed file, to look at its start and then read it. */
static int spool_stdin(struct builder *b, int *out, struct berth_error **err)
{
        _cleanup_close_ int fd = open(b->work, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return berth_err(err, errno, "creating a temporary file in `%s`", b->work);
        char buf[65536];
        for (;;) {
                ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_err(err, errno, "reading the context from stdin");
                if (n == 0)
                        break;
                if (util_write_all(fd, buf, (size_t)n) < 0)
                        return berth_err(err, errno, "reading the context from stdin");
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return berth_err(err, errno, "reading the context from stdin");
        *out = steal_fd(&fd);
        return 0;
}

static bool looks_like_archive(int fd)
{
        unsigned char m[8] = {0};
        char ustar[6] = {0};
        ssize_t n = pread(fd, m, sizeof(m), 0);
        if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
                return true;
        if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                return true;
        return pread(fd, ustar, 5, 257) == 5 && memcmp(ustar, "ustar", 5) == 0;
}

int build_context_open(struct builder *b, struct berth_error **err)
{
        const char *c = b->o->context;
        if (strcmp(c, "-") == 0) {
                if (b->o->dockerfile != NULL && strcmp(b->o->dockerfile, "-") == 0)
                        return berth_err(
                            err, 0, "the context and the Dockerfile can't both come from stdin");
                /* Docker's `build - < Dockerfile`: stdin is either a tar
                 * (maybe compressed) or the Dockerfile of an empty context. */
                _cleanup_close_ int tmp = -1;
                if (spool_stdin(b, &tmp, err) < 0)
                        return berth_err_ret(*err);
                if (!looks_like_archive(tmp)) {
                        b->ctx_extracted = xasprintf("%s/context", b->work);
                        if (mkdir(b->ctx_extracted, 0755) < 0)
                                return berth_err(err, errno, "creating `%s`", b->ctx_extracted);
                        b->ctx_fd = open(b->ctx_extracted, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (b->ctx_fd < 0)
                                return berth_err(err, errno, "opening `%s`", b->ctx_extracted);
                        b->stdin_dockerfile = steal_fd(&tmp);
                        return 0;
                }
                if (extract(b, tmp, "stdin", err) < 0)
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
                        return berth_err(err, 0, "build context `%s`: not a directory or a tarball",
                                         c);
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
        if (b->stdin_dockerfile >= 0)
                close(b->stdin_dockerfile);
        b->stdin_dockerfile = -1;
        if (b->ctx_fd >= 0)
                close(b->ctx_fd);
        b->ctx_fd = -1;
        free(b->ctx_extracted);
        b->ctx_extracted = NULL;
}
