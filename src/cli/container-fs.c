/* SPDX-License-Identifier: Apache-2.0 */
/* berth cp, diff, export, commit: a container's filesystem from outside. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/container-fs.h"
#include "cli/container.h"
#include "container/commit.h"
#include "container/fs.h"
#include "container/record.h"
#include "image/digest.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Docker's splitCpArg: "CONTAINER:PATH", unless the argument is a local
 * path ("/x", "./x:y", or no colon). */
static bool split_cp_arg(const char *arg, char **container, const char **path)
{
        const char *colon = strchr(arg, ':');
        if (arg[0] == '/' || arg[0] == '.' || colon == NULL || strcmp(arg, "-") == 0) {
                *path = arg;
                return false;
        }
        *container = xstrndup(arg, (size_t)(colon - arg));
        *path = colon + 1;
        return true;
}

int cli_cmd_cp(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"archive", no_argument, NULL, 'a'},
            {"follow-link", no_argument, NULL, 'L'},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        struct container_cp_opts o = {0};
        int c;
        while ((c = getopt_long(argc, argv, "+aLqh", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        o.archive = true;
                        break;
                case 'L':
                        o.follow_link = true;
                        break;
                case 'q':
                        break;
                case 'h':
                        puts("Usage: berth cp [-a] CONTAINER:SRC_PATH DEST_PATH|-\n"
                             "       berth cp [-a] SRC_PATH|- CONTAINER:DEST_PATH\n\n"
                             "Copy files between a container and the host.  Paths in the\n"
                             "container are resolved inside it; \"-\" is a tar stream.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (argc - optind != 2)
                return cli_usage_error(err, "cp", "requires exactly 2 arguments");
        _cleanup_free_ char *sc = NULL, *dc = NULL;
        const char *sp, *dp;
        bool from = split_cp_arg(argv[optind], &sc, &sp);
        bool to = split_cp_arg(argv[optind + 1], &dc, &dp);
        if (from && to)
                return cli_usage_error(err, "cp", "copying between containers is not supported");
        if (!from && !to)
                return cli_usage_error(err, "cp", "must specify at least one container source");
        if ((from && sp[0] == '\0') || (to && dp[0] == '\0'))
                return cli_usage_error(err, "cp", "filepath can not be empty");
        char id[65];
        if (container_record_resolve(g->root, from ? sc : dc, id, err) < 0)
                return CLI_EXIT_FAILURE;
        int r = from ? container_cp_from(g->root, id, sp, dp, STDOUT_FILENO, &o, err)
                     : container_cp_to(g->root, id, sp, STDIN_FILENO, dp, &o, err);
        return r < 0 ? CLI_EXIT_FAILURE : 0;
}

int cli_cmd_diff(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        if (argc == 2 && strcmp(argv[1], "--help") == 0) {
                puts("Usage: berth diff CONTAINER\n\n"
                     "List the files the container added (A), changed (C) and deleted (D).");
                return 0;
        }
        if (argc != 2)
                return cli_usage_error(err, "diff", "requires exactly 1 argument");
        char id[65];
        if (container_record_resolve(g->root, argv[1], id, err) < 0)
                return CLI_EXIT_FAILURE;
        struct container_change_list l;
        if (container_diff(g->root, id, &l, err) < 0)
                return CLI_EXIT_FAILURE;
        for (size_t i = 0; i < l.n; i++)
                printf("%c %s\n", l.v[i].kind, l.v[i].path);
        container_change_list_clear(&l);
        return 0;
}

int cli_cmd_export(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
        const char *output = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        puts("Usage: berth export [-o FILE] CONTAINER\n\n"
                             "Write the container's filesystem as a tar.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(err, "export", "requires exactly 1 argument");
        if (output == NULL && isatty(STDOUT_FILENO))
                return cli_usage_error(err, "export",
                                       "cowardly refusing to save to a terminal. Use the -o flag "
                                       "or redirect");
        char id[65];
        if (container_record_resolve(g->root, argv[optind], id, err) < 0)
                return CLI_EXIT_FAILURE;
        _cleanup_close_ int fd = STDOUT_FILENO;
        _cleanup_free_ char *tmp = NULL;
        if (output != NULL) {
                /* Written beside, renamed over: no half tar under the name. */
                tmp = xasprintf("%s.tmp-%d", output, getpid());
                fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        berth_err(err, errno, "creating `%s`", output);
                        return CLI_EXIT_FAILURE;
                }
        }
        int r = container_export(g->root, id, fd, err);
        if (output != NULL) {
                if (r == 0 && (fsync(fd) < 0 || rename(tmp, output) < 0))
                        r = berth_err(err, errno, "writing `%s`", output);
                if (r < 0)
                        unlink(tmp);
        } else {
                fd = -1; /* stdout stays open */
        }
        return r < 0 ? CLI_EXIT_FAILURE : 0;
}

int cli_cmd_commit(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"change", required_argument, NULL, 'c'}, {"message", required_argument, NULL, 'm'},
            {"author", required_argument, NULL, 'a'}, {"pause", optional_argument, NULL, 'p'},
            {"help", no_argument, NULL, 'h'},         {0},
        };
        _cleanup_strv_ char **changes = NULL;
        struct container_commit_opts o = {0};
        bool pause = true;
        int c;
        while ((c = getopt_long(argc, argv, "c:m:a:ph", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        strv_append(&changes, optarg);
                        break;
                case 'm':
                        o.message = optarg;
                        break;
                case 'a':
                        o.author = optarg;
                        break;
                case 'p':
                        pause = optarg == NULL || strcmp(optarg, "true") == 0 ||
                                strcmp(optarg, "1") == 0;
                        break;
                case 'h':
                        puts("Usage: berth commit [-a AUTHOR] [-m MESSAGE] [-c 'INSTRUCTION']... "
                             "CONTAINER [REPOSITORY[:TAG]]\n\n"
                             "Make an image of the container's changes.  -c takes Dockerfile\n"
                             "instructions: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,\n"
                             "STOPSIGNAL, USER, VOLUME, WORKDIR.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (argc - optind < 1 || argc - optind > 2)
                return cli_usage_error(err, "commit",
                                       "requires at least 1 and at most 2 arguments");
        o.changes = changes;
        o.reference = argc - optind == 2 ? argv[optind + 1] : NULL;
        char id[65];
        if (container_record_resolve(g->root, argv[optind], id, err) < 0)
                return CLI_EXIT_FAILURE;
        /* As Docker: a running container is frozen while its upper dir is
         * read, so the layer is one instant of it. */
        struct container_engine e;
        cli_engine(g, &e);
        _cleanup_container_record_ struct container_record *r = NULL;
        bool paused = false;
        if (pause && container_inspect(&e, id, &r, err) < 0)
                return CLI_EXIT_FAILURE;
        if (r != NULL && r->state.status == CONTAINER_RUNNING) {
                if (container_pause(&e, id, true, err) < 0)
                        return CLI_EXIT_FAILURE;
                paused = true;
        }
        char image[IMAGE_DIGEST_LEN];
        int rc = container_commit(g->root, id, &o, image, err);
        _cleanup_error_ struct berth_error *uerr = NULL;
        if (paused && container_pause(&e, id, false, rc < 0 ? &uerr : err) < 0 && rc == 0)
                return CLI_EXIT_FAILURE;
        if (rc < 0)
                return CLI_EXIT_FAILURE;
        puts(image);
        return 0;
}
