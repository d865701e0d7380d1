/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/format.h"
#include "cli/image.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/save.h"
#include "image/store.h"
#include "image/view.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

int cli_cmd_load(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"platform", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        const char *input = NULL, *platform = NULL;
        bool quiet = false;
        int c;
        while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'i':
                        input = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'p':
                        platform = optarg;
                        break;
                case 'h':
                        puts("Usage: berth load [-q] [--platform OS/ARCH[/VARIANT]] -i FILE|DIR\n\n"
                             "Load images from a docker-archive or an OCI image layout (a\n"
                             "directory or a tar, plain, gzip or zstd).");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (input == NULL) {
                if (isatty(STDIN_FILENO))
                        return cli_usage_error(err, "load",
                                               "requires -i FILE (stdin is a terminal)");
                input = "/dev/stdin";
        }
        struct image_platform plat = {0};
        if (platform != NULL && image_platform_parse(platform, &plat, err) < 0)
                return CLI_EXIT_FAILURE;
        struct image_load_opts lo = {
            .platform = platform ? &plat : NULL,
            .progress = !quiet && cli_progress_enabled() ? cli_progress_line : NULL,
        };
        _cleanup_load_result_ struct image_load_result *res = NULL;
        int r = storage_image_load(g->root, input, &lo, &res, err);
        image_platform_clear(&plat);
        if (r < 0)
                return CLI_EXIT_FAILURE;
        for (char **m = res->moved; m && m[0] && m[1]; m += 2) {
                _cleanup_free_ char *fam = image_reference_familiar_name(m[0]);
                printf("The image %s already exists, renaming the old one with ID %s to empty "
                       "string\n",
                       fam, m[1]);
        }
        for (size_t i = 0; i < res->n; i++) {
                if (res->images[i].names[0] == NULL)
                        printf("Loaded image ID: %s\n", res->images[i].id);
                for (char **n = res->images[i].names; *n != NULL; n++) {
                        _cleanup_free_ char *fam = image_reference_familiar_name(*n);
                        printf("Loaded image: %s\n", fam);
                }
        }
        return 0;
}

int cli_cmd_save(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        const char *output = NULL;
        enum image_save_format fmt = IMAGE_SAVE_DOCKER_ARCHIVE;
        int c;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        output = optarg;
                        break;
                case 'f':
                        if (image_save_format_parse(optarg, &fmt, err) < 0)
                                return CLI_EXIT_FAILURE;
                        break;
                case 'h':
                        puts("Usage: berth save [-o FILE] [--format docker-archive|oci-archive|"
                             "oci-dir] IMAGE...");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind >= argc)
                return cli_usage_error(err, "save", "requires at least 1 image");
        if (output == NULL && isatty(STDOUT_FILENO))
                return cli_usage_error(err, "save",
                                       "cowardly refusing to write to a terminal: use -o FILE "
                                       "or redirect stdout");
        /* Progress would corrupt the archive when it goes to stdout. */
        bool prog = output != NULL && cli_progress_enabled();
        if (image_save(g->root, argv + optind, fmt, output, STDOUT_FILENO,
                       prog ? cli_progress_line : NULL, NULL, err) < 0)
                return CLI_EXIT_FAILURE;
        return 0;
}

int cli_cmd_import(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"change", required_argument, NULL, 'c'},
                                             {"message", required_argument, NULL, 'm'},
                                             {"platform", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        _cleanup_strv_ char **changes = xcalloc(1, sizeof(char *));
        const char *message = NULL, *platform = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "c:m:h", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        strv_append(&changes, optarg);
                        break;
                case 'm':
                        message = optarg;
                        break;
                case 'p':
                        platform = optarg;
                        break;
                case 'h':
                        puts("Usage: berth import [-c CHANGE]... [-m MESSAGE] "
                             "[--platform OS/ARCH[/VARIANT]] FILE|- [REPOSITORY[:TAG]]\n\n"
                             "The platform is what the image's config says it runs on "
                             "(linux/amd64 by default).");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind >= argc || argc - optind > 2)
                return cli_usage_error(err, "import", "requires FILE|- and at most one reference");
        _cleanup_platform_ struct image_platform plat = {0};
        if (platform != NULL && image_platform_parse(platform, &plat, err) < 0)
                return CLI_EXIT_FAILURE;
        struct storage_import_opts io = {
            .reference = argc - optind == 2 ? argv[optind + 1] : NULL,
            .changes = changes,
            .message = message,
            .platform = platform ? &plat : NULL,
            .progress = cli_progress_enabled() ? cli_progress_line : NULL,
        };
        char id[IMAGE_DIGEST_LEN];
        if (storage_image_import(g->root, argv[optind], &io, id, err) < 0)
                return CLI_EXIT_FAILURE;
        printf("%s\n", id);
        return 0;
}

