/* SPDX-License-Identifier: Apache-2.0 */
/* `berth dockerfile parse|check [-f FILE]` */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/build.h"
#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static void usage(FILE *out)
{
        fputs("Usage: berth dockerfile parse [-f FILE]\n"
              "       berth dockerfile check [-f FILE]\n\n"
              "parse  print the Dockerfile's syntax tree, one line per instruction, in\n"
              "       BuildKit's dump format\n"
              "check  report likely mistakes without building; exit 1 if there are any\n\n"
              "  -f, --file FILE   the Dockerfile (default ./Dockerfile; - for stdin)\n",
              out);
}

static int read_stdin(char **out, size_t *len, struct berth_error **err)
{
        size_t cap = 4096, n = 0;
        char *buf = xmalloc(cap + 1);
        for (;;) {
                ssize_t r = util_read_all(STDIN_FILENO, buf + n, cap - n);
                if (r < 0) {
                        free(buf);
                        return berth_err(err, errno, "reading the Dockerfile from stdin");
                }
                n += (size_t)r;
                if (n < cap)
                        break;
                cap *= 2;
                buf = xrealloc(buf, cap + 1);
        }
        buf[n] = '\0';
        *out = buf;
        *len = n;
        return 0;
}

static int load(const char *file, unsigned flags, struct build_dockerfile **df,
                struct berth_error **err)
{
        if (strcmp(file, "-") != 0)
                return build_dockerfile_parse_file(AT_FDCWD, file, file, flags, df, err);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (read_stdin(&text, &len, err) < 0)
                return -1;
        return build_dockerfile_parse("-", text, len, flags, df, err);
}

int cli_cmd_dockerfile(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"file", required_argument, NULL, 'f'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        if (argc < 2) {
                usage(stderr);
                return CLI_EXIT_FAILURE;
        }
        const char *verb = argv[1];
        if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) {
                usage(stdout);
                return 0;
        }
        bool check = strcmp(verb, "check") == 0;
        if (!check && strcmp(verb, "parse") != 0)
                return cli_usage_error(err, "dockerfile", "unknown subcommand `%s`", verb);
        const char *file = "Dockerfile";
        int c;
        optind = 0;
        while ((c = getopt_long(argc - 1, argv + 1, "f:h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        file = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        return cli_usage_error(err, "dockerfile", "bad option");
                }
        }
        if (optind + 1 < argc)
                return cli_usage_error(err, "dockerfile", "unexpected argument `%s`",
                                       argv[optind + 1]);

        _cleanup_dockerfile_ struct build_dockerfile *df = NULL;
        if (load(file, check ? BUILD_PARSE_LENIENT : 0, &df, err) < 0)
                return CLI_EXIT_FAILURE;
        if (!check) {
                _cleanup_free_ char *dump = build_dockerfile_dump(df);
                fputs(dump, stdout);
                return 0;
        }
        struct build_warning *w = NULL;
        size_t n = 0;
        build_dockerfile_check(df, &w, &n);
        for (size_t i = 0; i < n; i++)
                printf("%s:%d: warning: %s\n", file, w[i].line, w[i].msg);
        build_warnings_free(w, n);
        return n > 0 ? 1 : 0;
}
