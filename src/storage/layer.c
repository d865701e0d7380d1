/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/config.h"
#include "image/layer.h"
#include "storage/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

static int parse_meta(json_t *root, struct storage_layer_meta *m, struct berth_error **err)
{
        const char *fields[] = {"chain_id", "diff_id", "parent", "blob"};
        char *dst[] = {m->chain_id, m->diff_id, m->parent, m->blob};
        memset(m, 0, sizeof(*m));
        for (size_t i = 0; i < 4; i++) {
                const char *v = NULL;
                if (util_json_string(root, fields[i], fields[i], &v, err) < 0)
                        return berth_err_ret(*err);
                if (v != NULL && strlen(v) < IMAGE_DIGEST_LEN)
                        memcpy(dst[i], v, strlen(v) + 1);
        }
        if (util_json_int(root, "size", "size", &m->size, err) < 0)
                return berth_err_ret(*err);
        return 0;
}

int storage_layer_get(struct image_store *s, const char *chain_id, struct storage_layer_meta *out,
                      struct berth_error **err)
{
        _cleanup_free_ char *rel = xasprintf("layers/%s/meta.json", image_digest_hex(chain_id));
        if (faccessat(s->root_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        _cleanup_json_ json_t *root = NULL;
        if (util_json_load_file(s->root_fd, rel, &root, err) < 0 || parse_meta(root, out, err) < 0)
                return berth_err_wrap(err, "layer %s", chain_id);
        return 1;
}

static int read_staged_meta(struct image_txn *t, const char *staged, struct storage_layer_meta *out,
                            struct berth_error **err)
{
        _cleanup_json_ json_t *root = NULL;
        _cleanup_free_ char *meta = xasprintf("%s/meta.json", staged);
        if (util_json_load_file(image_txn_dir_fd(t), meta, &root, err) < 0 ||
            parse_meta(root, out, err) < 0)
                return berth_err_ret(*err);
        return 0;
}

/* 1 when chain_id exists in the store or in t (with *out filled) */
static int lookup(struct image_txn *t, const char *chain_id, struct storage_layer_meta *out,
                  struct berth_error **err)
{
        const char *hex = image_digest_hex(chain_id);
        _cleanup_free_ char *dest = xasprintf("layers/%s", hex);
        int r = storage_layer_get(image_txn_store(t), chain_id, out, err);
        if (r != 0)
                return r;
        if (image_txn_publishes(t, dest)) {
                _cleanup_free_ char *staged = xasprintf("layer-%s", hex);
                if (read_staged_meta(t, staged, out, err) < 0)
                        return berth_err_ret(*err);
                return 1;
        }
        return 0;
}

int storage_layer_ensure(struct image_txn *t, const char *chain_id, const char *parent,
                         const char *diff_id, const char *blob, struct storage_layer_meta *out,
                         struct berth_error **err)
{
        struct storage_layer_meta scratch_meta;
        if (out == NULL)
                out = &scratch_meta;
        if (chain_id != NULL) {
                int r = lookup(t, chain_id, out, err);
                if (r != 0)
                        return r < 0 ? r : 0;
        }

        int tfd = image_txn_dir_fd(t);
        static unsigned seq;
        _cleanup_free_ char *tmp = xasprintf("layer-new-%u", seq++);
        _cleanup_free_ char *diff = xasprintf("%s/diff", tmp);
        if (mkdirat(tfd, tmp, 0700) < 0 || mkdirat(tfd, diff, 0755) < 0)
                return berth_err(err, errno, "creating staging dir for layer %s", blob);
        _cleanup_close_ int dfd = openat(tfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_err(err, errno, "opening staging dir for layer %s", blob);
        _cleanup_close_ int in = image_txn_blob_open(t, blob, err);
        if (in < 0)
                return in;
        struct image_layer_apply_opts opts = {.whiteouts = IMAGE_WHITEOUT_OVERLAY};
        struct image_layer_stats st = {0};
        if (image_layer_apply(in, dfd, &opts, &st, err) < 0)
                return berth_err_wrap(err, "extracting layer %s", blob);
        /* The config's diff ID is what the image's ID vouches for: a layer
         * blob that decompresses to anything else is not this image. */
        if (diff_id != NULL && strcmp(st.diff_id, diff_id) != 0)
                return berth_err(
                    err, EILSEQ,
                    "layer %s: diff ID mismatch: the config says %s, the content is %s", blob,
                    diff_id, st.diff_id);

        struct storage_layer_meta m = {.size = (int64_t)st.size};
        memcpy(m.diff_id, st.diff_id, IMAGE_DIGEST_LEN);
        memcpy(m.blob, blob, IMAGE_DIGEST_LEN);
        if (parent != NULL)
                memcpy(m.parent, parent, IMAGE_DIGEST_LEN);
        if (chain_id != NULL) {
                memcpy(m.chain_id, chain_id, IMAGE_DIGEST_LEN);
        } else if (parent != NULL) {
                char ids[2][IMAGE_DIGEST_LEN], chain[2][IMAGE_DIGEST_LEN];
                memcpy(ids[0], parent, IMAGE_DIGEST_LEN);
                memcpy(ids[1], st.diff_id, IMAGE_DIGEST_LEN);
                image_chain_ids(ids, 2, chain);
                memcpy(m.chain_id, chain[1], IMAGE_DIGEST_LEN);
        } else {
                memcpy(m.chain_id, st.diff_id, IMAGE_DIGEST_LEN);
        }
        if (chain_id == NULL) {
                /* Learned only now: it may already exist. */
                int r = lookup(t, m.chain_id, out, err);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        _cleanup_json_ json_t *root =
            json_pack("{s:s,s:s,s:s,s:s,s:I}", "chain_id", m.chain_id, "diff_id", m.diff_id,
                      "parent", m.parent, "blob", m.blob, "size", (json_int_t)m.size);
        _cleanup_free_ char *meta = xasprintf("%s/meta.json", tmp);
        if (util_json_write_atomic(tfd, meta, root, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *staged = xasprintf("layer-%s", image_digest_hex(m.chain_id));
        if (renameat(tfd, tmp, tfd, staged) < 0)
                return berth_err(err, errno, "staging layer %s", m.chain_id);
        _cleanup_free_ char *dest = xasprintf("layers/%s", image_digest_hex(m.chain_id));
        image_txn_publish_dir(t, staged, dest);
        *out = m;
        return 0;
}

int storage_layer_list(struct image_store *s, char ***out, struct berth_error **err)
{
        _cleanup_close_ int fd = openat(s->root_fd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "listing layers");
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&fd));
        if (d == NULL)
                return berth_err(err, errno, "listing layers");
        _cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
                        continue;
                _cleanup_free_ char *id = xasprintf("sha256:%s", de->d_name);
                strv_append(&v, id);
        }
        *out = steal_pointer(&v);
        return 0;
}

int storage_layer_remove(struct image_store *s, const char *chain_id, struct berth_error **err)
{
        /* Rename out of sight first: a crash halfway through the rm -rf
         * must not leave a half layer under layers/. */
        _cleanup_free_ char *rel = xasprintf("layers/%s", image_digest_hex(chain_id));
        _cleanup_free_ char *gone = xasprintf("staging/rm-%s", image_digest_hex(chain_id));
        if (renameat(s->root_fd, rel, s->root_fd, gone) < 0) {
                if (errno == ENOENT)
                        return 0;
                return berth_err(err, errno, "removing layer %s", chain_id);
        }
        return util_path_remove_tree(s->root_fd, gone, err);
}

char *storage_layer_diff_path(struct image_store *s, const char *chain_id)
{
        return xasprintf("%s/layers/%s/diff", s->root, image_digest_hex(chain_id));
}
