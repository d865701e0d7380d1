/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/container.h"
#include "cli/format.h"
#include "cli/image.h"
#include "container/df.h"
#include "image/digest.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Docker's RECLAIMABLE: "1.2MB (40%)", or the size alone when there is
 * nothing of that type. */
static char *reclaimable(int64_t part, int64_t total)
{
        _cleanup_free_ char *h = cli_human_size(part);
        if (total <= 0)
                return xstrdup(h);
        return xasprintf("%s (%d%%)", h, (int)(100 * part / total));
}

/* The summary: one object per type, the fields Docker's --format has. */
static json_t *summary_json(const char *type, size_t total, size_t active, int64_t size,
                            int64_t recl)
{
        _cleanup_free_ char *t = xasprintf("%zu", total);
        _cleanup_free_ char *a = xasprintf("%zu", active);
        _cleanup_free_ char *s = cli_human_size(size);
        _cleanup_free_ char *r = reclaimable(recl, size);
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "Active", a, "Reclaimable", r, "Size", s,
                         "TotalCount", t, "Type", type);
}

static void print_summary(const struct container_df *df, const char *format)
{
        const struct storage_df *im = &df->images;
        json_t *rows[] = {
            summary_json("Images", im->images, im->images_active, im->images_size,
                         im->images_reclaimable),
            summary_json("Containers", df->n_containers, df->containers_active, df->containers_size,
                         df->containers_reclaimable),
            summary_json("Local Volumes", df->n_volumes, df->volumes_active, df->volumes_size,
                         df->volumes_reclaimable),
            /* The build cache's layers are images' layers in berth's
             * store: counted above. */
            summary_json("Build Cache", 0, 0, 0, 0),
        };
        struct cli_table *t = cli_table_new(5);
        const char *hdr[] = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};
        cli_table_add(t, hdr);
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                if (format != NULL) {
                        _cleanup_free_ char *s =
                            strcmp(format, "json") == 0
                                ? json_dumps(rows[i], JSON_COMPACT | JSON_SORT_KEYS)
                                : cli_template_expand(format, rows[i]);
                        puts(s);
                } else {
                        const char *cells[] = {
                            json_string_value(json_object_get(rows[i], "Type")),
                            json_string_value(json_object_get(rows[i], "TotalCount")),
                            json_string_value(json_object_get(rows[i], "Active")),
                            json_string_value(json_object_get(rows[i], "Size")),
                            json_string_value(json_object_get(rows[i], "Reclaimable")),
                        };
                        cli_table_add(t, cells);
                }
                json_decref(rows[i]);
        }
        if (format == NULL)
                cli_table_print(t, stdout);
        cli_table_free(t);
}

static void print_images(const struct storage_df *im)
{
        struct cli_table *t = cli_table_new(8);
        const char *hdr[] = {"REPOSITORY", "TAG",         "IMAGE ID",    "CREATED",
                             "SIZE",       "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"};
        cli_table_add(t, hdr);
        for (size_t i = 0; i < im->images; i++) {
                const struct storage_df_image *r = &im->rows[i];
                _cleanup_free_ char *id = xstrndup(image_digest_hex(r->id), 12);
                _cleanup_free_ char *ago = cli_human_ago(r->created);
                _cleanup_free_ char *size = cli_human_size(r->size);
                _cleanup_free_ char *shared = cli_human_size(r->shared_size);
                _cleanup_free_ char *unique = cli_human_size(r->size - r->shared_size);
                _cleanup_free_ char *n = xasprintf("%zu", r->containers);
                size_t ntags = strv_len(r->repo_tags);
                for (size_t k = 0; k < (ntags ? ntags : 1); k++) {
                        _cleanup_free_ char *repo =
                            ntags ? xstrdup(r->repo_tags[k]) : xstrdup("<none>:<none>");
                        char *colon = strrchr(repo, ':');
                        *colon = '\0';
                        const char *cells[] = {repo, colon + 1, id, ago, size, shared, unique, n};
                        cli_table_add(t, cells);
                }
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
}

static void print_containers(const struct container_df *df)
{
        struct cli_table *t = cli_table_new(8);
        const char *hdr[] = {"CONTAINER ID", "IMAGE",   "COMMAND", "LOCAL VOLUMES",
                             "SIZE",         "CREATED", "STATUS",  "NAMES"};
        cli_table_add(t, hdr);
        for (size_t i = 0; i < df->n_containers; i++) {
                const struct container_df_container *c = &df->containers[i];
                const struct container_record *r = c->record;
                _cleanup_free_ char *id = xstrndup(r->id, 12);
                _cleanup_free_ char *cmd = cli_container_command(r, true);
                _cleanup_free_ char *vols = xasprintf("%zu", c->volumes);
                _cleanup_free_ char *size = cli_human_size(c->size);
                _cleanup_free_ char *ago = cli_human_ago(cli_container_time(r->created));
                _cleanup_free_ char *status = cli_container_status(r);
                const char *cells[] = {id,     r->image_ref ? r->image_ref : "",
                                       cmd,    vols,
                                       size,   ago,
                                       status, r->name ? r->name : ""};
                cli_table_add(t, cells);
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
}

static void print_volumes(const struct container_df *df)
{
        struct cli_table *t = cli_table_new(3);
        const char *hdr[] = {"VOLUME NAME", "LINKS", "SIZE"};
        cli_table_add(t, hdr);
        for (size_t i = 0; i < df->n_volumes; i++) {
                _cleanup_free_ char *links = xasprintf("%zu", df->volumes[i].links);
                _cleanup_free_ char *size = cli_human_size(df->volumes[i].size);
                const char *cells[] = {df->volumes[i].name, links, size};
                cli_table_add(t, cells);
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
}

static int system_df(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"verbose", no_argument, NULL, 'v'},
                                             {"format", required_argument, NULL, 'F'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        bool verbose = false;
        const char *format = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
                switch (c) {
                case 'v':
                        verbose = true;
                        break;
                case 'F':
                        format = optarg;
                        if (cli_template_check(format, err) < 0)
                                return CLI_EXIT_FAILURE;
                        break;
                case 'h':
                        puts("Usage: berth system df [-v] [--format json|TEMPLATE]\n\n"
                             "Show the disk space images, containers and volumes use;\n"
                             "-v lists each of them.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind < argc)
                return cli_usage_error(err, "system df", "accepts no arguments");
        if (verbose && format != NULL)
                return cli_usage_error(err, "system df", "--format can't be used with --verbose");
        struct container_df df;
        if (container_df_get(g->root, &df, err) < 0)
                return CLI_EXIT_FAILURE;
        if (!verbose) {
                print_summary(&df, format);
        } else {
                puts("Images space usage:\n");
                print_images(&df.images);
                puts("\nContainers space usage:\n");
                print_containers(&df);
                puts("\nLocal Volumes space usage:\n");
                print_volumes(&df);
                puts("\nBuild cache usage: 0B");
        }
        container_df_clear(&df);
        return 0;
}

int cli_cmd_system(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        if (argc >= 2 && strcmp(argv[1], "df") == 0) {
                optind = 0;
                return system_df(g, argc - 1, argv + 1, err);
        }
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
                puts("Usage: berth system COMMAND\n\nCommands:\n  df         Show disk usage");
                return 0;
        }
        return cli_usage_error(err, "system", "unknown or missing command (known: df)");
}
