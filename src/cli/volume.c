/* SPDX-License-Identifier: Apache-2.0 */
/* berth volume create|ls|inspect|rm|prune */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "cli/volume.h"
#include "container/volume.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static int volume_create(const struct cli_global *g, int argc, char **argv,
                         struct berth_error **err)
{
        static const struct option opts[] = {
            {"driver", required_argument, NULL, 'd'}, {"label", required_argument, NULL, 'l'},
            {"opt", required_argument, NULL, 'o'},    {"name", required_argument, NULL, 'n'},
            {"help", no_argument, NULL, 'h'},         {0},
        };
        _cleanup_strv_ char **labels = NULL;
        _cleanup_strv_ char **options = NULL;
        const char *name = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "d:l:o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        if (strcmp(optarg, "local") != 0) {
                                berth_err(err, 0,
                                          "create: error looking up volume plugin %s: plugin "
                                          "\"%s\" not found",
                                          optarg, optarg);
                                return CLI_EXIT_FAILURE;
                        }
                        break;
                case 'l':
                        strv_append(&labels, optarg);
                        break;
                case 'o':
                        strv_append(&options, optarg);
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'h':
                        puts("Usage: berth volume create [-d local] [--label KEY=VALUE]... "
                             "[-o KEY=VALUE]... [VOLUME]\n\n"
                             "Create a volume (a random name when none is given).\n"
                             "Options (-o) as Docker's local driver: type, device, o.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind < argc) {
                if (name != NULL && strcmp(name, argv[optind]) != 0)
                        return cli_usage_error(err, "volume create",
                                               "conflicting options: either specify --name or "
                                               "provide positional arg, not both");
                name = argv[optind++];
        }
        if (optind < argc)
                return cli_usage_error(err, "volume create", "requires at most 1 argument");
        struct container_volume_create_opts o = {
            .name = name, .labels = labels, .options = options};
        _cleanup_volume_info_ struct container_volume_info *v = NULL;
        if (container_volume_create(g->root, &o, &v, err) < 0)
                return CLI_EXIT_FAILURE;
        puts(v->name);
        return 0;
}

/* `volume ls --format json`: Docker's flat row, labels as "k=v,k=v". */
static json_t *row_json(const struct container_volume_info *v)
{
        size_t len = 1;
        for (char **l = v->labels; l && *l; l++)
                len += strlen(*l) + 1;
        _cleanup_free_ char *labels = xcalloc(1, len);
        for (char **l = v->labels; l && *l; l++) {
                if (l != v->labels)
                        memcpy(labels + strlen(labels), ",", 2);
                memcpy(labels + strlen(labels), *l, strlen(*l) + 1);
        }
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Availability", "N/A",
                         "Driver", "local", "Group", "N/A", "Labels", labels, "Links", "N/A",
                         "Mountpoint", v->mountpoint, "Name", v->name, "Scope", "local", "Size",
                         "N/A", "Status", "N/A");
}

static int volume_ls(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"quiet", no_argument, NULL, 'q'},
            {"filter", required_argument, NULL, 'f'},
            {"format", required_argument, NULL, 'F'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        bool quiet = false;
        const char *format = NULL;
        _cleanup_strv_ char **filters = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "qf:h", opts, NULL)) != -1) {
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case 'f':
                        strv_append(&filters, optarg);
                        break;
                case 'F':
                        format = optarg;
                        if (cli_template_check(format, err) < 0)
                                return CLI_EXIT_FAILURE;
                        break;
                case 'h':
                        puts("Usage: berth volume ls [-q] [--filter dangling=true|name=X|"
                             "label=K[=V]|driver=local]... [--format json|TEMPLATE]");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind < argc)
                return cli_usage_error(err, "volume ls", "accepts no arguments");
        if (container_volume_filter_check(filters, err) < 0)
                return CLI_EXIT_FAILURE;
        struct container_volume_info_list l;
        if (container_volume_list(g->root, &l, err) < 0)
                return CLI_EXIT_FAILURE;
        struct cli_table *t = NULL;
        if (!quiet && format == NULL) {
                t = cli_table_new(2);
                cli_table_add(t, (const char *[]){"DRIVER", "VOLUME NAME"});
        }
        for (size_t i = 0; i < l.n; i++) {
                const struct container_volume_info *v = l.v[i];
                if (!container_volume_matches(v, filters))
                        continue;
                if (quiet) {
                        puts(v->name);
                } else if (format != NULL) {
                        _cleanup_json_ json_t *o = row_json(v);
                        _cleanup_free_ char *s =
                            strcmp(format, "json") == 0
                                ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
                                : cli_template_expand(format, o);
                        puts(s);
                } else {
                        cli_table_add(t, (const char *[]){"local", v->name});
                }
        }
        if (t != NULL) {
                cli_table_print(t, stdout);
                cli_table_free(t);
        }
        container_volume_info_list_clear(&l);
        return 0;
}

