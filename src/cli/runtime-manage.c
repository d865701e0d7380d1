/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/runtime-cli.h"
#include "runtime/runtime.h"
#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

/* KEY=VALUE into env, replacing an existing KEY. */
static void env_set(char ***env, const char *kv)
{
        size_t klen = strcspn(kv, "=");
        for (char **e = *env; e && *e; e++) {
                if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
                        free(*e);
                        *e = xstrdup(kv);
                        return;
                }
        }
        strv_append(env, kv);
}

static int parse_user(const char *s, struct runtime_process *p, struct berth_error **err)
{
        char *end;
        unsigned long uid = strtoul(s, &end, 10);
        if (end == s || (*end != '\0' && *end != ':'))
                return rt_usage(err, "exec", "--user takes UID[:GID], got `%s`", s);
        p->uid = (uid_t)uid;
        if (*end == ':') {
                const char *g = end + 1;
                unsigned long gid = strtoul(g, &end, 10);
                if (end == g || *end != '\0')
                        return rt_usage(err, "exec", "--user takes UID[:GID], got `%s`", s);
                p->gid = (gid_t)gid;
        }
        return 0;
}

/* The process of `exec`: --process FILE, or the container's own process
 * with the given args and overrides (so caps, rlimits, NNP carry over). */
static int exec_process(const struct rt_global *g, const char *id, const char *process_file,
                        bool tty, char **envs, const char *cwd, const char *user, char **args,
                        struct runtime_process **out, struct berth_error **err)
{
        if (process_file) {
                _cleanup_json_ json_t *j = NULL;
                if (runtime_json_load_file(AT_FDCWD, process_file, &j, err) < 0)
                        return 1;
                return runtime_process_parse(j, process_file, out, err) < 0 ? 1 : 0;
        }
        if (args == NULL || args[0] == NULL)
                return rt_usage(err, "exec", "expected a command after the container ID");
        _cleanup_config_ struct runtime_config *c = NULL;
        if (runtime_container_config(g->root, id, &c, err) < 0)
                return 1;
        if (c->process == NULL)
                return rt_usage(err, "exec", "the container has no process to copy");
        struct runtime_process *p = steal_pointer(&c->process);
        strv_free(p->args);
        p->args = strv_dup(args);
        p->terminal = tty;
        for (char **e = envs; e && *e; e++)
                env_set(&p->env, *e);
        if (cwd) {
                free(p->cwd);
                p->cwd = xstrdup(cwd);
        }
        if (user && parse_user(user, p, err) != 0) {
                runtime_process_free(p);
                return 1;
        }
        *out = p;
        return 0;
}

int rt_cmd_exec(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"process", required_argument, NULL, 'p'},
            {"tty", no_argument, NULL, 't'},
            {"env", required_argument, NULL, 'e'},
            {"cwd", required_argument, NULL, 'C'},
            {"user", required_argument, NULL, 'u'},
            {"detach", no_argument, NULL, 'd'},
            {"pid-file", required_argument, NULL, 'P'},
            {"console-socket", required_argument, NULL, 'S'},
            {0},
        };
        const char *process_file = NULL, *cwd = NULL, *user = NULL;
        struct runtime_exec_options o = {0};
        _cleanup_strv_ char **envs = NULL;
        bool tty = false, detach = false;
        int c;
        while ((c = getopt_long(argc, argv, "+p:te:u:d", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        process_file = optarg;
                        break;
                case 't':
                        tty = true;
                        break;
                case 'e':
                        if (strchr(optarg, '=') == NULL)
                                return rt_usage(err, "exec", "--env takes KEY=VALUE");
                        strv_append(&envs, optarg);
                        break;
                case 'C':
                        cwd = optarg;
                        break;
                case 'u':
                        user = optarg;
                        break;
                case 'd':
                        detach = true;
                        break;
                case 'P':
                        o.pid_file = optarg;
                        break;
                case 'S':
                        o.console_socket = optarg;
                        break;
                default:
                        return rt_usage(err, "exec", "invalid option");
                }
        }
        if (optind >= argc)
                return rt_usage(err, "exec", "expected a container ID");
        const char *id = argv[optind];
        struct runtime_process *p = NULL;
        if (exec_process(g, id, process_file, tty, envs, cwd, user, argv + optind + 1, &p, err))
                return 1;
        o.process = p;
        struct rt_tty relay = {.listen_fd = -1, .master = -1};
        if (p->terminal && !detach && o.console_socket == NULL) {
                if (rt_tty_prepare(&relay, err) < 0) {
                        rt_tty_cleanup(&relay);
                        runtime_process_free(p);
                        return 1;
                }
                o.console_socket = relay.sock_path;
                /* exec runs the process at once: the size goes with it. */
                if (p->console_rows == 0)
                        rt_tty_size(&p->console_rows, &p->console_cols);
        }
        pid_t pid;
        int r = runtime_container_exec(g->root, id, &o, &pid, err);
        runtime_process_free(p);
        if (r < 0) {
                rt_tty_cleanup(&relay);
                return 1;
        }
        if (detach)
                return 0;
        rt_forward_signals(pid);
        if (relay.listen_fd >= 0) {
                if (rt_tty_accept(&relay, err) < 0) {
                        rt_tty_cleanup(&relay);
                        return 1;
                }
                rt_tty_relay(&relay);
                rt_tty_cleanup(&relay);
        }
        int code = runtime_wait_exit_code(pid, err);
        return code < 0 ? 1 : code;
}

