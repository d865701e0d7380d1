/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

static int clean_staging(struct image_store *s, struct berth_error **err)
{
        _cleanup_close_ int fd = openat(s->root_fd, "staging", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
        if (d == NULL)
                return berth_err(err, errno, "reading %s/staging", s->root);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                /* Only an exclusive holder gets here, and every writer
                 * holds the lock exclusively for its whole transaction:
                 * whatever is in staging/ belongs to a writer that died. */
                if (util_path_remove_tree(dirfd(d), de->d_name, err) < 0)
                        return berth_err_wrap(err, "cleaning up staging");
        }
        return 0;
}

static bool staging_empty(struct image_store *s)
{
        _cleanup_close_ int fd = openat(s->root_fd, "staging", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return true;
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
        if (d == NULL)
                return true;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        return false;
        return true;
}

int image_store_open(const char *root, bool exclusive, struct image_store **out,
                     struct berth_error **err)
{
        static const char *const dirs[] = {"blobs/sha256", "layers", "staging"};
        /* "" would put the store's directories straight under "/". */
        if (root == NULL || root[0] == '\0')
                return berth_err(err, EINVAL, "opening image store: empty root path");
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", root, dirs[i]);
                if (util_path_mkdir_p(p, 0700, err) < 0)
                        return berth_err_wrap(err, "opening image store %s", root);
        }
        struct image_store *s = xcalloc(1, sizeof(*s));
        _cleanup_store_ struct image_store *owned = s;
        s->root = xstrdup(root);
        s->lock_fd = -1;
        s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0)
                return berth_err(err, errno, "opening image store %s", root);
        _cleanup_free_ char *lock = xasprintf("%s/lock", root);
        if (!exclusive && !staging_empty(s)) {
                /* A crashed writer left work behind: clean it if nobody is
                 * writing right now, else leave it to the next writer. */
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_close_ int fd = util_lock_acquire(lock, LOCK_EX | LOCK_NB, &scratch);
                if (fd >= 0)
                        (void)clean_staging(s, &scratch);
        }
        s->lock_fd = util_lock_acquire(lock, exclusive ? LOCK_EX : LOCK_SH, err);
        if (s->lock_fd < 0)
                return berth_err_ret(*err);
        s->exclusive = exclusive;
        if (exclusive && clean_staging(s, err) < 0)
                return berth_err_ret(*err);
        *out = steal_pointer(&owned);
        return 0;
}

void image_store_free(struct image_store *s)
{
        if (s == NULL)
                return;
        if (s->root_fd >= 0)
                close(s->root_fd);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        free(s->root);
        free(s);
}

void image_store_freep(struct image_store **s)
{
        image_store_free(*s);
        *s = NULL;
}

/* ---- images.json ---- */

static int parse_db(json_t *root, struct image_db *db, struct berth_error **err)
{
        /* Garbage collection deletes every blob and layer that images.json
         * does not reach: a file of the wrong shape must be an error, never
         * an empty store, or the next prune or rmi wipes everything. */
        json_t *images = json_object_get(root, "images");
        json_t *tags = json_object_get(root, "tags");
        json_t *version = json_object_get(root, "version");
        if (!json_is_object(root) || !json_is_object(images) || !json_is_object(tags))
                return berth_err(err, EINVAL,
                                 "images.json: expected an object with `images` and `tags` "
                                 "objects");
        if (!json_is_integer(version) || json_integer_value(version) != 1)
                return berth_err(err, EINVAL, "images.json: unsupported version (expected 1)");
        const char *k;
        json_t *v;
        db->images = xcalloc(json_object_size(images) + 1, sizeof(*db->images));
        json_object_foreach(images, k, v)
        {
                struct image_record *r = &db->images[db->n_images];
                if (image_digest_validate(k, err) < 0)
                        return berth_err_wrap(err, "images.json");
                if (!json_is_object(v) || !json_is_array(json_object_get(v, "manifests")))
                        return berth_err(err, EINVAL,
                                         "images.json: image %s: expected an object "
                                         "with `manifests`",
                                         k);
                memcpy(r->id, k, IMAGE_DIGEST_LEN);
                if (util_json_strv(v, "manifests", "manifests", &r->manifests, err) < 0 ||
                    util_json_int(v, "size", "size", &r->size, err) < 0 ||
                    util_json_int(v, "added", "added", &r->added, err) < 0)
                        return berth_err_wrap(err, "images.json");
                if (r->manifests == NULL)
                        r->manifests = xcalloc(1, sizeof(char *));
                db->n_images++;
        }
        db->tags = xcalloc(json_object_size(tags) + 1, sizeof(*db->tags));
        json_object_foreach(tags, k, v)
        {
                const char *m = json_string_value(v);
                if (m == NULL || image_digest_validate(m, err) < 0)
                        return berth_err(err, 0, "images.json: bad tag `%s`", k);
                db->tags[db->n_tags].name = xstrdup(k);
                memcpy(db->tags[db->n_tags].manifest, m, IMAGE_DIGEST_LEN);
                db->n_tags++;
        }
        return 0;
}

