/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The build cache: <root>/cache/<key hex>.json per step, written after the
 * step's layer is committed and atomically, so a crash leaves either no
 * entry or one whose layer is in the store.  An entry whose layer garbage
 * collection removed since is a miss.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "build/build-private.h"
#include "image/store.h"
#include "storage/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

void build_cache_key(const char *parent, const char *text, char out[IMAGE_DIGEST_LEN])
{
        _cleanup_free_ char *s = xasprintf("berth-build-cache-v1\n%s\n%s", parent, text);
        image_digest_buffer(s, strlen(s), out);
}

static int cache_dir(struct builder *b, bool create, struct berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/cache", b->o->root);
        if (create && util_path_mkdir_p(dir, 0700, err) < 0)
                return berth_err_ret(*err);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", dir);
        return fd;
}

static int copy_digest(json_t *o, const char *k, char out[IMAGE_DIGEST_LEN])
{
        const char *v = json_string_value(json_object_get(o, k));
        if (v == NULL || strlen(v) >= IMAGE_DIGEST_LEN)
                return -1;
        memcpy(out, v, strlen(v) + 1);
        return 0;
}

int build_cache_get(struct builder *b, const char *key, struct build_cache_entry *out)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_close_ int dfd = cache_dir(b, false, &scratch);
        if (dfd < 0)
                return 0;
        _cleanup_free_ char *name = xasprintf("%s.json", image_digest_hex(key));
        _cleanup_json_ json_t *e = NULL;
        if (util_json_load_file(dfd, name, &e, &scratch) < 0 || !json_is_object(e))
                return 0;
        memset(out, 0, sizeof(*out));
        const char *created = json_string_value(json_object_get(e, "created"));
        if (created != NULL)
                snprintf(out->created, sizeof(out->created), "%s", created);
        json_t *l = json_object_get(e, "layer");
        if (!json_is_object(l))
                return 1;
        struct build_layer *ly = &out->layer;
        const char *mt = json_string_value(json_object_get(l, "media_type"));
        if (copy_digest(l, "chain_id", ly->chain_id) < 0 ||
            copy_digest(l, "diff_id", ly->diff_id) < 0 || copy_digest(l, "blob", ly->blob) < 0 ||
            mt == NULL)
                return 0;
        snprintf(ly->media_type, sizeof(ly->media_type), "%s", mt);
        ly->size = json_integer_value(json_object_get(l, "size"));
        out->has_layer = true;
        /* Still there?  rmi and prune collect layers no image uses. */
        _cleanup_store_ struct image_store *s = NULL;
        struct storage_layer_meta meta;
        int64_t size;
        if (image_store_open(b->o->root, false, &s, &scratch) < 0 ||
            storage_layer_get(s, ly->chain_id, &meta, &scratch) != 1 ||
            image_blob_stat(s, ly->blob, &size) != 1)
                return 0;
        return 1;
}

int build_cache_put(struct builder *b, const char *key, const struct build_cache_entry *e,
                    struct berth_error **err)
{
        _cleanup_close_ int dfd = cache_dir(b, true, err);
        if (dfd < 0)
                return dfd;
        _cleanup_json_ json_t *doc = json_object();
        if (e->created[0] != '\0')
                json_object_set_new(doc, "created", json_string(e->created));
        if (e->has_layer) {
                const struct build_layer *l = &e->layer;
                json_object_set_new(doc, "layer",
                                    json_pack("{s:s,s:s,s:s,s:s,s:I}", "chain_id", l->chain_id,
                                              "diff_id", l->diff_id, "blob", l->blob, "media_type",
                                              l->media_type, "size", (json_int_t)l->size));
        }
        _cleanup_free_ char *name = xasprintf("%s.json", image_digest_hex(key));
        return util_json_write_atomic(dfd, name, doc, err);
}
