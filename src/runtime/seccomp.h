/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <jansson.h>

#include "util/error.h"

/* linux.seccomp of the OCI config, parsed and checked up front so that a
 * bad profile fails `create` before any namespace exists. */
struct runtime_seccomp;

int runtime_seccomp_parse(json_t *seccomp, struct runtime_seccomp **out, struct berth_error **err);
void runtime_seccomp_free(struct runtime_seccomp *s);

/* Compile and install the filter in the calling process (the container's
 * init, just before exec).  Uses libseccomp; honours flags
 * (SECCOMP_FILTER_FLAG_*), architectures, errnoRet, and argument matches. */
int runtime_seccomp_load(const struct runtime_seccomp *s, struct berth_error **err);

#endif
