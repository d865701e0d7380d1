/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Step progress.  Plain: a line when a step starts, RUN's output as it
 * comes, a CACHED or DONE line.  The tty view is compact and live: the
 * running step's line with its time ticking and, under it, the last lines
 * of its output, redrawn in place; a finished step collapses into one
 * line, `#N [stage i/n] INSTRUCTION  DONE 0.4s`.  A failed step keeps
 * its output's last lines on screen, above the error.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "build/build-private.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define VIEW_ROWS 6 /* output lines shown under a running step */

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool tty(const struct builder *b)
{
        return b->o->progress == BUILD_PROGRESS_TTY;
}

static size_t columns(const struct builder *b)
{
        struct winsize ws;
        if (ioctl(fileno(b->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
                return ws.ws_col;
        return 80;
}

/* s cut to fit n columns without wrapping (never inside a UTF-8
 * character), then suffix. */
static void put_fitted(struct builder *b, const char *s, const char *suffix)
{
        size_t width = columns(b) - 1, sl = strlen(suffix), l = strlen(s);
        size_t room = width > sl ? width - sl : 0;
        if (l > room) {
                l = room;
                while (l > 0 && ((unsigned char)s[l] & 0xc0) == 0x80)
                        l--;
        }
        fprintf(b->out, "%.*s%s\n", (int)l, s, suffix);
}

static void view_erase(struct builder *b)
{
        struct build_view *v = &b->view;
        if (v->rows > 0)
                fprintf(b->out, "\r\033[%zuA\033[J", v->rows);
        v->rows = 0;
}

static void view_draw(struct builder *b)
{
        struct build_view *v = &b->view;
        view_erase(b);
        char t[32];
        snprintf(t, sizeof(t), "  %.1fs", now_s() - v->t0);
        put_fitted(b, v->line, t);
        size_t first = v->n_tail > VIEW_ROWS ? v->n_tail - VIEW_ROWS : 0;
        for (size_t i = first; i < v->n_tail; i++) {
                _cleanup_free_ char *x = xasprintf("  | %s", v->tail[i]);
                put_fitted(b, x, "");
        }
        v->rows = 1 + v->n_tail - first;
        v->drawn = now_s();
        fflush(b->out);
}

static void tail_clear(struct build_view *v)
{
        for (size_t i = 0; i < v->n_tail; i++)
                free(v->tail[i]);
        v->n_tail = 0;
        v->plen = 0;
}

static void tail_push(struct build_view *v, char *line)
{
        if (v->n_tail == BUILD_VIEW_TAIL) {
                free(v->tail[0]);
                memmove(v->tail, v->tail + 1, (BUILD_VIEW_TAIL - 1) * sizeof(*v->tail));
                v->n_tail--;
        }
        v->tail[v->n_tail++] = line;
}

void build_progress_begin(struct builder *b, const struct build_stage *st, const char *text)
{
        b->step++;
        if (b->o->progress == BUILD_PROGRESS_QUIET)
                return;
        _cleanup_free_ char *label =
            st->name ? xstrdup(st->name) : xasprintf("stage-%zu", st->index);
        struct build_view *v = &b->view;
        free(v->line);
        v->line = xasprintf("#%zu [%s %zu/%zu] %s", b->step, label, b->step, b->total, text);
        v->t0 = now_s();
        if (tty(b)) {
                /* One row: a heredoc's lines run on. */
                for (char *p = v->line; *p; p++)
                        if ((unsigned char)*p < 0x20 || *p == 0x7f)
                                *p = ' ';
                tail_clear(v);
                v->live = true;
                view_draw(b);
                return;
        }
        fprintf(b->out, "%s\n", v->line);
        fflush(b->out);
}

void build_progress_end(struct builder *b, bool cached)
{
        if (b->o->progress == BUILD_PROGRESS_QUIET)
                return;
        struct build_view *v = &b->view;
        char t[32];
        if (cached)
                snprintf(t, sizeof(t), "CACHED");
        else
                snprintf(t, sizeof(t), "DONE %.1fs", now_s() - v->t0);
        if (tty(b)) {
                view_erase(b);
                _cleanup_free_ char *suffix = xasprintf("  %s", t);
                put_fitted(b, v->line, suffix);
                tail_clear(v);
                v->live = false;
        } else {
                fprintf(b->out, "#%zu %s\n", b->step, t);
        }
        fflush(b->out);
}

void build_progress_output(struct builder *b, const char *buf, size_t n)
{
        struct build_view *v = &b->view;
        for (size_t i = 0; i < n; i++) {
                char c = buf[i];
                if (c == '\n') {
                        tail_push(v, xstrndup(v->partial, v->plen));
                        v->plen = 0;
                } else if (c == '\r') { /* a progress bar redrawing its line */
                        v->plen = 0;
                } else if (v->plen < sizeof(v->partial)) {
                        /* Nothing from the step may move our cursor. */
                        v->partial[v->plen++] = (unsigned char)c < 0x20 || c == 0x7f ? ' ' : c;
                }
        }
        build_progress_tick(b);
}

void build_progress_tick(struct builder *b)
{
        if (tty(b) && b->view.live && now_s() - b->view.drawn >= 0.1)
                view_draw(b);
}

void build_progress_fail(struct builder *b)
{
        struct build_view *v = &b->view;
        if (!tty(b) || !v->live)
                return;
        if (v->plen > 0)
                tail_push(v, xstrndup(v->partial, v->plen));
        view_erase(b);
        put_fitted(b, v->line, "  ERROR");
        for (size_t i = 0; i < v->n_tail; i++)
                fprintf(b->out, "  | %s\n", v->tail[i]);
        fflush(b->out);
        tail_clear(v);
        v->live = false;
}

void build_progress_release(struct builder *b)
{
        tail_clear(&b->view);
        free(b->view.line);
}
