/* SPDX-License-Identifier: Apache-2.0 */
/* logs, attach, exec. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/container.h"
#include "container/attach.h"
#include "container/logs.h"
#include "container/options.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int cli_cmd_logs(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
                                             {"timestamps", no_argument, NULL, 't'},
                                             {"tail", required_argument, NULL, 'n'},
                                             {"since", required_argument, NULL, 'S'},
                                             {"until", required_argument, NULL, 'U'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        struct container_logs_options o = {.tail = -1};
        int c;
        while ((c = getopt_long(argc, argv, "+ftn:", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        o.follow = true;
                        break;
                case 't':
                        o.timestamps = true;
                        break;
                case 'n':
                        if (strcmp(optarg, "all") == 0) {
                                o.tail = -1;
                        } else {
                                char *end;
                                o.tail = strtol(optarg, &end, 10);
                                if (*end != '\0' || end == optarg)
                                        return cli_usage_error(err, "logs",
                                                               "invalid tail value \"%s\"", optarg);
                        }
                        break;
                case 'S':
                        if (container_logs_parse_time(optarg, &o.since, err) < 0)
                                return CLI_EXIT_FAILURE;
                        o.since_set = true;
                        break;
                case 'U':
                        if (container_logs_parse_time(optarg, &o.until, err) < 0)
                                return CLI_EXIT_FAILURE;
                        o.until_set = true;
                        break;
                case 'H':
                        puts("Usage: berth logs [-f] [-t] [-n/--tail N] [--since T] [--until T] "
                             "CONTAINER");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(err, "logs", "requires exactly 1 argument");
        struct container_engine e;
        cli_engine(g, &e);
        char id[65];
        if (cli_container_id(&e, argv[optind], id, err) < 0)
                return 1;
        fflush(stdout);
        return container_logs(&e, id, &o, STDOUT_FILENO, STDERR_FILENO, err) < 0 ? 1 : 0;
}

int cli_cmd_attach(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"no-stdin", no_argument, NULL, 'N'},
                                             {"sig-proxy", required_argument, NULL, 'S'},
                                             {"detach-keys", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        bool no_stdin = false, sig_proxy = true;
        _cleanup_free_ char *keys = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                if (c == 'N')
                        no_stdin = true;
                else if (c == 'D') {
                        free(keys);
                        keys = NULL;
                        if (container_detach_keys_parse(optarg, &keys, err) < 0)
                                return CLI_EXIT_FAILURE;
                } else if (c == 'S')
                        sig_proxy = strcmp(optarg, "false") != 0;
                else if (c == 'H') {
                        puts("Usage: berth attach [--no-stdin] [--sig-proxy=false] "
                             "[--detach-keys KEYS] CONTAINER");
                        return 0;
                } else
                        return CLI_EXIT_FAILURE;
        }
        if (argc - optind != 1)
                return cli_usage_error(err, "attach", "requires exactly 1 argument");
        struct container_engine e;
        cli_engine(g, &e);
        char id[65];
        _cleanup_container_record_ struct container_record *r = NULL;
        if (cli_container_id(&e, argv[optind], id, err) < 0 ||
            container_inspect(&e, id, &r, err) <= 0)
                return 1;
        if (r->state.status != CONTAINER_RUNNING && r->state.status != CONTAINER_PAUSED) {
                berth_err(err, 0, "You cannot attach to a stopped container, start it first");
                return 1;
        }
        struct container_attach_options ao = {.in = r->open_stdin && !no_stdin,
                                              .out = true,
                                              .err = true,
                                              .tty = r->tty,
                                              .sig_proxy = sig_proxy,
                                              .detach_keys = keys};
        int code = 0;
        if (container_attach(&e, id, -1, &ao, &code, err) < 0)
                return 1;
        return code;
}

int cli_cmd_exec(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"interactive", no_argument, NULL, 'i'},
                                             {"tty", no_argument, NULL, 't'},
                                             {"detach", no_argument, NULL, 'd'},
                                             {"env", required_argument, NULL, 'e'},
                                             {"workdir", required_argument, NULL, 'w'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"privileged", no_argument, NULL, 'P'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        struct container_exec_options o = {0};
        _cleanup_strv_ char **env = xcalloc(1, sizeof(char *));
        int c;
        while ((c = getopt_long(argc, argv, "+itde:w:u:", opts, NULL)) != -1) {
                switch (c) {
                case 'i':
                        o.interactive = true;
                        break;
                case 't':
                        o.tty = true;
                        break;
                case 'd':
                        o.detach = true;
                        break;
                case 'e':
                        if (optarg[0] == '=' || optarg[0] == '\0') {
                                berth_err(err, 0,
                                          "invalid argument \"%s\" for \"--env\" flag: invalid "
                                          "environment variable: %s",
                                          optarg, optarg);
                                return CLI_EXIT_FAILURE;
                        }
                        if (strchr(optarg, '=') != NULL) {
                                strv_append(&env, optarg);
                        } else if (getenv(optarg) != NULL) {
                                _cleanup_free_ char *kv =
                                    xasprintf("%s=%s", optarg, getenv(optarg));
                                strv_append(&env, kv);
                        }
                        break;
                case 'w':
                        o.workdir = optarg;
                        break;
                case 'u':
                        o.user = optarg;
                        break;
                case 'P':
                        o.privileged = true;
                        break;
                case 'H':
                        puts("Usage: berth exec [-i] [-t] [-d] [-e K=V] [-w DIR] [-u USER] "
                             "CONTAINER COMMAND [ARG...]");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (argc - optind < 2)
                return cli_usage_error(err, "exec", "requires at least 2 arguments");
        o.args = argv + optind + 1;
        o.env = env[0] ? env : NULL;
        struct container_engine e;
        cli_engine(g, &e);
        char id[65];
        if (cli_container_id(&e, argv[optind], id, err) < 0)
                return CLI_EXIT_FAILURE;
        int code = 0;
        fflush(stdout);
        if (container_exec(&e, id, &o, &code, err) < 0)
                return container_exit_status_for(*err);
        return code;
}
