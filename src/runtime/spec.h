/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_SPEC_H
#define BERTH_RUNTIME_SPEC_H

#include <jansson.h>
#include <stdbool.h>

/* The config.json that `berth-runtime spec` writes: runc's defaults (the
 * same mounts, capabilities, masked and readonly paths, namespaces), or the
 * rootless variant (user namespace, id maps for the caller, no cgroups). */
json_t *runtime_spec_default(bool rootless);

/* The runtime-spec "features" document (`berth-runtime features`). */
json_t *runtime_features(void);

/* Capability names: "CAP_SYS_ADMIN" <-> number.  -1 when unknown. */
int runtime_cap_from_name(const char *name);

#endif
