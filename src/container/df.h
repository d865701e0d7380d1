/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_DF_H
#define BERTH_CONTAINER_DF_H

#include <stddef.h>
#include <stdint.h>

#include "container/record.h"
#include "storage/image.h"
#include "util/error.h"

/*
 * `system df`: what images, containers and volumes hold on disk, counted
 * as Docker does.  A container's size is what it wrote: its upper dir (the
 * whole copy under the copy driver).  A container is active while it runs
 * (paused and restarting included), a volume while a container uses it;
 * what is not active is reclaimable.
 */
struct container_df_container {
        struct container_record *record;
        int64_t size;
        size_t volumes; /* volumes it mounts */
};

struct container_df_volume {
        char *name;
        size_t links; /* containers using it */
        int64_t size; /* its _data, not crossing mounts */
};

struct container_df {
        struct storage_df images;

        struct container_df_container *containers; /* newest first */
        size_t n_containers, containers_active;
        int64_t containers_size, containers_reclaimable;

        struct container_df_volume *volumes; /* by name */
        size_t n_volumes, volumes_active;
        int64_t volumes_size, volumes_reclaimable;
};

int container_df_get(const char *root, struct container_df *out, struct berth_error **err);
void container_df_clear(struct container_df *df);

#endif
