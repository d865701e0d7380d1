/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_VOLUME_H
#define BERTH_CONTAINER_VOLUME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "container/options.h"
#include "container/spec.h"
#include "util/error.h"

/*
 * Volumes, Docker's "local" driver:
 *
 *   <root>/volumes/<name>/_data       the content, bind-mounted into containers
 *   <root>/volumes/<name>/meta.json   Driver, Labels, Options, CreatedAt,
 *                                     Anonymous, UsedBy (container IDs)
 *   <root>/volumes/.lock              flock: shared to read, exclusive to write
 *   <root>/volumes/.staging/, .trash/ half-made and half-removed volumes
 *
 * A volume is made in .staging/ (meta.json first) and renamed in, and is
 * removed by renaming it into .trash/ first: a crash at any instant leaves
 * each volume whole or absent, and the next writer empties both.  Names
 * can't start with '.', so these never collide with a volume.
 *
 * UsedBy is what container_volumes_prepare() adds and
 * container_volumes_release() removes.  An entry counts only while
 * <root>/containers/<id>/ exists, so a container that vanished without a
 * release (a crash, a hand-deleted directory) never pins a volume.  The
 * lifecycle therefore calls prepare after making containers/<id>/.
 */

/* Docker's label marking an anonymous volume; prune without -a removes
 * only volumes that carry it (Docker 23+). */
#define CONTAINER_VOLUME_ANON_LABEL "com.docker.volume.anonymous"

struct container_volume_info {
        char *name;
        char *mountpoint; /* <root>/volumes/<name>/_data */
        char *created_at; /* RFC 3339, UTC */
        char **labels;    /* "k=v", in the order given */
        char **options;   /* "k=v": the local driver's type, device, o */
        char **used_by;   /* IDs of the existing containers using it */
        bool anonymous;
};

void container_volume_info_free(struct container_volume_info *v);
void container_volume_info_freep(struct container_volume_info **v);
#define _cleanup_volume_info_ __attribute__((cleanup(container_volume_info_freep)))

struct container_volume_info_list {
        struct container_volume_info **v; /* sorted by name */
        size_t n;
};
void container_volume_info_list_clear(struct container_volume_info_list *l);

struct container_volume_create_opts {
        const char *name;     /* NULL: a random 64-hex name */
        char *const *labels;  /* "k=v" or "k" */
        char *const *options; /* "k=v" */
        bool anonymous;       /* adds CONTAINER_VOLUME_ANON_LABEL */
};

/*
 * `volume create`.  An existing volume of that name is returned as it is
 * (Docker's create is idempotent).  Errors as Docker's local driver:
 *   create a!: "a!" includes invalid characters for a local volume name, ...
 *   create v: invalid option: "foo"
 */
int container_volume_create(const char *root, const struct container_volume_create_opts *o,
                            struct container_volume_info **out, struct berth_error **err);

/* 1 found, 0 no such volume. */
int container_volume_inspect(const char *root, const char *name, struct container_volume_info **out,
                             struct berth_error **err);

int container_volume_list(const char *root, struct container_volume_info_list *out,
                          struct berth_error **err);

/* `volume rm`: refused while a container uses it ("remove v: volume is in
 * use - [id, ...]"); force only makes a missing volume not an error.
 * Returns 1 removed, 0 no such volume (with force). */
int container_volume_remove(const char *root, const char *name, bool force,
                            struct berth_error **err);

/*
 * `volume ls --filter` and `volume prune --filter`: "dangling=true|false",
 * "name=SUBSTRING", "label=KEY" or "label=KEY=VALUE", "label!=...",
 * "driver=local".  Filters of one key are ORed, different keys ANDed, as
 * Docker does.  -EINVAL with "invalid filter 'x'" for an unknown key.
 */
int container_volume_filter_check(char *const *filters, struct berth_error **err);
bool container_volume_matches(const struct container_volume_info *v, char *const *filters);

/* `volume prune`: unused volumes that match filters, anonymous ones only
 * unless all.  *removed lists their names; *reclaimed their bytes. */
int container_volume_prune(const char *root, bool all, char *const *filters, char ***removed,
                           long long *reclaimed, struct berth_error **err);

/* `volume inspect`'s object for one volume. */
json_t *container_volume_info_json(const struct container_volume_info *v);

/* ---- what a container's life does with them (volume-use.c) ---- */

/*
 * Between container_volumes_plan() and container_spec_generate(): for the
 * container id whose rootfs is mounted at rootfs_dir,
 *  - each planned volume: an anonymous one is created (random name, set in
 *    plan->v[i].name); a named one is looked up or created (with the
 *    --mount volume-opt options); the container is added to its UsedBy;
 *    a volume with options (type/device/o) is mounted if it is not yet;
 *    an empty volume without nocopy is filled with what the image has at
 *    the target, resolved inside the rootfs (Docker's copy-up: owners,
 *    modes, xattrs, times, symlinks and hard links kept);
 *    plan->v[i].host_path is set to its _data;
 *  - each -v bind mount whose host directory is missing gets it made
 *    (0755, as Docker does); a --mount bind source that is missing fails.
 * On failure nothing is left: volumes made here are removed and the
 * container is taken off the UsedBy of the others.
 */
int container_volumes_prepare(const char *root, const char *id, const struct container_options *o,
                              struct container_volume_list *plan, const char *rootfs_dir,
                              struct berth_error **err);

/*
 * For `rm`: take container id off every volume's UsedBy, unmount a volume
 * with options that nobody uses any more, and with remove_anonymous
 * (rm -v, --rm) remove the anonymous volumes nobody else uses.  Named
 * volumes always stay.
 */
int container_volumes_release(const char *root, const char *id, bool remove_anonymous,
                              struct berth_error **err);

#endif
