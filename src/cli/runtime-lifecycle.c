/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/runtime-cli.h"
#include "runtime/runtime.h"
#include "runtime/config.h"
#include "util/cleanup.h"
#include "util/json.h"

enum { OPT_BUNDLE = 256, OPT_PID_FILE, OPT_CONSOLE, OPT_NO_PIVOT, OPT_PRESERVE, OPT_NOOP };

static const struct option create_opts[] = {
    {"bundle", required_argument, NULL, 'b'},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"console-socket", required_argument, NULL, OPT_CONSOLE},
    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
    {"detach", no_argument, NULL, 'd'},
    {"no-new-keyring", no_argument, NULL, OPT_NOOP},
    {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
    {"no-subreaper", no_argument, NULL, OPT_NOOP},
    {0},
};

/* create and run share their options. */
static int parse_create(int argc, char **argv, struct runtime_create_options *o, bool *detach,
                        const char **id, struct berth_error **err)
{
        int c;
        o->bundle = ".";
        while ((c = getopt_long(argc, argv, "+b:d", create_opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        o->bundle = optarg;
                        break;
                case OPT_PID_FILE:
                        o->pid_file = optarg;
                        break;
                case OPT_CONSOLE:
                        o->console_socket = optarg;
                        break;
                case OPT_NO_PIVOT:
                        o->no_pivot = true;
                        break;
                case 'd':
                        *detach = true;
                        break;
                case OPT_PRESERVE: {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (*optarg == '\0' || *end != '\0' || v > 1024)
                                return rt_usage(err, argv[0], "--preserve-fds takes a count");
                        o->preserve_fds = (unsigned)v;
                        break;
                }
                case OPT_NOOP:
                        break;
                default:
                        return rt_usage(err, argv[0], "invalid option");
                }
        }
        return rt_need_id(argc, argv, argv[0], id, err);
}

int rt_cmd_create(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        struct runtime_create_options o = {0};
        bool detach = false;
        const char *id;
        if (parse_create(argc, argv, &o, &detach, &id, err) != 0)
                return 1;
        pid_t pid;
        return runtime_container_create(g->root, id, &o, &pid, err) < 0 ? 1 : 0;
}

int rt_cmd_start(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        const char *id;
        if (rt_need_id(argc, argv, argv[0], &id, err) != 0)
                return 1;
        return runtime_container_start(g->root, id, err) < 0 ? 1 : 0;
}

int rt_cmd_run(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        struct runtime_create_options o = {0};
        bool detach = false;
        const char *id;
        if (parse_create(argc, argv, &o, &detach, &id, err) != 0)
                return 1;
        /* A terminal in the foreground and nobody to hand it to: relay it
         * ourselves. */
        struct rt_tty tty = {.listen_fd = -1, .master = -1};
        if (!detach && o.console_socket == NULL) {
                _cleanup_config_ struct runtime_config *c = NULL;
                struct berth_error *scratch = NULL;
                if (runtime_config_load(o.bundle, &c, &scratch) == 0 && c->process &&
                    c->process->terminal) {
                        if (rt_tty_prepare(&tty, err) < 0) {
                                rt_tty_cleanup(&tty);
                                berth_error_free(scratch);
                                return 1;
                        }
                        o.console_socket = tty.sock_path;
                }
                berth_error_free(scratch);
        }
        pid_t pid;
        if (runtime_container_create(g->root, id, &o, &pid, err) < 0) {
                rt_tty_cleanup(&tty);
                return 1;
        }
        rt_forward_signals(pid);
        /* The pty is sized before start: the process may read its size
         * at once. */
        if ((tty.listen_fd >= 0 && rt_tty_accept(&tty, err) < 0) ||
            runtime_container_start(g->root, id, err) < 0) {
                rt_tty_cleanup(&tty);
                runtime_container_delete(g->root, id, true, NULL);
                return 1;
        }
        if (detach)
                return 0;
        if (tty.master >= 0) {
                rt_tty_relay(&tty);
                rt_tty_cleanup(&tty);
        }
        int code = runtime_wait_exit_code(pid, err);
        /* Like runc: a foreground container is gone once its process is. */
        struct berth_error *scratch = NULL;
        if (runtime_container_delete(g->root, id, true, &scratch) < 0 && code >= 0) {
                *err = scratch;
                return 1;
        }
        berth_error_free(scratch);
        return code < 0 ? 1 : code;
}

int rt_cmd_state(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        const char *id;
        if (rt_need_id(argc, argv, argv[0], &id, err) != 0)
                return 1;
        _cleanup_json_ json_t *j = NULL;
        if (runtime_container_state(g->root, id, &j, err) < 0)
                return 1;
        _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        return 0;
}

static int parse_signal(const char *s)
{
        char *end;
        long n = strtol(s, &end, 10);
        if (*s && *end == '\0')
                return n > 0 && n < NSIG ? (int)n : -1;
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (int i = 1; i < NSIG; i++) {
                const char *abbrev = sigabbrev_np(i);
                if (abbrev && strcasecmp(abbrev, s) == 0)
                        return i;
        }
        return -1;
}

int rt_cmd_kill(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
        bool all = false;
        int c;
        while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
                if (c != 'a')
                        return rt_usage(err, "kill", "invalid option");
                all = true;
        }
        if (optind >= argc || argc - optind > 2)
                return rt_usage(err, "kill", "expected a container ID and an optional signal");
        const char *id = argv[optind];
        int sig = SIGTERM;
        if (argc - optind == 2 && (sig = parse_signal(argv[optind + 1])) < 0)
                return rt_usage(err, "kill", "unknown signal `%s`", argv[optind + 1]);
        return runtime_container_kill(g->root, id, sig, all, err) < 0 ? 1 : 0;
}

int rt_cmd_delete(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
        bool force = false;
        int c;
        while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
                if (c != 'f')
                        return rt_usage(err, "delete", "invalid option");
                force = true;
        }
        const char *id;
        if (rt_need_id(argc, argv, "delete", &id, err) != 0)
                return 1;
        return runtime_container_delete(g->root, id, force, err) < 0 ? 1 : 0;
}
