/* SPDX-License-Identifier: Apache-2.0 */
/* start, stop, kill, restart, rm, wait, pause, unpause, rename, prune. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/container.h"
#include "cli/format.h"
#include "container/attach.h"
#include "container/options.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Docker's verbs over several containers: each error printed, the others
 * still done, exit 1 when any failed. */
typedef int (*each_fn)(const struct container_engine *e, const char *id, void *data,
                       struct berth_error **err);

static int for_each(const struct cli_global *g, const char *cmd, int first, int argc, char **argv,
                    each_fn fn, void *data, bool print, struct berth_error **err)
{
        if (first >= argc)
                return cli_usage_error(err, cmd, "requires at least 1 argument");
        struct container_engine e;
        cli_engine(g, &e);
        int status = 0;
        for (int i = first; i < argc; i++) {
                _cleanup_error_ struct berth_error *one = NULL;
                char id[65];
                if (cli_container_id(&e, argv[i], id, &one) < 0 || fn(&e, id, data, &one) < 0) {
                        berth_error_print(one, "berth");
                        status = 1;
                        continue;
                }
                if (print)
                        printf("%s\n", argv[i]);
        }
        return status;
}

/* ---- start ---- */

static int start_one(const struct container_engine *e, const char *id, void *data,
                     struct berth_error **err)
{
        return container_start(e, id, 0, NULL, err);
}

int cli_cmd_start(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
                                             {"interactive", no_argument, NULL, 'i'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        bool attach = false, interactive = false;
        int c;
        while ((c = getopt_long(argc, argv, "+ai", opts, NULL)) != -1) {
                if (c == 'a')
                        attach = true;
                else if (c == 'i')
                        interactive = true;
                else if (c == 'H') {
                        puts("Usage: berth start [-a] [-i] CONTAINER [CONTAINER...]");
                        return 0;
                } else
                        return CLI_EXIT_FAILURE;
        }
        if (!attach && !interactive)
                return for_each(g, "start", optind, argc, argv, start_one, NULL, true, err);
        if (argc - optind != 1)
                return cli_usage_error(err, "start",
                                       "you cannot start and attach multiple "
                                       "containers at once");
        struct container_engine e;
        cli_engine(g, &e);
        char id[65];
        if (cli_container_id(&e, argv[optind], id, err) < 0)
                return CLI_EXIT_FAILURE;
        _cleanup_container_record_ struct container_record *r = NULL;
        if (container_inspect(&e, id, &r, err) <= 0)
                return CLI_EXIT_FAILURE;
        _cleanup_close_ int report = -1;
        if (container_start(&e, id, CONTAINER_START_ATTACH_WAIT, &report, err) < 0)
                return container_exit_status_for(*err);
        struct container_attach_options ao = {.in = interactive && r->open_stdin,
                                              .out = true,
                                              .err = true,
                                              .tty = r->tty,
                                              .sig_proxy = true};
        int fd = container_attach_open(&e, id, &ao, err);
        if (fd < 0)
                return CLI_EXIT_FAILURE;
        /* No report: it was running already, and -a attaches to it. */
        if (report >= 0 && container_start_finish(report, err) < 0) {
                close(fd);
                return container_exit_status_for(*err);
        }
        int code = 0;
        if (container_attach(&e, id, fd, &ao, &code, err) < 0)
                return CLI_EXIT_FAILURE;
        return code;
}

/* ---- stop, restart, kill ---- */

static int stop_one(const struct container_engine *e, const char *id, void *data,
                    struct berth_error **err)
{
        return container_stop(e, id, *(int *)data, err);
}

static int restart_one(const struct container_engine *e, const char *id, void *data,
                       struct berth_error **err)
{
        return container_restart(e, id, *(int *)data, err);
}

static int stop_like(const struct cli_global *g, const char *cmd, each_fn fn, int argc, char **argv,
                     struct berth_error **err)
{
        static const struct option opts[] = {{"time", required_argument, NULL, 't'},
                                             {"timeout", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        int timeout = -1, c;
        while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
                if (c == 't') {
                        char *end;
                        timeout = (int)strtol(optarg, &end, 10);
                        if (*end != '\0' || timeout < -1)
                                return cli_usage_error(err, cmd,
                                                       "invalid argument \"%s\" for \"-t, "
                                                       "--time\" flag",
                                                       optarg);
                } else if (c == 'H') {
                        printf("Usage: berth %s [-t SECONDS] CONTAINER [CONTAINER...]\n", cmd);
                        return 0;
                } else
                        return CLI_EXIT_FAILURE;
        }
        return for_each(g, cmd, optind, argc, argv, fn, &timeout, true, err);
}

int cli_cmd_stop(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        return stop_like(g, "stop", stop_one, argc, argv, err);
}

int cli_cmd_restart(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        return stop_like(g, "restart", restart_one, argc, argv, err);
}

static int kill_one(const struct container_engine *e, const char *id, void *data,
                    struct berth_error **err)
{
        return container_kill(e, id, *(int *)data, err);
}

int cli_cmd_kill(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'H'}, {0}};
        int sig = 9, c;
        while ((c = getopt_long(argc, argv, "+s:", opts, NULL)) != -1) {
                if (c == 's') {
                        if (container_parse_signal(optarg, &sig, err) < 0)
                                return CLI_EXIT_FAILURE;
                } else if (c == 'H') {
                        puts("Usage: berth kill [-s SIGNAL] CONTAINER [CONTAINER...]");
                        return 0;
                } else
                        return CLI_EXIT_FAILURE;
        }
        return for_each(g, "kill", optind, argc, argv, kill_one, &sig, true, err);
}

/* ---- rm ---- */

struct rm_opts {
        bool force, volumes;
};

