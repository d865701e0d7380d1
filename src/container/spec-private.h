/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_SPEC_PRIVATE_H
#define BERTH_CONTAINER_SPEC_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>

#include "container/spec.h"

/* Where --init's binary is bound: on the /dev tmpfs, so that neither a
 * read-only rootfs nor the image's layers are touched by the mount point. */
#define CONTAINER_INIT_PATH "/dev/init"

/* Whether the container gets a user namespace. */
bool container_spec_userns(const struct container_options *o);

/* linux.devices for --privileged: the nodes under dev_dir (the host's
 * /dev), named as under the container's /dev. */
int container_spec_host_devices(const char *dev_dir, json_t **out, struct berth_error **err);

int container_spec_mounts(const struct container_spec_input *in, json_t **out,
                          struct berth_error **err);

#endif
