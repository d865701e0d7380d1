/* SPDX-License-Identifier: Apache-2.0 */
/* `berth build [OPTIONS] PATH | - | TARBALL` */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/builder.h"
#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static void usage(FILE *out)
{
        fputs("Usage: berth build [OPTIONS] PATH | - | TARBALL\n\n"
              "Build an image from a Dockerfile and a context (a directory, a tar on stdin,\n"
              "or a tarball).  RUN steps have no network (loopback only) unless\n"
              "--network host.\n\n"
              "  -t, --tag NAME[:TAG]       name the image (repeatable)\n"
              "  -f, --file FILE            the Dockerfile (default PATH/Dockerfile; - for stdin)\n"
              "      --build-arg K[=V]      set a build-time variable (repeatable)\n"
              "      --target STAGE         build up to this stage\n"
              "      --label K=V            add a label to the image (repeatable)\n"
              "      --no-cache             do not use the build cache\n"
              "  -q, --quiet                print only the image ID\n"
              "      --iidfile FILE         write the image ID to FILE\n"
              "      --network none|host    networking for RUN (default none)\n"
              "      --progress auto|plain|tty  tty: a live view of the running step, its\n"
              "                             output's last lines, a line per step done;\n"
              "                             auto (default): tty on a terminal, else plain\n"
              "      --platform linux/amd64 the only platform berth builds\n"
              "      --source-date-epoch N  reproducible: timestamps clamped to N\n",
              out);
}

int cli_cmd_build(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        enum {
                OPT_BUILD_ARG = 256,
                OPT_TARGET,
                OPT_LABEL,
                OPT_NO_CACHE,
                OPT_IIDFILE,
                OPT_NETWORK,
                OPT_PROGRESS,
                OPT_PLATFORM,
                OPT_SDE,
                OPT_PULL,
                OPT_RM,
        };
        static const struct option opts[] = {
            {"tag", required_argument, NULL, 't'},
            {"file", required_argument, NULL, 'f'},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {"build-arg", required_argument, NULL, OPT_BUILD_ARG},
            {"target", required_argument, NULL, OPT_TARGET},
            {"label", required_argument, NULL, OPT_LABEL},
            {"no-cache", no_argument, NULL, OPT_NO_CACHE},
            {"iidfile", required_argument, NULL, OPT_IIDFILE},
            {"network", required_argument, NULL, OPT_NETWORK},
            {"progress", required_argument, NULL, OPT_PROGRESS},
            {"platform", required_argument, NULL, OPT_PLATFORM},
            {"source-date-epoch", required_argument, NULL, OPT_SDE},
            {"pull", no_argument, NULL, OPT_PULL},
            {"rm", no_argument, NULL, OPT_RM},
            {0},
        };
        _cleanup_strv_ char **tags = xcalloc(1, sizeof(char *));
        _cleanup_strv_ char **args = xcalloc(1, sizeof(char *));
        _cleanup_strv_ char **labels = xcalloc(1, sizeof(char *));
        struct build_options o = {
            .root = g->root,
            .runroot = g->runroot,
            .source_date_epoch = -1,
            .progress = BUILD_PROGRESS_PLAIN,
            .network = BUILD_NETWORK_NONE,
        };
        const char *iidfile = NULL;
        const char *progress = "auto";
        int c;
        while ((c = getopt_long(argc, argv, "t:f:qh", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        strv_append(&tags, optarg);
                        break;
                case 'f':
                        o.dockerfile = optarg;
                        break;
                case 'q':
                        o.progress = BUILD_PROGRESS_QUIET;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_BUILD_ARG:
                        strv_append(&args, optarg);
                        break;
                case OPT_TARGET:
                        o.target = optarg;
                        break;
                case OPT_LABEL:
                        strv_append(&labels, optarg);
                        break;
                case OPT_NO_CACHE:
                        o.no_cache = true;
                        break;
                case OPT_IIDFILE:
                        iidfile = optarg;
                        break;
                case OPT_NETWORK:
                        if (strcmp(optarg, "none") == 0 || strcmp(optarg, "default") == 0)
                                o.network = BUILD_NETWORK_NONE;
                        else if (strcmp(optarg, "host") == 0)
                                o.network = BUILD_NETWORK_HOST;
                        else
                                return cli_usage_error(err, "build", "--network %s: none or host",
                                                       optarg);
                        break;
                case OPT_PROGRESS:
                        if (strcmp(optarg, "plain") != 0 && strcmp(optarg, "auto") != 0 &&
                            strcmp(optarg, "tty") != 0 && strcmp(optarg, "quiet") != 0)
                                return cli_usage_error(err, "build",
                                                       "--progress %s: auto, plain or tty", optarg);
                        progress = optarg;
                        break;
                case OPT_PLATFORM:
                        o.platform = optarg;
                        break;
                case OPT_SDE: {
                        char *end = NULL;
                        long long v = strtoll(optarg, &end, 10);
                        if (*optarg == '\0' || *end != '\0' || v < 0)
                                return cli_usage_error(err, "build",
                                                       "--source-date-epoch %s: seconds since 1970",
                                                       optarg);
                        o.source_date_epoch = v;
                        break;
                }
                case OPT_PULL:
                case OPT_RM:
                        break; /* accepted for Docker's sake: nothing to pull, nothing kept */
                default:
                        return cli_usage_error(err, "build", "unknown option");
                }
        }
        if (optind != argc - 1)
                return cli_usage_error(err, "build", "requires exactly 1 argument");
        /* Progress goes to stderr, as Docker's; -q wins over --progress. */
        bool term = isatty(STDERR_FILENO) == 1;
        if (strcmp(progress, "quiet") == 0)
                o.progress = BUILD_PROGRESS_QUIET;
        if (o.progress != BUILD_PROGRESS_QUIET) {
                if (strcmp(progress, "tty") == 0 && !term)
                        return cli_usage_error(err, "build",
                                               "--progress tty: stderr is not a terminal");
                o.progress = strcmp(progress, "plain") == 0 || !term ? BUILD_PROGRESS_PLAIN
                                                                     : BUILD_PROGRESS_TTY;
        }
        o.context = argv[optind];
        o.tags = tags;
        o.build_args = args;
        o.labels = labels;
        char id[IMAGE_DIGEST_LEN];
        if (build_image(&o, id, err) < 0)
                return 1;
        if (iidfile != NULL &&
            util_file_write_atomic(AT_FDCWD, iidfile, id, strlen(id), 0644, err) < 0)
                return 1;
        if (o.progress == BUILD_PROGRESS_QUIET)
                printf("%s\n", id);
        return 0;
}
