/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_CAPS_H
#define BERTH_CONTAINER_CAPS_H

#include <stdbool.h>

#include "util/error.h"

/* Capability names as the OCI spec writes them ("CAP_CHOWN"), in number
 * order, NULL-terminated: every capability up to CAP_CHECKPOINT_RESTORE. */
extern const char *const container_caps_all[];
/* Docker's default set, in Docker's order. */
extern const char *const container_caps_default[];

bool container_cap_known(const char *name);

/*
 * Docker's TweakCapabilities: --privileged gives every capability; ALL in
 * cap_add gives every one except cap_drop's; ALL in cap_drop gives only
 * cap_add's; otherwise the defaults minus cap_drop plus cap_add.  Names are
 * normalised already (container_parse_capability).  "Every capability"
 * means those in available (NULL: all of container_caps_all).
 */
char **container_caps_compute(char *const *cap_add, char *const *cap_drop, bool privileged,
                              char *const *available);

#endif
