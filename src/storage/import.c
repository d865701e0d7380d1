/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/config.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "storage/config-change.h"
#include "storage/image.h"
#include "storage/layer.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/timestamp.h"
#include "util/xalloc.h"

/* JSON form (["a","b"]) or shell form (wrapped in /bin/sh -c), as a
 * Dockerfile's CMD and ENTRYPOINT take them. */
static json_t *command_value(const char *arg)
{
        json_error_t jerr;
        json_t *v = json_loads(arg, 0, &jerr);
        if (json_is_array(v)) {
                size_t i;
                json_t *e;
                bool strings = true;
                json_array_foreach(v, i, e) strings &= json_is_string(e);
                if (strings)
                        return v;
        }
        json_decref(v);
        return json_pack("[s,s,s]", "/bin/sh", "-c", arg);
}

/* "k=v k2=v2" or the legacy "k v" form into obj (Env as "k=v" strings
 * when env, else Labels as an object). */
static int key_values(const char *arg, json_t *target, bool env, struct berth_error **err)
{
        const char *eq = strchr(arg, '='), *sp = strpbrk(arg, " \t");
        if (eq == NULL || (sp != NULL && sp < eq)) {
                if (sp == NULL)
                        return berth_err(err, 0, "expected KEY=VALUE or KEY VALUE in `%s`", arg);
                _cleanup_free_ char *k = xstrndup(arg, (size_t)(sp - arg));
                while (*sp == ' ' || *sp == '\t')
                        sp++;
                if (env) {
                        _cleanup_free_ char *kv = xasprintf("%s=%s", k, sp);
                        json_array_append_new(target, json_string(kv));
                } else {
                        json_object_set_new(target, k, json_string(sp));
                }
                return 0;
        }
        _cleanup_free_ char *copy = xstrdup(arg);
        char *save = NULL;
        for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
                char *e = strchr(tok, '=');
                if (e == NULL)
                        return berth_err(err, 0, "expected KEY=VALUE in `%s`", tok);
                /* Docker's check: an image with one could not be run. */
                if (e == tok)
                        return berth_err(err, 0, "%s names can not be blank",
                                         env ? "ENV" : "LABEL");
                *e = '\0';
                char *val = e + 1;
                size_t vl = strlen(val);
                if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
                        val[vl - 1] = '\0';
                        val++;
                }
                if (env) {
                        _cleanup_free_ char *kv = xasprintf("%s=%s", tok, val);
                        json_array_append_new(target, json_string(kv));
                } else {
                        json_object_set_new(target, tok, json_string(val));
                }
        }
        return 0;
}

static json_t *ensure(json_t *cfg, const char *key, bool array)
{
        json_t *v = json_object_get(cfg, key);
        if (v == NULL) {
                v = array ? json_array() : json_object();
                json_object_set_new(cfg, key, v);
        }
        return v;
}

/* Docker's `import --change`: the Dockerfile instructions that only touch
 * the config. */
