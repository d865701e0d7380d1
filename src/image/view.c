/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image/load.h"
#include "image/reference.h"
#include "image/store.h"
#include "image/view.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

time_t image_time_parse(const char *s)
{
        if (s == NULL)
                return (time_t)-1;
        struct tm tm = {0};
        int n = 0;
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
                return (time_t)-1;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        const char *p = s + n;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++)
                        ;
        int hh = 0, mm = 0;
        if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2)
                t -= (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
        return t;
}

static int fill_summary(struct image_store *s, struct image_db *db, struct image_record *rec,
                        struct image_summary *out, struct image_manifest **man, char **config_json,
                        struct berth_error **err)
{
        memcpy(out->id, rec->id, IMAGE_DIGEST_LEN);
        memcpy(out->manifest, rec->manifests[0] ? rec->manifests[0] : "", IMAGE_DIGEST_LEN);
        out->size = rec->size;
        out->added = rec->added;
        out->repo_tags = xcalloc(1, sizeof(char *));
        out->repo_digests = xcalloc(1, sizeof(char *));
        size_t n = 0;
        _cleanup_free_ const char **tags = image_db_tags_of(db, rec, &n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *fam = image_reference_familiar_name(tags[i]);
                strv_append(&out->repo_tags, fam);
                /* name@digest for the repository of each tag */
                char *colon = strrchr(fam, ':');
                if (colon != NULL && strchr(colon, '/') == NULL)
                        *colon = '\0';
                for (size_t k = 0; k < db->n_tags; k++) {
                        if (strcmp(db->tags[k].name, tags[i]) != 0)
                                continue;
                        _cleanup_free_ char *rd = xasprintf("%s@%s", fam, db->tags[k].manifest);
                        bool have = false;
                        for (char **r = out->repo_digests; *r; r++)
                                have |= strcmp(*r, rd) == 0;
                        if (!have)
                                strv_append(&out->repo_digests, rd);
                }
        }
        _cleanup_manifest_ struct image_manifest *m = NULL;
        _cleanup_free_ char *buf = NULL;
        if (rec->manifests[0] == NULL)
                return berth_err(err, EINVAL, "image %s has no manifest", rec->id);
        if (image_read_image(NULL, s, rec->manifests[0], &m, &out->config, err) < 0)
                return berth_err_wrap(err, "image %s", rec->id);
        out->created = image_time_parse(out->config->created);
        if (config_json != NULL) {
                size_t len;
                if (image_blob_read(s, m->config.digest, config_json, &len, err) < 0)
                        return berth_err_ret(*err);
        }
        if (man != NULL)
                *man = steal_pointer(&m);
        return 0;
}

static void summary_clear(struct image_summary *s)
{
        strv_free(s->repo_tags);
        strv_free(s->repo_digests);
        image_config_free(s->config);
}

bool image_summary_intermediate(const struct image_summary *s)
{
        return s->repo_tags[0] == NULL && s->children > 0;
}

struct image_config **image_db_configs(struct image_store *s, struct image_db *db)
{
        struct image_config **c = xcalloc(db->n_images + 1, sizeof(*c));
        for (size_t i = 0; i < db->n_images; i++) {
                _cleanup_manifest_ struct image_manifest *m = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (db->images[i].manifests[0] != NULL &&
                    image_read_image(NULL, s, db->images[i].manifests[0], &m, &c[i], &scratch) < 0)
                        c[i] = NULL;
        }
        return c;
}

void image_configs_free(struct image_config **c, size_t n)
{
        for (size_t i = 0; c != NULL && i < n; i++)
                image_config_free(c[i]);
        free(c);
}

/* sum's parent and children among db's images, given each one's parent
 * (image_config_parents over db's configs). */
static void set_lineage(struct image_summary *sum, const struct image_db *db, const ssize_t *parent)
{
        for (size_t i = 0; i < db->n_images; i++) {
                if (parent[i] < 0)
                        continue;
                if (strcmp(db->images[i].id, sum->id) == 0)
                        memcpy(sum->parent, db->images[parent[i]].id, IMAGE_DIGEST_LEN);
                if (strcmp(db->images[parent[i]].id, sum->id) == 0)
                        sum->children++;
        }
}

static int by_created(const void *a, const void *b)
{
        const struct image_summary *x = a, *y = b;
        if (x->created != y->created)
                return x->created < y->created ? 1 : -1;
        return strcmp(x->id, y->id);
}

int image_list_get(const char *root, struct image_list **out, struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, false, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        _cleanup_image_list_ struct image_list *l = xcalloc(1, sizeof(*l));
        l->items = xcalloc(db->n_images + 1, sizeof(*l->items));
        for (size_t i = 0; i < db->n_images; i++) {
                l->n++;
                /* One image with a damaged blob must not hide the others:
                 * list it with what images.json knows (no config), warn,
                 * and leave it to `rmi`. */
                _cleanup_error_ struct berth_error *bad = NULL;
                if (fill_summary(s, db, &db->images[i], &l->items[i], NULL, NULL, &bad) < 0) {
                        log_warn("%s", bad->msg);
                        image_config_free(l->items[i].config);
                        l->items[i].config = NULL;
                        l->items[i].created = -1;
                }
        }
        _cleanup_free_ struct image_config **configs = xcalloc(l->n + 1, sizeof(*configs));
        _cleanup_free_ ssize_t *parent = xcalloc(l->n + 1, sizeof(*parent));
        for (size_t i = 0; i < l->n; i++)
                configs[i] = l->items[i].config;
        image_config_parents(configs, l->n, parent);
        for (size_t i = 0; i < l->n; i++)
                set_lineage(&l->items[i], db, parent);
        qsort(l->items, l->n, sizeof(*l->items), by_created);
        *out = steal_pointer(&l);
        return 0;
}

