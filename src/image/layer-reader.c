/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "image/layer-private.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/*
 * The layer stream as the tar reader sees it.  Decompression happens here
 * rather than in libarchive's filters so that the exact uncompressed bytes
 * pass through one place, where they are hashed into the diff_id.
 */

struct layer_reader {
        int fd;
        enum layer_compression kind;
        void (*progress)(uint64_t, void *);
        void *progress_data;

        unsigned char *in; /* compressed input */
        size_t in_len, in_pos;
        bool in_eof;
        uint64_t in_total;

        unsigned char *out; /* uncompressed output (gzip, zstd) */
        z_stream z;
        bool z_ready, z_member_done;
        ZSTD_DStream *zs;
        bool done;

        struct image_digester *digest;
        uint64_t size;
};

/* Refill the input buffer (whatever is unconsumed moves to the front). */
static int fill(struct layer_reader *r, struct berth_error **err)
{
        if (r->in_pos > 0) {
                memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
                r->in_len -= r->in_pos;
                r->in_pos = 0;
        }
        if (r->in_eof || r->in_len == LAYER_IO_BUF)
                return 0;
        ssize_t n;
        do
                n = read(r->fd, r->in + r->in_len, LAYER_IO_BUF - r->in_len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_err(err, errno, "reading the layer");
        if (n == 0)
                r->in_eof = true;
        r->in_len += (size_t)n;
        r->in_total += (uint64_t)n;
        if (r->progress != NULL && n > 0)
                r->progress(r->in_total, r->progress_data);
        return 0;
}

int layer_reader_new(int in_fd, void (*progress)(uint64_t, void *), void *progress_data,
                     struct layer_reader **out, struct berth_error **err)
{
        _cleanup_layer_reader_ struct layer_reader *r = xcalloc(1, sizeof(*r));
        r->fd = in_fd;
        r->progress = progress;
        r->progress_data = progress_data;
        r->in = xmalloc(LAYER_IO_BUF);
        r->digest = image_digester_new();

        /* Enough bytes to tell the formats apart (a pipe may deliver fewer). */
        while (r->in_len < 6 && !r->in_eof) {
                int ret = fill(r, err);
                if (ret < 0)
                        return ret;
        }
        const unsigned char *m = r->in;
        if (r->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
                r->kind = LAYER_GZIP;
                /* 16 + MAX_WBITS: gzip wrapper only; a zlib or raw stream
                 * is not a layer format. */
                if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
                        return berth_err(err, ENOMEM, "initialising gzip");
                r->z_ready = true;
        } else if (r->in_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
                r->kind = LAYER_ZSTD;
                r->zs = ZSTD_createDStream();
                if (r->zs == NULL)
                        return berth_err(err, ENOMEM, "initialising zstd");
        } else if (r->in_len >= 6 && memcmp(m,
                                            "\xfd"
                                            "7zXZ\0",
                                            6) == 0) {
                return berth_err(err, ENOTSUP, "xz-compressed layers are not supported");
        } else if (r->in_len >= 3 && memcmp(m, "BZh", 3) == 0) {
                return berth_err(err, ENOTSUP, "bzip2-compressed layers are not supported");
        } else {
                r->kind = LAYER_PLAIN;
        }
        if (r->kind != LAYER_PLAIN)
                r->out = xmalloc(LAYER_IO_BUF);
        *out = steal_pointer(&r);
        return 0;
}

static ssize_t read_plain(struct layer_reader *r, const void **buf, struct berth_error **err)
{
        if (r->in_pos == r->in_len) {
                r->in_pos = r->in_len = 0;
                int ret = fill(r, err);
                if (ret < 0)
                        return ret;
        }
        size_t n = r->in_len - r->in_pos;
        *buf = r->in + r->in_pos;
        r->in_pos = r->in_len;
        return (ssize_t)n;
}

static ssize_t read_gzip(struct layer_reader *r, const void **buf, struct berth_error **err)
{
        r->z.next_out = r->out;
        r->z.avail_out = LAYER_IO_BUF;
        while (r->z.avail_out > 0 && !r->done) {
                if (r->in_pos == r->in_len) {
                        r->in_pos = r->in_len = 0;
                        int ret = fill(r, err);
                        if (ret < 0)
                                return ret;
                        if (r->in_len == 0) {
                                if (!r->z_member_done)
                                        return berth_err(err, EIO, "gzip stream is truncated");
                                r->done = true;
                                break;
                        }
                }
                if (r->z_member_done) {
                        /* Another member follows (pigz and concatenated
                         * streams): it continues the same tar. */
                        inflateReset(&r->z);
                        r->z_member_done = false;
                }
                r->z.next_in = r->in + r->in_pos;
                r->z.avail_in = (uInt)(r->in_len - r->in_pos);
                int zr = inflate(&r->z, Z_NO_FLUSH);
                r->in_pos = r->in_len - r->z.avail_in;
                if (zr == Z_STREAM_END)
                        r->z_member_done = true;
                else if (zr == Z_BUF_ERROR && r->z.avail_in == 0)
                        continue;
                else if (zr != Z_OK)
                        return berth_err(err, EIO, "corrupt gzip stream: %s",
                                         r->z.msg != NULL ? r->z.msg : "inflate failed");
        }
        *buf = r->out;
        return (ssize_t)(LAYER_IO_BUF - r->z.avail_out);
}

static ssize_t read_zstd(struct layer_reader *r, const void **buf, struct berth_error **err)
{
        ZSTD_outBuffer ob = {r->out, LAYER_IO_BUF, 0};
        while (ob.pos < ob.size && !r->done) {
                if (r->in_pos == r->in_len) {
                        r->in_pos = r->in_len = 0;
                        int ret = fill(r, err);
                        if (ret < 0)
                                return ret;
                        if (r->in_len == 0) {
                                if (!r->z_member_done)
                                        return berth_err(err, EIO, "zstd stream is truncated");
                                r->done = true;
                                break;
                        }
                }
                ZSTD_inBuffer ib = {r->in, r->in_len, r->in_pos};
                size_t zr = ZSTD_decompressStream(r->zs, &ob, &ib);
                r->in_pos = ib.pos;
                if (ZSTD_isError(zr))
                        return berth_err(err, EIO, "corrupt zstd stream: %s",
                                         ZSTD_getErrorName(zr));
                /* 0: a frame ended; further frames continue the tar. */
                r->z_member_done = zr == 0;
        }
        *buf = r->out;
        return (ssize_t)ob.pos;
}

ssize_t layer_reader_read(struct layer_reader *r, const void **buf, struct berth_error **err)
{
        ssize_t n;
        switch (r->kind) {
        case LAYER_GZIP:
                n = read_gzip(r, buf, err);
                break;
        case LAYER_ZSTD:
                n = read_zstd(r, buf, err);
                break;
        default:
                n = read_plain(r, buf, err);
                break;
        }
        if (n > 0) {
                image_digester_update(r->digest, *buf, (size_t)n);
                r->size += (uint64_t)n;
        }
        return n;
}

int layer_reader_drain(struct layer_reader *r, struct berth_error **err)
{
        for (;;) {
                const void *buf;
                ssize_t n = layer_reader_read(r, &buf, err);
                if (n <= 0)
                        return (int)n;
        }
}

enum layer_compression layer_reader_compression(const struct layer_reader *r)
{
        return r->kind;
}

void layer_reader_finish(struct layer_reader *r, char diff_id[IMAGE_DIGEST_LEN], uint64_t *size)
{
        image_digester_final(r->digest, diff_id);
        *size = r->size;
}

void layer_reader_free(struct layer_reader *r)
{
        if (r == NULL)
                return;
        if (r->z_ready)
                inflateEnd(&r->z);
        ZSTD_freeDStream(r->zs);
        image_digester_free(r->digest);
        free(r->in);
        free(r->out);
        free(r);
}

void layer_reader_freep(struct layer_reader **r)
{
        layer_reader_free(*r);
}
