/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/reference.h"
#include "image/save.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

#define CHUNK (1 << 20)

int image_save_format_parse(const char *s, enum image_save_format *out, struct berth_error **err)
{
        if (strcmp(s, "docker-archive") == 0 || strcmp(s, "docker") == 0)
                *out = IMAGE_SAVE_DOCKER_ARCHIVE;
        else if (strcmp(s, "oci-archive") == 0)
                *out = IMAGE_SAVE_OCI_ARCHIVE;
        else if (strcmp(s, "oci-dir") == 0)
                *out = IMAGE_SAVE_OCI_DIR;
        else
                return berth_err(err, EINVAL,
                                 "unknown format `%s`: expected docker-archive, oci-archive or "
                                 "oci-dir",
                                 s);
        return 0;
}

/* Where the output goes: a tar (libarchive) or a directory. */
struct sink {
        struct archive *tar;
        int dir_fd;
        char **written; /* names already written (blobs shared by images) */
};

static bool already(struct sink *k, const char *name)
{
        for (char **w = k->written; w && *w; w++)
                if (strcmp(*w, name) == 0)
                        return true;
        strv_append(&k->written, name);
        return false;
}

static int tar_header(struct sink *k, const char *name, int64_t size, bool dir,
                      struct berth_error **err)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(e, dir ? 0755 : 0644);
        archive_entry_set_size(e, dir ? 0 : size);
        archive_entry_set_mtime(e, 0, 0);
        int r = archive_write_header(k->tar, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK)
                return berth_err(err, EIO, "writing `%s`: %s", name, archive_error_string(k->tar));
        return 0;
}

static int put_buffer(struct sink *k, const char *name, const void *buf, size_t len,
                      struct berth_error **err)
{
        if (already(k, name))
                return 0;
        if (k->tar != NULL) {
                if (tar_header(k, name, (int64_t)len, false, err) < 0)
                        return berth_err_ret(*err);
                if (len > 0 && archive_write_data(k->tar, buf, len) != (la_ssize_t)len)
                        return berth_err(err, EIO, "writing `%s`: %s", name,
                                         archive_error_string(k->tar));
                return 0;
        }
        return util_file_write_atomic(k->dir_fd, name, buf, len, 0644, err);
}

