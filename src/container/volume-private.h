/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_VOLUME_PRIVATE_H
#define BERTH_CONTAINER_VOLUME_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>

#include "container/volume.h"

/* The volumes directory, open and locked, for one operation. */
struct volume_store {
        char *root;
        int root_fd; /* --root */
        int dir_fd;  /* <root>/volumes */
        int lock_fd;
};

int volume_store_open(const char *root, bool exclusive, struct volume_store *s,
                      struct berth_error **err);
void volume_store_close(struct volume_store *s);

/* 1 with *meta, 0 no such volume. */
int volume_meta_load(struct volume_store *s, const char *name, json_t **meta,
                     struct berth_error **err);
int volume_meta_save(struct volume_store *s, const char *name, json_t *meta,
                     struct berth_error **err);

/* Create (exclusive lock held); *name_out is the name used.  *created is
 * false when it already existed. */
int volume_create_locked(struct volume_store *s, const struct container_volume_create_opts *o,
                         char **name_out, bool *created, struct berth_error **err);
/* Remove whatever its users (exclusive lock held); unmounts its _data
 * first when a volume option mounted it. */
int volume_remove_locked(struct volume_store *s, const char *name, struct berth_error **err);

/* Whether container id still exists (containers/<id>/). */
bool volume_user_live(struct volume_store *s, const char *id);
/* The live users listed in meta (a fresh strv, possibly empty). */
char **volume_live_users(struct volume_store *s, json_t *meta);

/* _data is a mount point of its own (a volume option mounted it). */
bool volume_data_mounted(struct volume_store *s, const char *name);

#endif
