/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/ahead.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define PIPE_SIZE (1 << 20)

struct image_ahead {
        pthread_t thread;
        int rfd, wfd;
        int dir_fd;
        char dir[32];
        int ret;
        struct image_layer_stats stats;
};

static void *ahead_run(void *arg)
{
        struct image_ahead *a = arg;
        struct image_layer_apply_opts opts = {.whiteouts = IMAGE_WHITEOUT_OVERLAY};
        struct berth_error *err = NULL;
        a->ret = image_layer_apply(a->rfd, a->dir_fd, &opts, &a->stats, &err);
        berth_error_free(err);
        /* Drain what the layer code left unread (padding after the end
         * of the archive), so the writer never blocks on a full pipe. */
        char buf[65536];
        while (read(a->rfd, buf, sizeof(buf)) > 0 || errno == EINTR)
                ;
        return NULL;
}

bool image_ahead_looks_like_layer(const unsigned char *b, size_t n)
{
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                return true;
        if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
                return true;
        return n >= 263 && memcmp(b + 257, "ustar", 5) == 0;
}

struct image_ahead *image_ahead_start(struct image_txn *t)
{
        static unsigned seq;
        int tfd = image_txn_dir_fd(t);
        struct image_ahead *a = xcalloc(1, sizeof(*a));
        a->rfd = a->wfd = a->dir_fd = -1;
        snprintf(a->dir, sizeof(a->dir), "ahead-%u", seq++);
        _cleanup_free_ char *diff = xasprintf("%s/diff", a->dir);
        int p[2];
        if (mkdirat(tfd, a->dir, 0700) < 0 || mkdirat(tfd, diff, 0755) < 0 ||
            (a->dir_fd = openat(tfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            pipe2(p, O_CLOEXEC) < 0)
                goto fail;
        a->rfd = p[0];
        a->wfd = p[1];
        (void)fcntl(a->wfd, F_SETPIPE_SZ, PIPE_SIZE);
        if (pthread_create(&a->thread, NULL, ahead_run, a) != 0)
                goto fail;
        return a;
fail:
        if (a->rfd >= 0)
                close(a->rfd);
        if (a->wfd >= 0)
                close(a->wfd);
        if (a->dir_fd >= 0)
                close(a->dir_fd);
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)util_path_remove_tree(tfd, a->dir, &scratch);
        free(a);
        return NULL;
}

/* Feed the thread; on a write error stop feeding (it sees EOF and fails). */
void image_ahead_feed(struct image_ahead **ap, const void *buf, size_t n)
{
        struct image_ahead *a = *ap;
        if (a != NULL && a->wfd >= 0 && util_write_all(a->wfd, buf, n) < 0) {
                close(a->wfd);
                a->wfd = -1;
        }
}

/* Wait for the thread; record its layer under digest when it succeeded
 * and the stream was complete. */
void image_ahead_finish(struct image_txn *t, struct image_ahead **ap, const char *digest,
                        bool complete)
{
        struct image_ahead *a = *ap;
        if (a == NULL)
                return;
        *ap = NULL;
        if (a->wfd >= 0)
                close(a->wfd);
        pthread_join(a->thread, NULL);
        close(a->rfd);
        close(a->dir_fd);
        if (complete && a->ret >= 0) {
                image_txn_note_extracted(t, digest, a->dir, a->stats.diff_id,
                                         (int64_t)a->stats.size);
        } else {
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)util_path_remove_tree(image_txn_dir_fd(t), a->dir, &scratch);
        }
        free(a);
}
