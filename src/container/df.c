/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "container/df.h"
#include "container/volume.h"
#include "storage/copy.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* Bytes under path; 0 when it is missing (a container that never got an
 * upper dir, a volume half removed by a crash). */
static int64_t tree_size(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        long long size = 0;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (fd >= 0 && storage_tree_size(fd, &size, &scratch) < 0)
                size = 0;
        return size;
}

static int newest_first(const void *a, const void *b)
{
        const struct container_record *x = ((const struct container_df_container *)a)->record;
        const struct container_record *y = ((const struct container_df_container *)b)->record;
        return strcmp(y->created ? y->created : "", x->created ? x->created : "");
}

static int containers_get(const char *root, struct container_df *df, struct berth_error **err)
{
        _cleanup_strv_ char **ids = NULL;
        if (container_record_list(root, &ids, err) < 0)
                return berth_err_ret(*err);
        df->containers = xcalloc(strv_len(ids) + 1, sizeof(*df->containers));
        for (char **id = ids; *id != NULL; id++) {
                struct container_record *r = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                /* Removed since it was listed: not there any more. */
                if (container_record_load(root, *id, &r, &scratch) <= 0)
                        continue;
                struct container_df_container *c = &df->containers[df->n_containers++];
                c->record = r;
                _cleanup_free_ char *dir = container_record_dir(root, r->id);
                _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
                c->size = tree_size(upper);
                for (size_t i = 0; i < r->n_mounts; i++)
                        c->volumes += r->mounts[i].type && strcmp(r->mounts[i].type, "volume") == 0;
                enum container_status st = r->state.status;
                bool active =
                    st == CONTAINER_RUNNING || st == CONTAINER_PAUSED || st == CONTAINER_RESTARTING;
                df->containers_active += active;
                df->containers_size += c->size;
                if (!active)
                        df->containers_reclaimable += c->size;
        }
        qsort(df->containers, df->n_containers, sizeof(*df->containers), newest_first);
        return 0;
}

static int volumes_get(const char *root, struct container_df *df, struct berth_error **err)
{
        /* No volume yet: nothing to count, and nothing to make (the
         * volume store would, and df must work on a read-only store). */
        _cleanup_free_ char *dir = xasprintf("%s/volumes", root);
        if (!util_path_exists(dir))
                return 0;
        struct container_volume_info_list l;
        if (container_volume_list(root, &l, err) < 0)
                return berth_err_ret(*err);
        df->volumes = xcalloc(l.n + 1, sizeof(*df->volumes));
        for (size_t i = 0; i < l.n; i++) {
                struct container_df_volume *v = &df->volumes[df->n_volumes++];
                v->name = xstrdup(l.v[i]->name);
                v->links = strv_len(l.v[i]->used_by);
                v->size = tree_size(l.v[i]->mountpoint);
                df->volumes_active += v->links > 0;
                df->volumes_size += v->size;
                if (v->links == 0)
                        df->volumes_reclaimable += v->size;
        }
        container_volume_info_list_clear(&l);
        return 0;
}

int container_df_get(const char *root, struct container_df *out, struct berth_error **err)
{
        memset(out, 0, sizeof(*out));
        if (storage_df_get(root, &out->images, err) < 0 || containers_get(root, out, err) < 0 ||
            volumes_get(root, out, err) < 0) {
                container_df_clear(out);
                return berth_err_ret(*err);
        }
        return 0;
}

void container_df_clear(struct container_df *df)
{
        storage_df_clear(&df->images);
        for (size_t i = 0; i < df->n_containers; i++)
                container_record_free(df->containers[i].record);
        free(df->containers);
        for (size_t i = 0; i < df->n_volumes; i++)
                free(df->volumes[i].name);
        free(df->volumes);
        memset(df, 0, sizeof(*df));
}