int image_db_load(struct image_store *s, struct image_db **out, struct berth_error **err)
{
        _cleanup_db_ struct image_db *db = xcalloc(1, sizeof(*db));
        if (faccessat(s->root_fd, "images.json", F_OK, 0) == 0) {
                _cleanup_json_ json_t *root = NULL;
                if (util_json_load_file(s->root_fd, "images.json", &root, err) < 0)
                        return berth_err_ret(*err);
                if (parse_db(root, db, err) < 0)
                        return berth_err_ret(*err);
        }
        *out = steal_pointer(&db);
        return 0;
}

int image_db_save(struct image_store *s, const struct image_db *db, struct berth_error **err)
{
        _cleanup_json_ json_t *root = json_object();
        json_t *images = json_object();
        json_t *tags = json_object();
        json_object_set_new(root, "version", json_integer(1));
        for (size_t i = 0; i < db->n_images; i++) {
                const struct image_record *r = &db->images[i];
                json_object_set_new(images, r->id,
                                    json_pack("{s:o,s:I,s:I}", "manifests",
                                              util_json_from_strv(r->manifests), "size",
                                              (json_int_t)r->size, "added", (json_int_t)r->added));
        }
        for (size_t i = 0; i < db->n_tags; i++)
                json_object_set_new(tags, db->tags[i].name, json_string(db->tags[i].manifest));
        json_object_set_new(root, "images", images);
        json_object_set_new(root, "tags", tags);
        return util_json_write_atomic(s->root_fd, "images.json", root, err);
}

void image_db_free(struct image_db *db)
{
        if (db == NULL)
                return;
        for (size_t i = 0; i < db->n_images; i++)
                strv_free(db->images[i].manifests);
        free(db->images);
        for (size_t i = 0; i < db->n_tags; i++)
                free(db->tags[i].name);
        free(db->tags);
        free(db);
}

void image_db_freep(struct image_db **db)
{
        image_db_free(*db);
        *db = NULL;
}

struct image_record *image_db_find_id(struct image_db *db, const char *id)
{
        for (size_t i = 0; i < db->n_images; i++)
                if (strcmp(db->images[i].id, id) == 0)
                        return &db->images[i];
        return NULL;
}

struct image_record *image_db_find_manifest(struct image_db *db, const char *manifest)
{
        for (size_t i = 0; i < db->n_images; i++)
                for (char **m = db->images[i].manifests; *m != NULL; m++)
                        if (strcmp(*m, manifest) == 0)
                                return &db->images[i];
        return NULL;
}

struct image_record *image_db_add(struct image_db *db, const char *id_in, const char *manifest_in,
                                  int64_t size)
{
        /* The arguments may point into db, which realloc moves. */
        char id[IMAGE_DIGEST_LEN], manifest[IMAGE_DIGEST_LEN];
        memcpy(id, id_in, IMAGE_DIGEST_LEN);
        memcpy(manifest, manifest_in, IMAGE_DIGEST_LEN);
        struct image_record *r = image_db_find_id(db, id);
        if (r == NULL) {
                db->images = xrealloc(db->images, (db->n_images + 1) * sizeof(*db->images));
                r = &db->images[db->n_images++];
                memset(r, 0, sizeof(*r));
                memcpy(r->id, id, IMAGE_DIGEST_LEN);
                r->manifests = xcalloc(1, sizeof(char *));
                r->added = (int64_t)time(NULL);
        }
        r->size = size;
        bool have = false;
        for (char **m = r->manifests; *m != NULL; m++)
                have |= strcmp(*m, manifest) == 0;
        if (!have)
                strv_append(&r->manifests, manifest);
        return r;
}

void image_db_tag(struct image_db *db, const char *name, const char *manifest_in)
{
        char manifest[IMAGE_DIGEST_LEN];
        memcpy(manifest, manifest_in, IMAGE_DIGEST_LEN);
        for (size_t i = 0; i < db->n_tags; i++) {
                if (strcmp(db->tags[i].name, name) == 0) {
                        memcpy(db->tags[i].manifest, manifest, IMAGE_DIGEST_LEN);
                        return;
                }
        }
        db->tags = xrealloc(db->tags, (db->n_tags + 1) * sizeof(*db->tags));
        db->tags[db->n_tags].name = xstrdup(name);
        memcpy(db->tags[db->n_tags].manifest, manifest, IMAGE_DIGEST_LEN);
        db->n_tags++;
}

