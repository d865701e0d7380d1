/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/layer.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/log.h"

/*
 * A developer and test hook for the layer code, not installed:
 *   layer-tool apply [--overlay|--flat] [--no-devices] FILE|- DIR
 *   layer-tool diff [--epoch N] DIR FILE|-
 * Both print the diff_id on stdout (on stderr when the tar goes there).
 */

static int usage(void)
{
        fputs("usage: layer-tool apply [--overlay|--flat] [--no-devices] FILE|- DIR\n"
              "       layer-tool diff [--epoch N] DIR FILE|-\n",
              stderr);
        return 2;
}

static int cmd_apply(int argc, char **argv)
{
        struct image_layer_apply_opts opts = {.whiteouts = IMAGE_WHITEOUT_OVERLAY};
        int i = 0;
        for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
                if (strcmp(argv[i], "--overlay") == 0)
                        opts.whiteouts = IMAGE_WHITEOUT_OVERLAY;
                else if (strcmp(argv[i], "--flat") == 0)
                        opts.whiteouts = IMAGE_WHITEOUT_APPLY;
                else if (strcmp(argv[i], "--no-devices") == 0)
                        opts.refuse_devices = true;
                else
                        return usage();
        }
        if (argc - i != 2)
                return usage();
        const char *file = argv[i], *dir = argv[i + 1];
        _cleanup_close_ int in = strcmp(file, "-") == 0 ? dup(0) : open(file, O_RDONLY | O_CLOEXEC);
        if (in < 0) {
                fprintf(stderr, "layer-tool: %s: %s\n", file, strerror(errno));
                return 1;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "layer-tool: %s: %s\n", dir, strerror(errno));
                return 1;
        }
        _cleanup_close_ int dest = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dest < 0) {
                fprintf(stderr, "layer-tool: %s: %s\n", dir, strerror(errno));
                return 1;
        }
        struct image_layer_stats st;
        _cleanup_error_ struct berth_error *err = NULL;
        if (image_layer_apply(in, dest, &opts, &st, &err) < 0) {
                berth_error_print(err, "layer-tool");
                return 1;
        }
        printf("%s\n", st.diff_id);
        return 0;
}

static int cmd_diff(int argc, char **argv)
{
        struct image_layer_diff_opts opts = {.source_date_epoch = -1};
        int i = 0;
        if (argc >= 2 && strcmp(argv[0], "--epoch") == 0) {
                opts.source_date_epoch = strtoll(argv[1], NULL, 10);
                i = 2;
        }
        if (argc - i != 2)
                return usage();
        const char *dir = argv[i], *file = argv[i + 1];
        _cleanup_close_ int src = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (src < 0) {
                fprintf(stderr, "layer-tool: %s: %s\n", dir, strerror(errno));
                return 1;
        }
        bool to_stdout = strcmp(file, "-") == 0;
        _cleanup_close_ int out =
            to_stdout ? dup(1) : open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0) {
                fprintf(stderr, "layer-tool: %s: %s\n", file, strerror(errno));
                return 1;
        }
        struct image_layer_stats st;
        _cleanup_error_ struct berth_error *err = NULL;
        if (image_layer_diff(src, out, &opts, &st, &err) < 0) {
                berth_error_print(err, "layer-tool");
                return 1;
        }
        fprintf(to_stdout ? stderr : stdout, "%s\n", st.diff_id);
        return 0;
}

int main(int argc, char **argv)
{
        if (getenv("LAYER_TOOL_DEBUG") != NULL)
                log_set_level(LOG_LEVEL_DEBUG);
        if (argc < 2)
                return usage();
        if (strcmp(argv[1], "apply") == 0)
                return cmd_apply(argc - 2, argv + 2);
        if (strcmp(argv[1], "diff") == 0)
                return cmd_diff(argc - 2, argv + 2);
        return usage();
}
