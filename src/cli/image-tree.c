/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/format.h"
#include "cli/image.h"
#include "image/manifest.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/*
 * `berth image tree`: the layer stack from the base up, one line per layer
 * (short diff ID, size, the instruction that made it) with the
 * metadata-only steps (CMD, ENV, ...) between them, as a tree drawn with
 * box-drawing characters on a terminal and ASCII otherwise.
 */

struct glyphs {
        const char *branch, *last, *pipe, *layer, *meta, *top, *sep;
};

static const struct glyphs unicode = {"├─", "└─", "│ ", "■", "·", "┌─", "·"};
/* ASCII for pipes, files and terminals that can't draw boxes (--ascii). */
static const struct glyphs ascii = {"+-", "`-", "| ", "#", "-", "+-", "-"};

/* The Dockerfile instruction a history entry records, without the shell
 * wrapping that builders add. */
static char *instruction(const char *created_by)
{
        if (created_by == NULL || *created_by == '\0')
                return xstrdup("");
        const char *s = created_by;
        const char *nop = strstr(s, "#(nop) ");
        _cleanup_free_ char *body = NULL;
        if (nop != NULL) {
                s = nop + 7;
                while (*s == ' ')
                        s++;
                body = xstrdup(s);
        } else if (strncmp(s, "/bin/sh -c ", 11) == 0) {
                body = xasprintf("RUN %s", s + 11);
        } else if (strncmp(s, "|", 1) == 0 && strstr(s, "/bin/sh -c ") != NULL) {
                body = xasprintf("RUN %s", strstr(s, "/bin/sh -c ") + 11);
        } else {
                body = xstrdup(s);
        }
        size_t n = strlen(body);
        static const char bk[] = " # buildkit";
        if (n >= sizeof(bk) - 1 && strcmp(body + n - (sizeof(bk) - 1), bk) == 0)
                body[n - (sizeof(bk) - 1)] = '\0';
        /* One line: tabs and newlines from heredocs become spaces, and so
         * does every other control character, so that an escape sequence
         * in an image's history cannot drive the terminal. */
        for (unsigned char *p = (unsigned char *)body; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        *p = ' ';
        n = strlen(body);
        while (n > 0 && body[n - 1] == ' ')
                body[--n] = '\0';
        return steal_pointer(&body);
}

static size_t term_columns(void)
{
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 40)
                return ws.ws_col;
        return 0;
}

int cli_cmd_image_tree(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"ascii", no_argument, NULL, 'a'},
                                             {"no-trunc", no_argument, NULL, 'n'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        bool tty = isatty(STDOUT_FILENO) == 1;
        bool use_ascii = !tty, notrunc = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        use_ascii = true;
                        break;
                case 'n':
                        notrunc = true;
                        break;
                case 'h':
                        puts("Usage: berth image tree [--ascii] [--no-trunc] IMAGE\n\n"
                             "Draw the layer stack of IMAGE from its base up: each layer with\n"
                             "its short diff ID, size and the instruction that made it, and the\n"
                             "metadata-only steps between them.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(err, "image tree", "requires exactly 1 image");
        _cleanup_image_details_ struct image_details *d = NULL;
        _cleanup_free_ struct storage_layer_meta *layers = NULL;
        int r = storage_image_describe(g->root, argv[optind], &d, &layers, err);
        if (r < 0)
                return CLI_EXIT_FAILURE;
        if (r == 0) {
                berth_err(err, 0, "No such image: %s", argv[optind]);
                return CLI_EXIT_FAILURE;
        }
        const struct glyphs *gl = use_ascii ? &ascii : &unicode;
        const struct image_config *cfg = d->summary.config;
        const char *bold = tty ? "\033[1m" : "", *dim = tty ? "\033[2m" : "",
                   *reset = tty ? "\033[0m" : "";
        size_t cols = notrunc ? 0 : term_columns();

        /* history entries that made layers, matched to layers in order */
        size_t nl = cfg->n_diff_ids, nmeta = 0;
        int64_t total = 0;
        for (size_t i = 0; i < nl; i++)
                total += layers[i].size;
        _cleanup_free_ long *layer_of = xcalloc(cfg->n_history + 1, sizeof(long));
        size_t li = 0;
        for (size_t i = 0; i < cfg->n_history; i++) {
                if (!cfg->history[i].empty_layer && li < nl)
                        layer_of[i] = (long)li++;
                else {
                        layer_of[i] = -1;
                        nmeta++;
                }
        }

        /* header */
        const char *name = d->summary.repo_tags[0] ? d->summary.repo_tags[0] : "<none>";
        _cleanup_free_ char *tot = cli_human_size(total);
        printf("%s%s%s  %.19s  %s/%s%s%s\n", bold, name, reset, d->summary.id,
               cfg->os ? cfg->os : "?", cfg->architecture ? cfg->architecture : "?",
               cfg->variant ? "/" : "", cfg->variant ? cfg->variant : "");

        size_t sizew = 1;
        for (size_t i = 0; i < nl; i++) {
                _cleanup_free_ char *hs = cli_human_size(layers[i].size);
                if (strlen(hs) > sizew)
                        sizew = strlen(hs);
        }
        size_t numw = (size_t)snprintf(NULL, 0, "%zu", nl);

        printf("%s %sbase%s\n", gl->top, dim, reset);
        size_t printed = 0;
        /* Walk history, then any layers it didn't describe. */
        size_t hi = 0;
        li = 0;
        while (hi < cfg->n_history || li < nl) {
                bool is_layer;
                const struct image_history *h = NULL;
                if (hi < cfg->n_history) {
                        h = &cfg->history[hi];
                        is_layer = layer_of[hi] >= 0;
                        hi++;
                } else {
                        is_layer = true;
                }
                /* An imported layer has only a comment ("Imported from -"). */
                _cleanup_free_ char *ins =
                    instruction(h == NULL                         ? NULL
                                : h->created_by && *h->created_by ? h->created_by
                                                                  : h->comment);
                if (!is_layer) {
                        const char *lead = gl->pipe;
                        _cleanup_free_ char *line =
                            xasprintf("%s %*s %s %s", lead, (int)(numw + 13 + sizew), "", gl->meta,
                                      *ins ? ins : "(metadata)");
                        _cleanup_free_ char *cut = cols ? cli_truncate(line, cols) : xstrdup(line);
                        printf("%s%s%s\n", dim, cut, reset);
                        continue;
                }
                const struct storage_layer_meta *m = &layers[li++];
                printed++;
                _cleanup_free_ char *hs = cli_human_size(m->size);
                _cleanup_free_ char *line = xasprintf(
                    "%s%s %*zu %.12s %*s  %s", gl->branch, gl->layer, (int)numw, li,
                    image_digest_hex(m->diff_id), (int)sizew, hs, *ins ? ins : "(no history)");
                _cleanup_free_ char *cut = cols ? cli_truncate(line, cols) : xstrdup(line);
                printf("%s\n", cut);
        }
        /* The frame closes at the top of the stack, with the totals. */
        printf("%s %stop %s %zu layer%s %s %s %s %zu metadata-only step%s%s\n", gl->last, dim,
               gl->sep, printed, printed == 1 ? "" : "s", gl->sep, tot, gl->sep, nmeta,
               nmeta == 1 ? "" : "s", reset);
        return 0;
}
