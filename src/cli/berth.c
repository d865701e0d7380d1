/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/container-fs.h"
#include "cli/container.h"
#include "cli/image.h"
#include "cli/volume.h"
#include "util/log.h"
#include "util/xalloc.h"

static int cmd_version(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        printf("berth version %s\n", BERTH_VERSION);
        return 0;
}

static const struct cli_command commands[] = {
    {"version", cmd_version, "Show the berth version"},
    {"build", cli_cmd_build, "Build an image from a Dockerfile"},
    {"dockerfile", cli_cmd_dockerfile, "Parse or check a Dockerfile"},
    {"image", cli_cmd_image, "Manage images"},
    {"images", cli_cmd_images, "List images"},
    {"load", cli_cmd_load, "Load images from a docker-archive or OCI layout"},
    {"save", cli_cmd_save, "Save images to an archive"},
    {"import", cli_cmd_import, "Import a root filesystem tarball as an image"},
    {"history", cli_cmd_history, "Show the history of an image"},
    {"tag", cli_cmd_tag, "Give an image another name"},
    {"rmi", cli_cmd_rmi, "Remove images"},
    {"system", cli_cmd_system, "Disk usage (df)"},
    {"run", cli_cmd_run, "Create and start a container"},
    {"create", cli_cmd_create, "Create a container"},
    {"start", cli_cmd_start, "Start containers"},
    {"ps", cli_cmd_ps, "List containers"},
    {"logs", cli_cmd_logs, "Show a container's logs"},
    {"stop", cli_cmd_stop, "Stop containers"},
    {"kill", cli_cmd_kill, "Send a signal to containers"},
    {"restart", cli_cmd_restart, "Restart containers"},
    {"rm", cli_cmd_rm, "Remove containers"},
    {"wait", cli_cmd_wait, "Wait for containers to stop, print their exit codes"},
    {"exec", cli_cmd_exec, "Run a command in a running container"},
    {"attach", cli_cmd_attach, "Attach to a running container's stdio"},
    {"inspect", cli_cmd_inspect, "Show containers in detail (JSON)"},
    {"top", cli_cmd_top, "Show a container's processes"},
    {"pause", cli_cmd_pause, "Freeze containers"},
    {"unpause", cli_cmd_unpause, "Thaw containers"},
    {"rename", cli_cmd_rename, "Rename a container"},
    {"stats", cli_cmd_stats, "Show containers' resource usage"},
    {"container", cli_cmd_container, "Manage containers"},
    {"volume", cli_cmd_volume, "Manage volumes"},
    {"cp", cli_cmd_cp, "Copy files between a container and the host"},
    {"diff", cli_cmd_diff, "List the changes in a container's filesystem"},
    {"export", cli_cmd_export, "Write a container's filesystem as a tar"},
    {"commit", cli_cmd_commit, "Make an image of a container's changes"},
};

int cli_usage_error(struct berth_error **err, const char *cmd, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        berth_err(err, 0, "%s: %s (see 'berth %s --help')", cmd, msg, cmd);
        free(msg);
        return CLI_EXIT_FAILURE;
}

static void usage(FILE *out)
{
        fputs("Usage: berth [--root DIR] [--runroot DIR] [--log-level LEVEL] COMMAND [ARGS...]\n\n"
              "A container engine with Docker's command line.\n\nCommands:\n",
              out);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"root", required_argument, NULL, 'r'},      {"runroot", required_argument, NULL, 'R'},
            {"log-level", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'v'},         {0},
        };
        struct cli_global g = {
            .root = getenv("BERTH_ROOT") ? getenv("BERTH_ROOT") : "/var/lib/berth",
            .runroot = getenv("BERTH_RUNROOT") ? getenv("BERTH_RUNROOT") : "/run/berth",
        };
        int c;
        /* "+": stop at the command name; its options are its own. */
        while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        g.root = optarg;
                        break;
                case 'R':
                        g.runroot = optarg;
                        break;
                case 'l': {
                        enum log_level lvl;
                        if (log_level_parse(optarg, &lvl) < 0) {
                                fprintf(stderr, "berth: invalid --log-level `%s`\n", optarg);
                                return CLI_EXIT_FAILURE;
                        }
                        log_set_level(lvl);
                        break;
                }
                case 'h':
                        usage(stdout);
                        return 0;
                case 'v':
                        printf("berth version %s\n", BERTH_VERSION);
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        /* An empty path would make every store path relative to "/" (an
         * empty --root made /blobs and /layers on the host). */
        if (g.root[0] == '\0' || g.runroot[0] == '\0') {
                fprintf(stderr, "berth: %s must not be empty\n",
                        g.root[0] == '\0' ? "--root" : "--runroot");
                return CLI_EXIT_FAILURE;
        }
        if (optind >= argc) {
                usage(stderr);
                return CLI_EXIT_FAILURE;
        }
        int first = optind;
        const char *name = argv[first];
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                if (strcmp(commands[i].name, name) != 0)
                        continue;
                struct berth_error *err = NULL;
                /* 0 makes glibc's getopt start afresh for the handler. */
                optind = 0;
                int status = commands[i].run(&g, argc - first, argv + first, &err);
                if (err != NULL) {
                        berth_error_print(err, "berth");
                        berth_error_free(err);
                }
                return status;
        }
        fprintf(stderr, "berth: unknown command `%s` (see 'berth --help')\n", name);
        return CLI_EXIT_FAILURE;
}
