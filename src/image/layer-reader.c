/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
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
 *
 * A second thread reads, decompresses and hashes ahead into a small ring
 * of buffers while the caller's thread creates files: on two cores that
 * hides most of inflate and SHA-256 behind the file system calls, as
 * `gzip -dc | tar -x` does with two processes.
 */

#define RING 4

struct layer_reader {
        int fd;
        enum layer_compression kind;
        void (*progress)(uint64_t, void *);
        void *progress_data;

        /* Producer side: only the reader thread touches these once it runs. */
        unsigned char *in; /* compressed input */
        size_t in_len, in_pos;
        bool in_eof;
        uint64_t in_total;
        z_stream z;
        bool z_ready, z_member_done;
        ZSTD_DStream *zs;
        bool done;
        struct image_digester *digest;
        uint64_t size;
        struct berth_error *thread_err;

        /* The ring: slots [tail, head) are full; the consumer holds slot
         * tail while `held`, until its next read. */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned char *slot[RING];
        size_t slot_len[RING];
        uint64_t slot_in_total[RING]; /* compressed bytes read by then */
        uint64_t head, tail;
        bool held, eof, failed, stop;
        pthread_t thread;
        bool running;
        int cancel_fd; /* an eventfd: wakes the thread out of a blocking read */
};

/*
 * Wait until in_fd has data, or the consumer gives up (cancel_fd, once the
 * thread runs): a pipe may stay silent forever, and a non-blocking one
 * would otherwise fail with EAGAIN.
 */
static int wait_readable(struct layer_reader *r, struct berth_error **err)
{
        struct pollfd p[2] = {{r->fd, POLLIN, 0}, {r->cancel_fd, POLLIN, 0}};
        while (poll(p, r->cancel_fd >= 0 ? 2 : 1, -1) < 0)
                if (errno != EINTR)
                        return berth_err(err, errno, "waiting for the layer");
        if (r->cancel_fd >= 0 && p[1].revents != 0)
                return berth_err(err, ECANCELED, "reading the layer");
        return 0;
}

/* read(2) into buf once data is there; 0 at the end. */
static ssize_t read_some(struct layer_reader *r, void *buf, size_t len, struct berth_error **err)
{
        for (;;) {
                int ret = wait_readable(r, err);
                if (ret < 0)
                        return ret;
                ssize_t n = read(r->fd, buf, len);
                if (n >= 0) {
                        r->in_total += (uint64_t)n;
                        return n;
                }
                if (errno != EINTR && errno != EAGAIN)
                        return berth_err(err, errno, "reading the layer");
        }
}

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
        ssize_t n = read_some(r, r->in + r->in_len, LAYER_IO_BUF - r->in_len, err);
        if (n < 0)
                return (int)n;
        if (n == 0)
                r->in_eof = true;
        r->in_len += (size_t)n;
        return 0;
}

static ssize_t decode_plain(struct layer_reader *r, unsigned char *dst, struct berth_error **err)
{
        /* The first bytes were read for sniffing: hand those out first. */
        if (r->in_pos < r->in_len) {
                size_t n = r->in_len - r->in_pos;
                memcpy(dst, r->in + r->in_pos, n);
                r->in_pos = r->in_len;
                return (ssize_t)n;
        }
        if (r->in_eof)
                return 0;
        /* Straight into the slot: no copy. */
        ssize_t n = read_some(r, dst, LAYER_IO_BUF, err);
        if (n == 0)
                r->in_eof = true;
        return n;
}

static ssize_t decode_gzip(struct layer_reader *r, unsigned char *dst, struct berth_error **err)
{
        r->z.next_out = dst;
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
        return (ssize_t)(LAYER_IO_BUF - r->z.avail_out);
}

static ssize_t decode_zstd(struct layer_reader *r, unsigned char *dst, struct berth_error **err)
{
        ZSTD_outBuffer ob = {dst, LAYER_IO_BUF, 0};
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
        return (ssize_t)ob.pos;
}

/* The next run of uncompressed bytes into dst, hashed. */
static ssize_t decode(struct layer_reader *r, unsigned char *dst, struct berth_error **err)
{
        ssize_t n;
        switch (r->kind) {
        case LAYER_GZIP:
                n = decode_gzip(r, dst, err);
                break;
        case LAYER_ZSTD:
                n = decode_zstd(r, dst, err);
                break;
        default:
                n = decode_plain(r, dst, err);
                break;
        }
        if (n > 0) {
                image_digester_update(r->digest, dst, (size_t)n);
                r->size += (uint64_t)n;
        }
        return n;
}

