/* SPDX-License-Identifier: Apache-2.0 */
/* run and create: Docker's flags, all through container_options_set. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/container.h"
#include "container/attach.h"
#include "container/options.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

void cli_engine(const struct cli_global *g, struct container_engine *e)
{
        static char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = '\0';
        *e = (struct container_engine){.root = g->root, .runroot = g->runroot, .self = self};
}

int cli_container_id(const struct container_engine *e, const char *what, char id[65],
                     struct berth_error **err)
{
        return container_record_resolve(e->root, what, id, err);
}

static const char *short_flag(char c)
{
        switch (c) {
        case 'e':
                return "env";
        case 'h':
                return "hostname";
        case 'l':
                return "label";
        case 'm':
                return "memory";
        case 'u':
                return "user";
        case 'v':
                return "volume";
        case 'w':
                return "workdir";
        case 'i':
                return "interactive";
        case 't':
                return "tty";
        case 'd':
                return "detach";
        case 'c':
                return "cpu-shares";
        default:
                return NULL;
        }
}

static int set_flag(struct container_options *o, const char *cmd, const char *name,
                    const char *value, struct berth_error **err)
{
        int r = container_options_set(o, name, value, err);
        if (r == -ENOENT && *err == NULL)
                return cli_usage_error(err, cmd, "unknown flag: --%s", name);
        return r < 0 ? CLI_EXIT_FAILURE : 0;
}

static void usage(const char *cmd)
{
        printf("Usage: berth %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
               "Options: -d -i -t --rm --name -e --env-file -w -u --entrypoint -h -l -v --mount\n"
               "  --tmpfs --read-only -m/--memory --memory-swap --cpus --cpu-shares --cpuset-cpus\n"
               "  --pids-limit --cap-add --cap-drop --privileged --security-opt --ulimit --init\n"
               "  --network none|host|container:NAME --stop-signal --stop-timeout --restart\n"
               "  --sig-proxy --userns --uidmap --gidmap\n",
               cmd);
}

/* Parse run/create's command line: flags up to the image, then the
 * command.  Returns the index of the image, or -1 after --help. */
static int parse(const char *cmd, int argc, char **argv, struct container_options *o,
                 struct berth_error **err)
{
        int i = 1;
        for (; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(a, "--help") == 0) {
                        usage(cmd);
                        return -1;
                }
                if (strncmp(a, "--", 2) == 0) {
                        _cleanup_free_ char *name = xstrdup(a + 2);
                        char *eq = strchr(name, '=');
                        const char *value = NULL;
                        if (eq != NULL) {
                                *eq = '\0';
                                value = eq + 1;
                        } else if (!container_options_flag_known(name)) {
                                cli_usage_error(err, cmd, "unknown flag: --%s", name);
                                return -2;
                        } else if (!container_options_flag_is_bool(name)) {
                                if (i + 1 >= argc) {
                                        cli_usage_error(err, cmd, "flag needs an argument: --%s",
                                                        name);
                                        return -2;
                                }
                                value = argv[++i];
                        }
                        if (set_flag(o, cmd, name, value, err) != 0)
                                return -2;
                        continue;
                }
                if (a[0] == '-' && a[1] != '\0') {
                        for (const char *c = a + 1; *c; c++) {
                                const char *name = short_flag(*c);
                                if (name == NULL) {
                                        cli_usage_error(
                                            err, cmd, "unknown shorthand flag: '%c' in %s", *c, a);
                                        return -2;
                                }
                                if (container_options_flag_is_bool(name)) {
                                        if (set_flag(o, cmd, name, NULL, err) != 0)
                                                return -2;
                                        continue;
                                }
                                const char *value = c[1] ? c + 1 : NULL;
                                if (value == NULL) {
                                        if (i + 1 >= argc) {
                                                cli_usage_error(err, cmd,
                                                                "flag needs an argument: '%c' in "
                                                                "-%c",
                                                                *c, *c);
                                                return -2;
                                        }
                                        value = argv[++i];
                                }
                                if (set_flag(o, cmd, name, value, err) != 0)
                                        return -2;
                                break;
                        }
                        continue;
                }
                break;
        }
        if (i >= argc) {
                cli_usage_error(err, cmd, "requires at least 1 argument");
                return -2;
        }
        if (i + 1 < argc) {
                o->cmd = xcalloc(1, sizeof(char *));
                for (int j = i + 1; j < argc; j++)
                        strv_append(&o->cmd, argv[j]);
        }
        return i;
}

static int create_common(const struct cli_global *g, const char *cmd, int argc, char **argv,
                         unsigned flags, struct container_options **opts, char id[65],
                         struct berth_error **err)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        int img = parse(cmd, argc, argv, o, err);
        if (img == -1)
                return 1;
        if (img < 0)
                return CLI_EXIT_FAILURE;
        struct container_engine e;
        cli_engine(g, &e);
        if (container_create(&e, argv[img], o, flags, id, err) < 0)
                return CLI_EXIT_FAILURE;
        *opts = steal_pointer(&o);
        return 0;
}

int cli_cmd_create(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        _cleanup_container_options_ struct container_options *o = NULL;
        char id[65];
        int r = create_common(g, "create", argc, argv, 0, &o, id, err);
        if (r != 0)
                return r == 1 ? 0 : r;
        printf("%s\n", id);
        return 0;
}

int cli_cmd_run(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        _cleanup_container_options_ struct container_options *o = NULL;
        char id[65];
        int r = create_common(g, "run", argc, argv, CONTAINER_CREATE_MOUNTED, &o, id, err);
        if (r != 0)
                return r == 1 ? 0 : r;
        struct container_engine e;
        cli_engine(g, &e);
        if (o->detach) {
                if (container_start(&e, id, CONTAINER_START_MOUNTED, NULL, err) < 0)
                        return container_exit_status_for(*err);
                printf("%s\n", id);
                return 0;
        }
        /* Foreground: the monitor waits for us to attach before the
         * process starts, so no output is lost. */
        _cleanup_close_ int report = -1;
        if (container_start(&e, id, CONTAINER_START_ATTACH_WAIT | CONTAINER_START_MOUNTED, &report,
                            err) < 0)
                return container_exit_status_for(*err);
        struct container_attach_options ao = {.in = o->interactive,
                                              .out = true,
                                              .err = true,
                                              .tty = o->tty,
                                              .sig_proxy = o->sig_proxy};
        int fd = container_attach_open(&e, id, &ao, err);
        if (fd < 0)
                return CLI_EXIT_FAILURE;
        if (container_start_finish(report, err) < 0) {
                close(fd);
                return container_exit_status_for(*err);
        }
        int code = 0;
        if (container_attach(&e, id, fd, &ao, &code, err) < 0)
                return CLI_EXIT_FAILURE;
        return code;
}