int image_db_untag(struct image_db *db, const char *name_in)
{
        _cleanup_free_ char *name = xstrdup(name_in);
        for (size_t i = 0; i < db->n_tags; i++) {
                if (strcmp(db->tags[i].name, name) == 0) {
                        free(db->tags[i].name);
                        db->tags[i] = db->tags[--db->n_tags];
                        return 1;
                }
        }
        return 0;
}

void image_db_remove(struct image_db *db, const char *id_in)
{
        char id[IMAGE_DIGEST_LEN];
        memcpy(id, id_in, IMAGE_DIGEST_LEN);
        struct image_record *r = image_db_find_id(db, id);
        if (r == NULL)
                return;
        for (size_t i = 0; i < db->n_tags;) {
                bool mine = false;
                for (char **m = r->manifests; *m != NULL; m++)
                        mine |= strcmp(*m, db->tags[i].manifest) == 0;
                if (mine) {
                        free(db->tags[i].name);
                        db->tags[i] = db->tags[--db->n_tags];
                } else {
                        i++;
                }
        }
        strv_free(r->manifests);
        *r = db->images[--db->n_images];
}

static int tag_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **image_db_tags_of(struct image_db *db, const struct image_record *rec, size_t *n)
{
        const char **out = xcalloc(db->n_tags + 1, sizeof(char *));
        *n = 0;
        for (size_t i = 0; i < db->n_tags; i++)
                for (char **m = rec->manifests; *m != NULL; m++)
                        if (strcmp(*m, db->tags[i].manifest) == 0) {
                                out[(*n)++] = db->tags[i].name;
                                break;
                        }
        qsort(out, *n, sizeof(char *), tag_cmp);
        return out;
}

static int resolve_id_prefix(struct image_db *db, const char *what, struct image_record **rec,
                             struct berth_error **err)
{
        const char *hex = strncmp(what, "sha256:", 7) == 0 ? what + 7 : what;
        size_t n = strlen(hex);
        struct image_record *found = NULL;
        for (size_t i = 0; i < db->n_images; i++) {
                if (strncmp(db->images[i].id + 7, hex, n) != 0)
                        continue;
                if (found != NULL && found != &db->images[i])
                        return berth_err(err, EINVAL,
                                         "image ID prefix `%s` is ambiguous: it matches more "
                                         "than one image",
                                         what);
                found = &db->images[i];
        }
        if (found == NULL)
                return 0;
        *rec = found;
        return 1;
}

int image_db_resolve(struct image_db *db, const char *what, struct image_record **rec,
                     char **matched, struct berth_error **err)
{
        *matched = NULL;
        /* A full "sha256:..." is always an ID; bare hex is a name first
         * (as in Docker: an image may be called "abc"), then a prefix. */
        if (strncmp(what, "sha256:", 7) == 0) {
                if (!image_reference_is_id_prefix(what))
                        return berth_err(err, 0, "invalid image ID `%s`", what);
                return resolve_id_prefix(db, what, rec, err);
        }
        _cleanup_reference_ struct image_reference *ref = NULL;
        _cleanup_error_ struct berth_error *perr = NULL;
        if (image_reference_parse(what, &ref, &perr) < 0) {
                if (image_reference_is_id_prefix(what))
                        return resolve_id_prefix(db, what, rec, err);
                return berth_err(err, 0, "%s", perr->msg);
        }
        if (ref->digest != NULL) {
                struct image_record *r = image_db_find_manifest(db, ref->digest);
                if (r == NULL)
                        return 0;
                *rec = r;
                *matched = image_reference_string(ref);
                return 1;
        }
        _cleanup_free_ char *nt = image_reference_name_tag(ref);
        for (size_t i = 0; i < db->n_tags; i++) {
                if (strcmp(db->tags[i].name, nt) != 0)
                        continue;
                struct image_record *r = image_db_find_manifest(db, db->tags[i].manifest);
                if (r == NULL)
                        break;
                *rec = r;
                *matched = steal_pointer(&nt);
                return 1;
        }
        /* Docker accepts a short ID even where a name would parse; only
         * when no tag matched, and only with enough digits to mean it. */
        if (image_reference_is_id_prefix(what) && strchr(what, ':') == NULL)
                return resolve_id_prefix(db, what, rec, err);
        return 0;
}
