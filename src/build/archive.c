/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ADD of a local archive: tar, plain or compressed with gzip, bzip2, xz or
 * zstd, unpacked into the destination.  The tar is hostile input like any
 * layer, so it goes through the layer applier (entries can't leave the
 * destination by name, link or earlier symlink), with no whiteout
 * handling and no device nodes.  libarchive only decompresses here.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "build/build-private.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

enum compression { NONE, GZIP, BZIP2, XZ, ZSTD };

static enum compression sniff(const unsigned char *m, size_t n)
{
        if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
                return GZIP;
        if (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h')
                return BZIP2;
        if (n >= 6 && memcmp(m,
                             "\xfd"
                             "7zXZ\0",
                             6) == 0)
                return XZ;
        if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                return ZSTD;
        return NONE;
}

static bool is_tar(int fd)
{
        char magic[6] = {0};
        return pread(fd, magic, 5, 257) == 5 && memcmp(magic, "ustar", 5) == 0;
}

/* Decompress in_fd into an unnamed file in dir (the layer applier reads
 * gzip and zstd itself, but not bzip2 or xz). */
static int decompress(int in_fd, const char *dir, int *out, struct berth_error **err)
{
        _cleanup_close_ int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return berth_err(err, errno, "creating a temporary file in `%s`", dir);
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_raw(a);
        struct archive_entry *e;
        int r = 0;
        if (archive_read_open_fd(a, in_fd, 65536) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK) {
                r = berth_err(err, 0, "decompressing: %s", archive_error_string(a));
        } else {
                char buf[65536];
                for (;;) {
                        la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
                        if (n < 0) {
                                r = berth_err(err, 0, "decompressing: %s", archive_error_string(a));
                                break;
                        }
                        if (n == 0)
                                break;
                        if (util_write_all(fd, buf, (size_t)n) < 0) {
                                r = berth_err(err, errno, "decompressing");
                                break;
                        }
                }
        }
        archive_read_free(a);
        if (r < 0)
                return r;
        *out = steal_fd(&fd);
        return 0;
}

int build_archive_extract(struct builder *b, int fd, int root, const char *dest,
                          struct berth_error **err)
{
        unsigned char m[8] = {0};
        ssize_t n = pread(fd, m, sizeof(m), 0);
        if (n < 0)
                return berth_err(err, errno, "reading the ADD source");
        enum compression c = sniff(m, (size_t)n);
        _cleanup_close_ int plain = -1;
        int tar_fd = fd;
        if (c == BZIP2 || c == XZ || c == GZIP || c == ZSTD) {
                if (decompress(fd, b->work, &plain, err) < 0)
                        return berth_err_ret(*err);
                tar_fd = plain;
        }
        /* Compressed or not, only a tar is unpacked; anything else is
         * copied as the file it is, as Docker does. */
        if (!is_tar(tar_fd))
                return 0;
        if (lseek(tar_fd, 0, SEEK_SET) < 0)
                return berth_err(err, errno, "reading the ADD source");
        _cleanup_close_ int dpath = util_path_mkdir_in_root(root, dest, 0755, err);
        if (dpath < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int dfd = openat(dpath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_err(err, errno, "opening `%s`", dest);
        struct image_layer_apply_opts o = {
            .whiteouts = IMAGE_WHITEOUT_NONE,
            .refuse_devices = true,
        };
        if (image_layer_apply(tar_fd, dfd, &o, NULL, err) < 0)
                return berth_err_wrap(err, "unpacking into `%s`", dest);
        return 1;
}