static void *producer(void *data)
{
        struct layer_reader *r = data;
        for (;;) {
                pthread_mutex_lock(&r->lock);
                while (!r->stop && r->head - r->tail == RING)
                        pthread_cond_wait(&r->cond, &r->lock);
                bool stop = r->stop;
                unsigned char *dst = r->slot[r->head % RING];
                pthread_mutex_unlock(&r->lock);
                if (stop)
                        return NULL;
                /* The slot at head is ours alone until head moves on. */
                ssize_t n = decode(r, dst, &r->thread_err);
                pthread_mutex_lock(&r->lock);
                if (n < 0)
                        r->failed = true;
                else if (n == 0)
                        r->eof = true;
                else {
                        r->slot_len[r->head % RING] = (size_t)n;
                        r->slot_in_total[r->head % RING] = r->in_total;
                        r->head++;
                }
                pthread_cond_broadcast(&r->cond);
                pthread_mutex_unlock(&r->lock);
                if (n <= 0)
                        return NULL;
        }
}

int layer_reader_new(int in_fd, void (*progress)(uint64_t, void *), void *progress_data,
                     struct layer_reader **out, struct berth_error **err)
{
        _cleanup_layer_reader_ struct layer_reader *r = xcalloc(1, sizeof(*r));
        r->fd = in_fd;
        r->cancel_fd = -1;
        r->progress = progress;
        r->progress_data = progress_data;
        r->in = xmalloc(LAYER_IO_BUF);
        r->digest = image_digester_new();
        pthread_mutex_init(&r->lock, NULL);
        pthread_cond_init(&r->cond, NULL);

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
        for (int i = 0; i < RING; i++)
                r->slot[i] = xmalloc(LAYER_IO_BUF);

        r->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->cancel_fd < 0)
                return berth_err(err, errno, "creating an eventfd");
        /* The thread takes no signals: they stay with the caller's threads. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int pr = pthread_create(&r->thread, NULL, producer, r);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (pr != 0)
                return berth_err(err, pr, "starting the layer reader");
        r->running = true;
        *out = steal_pointer(&r);
        return 0;
}

ssize_t layer_reader_read(struct layer_reader *r, const void **buf, struct berth_error **err)
{
        pthread_mutex_lock(&r->lock);
        /* libarchive is done with the buffer it had: give it back. */
        if (r->held) {
                r->tail++;
                r->held = false;
                pthread_cond_broadcast(&r->cond);
        }
        while (r->head == r->tail && !r->eof && !r->failed)
                pthread_cond_wait(&r->cond, &r->lock);
        ssize_t n;
        uint64_t in_total = 0;
        if (r->head != r->tail) {
                *buf = r->slot[r->tail % RING];
                n = (ssize_t)r->slot_len[r->tail % RING];
                in_total = r->slot_in_total[r->tail % RING];
                r->held = true;
        } else if (r->failed) {
                n = berth_err(err, r->thread_err->code, "%s", r->thread_err->msg);
        } else {
                n = 0;
        }
        pthread_mutex_unlock(&r->lock);
        /* Progress is reported from the caller's thread, not the reader's. */
        if (n > 0 && r->progress != NULL)
                r->progress(in_total, r->progress_data);
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

static void stop_thread(struct layer_reader *r)
{
        if (!r->running)
                return;
        pthread_mutex_lock(&r->lock);
        r->stop = true;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
        uint64_t one = 1;
        if (write(r->cancel_fd, &one, sizeof(one)) < 0) {
                /* Only fails when the counter is full: already woken. */
        }
        pthread_join(r->thread, NULL);
        r->running = false;
}

void layer_reader_finish(struct layer_reader *r, char diff_id[IMAGE_DIGEST_LEN], uint64_t *size)
{
        /* Drained: the thread has seen the end and exited. */
        stop_thread(r);
        image_digester_final(r->digest, diff_id);
        *size = r->size;
}

void layer_reader_free(struct layer_reader *r)
{
        if (r == NULL)
                return;
        stop_thread(r);
        if (r->cancel_fd >= 0)
                close(r->cancel_fd);
        if (r->z_ready)
                inflateEnd(&r->z);
        ZSTD_freeDStream(r->zs);
        image_digester_free(r->digest);
        berth_error_free(r->thread_err);
        for (int i = 0; i < RING; i++)
                free(r->slot[i]);
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->cond);
        free(r->in);
        free(r);
}

void layer_reader_freep(struct layer_reader **r)
{
        layer_reader_free(*r);
}
