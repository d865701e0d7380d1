/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_NETNS_H
#define BERTH_CONTAINER_NETNS_H

#include <sys/types.h>

#include "util/error.h"

/* Bring "lo" up in pid's network namespace when it is not ours (done in a
 * forked child, so the caller's own namespace never changes). */
int container_netns_loopback_up(pid_t pid, struct berth_error **err);

#endif
