/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_SPEC_H
#define BERTH_RUNTIME_SPEC_H

#include <jansson.h>
#include <stdbool.h>

/* The OCI runtime-spec version berth writes and the range it accepts. */
#define RUNTIME_OCI_VERSION     "1.0.2-dev"
#define RUNTIME_OCI_VERSION_MIN "1.0.0"

/* The config.json that `berth-runtime spec` writes: runc's defaults (the
 * same mounts, capabilities, masked and readonly paths, namespaces), or the
 * rootless variant (user namespace, id maps for the caller, no cgroups).
 * Differences from runc 1.1's `runc spec`, on purpose: hostname "berth";
 * no ambient capabilities (without inheritable ones they cannot be raised;
 * runc >= 1.2 dropped them too). */
json_t *runtime_spec_default(bool rootless);

/* The runtime-spec "features" document (`berth-runtime features`). */
json_t *runtime_features(void);

/* Capability names: "CAP_SYS_ADMIN" <-> number.  -1 when unknown. */
int runtime_cap_from_name(const char *name);
/* NULL when unknown. */
const char *runtime_cap_name(int cap);

/* Every capability berth knows, indexed by number (0..RUNTIME_CAP_LAST). */
#define RUNTIME_CAP_LAST 40                                       /* CAP_CHECKPOINT_RESTORE */
extern const char *const runtime_cap_names[RUNTIME_CAP_LAST + 2]; /* NULL-terminated */

#endif
