/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_BUILD_BUILD_H
#define BERTH_BUILD_BUILD_H

/* The public face of build/: the Dockerfile parser and checker, and word
 * and variable expansion.  (The executor joins them when containers land.) */
#include "build/dockerfile.h"
#include "build/expand.h"

#endif
