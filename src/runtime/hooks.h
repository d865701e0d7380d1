/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_HOOKS_H
#define BERTH_RUNTIME_HOOKS_H

#include <jansson.h>

#include "util/error.h"

/* The OCI hooks, by the spec's names. */
enum runtime_hook_kind {
        RUNTIME_HOOK_PRESTART,
        RUNTIME_HOOK_CREATE_RUNTIME,
        RUNTIME_HOOK_CREATE_CONTAINER,
        RUNTIME_HOOK_START_CONTAINER,
        RUNTIME_HOOK_POSTSTART,
        RUNTIME_HOOK_POSTSTOP,
        RUNTIME_HOOK_KINDS
};

struct runtime_hook {
        char *path;
        char **args; /* NULL-terminated, may be NULL */
        char **env;  /* NULL-terminated, may be NULL */
        int timeout; /* seconds, 0 = none */
};

struct runtime_hooks {
        struct runtime_hook *hooks[RUNTIME_HOOK_KINDS];
        size_t n[RUNTIME_HOOK_KINDS];
};

int runtime_hooks_parse(json_t *hooks, struct runtime_hooks **out, struct berth_error **err);
void runtime_hooks_free(struct runtime_hooks *h);

/* Run every hook of kind in order, each with state_json on its stdin; a
 * hook that exits non-zero or outlives its timeout fails the call (the
 * caller decides whether that is fatal: poststart/poststop only warn). */
int runtime_hooks_run(const struct runtime_hooks *h, enum runtime_hook_kind kind,
                      const char *state_json, struct berth_error **err);

#endif