int cli_cmd_tag(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        if (argc == 2 && strcmp(argv[1], "--help") == 0) {
                puts("Usage: berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
                return 0;
        }
        if (argc != 3)
                return cli_usage_error(err, "tag", "requires exactly 2 arguments");
        _cleanup_reference_ struct image_reference *ref = NULL;
        if (image_reference_parse(argv[2], &ref, err) < 0)
                return CLI_EXIT_FAILURE;
        if (ref->digest != NULL)
                return cli_usage_error(err, "tag", "the target `%s` can't have a digest", argv[2]);
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(g->root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return CLI_EXIT_FAILURE;
        struct image_record *rec = NULL;
        _cleanup_free_ char *matched = NULL;
        int r = image_db_resolve(db, argv[1], &rec, &matched, err);
        if (r < 0)
                return CLI_EXIT_FAILURE;
        if (r == 0) {
                berth_err(err, 0, "No such image: %s", argv[1]);
                return CLI_EXIT_FAILURE;
        }
        /* The manifest the source name points at, or the image's first. */
        const char *manifest = rec->manifests[0];
        for (size_t i = 0; matched && i < db->n_tags; i++)
                if (strcmp(db->tags[i].name, matched) == 0)
                        manifest = db->tags[i].manifest;
        _cleanup_free_ char *nt = image_reference_name_tag(ref);
        image_db_tag(db, nt, manifest);
        if (image_db_save(s, db, err) < 0)
                return CLI_EXIT_FAILURE;
        return 0;
}

int cli_cmd_rmi(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                             {"no-prune", no_argument, NULL, 'n'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        struct storage_rmi_opts o = {0};
        int c;
        while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        o.force = true;
                        break;
                case 'n':
                        o.no_prune = true;
                        break;
                case 'h':
                        puts("Usage: berth rmi [-f] [--no-prune] IMAGE...\n\n"
                             "--no-prune keeps the untagged parents of a removed image.");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind >= argc)
                return cli_usage_error(err, "rmi", "requires at least 1 image");
        struct storage_rmi_result res = {0};
        int r = storage_image_remove(g->root, argv + optind, &o, &res, err);
        for (char **u = res.untagged; u && *u; u++)
                printf("Untagged: %s\n", *u);
        for (char **d = res.deleted; d && *d; d++)
                printf("Deleted: %s\n", *d);
        storage_rmi_result_clear(&res);
        return r < 0 ? 1 : 0;
}

int cli_cmd_image_prune(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                             {"force", no_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        bool all = false;
        int c;
        while ((c = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'f':
                        break;
                case 'h':
                        puts("Usage: berth image prune [-a] [-f]\n\nRemove dangling images "
                             "(with -a, every image no container uses).");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        struct storage_rmi_result res = {0};
        int64_t reclaimed = 0;
        if (storage_image_prune(g->root, all, &res, &reclaimed, err) < 0) {
                storage_rmi_result_clear(&res);
                return CLI_EXIT_FAILURE;
        }
        if (res.deleted[0] != NULL) {
                puts("Deleted Images:");
                for (char **u = res.untagged; *u; u++)
                        printf("untagged: %s\n", *u);
                for (char **d = res.deleted; *d; d++)
                        printf("deleted: %s\n", *d);
                puts("");
        }
        storage_rmi_result_clear(&res);
        _cleanup_free_ char *hs = cli_human_size(reclaimed);
        printf("Total reclaimed space: %s\n", hs);
        return 0;
}

int cli_cmd_image_inspect(const struct cli_global *g, int argc, char **argv,
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
                        puts("Usage: berth image inspect [-f FORMAT] IMAGE...");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind >= argc)
                return cli_usage_error(err, "image inspect", "requires at least 1 image");
        _cleanup_json_ json_t *all = json_array();
        int status = 0;
        for (int i = optind; i < argc; i++) {
                _cleanup_image_details_ struct image_details *d = NULL;
                int r = image_details_get(g->root, argv[i], &d, err);
                if (r < 0)
                        return CLI_EXIT_FAILURE;
                if (r == 0) {
                        fprintf(stderr, "Error: No such image: %s\n", argv[i]);
                        status = 1;
                        continue;
                }
                json_array_append_new(all, image_details_inspect(d));
        }
        cli_inspect_print(all, format);
        return status;
}

int cli_cmd_history(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"no-trunc", no_argument, NULL, 'n'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"human", required_argument, NULL, 'H'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        bool notrunc = false, quiet = false;
        int c;
        while ((c = getopt_long(argc, argv, "qH:h", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        notrunc = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'H':
                        break;
                case 'h':
                        puts("Usage: berth history [--no-trunc] [-q] IMAGE");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(err, "history", "requires exactly 1 image");
        _cleanup_image_details_ struct image_details *d = NULL;
        _cleanup_free_ struct storage_layer_meta *layers = NULL;
        int r = storage_image_describe(g->root, argv[optind], &d, &layers, err);
        if (r < 0)
                return CLI_EXIT_FAILURE;
        if (r == 0) {
                berth_err(err, 0, "No such image: %s", argv[optind]);
                return CLI_EXIT_FAILURE;
        }
        const struct image_config *cfg = d->summary.config;
        struct cli_table *t = cli_table_new(5);
        const char *hdr[] = {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"};
        if (!quiet)
                cli_table_add(t, hdr);
        /* Layers belong to the history entries that aren't empty_layer,
         * in order; Docker prints newest first. */
        size_t nl = 0;
        _cleanup_free_ int64_t *sizes = xcalloc(cfg->n_history + 1, sizeof(int64_t));
        for (size_t i = 0; i < cfg->n_history; i++)
                if (!cfg->history[i].empty_layer && nl < cfg->n_diff_ids)
                        sizes[i] = layers[nl++].size;
        /* As Docker: a step's row names the image it ended, when that
         * image is here (the image's ancestors: image_config_extends). */
        char **ids = xcalloc(cfg->n_history + 1, sizeof(char *)); /* with holes */
        _cleanup_image_details_ struct image_details *a = NULL;
        for (const struct image_details *cur = d; cur != NULL && cur->summary.config != NULL;) {
                size_t n = cur->summary.config->n_history;
                if (n == 0 || n > cfg->n_history || ids[n - 1] != NULL)
                        break;
                ids[n - 1] = notrunc ? xstrdup(cur->summary.id)
                                     : xstrndup(image_digest_hex(cur->summary.id), 12);
                _cleanup_image_details_ struct image_details *next = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (cur->summary.parent[0] == '\0' ||
                    image_details_get(g->root, cur->summary.parent, &next, &scratch) <= 0)
                        break;
                image_details_free(a);
                a = steal_pointer(&next);
                cur = a;
        }
        for (size_t k = cfg->n_history; k-- > 0;) {
                const struct image_history *h = &cfg->history[k];
                const char *img = ids[k] ? ids[k] : "<missing>";
                if (quiet) {
                        puts(img);
                        continue;
                }
                _cleanup_free_ char *ago = cli_human_ago(image_time_parse(h->created));
                const char *raw = h->created_by ? h->created_by : "";
                _cleanup_free_ char *by = notrunc ? xstrdup(raw) : cli_truncate(raw, 45);
                _cleanup_free_ char *size = cli_human_size(sizes[k]);
                const char *row[] = {img, ago, by, size, h->comment ? h->comment : ""};
                cli_table_add(t, row);
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
        for (size_t k = 0; k < cfg->n_history; k++)
                free(ids[k]);
        free(ids);
        return 0;
}

int cli_cmd_image(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct cli_command sub[] = {
            {"load", cli_cmd_load, "Load images from an archive"},
            {"save", cli_cmd_save, "Save images to an archive"},
            {"import", cli_cmd_import, "Import a root filesystem tarball as an image"},
            {"ls", cli_cmd_images, "List images"},
            {"list", cli_cmd_images, "List images"},
            {"inspect", cli_cmd_image_inspect, "Show images in detail"},
            {"history", cli_cmd_history, "Show the history of an image"},
            {"tag", cli_cmd_tag, "Give an image another name"},
            {"rm", cli_cmd_rmi, "Remove images"},
            {"prune", cli_cmd_image_prune, "Remove unused images"},
            {"tree", cli_cmd_image_tree, "Draw an image's layer stack"},
        };
        if (argc < 2 || strcmp(argv[1], "--help") == 0) {
                FILE *out = argc < 2 ? stderr : stdout;
                fputs("Usage: berth image COMMAND\n\nCommands:\n", out);
                for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
                        fprintf(out, "  %-10s %s\n", sub[i].name, sub[i].summary);
                return argc < 2 ? CLI_EXIT_FAILURE : 0;
        }
        for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
                if (strcmp(sub[i].name, argv[1]) == 0) {
                        optind = 0;
                        return sub[i].run(g, argc - 1, argv + 1, err);
                }
        }
        return cli_usage_error(err, "image", "unknown command `%s`", argv[1]);
}