static int volume_inspect(const struct cli_global *g, int argc, char **argv,
                          struct berth_error **err)
{
        static const struct option opts[] = {
            {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
        const char *format = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        format = optarg;
                        if (cli_template_check(format, err) < 0)
                                return CLI_EXIT_FAILURE;
                        break;
                case 'h':
                        puts("Usage: berth volume inspect [-f FORMAT] VOLUME...");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind >= argc)
                return cli_usage_error(err, "volume inspect", "requires at least 1 argument");
        _cleanup_json_ json_t *all = json_array();
        int status = 0;
        for (int i = optind; i < argc; i++) {
                _cleanup_volume_info_ struct container_volume_info *v = NULL;
                int r = container_volume_inspect(g->root, argv[i], &v, err);
                if (r < 0)
                        return CLI_EXIT_FAILURE;
                if (r == 0) {
                        fprintf(stderr, "berth: no such volume: %s\n", argv[i]);
                        status = CLI_EXIT_FAILURE;
                        continue;
                }
                json_array_append_new(all, container_volume_info_json(v));
        }
        if (json_array_size(all) > 0 || status == 0)
                cli_inspect_print(all, format);
        return status;
}

static int volume_rm(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
        bool force = false;
        int c;
        while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        puts("Usage: berth volume rm [-f] VOLUME...\n\n"
                             "Remove volumes; one in use by a container is refused.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind >= argc)
                return cli_usage_error(err, "volume rm", "requires at least 1 argument");
        int status = 0;
        for (int i = optind; i < argc; i++) {
                _cleanup_error_ struct berth_error *e = NULL;
                int r = container_volume_remove(g->root, argv[i], force, &e);
                if (r < 0) {
                        berth_error_print(e, "berth");
                        status = CLI_EXIT_FAILURE;
                } else if (r > 0) {
                        puts(argv[i]);
                }
        }
        return status;
}

static bool confirm(const char *warning)
{
        printf("%s\nAre you sure you want to continue? [y/N] ", warning);
        fflush(stdout);
        char line[64];
        if (fgets(line, sizeof(line), stdin) == NULL)
                return false;
        return strcmp(line, "y\n") == 0 || strcmp(line, "Y\n") == 0 || strcmp(line, "yes\n") == 0 ||
               strcmp(line, "y") == 0;
}

static int volume_prune(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"all", no_argument, NULL, 'a'},
            {"force", no_argument, NULL, 'f'},
            {"filter", required_argument, NULL, 'F'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        bool all = false, force = false;
        _cleanup_strv_ char **filters = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'F':
                        strv_append(&filters, optarg);
                        break;
                case 'h':
                        puts("Usage: berth volume prune [-a] [-f] [--filter label=K[=V]]...\n\n"
                             "Remove unused anonymous volumes (all unused ones with -a).");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind < argc)
                return cli_usage_error(err, "volume prune", "accepts no arguments");
        if (container_volume_filter_check(filters, err) < 0)
                return CLI_EXIT_FAILURE;
        if (!force &&
            !confirm(all ? "WARNING! This will remove all local volumes not used by at least one "
                           "container."
                         : "WARNING! This will remove anonymous local volumes not used by at "
                           "least one container."))
                return 0;
        _cleanup_strv_ char **removed = NULL;
        long long reclaimed = 0;
        int r = container_volume_prune(g->root, all, filters, &removed, &reclaimed, err);
        if (removed != NULL && removed[0] != NULL) {
                puts("Deleted Volumes:");
                for (char **n = removed; *n; n++)
                        puts(*n);
                puts("");
        }
        if (r < 0)
                return CLI_EXIT_FAILURE;
        _cleanup_free_ char *size = cli_human_size(reclaimed);
        printf("Total reclaimed space: %s\n", size);
        return 0;
}

int cli_cmd_volume(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct cli_command sub[] = {
            {"create", volume_create, "Create a volume"},
            {"ls", volume_ls, "List volumes"},
            {"list", volume_ls, NULL},
            {"inspect", volume_inspect, "Show volumes in detail"},
            {"rm", volume_rm, "Remove volumes"},
            {"remove", volume_rm, NULL},
            {"prune", volume_prune, "Remove unused volumes"},
        };
        if (argc < 2 || strcmp(argv[1], "--help") == 0) {
                FILE *out = argc < 2 ? stderr : stdout;
                fputs("Usage: berth volume COMMAND\n\nCommands:\n", out);
                for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
                        if (sub[i].summary != NULL)
                                fprintf(out, "  %-10s %s\n", sub[i].name, sub[i].summary);
                return argc < 2 ? CLI_EXIT_FAILURE : 0;
        }
        for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
                if (strcmp(sub[i].name, argv[1]) == 0) {
                        optind = 0;
                        return sub[i].run(g, argc - 1, argv + 1, err);
                }
        }
        return cli_usage_error(err, "volume", "unknown command `%s`", argv[1]);
}
