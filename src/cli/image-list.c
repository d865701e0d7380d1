/* SPDX-License-Identifier: Apache-2.0 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "cli/image.h"
#include "image/reference.h"
#include "image/view.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* One row of `berth images`: an image under one of its names. */
struct row {
        const struct image_summary *img;
        char *repo; /* "<none>" when dangling */
        char *tag;
        char *digest;
};

static bool label_matches(const struct image_summary *img, const char *want)
{
        const char *eq = strchr(want, '=');
        _cleanup_free_ char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
        const char *v = image_config_label(img->config, key);
        return v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
}

static bool reference_matches(const char *repo, const char *tag, const char *pattern)
{
        if (strcmp(repo, "<none>") == 0)
                return false;
        _cleanup_free_ char *full = xasprintf("%s:%s", repo, tag);
        /* As Docker: the pattern matches "repo" or "repo:tag"; a pattern
         * with a tag must match both parts. */
        return fnmatch(pattern, full, FNM_PATHNAME) == 0 ||
               (strchr(pattern, ':') == NULL && fnmatch(pattern, repo, FNM_PATHNAME) == 0);
}

static int row_filter(const struct row *r, char **filters, struct berth_error **err, bool *keep)
{
        *keep = true;
        for (char **f = filters; f && *f; f++) {
                const char *eq = strchr(*f, '=');
                if (eq == NULL) {
                        cli_usage_error(err, "images", "bad filter `%s`: expected KEY=VALUE", *f);
                        return -1;
                }
                _cleanup_free_ char *key = xstrndup(*f, (size_t)(eq - *f));
                const char *val = eq + 1;
                bool ok;
                if (strcmp(key, "reference") == 0) {
                        ok = reference_matches(r->repo, r->tag, val);
                } else if (strcmp(key, "dangling") == 0) {
                        bool want = strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
                        if (!want && strcmp(val, "false") != 0 && strcmp(val, "0") != 0) {
                                cli_usage_error(err, "images", "invalid filter 'dangling=%s'", val);
                                return -1;
                        }
                        /* As Docker: an intermediate image is neither. */
                        ok = want ? r->img->repo_tags[0] == NULL && r->img->children == 0
                                  : r->img->repo_tags[0] != NULL;
                } else if (strcmp(key, "label") == 0) {
                        ok = label_matches(r->img, val);
                } else {
                        cli_usage_error(err, "images", "invalid filter '%s'", key);
                        return -1;
                }
                if (!ok)
                        *keep = false;
        }
        return 0;
}

static json_t *row_json(const struct row *r, bool notrunc)
{
        _cleanup_free_ char *ago = cli_human_ago(r->img->created);
        _cleanup_free_ char *at = cli_time_string(r->img->created);
        _cleanup_free_ char *size = cli_human_size(r->img->size);
        _cleanup_free_ char *id =
            notrunc ? xstrdup(r->img->id) : xstrndup(image_digest_hex(r->img->id), 12);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Containers", "N/A",
                         "CreatedAt", at, "CreatedSince", ago, "Digest", r->digest, "ID", id,
                         "Repository", r->repo, "SharedSize", "N/A", "Size", size, "Tag", r->tag,
                         "UniqueSize", "N/A", "VirtualSize", size);
}