int storage_config_change_apply(json_t *cfg, const char *line, struct berth_error **err)
{
        while (isspace((unsigned char)*line))
                line++;
        size_t kl = strcspn(line, " \t");
        _cleanup_free_ char *kw = xstrndup(line, kl);
        for (char *p = kw; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        const char *arg = line + kl;
        while (isspace((unsigned char)*arg))
                arg++;
        if (*arg == '\0')
                return berth_err(err, 0, "--change `%s`: missing argument", line);
        if (strcmp(kw, "CMD") == 0) {
                json_object_set_new(cfg, "Cmd", command_value(arg));
        } else if (strcmp(kw, "ENTRYPOINT") == 0) {
                json_object_set_new(cfg, "Entrypoint", command_value(arg));
        } else if (strcmp(kw, "ENV") == 0) {
                return key_values(arg, ensure(cfg, "Env", true), true, err);
        } else if (strcmp(kw, "LABEL") == 0) {
                return key_values(arg, ensure(cfg, "Labels", false), false, err);
        } else if (strcmp(kw, "WORKDIR") == 0) {
                json_object_set_new(cfg, "WorkingDir", json_string(arg));
        } else if (strcmp(kw, "USER") == 0) {
                json_object_set_new(cfg, "User", json_string(arg));
        } else if (strcmp(kw, "STOPSIGNAL") == 0) {
                json_object_set_new(cfg, "StopSignal", json_string(arg));
        } else if (strcmp(kw, "EXPOSE") == 0 || strcmp(kw, "VOLUME") == 0) {
                bool expose = kw[0] == 'E';
                json_t *set = ensure(cfg, expose ? "ExposedPorts" : "Volumes", false);
                json_t *list = command_value(arg);
                if (json_string_value(json_array_get(list, 0)) != NULL &&
                    strcmp(json_string_value(json_array_get(list, 0)), "/bin/sh") == 0) {
                        json_decref(list);
                        list = json_array();
                        _cleanup_free_ char *copy = xstrdup(arg);
                        char *save = NULL;
                        for (char *t = strtok_r(copy, " \t", &save); t;
                             t = strtok_r(NULL, " \t", &save))
                                json_array_append_new(list, json_string(t));
                }
                size_t i;
                json_t *e;
                json_array_foreach(list, i, e)
                {
                        const char *v = json_string_value(e);
                        _cleanup_free_ char *key =
                            expose && strchr(v, '/') == NULL ? xasprintf("%s/tcp", v) : xstrdup(v);
                        json_object_set_new(set, key, json_object());
                }
                json_decref(list);
        } else if (strcmp(kw, "ONBUILD") == 0) {
                json_array_append_new(ensure(cfg, "OnBuild", true), json_string(arg));
        } else {
                return berth_err(err, 0,
                                 "--change: `%s` is not one of CMD, ENTRYPOINT, ENV, EXPOSE, "
                                 "LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR",
                                 kw);
        }
        return 0;
}

int storage_image_import(const char *root, const char *path, const struct storage_import_opts *opts,
                         char id[IMAGE_DIGEST_LEN], struct berth_error **err)
{
        _cleanup_reference_ struct image_reference *ref = NULL;
        if (opts->reference != NULL && image_reference_parse(opts->reference, &ref, err) < 0)
                return berth_err_ret(*err);
        /* As Docker on Linux: a Windows image here would be a lie. */
        if (opts->platform != NULL && strcmp(opts->platform->os, "linux") != 0)
                return berth_err(err, EINVAL, "--platform %s: operating system is not supported",
                                 opts->platform->os);
        _cleanup_json_ json_t *cfg = json_object();
        for (char *const *c = opts->changes; c && *c; c++)
                if (storage_config_change_apply(cfg, *c, err) < 0)
                        return berth_err_ret(*err);

        _cleanup_store_ struct image_store *s = NULL;
        _cleanup_txn_ struct image_txn *t = NULL;
        _cleanup_db_ struct image_db *db = NULL;
        if (image_store_open(root, true, &s, err) < 0 || image_db_load(s, &db, err) < 0 ||
            image_txn_begin(s, &t, err) < 0)
                return berth_err_ret(*err);
        bool stdin_ = strcmp(path, "-") == 0;
        _cleanup_close_ int fd = stdin_ ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        char blob[IMAGE_DIGEST_LEN];
        if (image_txn_blob_put_fd(t, fd, NULL, -1, blob, err) < 0)
                return berth_err_wrap(err, "importing `%s`", path);
        struct storage_layer_meta meta;
        if (opts->progress != NULL)
                opts->progress("Importing", blob, 0, opts->progress_data);
        if (storage_layer_ensure(t, NULL, NULL, NULL, blob, &meta, err) < 0)
                return berth_err_wrap(err, "importing `%s`", path);

        _cleanup_close_ int bfd = image_txn_blob_open(t, blob, err);
        unsigned char magic[4] = {0};
        struct stat st;
        if (bfd < 0 || fstat(bfd, &st) < 0 || read(bfd, magic, 4) < 0)
                return berth_err(err, errno, "importing `%s`", path);
        const char *lmt = IMAGE_MT_DOCKER_LAYER;
        bool oci = false;
        if (magic[0] == 0x1f && magic[1] == 0x8b) {
                lmt = IMAGE_MT_DOCKER_LAYER_GZIP;
        } else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
                lmt = IMAGE_MT_OCI_LAYER_ZSTD;
                oci = true;
        }

        _cleanup_free_ char *created = util_time_now_rfc3339();
        /* As Docker's: the message (by default where it came from) is the
         * image's comment and its one history entry's; no created_by. */
        _cleanup_free_ char *comment =
            opts->message ? xstrdup(opts->message) : xasprintf("Imported from %s", path);
        json_t *history = json_pack("{s:s,s:s}", "created", created, "comment", comment);
        struct image_platform amd64 = {.os = "linux", .architecture = "amd64"};
        const struct image_platform *p = opts->platform ? opts->platform : &amd64;
        _cleanup_json_ json_t *config =
            json_pack("{s:s,s:s,s:s,s:O,s:{s:s,s:[s]},s:[o]}", "architecture", p->architecture,
                      "os", p->os, "created", created, "config", cfg, "rootfs", "type", "layers",
                      "diff_ids", meta.diff_id, "history", history);
        if (p->variant != NULL)
                json_object_set_new(config, "variant", json_string(p->variant));
        json_object_set_new(config, "comment", json_string(comment));
        _cleanup_free_ char *ctext = json_dumps(config, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char cdigest[IMAGE_DIGEST_LEN], mdigest[IMAGE_DIGEST_LEN];
        if (image_txn_blob_put_buffer(t, ctext, strlen(ctext), NULL, cdigest, err) < 0)
                return berth_err_ret(*err);
        _cleanup_json_ json_t *man =
            json_pack("{s:i,s:s,s:{s:s,s:I,s:s},s:[{s:s,s:I,s:s}]}", "schemaVersion", 2,
                      "mediaType", oci ? IMAGE_MT_OCI_MANIFEST : IMAGE_MT_DOCKER_MANIFEST, "config",
                      "mediaType", oci ? IMAGE_MT_OCI_CONFIG : IMAGE_MT_DOCKER_CONFIG, "size",
                      (json_int_t)strlen(ctext), "digest", cdigest, "layers", "mediaType", lmt,
                      "size", (json_int_t)st.st_size, "digest", blob);
        _cleanup_free_ char *mtext = json_dumps(man, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
        if (image_txn_blob_put_buffer(t, mtext, strlen(mtext), NULL, mdigest, err) < 0)
                return berth_err_ret(*err);
        image_db_add(db, cdigest, mdigest, meta.size);
        if (ref != NULL) {
                _cleanup_free_ char *nt = image_reference_name_tag(ref);
                if (nt == NULL)
                        return berth_err(err, EINVAL,
                                         "import: a reference needs a tag, not a digest");
                image_db_tag(db, nt, mdigest);
        }
        if (image_txn_commit(t, db, err) < 0)
                return berth_err_wrap(err, "importing `%s`", path);
        memcpy(id, cdigest, IMAGE_DIGEST_LEN);
        return 0;
}
