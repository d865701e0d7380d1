/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/runtime-cli.h"
#include "runtime/runtime.h"
#include "util/log.h"
#include "util/xalloc.h"

static const struct {
        const char *name;
        rt_handler run;
        bool sealed; /* enters a container: run from the sealed binary copy */
        const char *summary;
} commands[] = {
    {"create", rt_cmd_create, true, "Create a container from a bundle"},
    {"start", rt_cmd_start, false, "Start a created container"},
    {"run", rt_cmd_run, true, "Create and start a container"},
    {"state", rt_cmd_state, false, "Print the state of a container"},
    {"kill", rt_cmd_kill, false, "Send a signal to a container"},
    {"delete", rt_cmd_delete, false, "Delete a container"},
    {"exec", rt_cmd_exec, true, "Run a process in a running container"},
    {"ps", rt_cmd_ps, false, "List the processes of a container"},
    {"list", rt_cmd_list, false, "List containers"},
    {"pause", rt_cmd_pause, false, "Freeze every process of a container"},
    {"resume", rt_cmd_resume, false, "Thaw a paused container"},
    {"update", rt_cmd_update, false, "Update a container's resource limits"},
    {"spec", rt_cmd_spec, false, "Write a default config.json"},
    {"features", rt_cmd_features, false, "Print the features this runtime supports"},
};

int rt_usage(struct berth_error **err, const char *cmd, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        berth_err(err, 0, "%s: %s", cmd, msg);
        free(msg);
        return 1;
}

int rt_need_id(int argc, char **argv, const char *cmd, const char **id, struct berth_error **err)
{
        if (optind == 0)
                optind = 1; /* the handler ran no getopt */
        if (optind != argc - 1)
                return rt_usage(err, cmd, "expected exactly one container ID");
        *id = argv[optind];
        return 0;
}

static volatile pid_t forward_pid;

static void forward(int sig)
{
        if (forward_pid > 0)
                kill(forward_pid, sig);
}

void rt_forward_signals(pid_t pid)
{
        forward_pid = pid;
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
        struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                sigaction(sigs[i], &sa, NULL);
}

static void usage(FILE *out)
{
        fputs("Usage: berth-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
              "COMMAND [ARGS...]\n\nAn OCI runtime with runc's command line.\n\nCommands:\n",
              out);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"root", required_argument, NULL, 'r'},
            {"log", required_argument, NULL, 'l'},
            {"log-format", required_argument, NULL, 'f'},
            {"debug", no_argument, NULL, 'd'},
            {"systemd-cgroup", no_argument, NULL, 's'},
            {"rootless", required_argument, NULL, 'R'},
            {"criu", required_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'v'},
            {0},
        };
        struct rt_global g = {.root = "/run/berth-runtime"};
        const char *log_path = NULL;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        g.root = optarg;
                        break;
                case 'l':
                        log_path = optarg;
                        break;
                case 'f':
                        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                                fprintf(stderr, "berth-runtime: invalid --log-format `%s`\n",
                                        optarg);
                                return 1;
                        }
                        json = strcmp(optarg, "json") == 0;
                        break;
                case 'd':
                        log_set_level(LOG_LEVEL_DEBUG);
                        break;
                case 's':
                case 'R':
                case 'c':
                        break; /* accepted for compatibility with runc's callers */
                case 'h':
                        usage(stdout);
                        return 0;
                case 'v':
                        printf("berth-runtime version %s\nspec: 1.2.0\n", BERTH_VERSION);
                        return 0;
                default:
                        return 1;
                }
        }
        if (log_path && log_set_file(log_path, json) < 0) {
                fprintf(stderr, "berth-runtime: cannot open log `%s`\n", log_path);
                return 1;
        }
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        int first = optind;
        const char *name = argv[first];
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                if (strcmp(commands[i].name, name) != 0)
                        continue;
                struct berth_error *err = NULL;
                if (commands[i].sealed && runtime_binary_ensure_sealed(argv, &err) < 0) {
                        /* Refuse rather than run a container from a binary
                         * the container could rewrite. */
                        berth_error_print(err, "berth-runtime");
                        berth_error_free(err);
                        return 1;
                }
                optind = 0;
                int status = commands[i].run(&g, argc - first, argv + first, &err);
                if (err != NULL) {
                        char *text = berth_error_text(err);
                        if (log_path)
                                log_error("%s", text);
                        fprintf(stderr, "berth-runtime: %s\n", text);
                        free(text);
                        berth_error_free(err);
                        if (status == 0)
                                status = 1;
                }
                return status;
        }
        fprintf(stderr, "berth-runtime: unknown command `%s`\n", name);
        return 1;
}