int rt_cmd_ps(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
                if (c != 'f' || (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0))
                        return rt_usage(err, "ps", "--format takes json or table");
                json = strcmp(optarg, "json") == 0;
        }
        const char *id;
        if (rt_need_id(argc, argv, "ps", &id, err) != 0)
                return 1;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (runtime_container_pids(g->root, id, &pids, &n, err) < 0)
                return 1;
        if (json) {
                printf("[");
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int)pids[i]);
                printf("]\n");
        } else {
                printf("PID\n");
                for (size_t i = 0; i < n; i++)
                        printf("%d\n", (int)pids[i]);
        }
        return 0;
}

int rt_cmd_list(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"format", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'}, {0}};
        bool json = false, quiet = false;
        int c;
        while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'f')
                        json = strcmp(optarg, "json") == 0;
                else
                        return rt_usage(err, "list", "invalid option");
        }
        _cleanup_strv_ char **ids = NULL;
        if (runtime_container_list(g->root, &ids, err) < 0)
                return 1;
        _cleanup_json_ json_t *arr = json_array();
        if (!json && !quiet)
                printf("%-24s %-8s %-10s %s\n", "ID", "PID", "STATUS", "BUNDLE");
        for (char **id = ids; *id; id++) {
                json_t *st = NULL;
                struct berth_error *scratch = NULL;
                if (runtime_container_state(g->root, *id, &st, &scratch) < 0) {
                        berth_error_free(scratch);
                        continue; /* deleted meanwhile */
                }
                if (quiet)
                        printf("%s\n", *id);
                else if (!json)
                        printf("%-24s %-8lld %-10s %s\n", *id,
                               (long long)json_integer_value(json_object_get(st, "pid")),
                               json_string_value(json_object_get(st, "status")),
                               json_string_value(json_object_get(st, "bundle")));
                json_array_append_new(arr, st);
        }
        if (json) {
                _cleanup_free_ char *text = json_dumps(arr, JSON_COMPACT);
                printf("%s\n", text);
        }
        return 0;
}

int rt_cmd_pause(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        const char *id;
        if (rt_need_id(argc, argv, "pause", &id, err) != 0)
                return 1;
        return runtime_container_pause(g->root, id, true, err) < 0 ? 1 : 0;
}

int rt_cmd_resume(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        const char *id;
        if (rt_need_id(argc, argv, "resume", &id, err) != 0)
                return 1;
        return runtime_container_pause(g->root, id, false, err) < 0 ? 1 : 0;
}

int rt_cmd_update(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"resources", required_argument, NULL, 'r'}, {0}};
        const char *file = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
                if (c != 'r')
                        return rt_usage(err, "update", "invalid option");
                file = optarg;
        }
        const char *id;
        if (rt_need_id(argc, argv, "update", &id, err) != 0)
                return 1;
        if (file == NULL)
                return rt_usage(err, "update", "expected --resources FILE (or - for stdin)");
        _cleanup_json_ json_t *j = NULL;
        if (strcmp(file, "-") == 0) {
                json_error_t je;
                j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &je);
                if (j == NULL)
                        return rt_usage(err, "update", "resources on stdin: %s", je.text);
        } else if (runtime_json_load_file(AT_FDCWD, file, &j, err) < 0) {
                return 1;
        }
        return runtime_container_update(g->root, id, j, err) < 0 ? 1 : 0;
}

int rt_cmd_spec(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"rootless", no_argument, NULL, 'r'}, {"bundle", required_argument, NULL, 'b'}, {0}};
        bool rootless = false;
        const char *bundle = ".";
        int c;
        while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
                if (c == 'r')
                        rootless = true;
                else if (c == 'b')
                        bundle = optarg;
                else
                        return rt_usage(err, "spec", "invalid option");
        }
        _cleanup_close_ int dfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                berth_err(err, errno, "spec: bundle `%s`", bundle);
                return 1;
        }
        if (faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return rt_usage(err, "spec", "config.json already exists");
        _cleanup_json_ json_t *j = runtime_spec_default(rootless);
        _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        return util_file_write_atomic(dfd, "config.json", text, strlen(text), 0644, err) < 0 ? 1
                                                                                             : 0;
}

int rt_cmd_features(const struct rt_global *g, int argc, char **argv, struct berth_error **err)
{
        _cleanup_json_ json_t *j = runtime_features();
        _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        return 0;
}