int cli_cmd_images(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
            {"digests", no_argument, NULL, 'd'},      {"no-trunc", no_argument, NULL, 'n'},
            {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
            {"help", no_argument, NULL, 'h'},         {0},
        };
        bool all = false, quiet = false, digests = false, notrunc = false;
        const char *format = NULL;
        _cleanup_strv_ char **filters = xcalloc(1, sizeof(char *));
        int c;
        while ((c = getopt_long(argc, argv, "aqf:h", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'd':
                        digests = true;
                        break;
                case 'n':
                        notrunc = true;
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
                        puts("Usage: berth images [-a] [-q] [--digests] [--no-trunc] "
                             "[--filter KEY=VALUE]... [--format json|TEMPLATE] "
                             "[REPOSITORY[:TAG]]\n\n"
                             "-a also lists intermediate images: untagged ones that other "
                             "images are built on.\n"
                             "Filters: reference=PATTERN, dangling=true|false, label=KEY[=VALUE].");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind < argc) {
                _cleanup_free_ char *f = xasprintf("reference=%s", argv[optind]);
                strv_append(&filters, f);
        }
        /* Check the filters once up front, so a bad one is an error even
         * when there is nothing to list. */
        struct image_summary probe_img = {.repo_tags = (char *[]){NULL}};
        struct image_config probe_cfg = {0};
        probe_img.config = &probe_cfg;
        struct row probe = {.img = &probe_img, .repo = "<none>", .tag = "<none>"};
        bool probe_keep;
        if (row_filter(&probe, filters, err, &probe_keep) < 0)
                return CLI_EXIT_FAILURE;
        _cleanup_image_list_ struct image_list *list = NULL;
        if (image_list_get(g->root, &list, err) < 0)
                return CLI_EXIT_FAILURE;

        size_t nrows = 0;
        struct row *rows = NULL;
        for (size_t i = 0; i < list->n; i++) {
                const struct image_summary *img = &list->items[i];
                if (!all && image_summary_intermediate(img))
                        continue;
                size_t ntags = strv_len(img->repo_tags);
                for (size_t t = 0; t < (ntags ? ntags : 1); t++) {
                        struct row r = {.img = img};
                        if (ntags == 0) {
                                r.repo = xstrdup("<none>");
                                r.tag = xstrdup("<none>");
                        } else {
                                const char *name = img->repo_tags[t];
                                const char *colon = strrchr(name, ':');
                                r.repo = xstrndup(name, (size_t)(colon - name));
                                r.tag = xstrdup(colon + 1);
                        }
                        r.digest = xstrdup("<none>");
                        for (char **d = img->repo_digests; *d; d++) {
                                const char *at = strchr(*d, '@');
                                if (strncmp(*d, r.repo, (size_t)(at - *d)) == 0 &&
                                    strlen(r.repo) == (size_t)(at - *d)) {
                                        free(r.digest);
                                        r.digest = xstrdup(at + 1);
                                }
                        }
                        bool keep;
                        if (row_filter(&r, filters, err, &keep) < 0) {
                                free(r.repo);
                                free(r.tag);
                                free(r.digest);
                                goto fail;
                        }
                        if (!keep) {
                                free(r.repo);
                                free(r.tag);
                                free(r.digest);
                                continue;
                        }
                        rows = xrealloc(rows, (nrows + 1) * sizeof(*rows));
                        rows[nrows++] = r;
                }
        }

        if (quiet) {
                /* One line per image, as Docker's -q. */
                for (size_t i = 0; i < nrows; i++) {
                        bool seen = false;
                        for (size_t k = 0; k < i; k++)
                                seen |= rows[k].img == rows[i].img;
                        if (!seen)
                                printf("%.*s\n", notrunc ? 71 : 12,
                                       notrunc ? rows[i].img->id
                                               : image_digest_hex(rows[i].img->id));
                }
        } else {
                _cleanup_json_ json_t *headers =
                    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Containers",
                              "CONTAINERS", "CreatedAt", "CREATED AT", "CreatedSince", "CREATED",
                              "Digest", "DIGEST", "ID", "IMAGE ID", "Repository", "REPOSITORY",
                              "SharedSize", "SHARED SIZE", "Size", "SIZE", "Tag", "TAG",
                              "UniqueSize", "UNIQUE SIZE", "VirtualSize", "VIRTUAL SIZE");
                struct cli_list_format *f = cli_list_format_new(
                    format,
                    digests ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}"
                              "\t{{.Size}}"
                            : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
                    headers);
                for (size_t i = 0; i < nrows; i++) {
                        _cleanup_json_ json_t *o = row_json(&rows[i], notrunc);
                        cli_list_format_row(f, o);
                }
                cli_list_format_end(f);
        }
        for (size_t i = 0; i < nrows; i++) {
                free(rows[i].repo);
                free(rows[i].tag);
                free(rows[i].digest);
        }
        free(rows);
        return 0;
fail:
        for (size_t i = 0; i < nrows; i++) {
                free(rows[i].repo);
                free(rows[i].tag);
                free(rows[i].digest);
        }
        free(rows);
        return CLI_EXIT_FAILURE;
}