static int rm_one(const struct container_engine *e, const char *id, void *data,
                  struct berth_error **err)
{
        struct rm_opts *o = data;
        return container_remove(e, id, o->force, o->volumes, err);
}

int cli_cmd_rm(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                             {"volumes", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        struct rm_opts o = {0};
        int c;
        while ((c = getopt_long(argc, argv, "+fv", opts, NULL)) != -1) {
                if (c == 'f')
                        o.force = true;
                else if (c == 'v')
                        o.volumes = true;
                else if (c == 'H') {
                        puts("Usage: berth rm [-f] [-v] CONTAINER [CONTAINER...]");
                        return 0;
                } else
                        return CLI_EXIT_FAILURE;
        }
        return for_each(g, "rm", optind, argc, argv, rm_one, &o, true, err);
}

/* ---- wait, pause, unpause, rename, prune ---- */

/* The options of a verb that takes none but --help (and extra's short
 * flags; "f" is also --force): -1 to go on, else the status to exit with. */
static int no_flags(int argc, char **argv, const char *extra, const char *usage)
{
        static const struct option all[] = {
            {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'H'}, {0}};
        const struct option *opts = strchr(extra, 'f') ? all : all + 1;
        _cleanup_free_ char *shorts = xasprintf("+%s", extra);
        int c;
        while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
                if (c == 'H') {
                        puts(usage);
                        return 0;
                }
                if (c == '?')
                        return CLI_EXIT_FAILURE;
        }
        return -1;
}

static int wait_one(const struct container_engine *e, const char *id, void *data,
                    struct berth_error **err)
{
        int code = 0;
        if (container_wait(e, id, &code, err) < 0)
                return berth_err_ret(*err);
        printf("%d\n", code);
        fflush(stdout);
        return 0;
}

int cli_cmd_wait(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        int r = no_flags(argc, argv, "", "Usage: berth wait CONTAINER [CONTAINER...]");
        return r >= 0 ? r : for_each(g, "wait", optind, argc, argv, wait_one, NULL, false, err);
}

static int pause_one(const struct container_engine *e, const char *id, void *data,
                     struct berth_error **err)
{
        return container_pause(e, id, *(bool *)data, err);
}

int cli_cmd_pause(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        bool p = true;
        int r = no_flags(argc, argv, "", "Usage: berth pause CONTAINER [CONTAINER...]");
        return r >= 0 ? r : for_each(g, "pause", optind, argc, argv, pause_one, &p, true, err);
}

int cli_cmd_unpause(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        bool p = false;
        int r = no_flags(argc, argv, "", "Usage: berth unpause CONTAINER [CONTAINER...]");
        return r >= 0 ? r : for_each(g, "unpause", optind, argc, argv, pause_one, &p, true, err);
}

int cli_cmd_rename(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        int r = no_flags(argc, argv, "", "Usage: berth rename CONTAINER NEW_NAME");
        if (r >= 0)
                return r;
        if (argc - optind != 2)
                return cli_usage_error(err, "rename", "requires exactly 2 arguments");
        struct container_engine e;
        cli_engine(g, &e);
        char id[65];
        if (cli_container_id(&e, argv[optind], id, err) < 0 ||
            container_record_rename(e.root, id, argv[optind + 1], err) < 0)
                return 1;
        return 0;
}

/* Docker asks first unless -f; berth never asks. */
static int prune(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        int r = no_flags(argc, argv, "f", "Usage: berth container prune [-f]");
        if (r >= 0)
                return r;
        if (optind < argc)
                return cli_usage_error(err, "container prune", "accepts no arguments");
        struct container_engine e;
        cli_engine(g, &e);
        _cleanup_strv_ char **removed = NULL;
        long long reclaimed = 0;
        if (container_prune(&e, &removed, &reclaimed, err) < 0)
                return CLI_EXIT_FAILURE;
        if (removed[0] != NULL) {
                puts("Deleted Containers:");
                for (char **id = removed; *id; id++)
                        puts(*id);
                puts("");
        }
        _cleanup_free_ char *size = cli_human_size(reclaimed);
        printf("Total reclaimed space: %s\n", size);
        return 0;
}

static const struct cli_command sub[] = {
    {"run", cli_cmd_run, ""},       {"create", cli_cmd_create, ""},
    {"start", cli_cmd_start, ""},   {"stop", cli_cmd_stop, ""},
    {"kill", cli_cmd_kill, ""},     {"restart", cli_cmd_restart, ""},
    {"rm", cli_cmd_rm, ""},         {"wait", cli_cmd_wait, ""},
    {"pause", cli_cmd_pause, ""},   {"unpause", cli_cmd_unpause, ""},
    {"rename", cli_cmd_rename, ""}, {"prune", prune, ""},
    {"ls", cli_cmd_ps, ""},         {"list", cli_cmd_ps, ""},
    {"ps", cli_cmd_ps, ""},         {"inspect", cli_cmd_container_inspect, ""},
    {"logs", cli_cmd_logs, ""},     {"exec", cli_cmd_exec, ""},
    {"attach", cli_cmd_attach, ""}, {"top", cli_cmd_top, ""},
    {"stats", cli_cmd_stats, ""},
};

int cli_cmd_container(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0) {
                puts("Usage: berth container COMMAND\n\nCommands: ls inspect prune run create "
                     "start stop kill restart rm wait pause unpause rename logs exec attach top "
                     "stats");
                return argc < 2 ? CLI_EXIT_FAILURE : 0;
        }
        for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
                if (strcmp(sub[i].name, argv[1]) == 0) {
                        optind = 0;
                        return sub[i].run(g, argc - 1, argv + 1, err);
                }
        return cli_usage_error(err, "container", "unknown command `%s`", argv[1]);
}