static int put_blob(struct sink *k, struct image_store *s, const char *digest,
                    struct berth_error **err)
{
        _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", image_digest_hex(digest));
        if (already(k, name))
                return 0;
        _cleanup_close_ int fd = image_blob_open(s, digest, err);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_err(err, errno, "blob %s", digest);
        if (k->tar != NULL) {
                if (tar_header(k, name, st.st_size, false, err) < 0)
                        return berth_err_ret(*err);
                _cleanup_free_ char *buf = xmalloc(CHUNK);
                for (;;) {
                        ssize_t n = util_read_all(fd, buf, CHUNK);
                        if (n < 0)
                                return berth_err(err, errno, "reading blob %s", digest);
                        if (n == 0)
                                break;
                        if (archive_write_data(k->tar, buf, (size_t)n) != n)
                                return berth_err(err, EIO, "writing blob %s: %s", digest,
                                                 archive_error_string(k->tar));
                }
                return 0;
        }
        _cleanup_close_ int out =
            openat(k->dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0)
                return berth_err(err, errno, "creating `%s`", name);
        off_t left = st.st_size;
        while (left > 0) {
                ssize_t n = copy_file_range(fd, NULL, out, NULL, (size_t)left, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return berth_err(err, n < 0 ? errno : EIO, "copying blob %s", digest);
                left -= n;
        }
        return 0;
}

int image_save(const char *root, char *const *what, enum image_save_format format,
               const char *out_path, int out_fd, image_progress_fn progress, void *progress_data,
               struct berth_error **err)
{
        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, false, &s, err) < 0 || image_db_load(s, &db, err) < 0)
                return berth_err_ret(*err);

        /* Resolve everything before writing anything. */
        size_t n = strv_len(what);
        _cleanup_free_ struct image_record **recs = xcalloc(n + 1, sizeof(*recs));
        _cleanup_strv_ char **names = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *matched = NULL;
                int r = image_db_resolve(db, what[i], &recs[i], &matched, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        return berth_err(err, 0, "No such image: %s", what[i]);
                names[i] = xstrdup(matched && !strchr(matched, '@') ? matched : "");
        }

        struct sink k = {.dir_fd = -1, .written = xcalloc(1, sizeof(char *))};
        _cleanup_close_ int dirfd_owned = -1;
        int ret = 0;
        _cleanup_json_ json_t *index = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType",
                                                 IMAGE_MT_OCI_INDEX, "manifests");
        _cleanup_json_ json_t *dmanifest = json_array();
        _cleanup_json_ json_t *repos = json_object();
        _cleanup_free_ char *itext = NULL;
        if (format == IMAGE_SAVE_OCI_DIR) {
                if (out_path == NULL)
                        return berth_err(err, 0, "oci-dir needs an output directory (-o)");
                _cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", out_path);
                if (util_path_mkdir_p(blobs, 0755, err) < 0)
                        return berth_err_ret(*err);
                dirfd_owned = open(out_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd_owned < 0)
                        return berth_err(err, errno, "opening `%s`", out_path);
                k.dir_fd = dirfd_owned;
        } else {
                k.tar = archive_write_new();
                archive_write_set_format_pax_restricted(k.tar);
                archive_write_set_bytes_per_block(k.tar, 10240);
                int r = out_path ? archive_write_open_filename(k.tar, out_path)
                                 : archive_write_open_fd(k.tar, out_fd);
                if (r != ARCHIVE_OK) {
                        ret = berth_err(err, errno ? errno : EIO, "writing `%s`: %s",
                                        out_path ? out_path : "-", archive_error_string(k.tar));
                        goto out;
                }
                if (tar_header(&k, "blobs", 0, true, err) < 0 ||
                    tar_header(&k, "blobs/sha256", 0, true, err) < 0) {
                        ret = berth_err_ret(*err);
                        goto out;
                }
        }

        for (size_t i = 0; i < n; i++) {
                struct image_record *rec = recs[i];
                const char *mdigest = rec->manifests[0];
                _cleanup_manifest_ struct image_manifest *m = NULL;
                _cleanup_config_ struct image_config *c = NULL;
                if (image_read_image(NULL, s, mdigest, &m, &c, err) < 0) {
                        ret = berth_err_ret(*err);
                        goto out;
                }
                if (put_blob(&k, s, m->config.digest, err) < 0) {
                        ret = berth_err_ret(*err);
                        goto out;
                }
                json_t *layers = json_array();
                for (size_t l = 0; l < m->n_layers; l++) {
                        if (progress != NULL)
                                progress("Saving layer", m->layers[l].digest, m->layers[l].size,
                                         progress_data);
                        if (put_blob(&k, s, m->layers[l].digest, err) < 0) {
                                json_decref(layers);
                                ret = berth_err_ret(*err);
                                goto out;
                        }
                        _cleanup_free_ char *ln =
                            xasprintf("blobs/sha256/%s", image_digest_hex(m->layers[l].digest));
                        json_array_append_new(layers, json_string(ln));
                }
                if (put_blob(&k, s, mdigest, err) < 0) {
                        json_decref(layers);
                        ret = berth_err_ret(*err);
                        goto out;
                }
                int64_t msize = 0;
                image_blob_stat(s, mdigest, &msize);

                /* The names to record: the one asked for, else all of its tags. */
                _cleanup_free_ const char **tags = NULL;
                size_t ntags = 0;
                const char *one[2] = {names[i], NULL};
                if (*names[i] != '\0') {
                        ntags = 1;
                } else {
                        tags = image_db_tags_of(db, rec, &ntags);
                }
                const char **use = *names[i] != '\0' ? one : tags;
                json_t *repotags = json_array();
                for (size_t t = 0; t < ntags || (ntags == 0 && t == 0); t++) {
                        json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", m->media_type,
                                                 "digest", mdigest, "size", (json_int_t)msize);
                        if (ntags > 0) {
                                _cleanup_free_ char *fam = image_reference_familiar_name(use[t]);
                                json_array_append_new(repotags, json_string(fam));
                                const char *colon = strrchr(use[t], ':');
                                json_object_set_new(
                                    desc, "annotations",
                                    json_pack("{s:s,s:s}", "io.containerd.image.name", use[t],
                                              "org.opencontainers.image.ref.name", colon + 1));
                                _cleanup_free_ char *repo =
                                    xstrndup(fam, (size_t)(strrchr(fam, ':') - fam));
                                json_t *r = json_object_get(repos, repo);
                                if (r == NULL) {
                                        r = json_object();
                                        json_object_set_new(repos, repo, r);
                                }
                                if (c->n_diff_ids > 0)
                                        json_object_set_new(r, strrchr(fam, ':') + 1,
                                                            json_string(image_digest_hex(
                                                                c->diff_ids[c->n_diff_ids - 1])));
                        }
                        json_array_append_new(json_object_get(index, "manifests"), desc);
                        if (ntags == 0)
                                break;
                }
                _cleanup_free_ char *cfgname =
                    xasprintf("blobs/sha256/%s", image_digest_hex(m->config.digest));
                json_array_append_new(dmanifest, json_pack("{s:s,s:o,s:o}", "Config", cfgname,
                                                           "RepoTags", repotags, "Layers", layers));
        }

        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        itext = json_dumps(index, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (put_buffer(&k, "oci-layout", layout, strlen(layout), err) < 0 ||
            put_buffer(&k, "index.json", itext, strlen(itext), err) < 0) {
                ret = berth_err_ret(*err);
                goto out;
        }
        if (format == IMAGE_SAVE_DOCKER_ARCHIVE) {
                _cleanup_free_ char *mtext =
                    json_dumps(dmanifest, JSON_COMPACT | JSON_PRESERVE_ORDER);
                _cleanup_free_ char *rtext = json_dumps(repos, JSON_COMPACT | JSON_PRESERVE_ORDER);
                if (put_buffer(&k, "manifest.json", mtext, strlen(mtext), err) < 0 ||
                    (json_object_size(repos) > 0 &&
                     put_buffer(&k, "repositories", rtext, strlen(rtext), err) < 0)) {
                        ret = berth_err_ret(*err);
                        goto out;
                }
        }
        if (k.tar != NULL && archive_write_close(k.tar) != ARCHIVE_OK)
                ret = berth_err(err, EIO, "writing `%s`: %s", out_path ? out_path : "-",
                                archive_error_string(k.tar));
out:
        strv_free(k.written);
        if (k.tar != NULL)
                archive_write_free(k.tar);
        if (ret < 0 && out_path != NULL && format != IMAGE_SAVE_OCI_DIR)
                unlink(out_path);
        return ret;
}