void image_list_free(struct image_list *l)
{
        if (l == NULL)
                return;
        for (size_t i = 0; i < l->n; i++)
                summary_clear(&l->items[i]);
        free(l->items);
        free(l);
}

void image_list_freep(struct image_list **l)
{
        image_list_free(*l);
        *l = NULL;
}

int image_details_get(const char *root, const char *what, struct image_details **out,
                      struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, false, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);
        struct image_record *rec = NULL;
        _cleanup_free_ char *matched = NULL;
        int r = image_db_resolve(db, what, &rec, &matched, err);
        if (r <= 0)
                return r;
        _cleanup_image_details_ struct image_details *d = xcalloc(1, sizeof(*d));
        if (fill_summary(s, db, rec, &d->summary, &d->manifest, &d->config_json, err) < 0)
                return berth_err_ret(*err);
        image_blob_stat(s, d->summary.manifest, &d->manifest_size);
        struct image_config **configs = image_db_configs(s, db);
        _cleanup_free_ ssize_t *parent = xcalloc(db->n_images + 1, sizeof(*parent));
        image_config_parents(configs, db->n_images, parent);
        set_lineage(&d->summary, db, parent);
        image_configs_free(configs, db->n_images);
        *out = steal_pointer(&d);
        return 1;
}

void image_details_free(struct image_details *d)
{
        if (d == NULL)
                return;
        summary_clear(&d->summary);
        image_manifest_free(d->manifest);
        free(d->config_json);
        free(d);
}

void image_details_freep(struct image_details **d)
{
        image_details_free(*d);
        *d = NULL;
}

static json_t *or_null(json_t *v)
{
        return v ? json_incref(v) : json_null();
}

json_t *image_details_inspect(const struct image_details *d)
{
        json_error_t jerr;
        _cleanup_json_ json_t *cfg = json_loads(d->config_json, 0, &jerr);
        json_t *inner = json_object_get(cfg, "config");
        json_t *o = json_object();
        const struct image_summary *s = &d->summary;
        json_object_set_new(o, "Id", json_string(s->id));
        json_object_set_new(o, "RepoTags", util_json_from_strv(s->repo_tags));
        json_object_set_new(o, "RepoDigests", util_json_from_strv(s->repo_digests));
        json_object_set_new(o, "Parent", json_string(s->parent));
        json_object_set_new(o, "Comment",
                            json_string(s->config->comment ? s->config->comment : ""));
        json_object_set_new(o, "Created", or_null(json_object_get(cfg, "created")));
        json_object_set_new(
            o, "DockerVersion",
            json_string(s->config->docker_version ? s->config->docker_version : ""));
        json_object_set_new(o, "Author", json_string(s->config->author ? s->config->author : ""));
        json_t *c = json_is_object(inner) ? json_deep_copy(inner) : json_object();
        static const char *const defaults_null[] = {"Env",     "Cmd",     "Entrypoint",
                                                    "Volumes", "OnBuild", "Labels"};
        for (size_t i = 0; i < sizeof(defaults_null) / sizeof(defaults_null[0]); i++)
                if (json_object_get(c, defaults_null[i]) == NULL)
                        json_object_set_new(c, defaults_null[i], json_null());
        if (json_object_get(c, "User") == NULL)
                json_object_set_new(c, "User", json_string(""));
        if (json_object_get(c, "WorkingDir") == NULL)
                json_object_set_new(c, "WorkingDir", json_string(""));
        json_object_set_new(o, "Config", c);
        json_object_set_new(o, "Architecture",
                            json_string(s->config->architecture ? s->config->architecture : ""));
        if (s->config->variant != NULL)
                json_object_set_new(o, "Variant", json_string(s->config->variant));
        json_object_set_new(o, "Os", json_string(s->config->os ? s->config->os : ""));
        json_object_set_new(o, "Size", json_integer(s->size));
        json_object_set_new(o, "GraphDriver", json_pack("{s:s,s:{}}", "Name", "overlay2", "Data"));
        json_t *layers = json_array();
        for (size_t i = 0; i < s->config->n_diff_ids; i++)
                json_array_append_new(layers, json_string(s->config->diff_ids[i]));
        json_object_set_new(o, "RootFS",
                            json_pack("{s:s,s:o}", "Type", "layers", "Layers", layers));
        json_object_set_new(o, "Metadata",
                            json_pack("{s:s}", "LastTagTime", "0001-01-01T00:00:00Z"));
        json_object_set_new(o, "Descriptor",
                            json_pack("{s:s,s:s,s:I}", "mediaType", d->manifest->media_type,
                                      "digest", s->manifest, "size", (json_int_t)d->manifest_size));
        return o;
}
