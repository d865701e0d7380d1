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

/* The spec's field names, indexed by kind ("prestart", "createRuntime"...). */
extern const char *const runtime_hook_names[RUNTIME_HOOK_KINDS];

struct runtime_hook {
        char *path;  /* absolute; what is executed */
        char **args; /* NULL-terminated, may be NULL (then argv is {path}) */
        char **env;  /* NULL-terminated, may be NULL (then the caller's environ, as runc) */
        int timeout; /* seconds, 0 = none */
};

struct runtime_hooks {
        struct runtime_hook *hooks[RUNTIME_HOOK_KINDS];
        size_t n[RUNTIME_HOOK_KINDS];
};

/* hooks NULL or JSON null gives an empty set (never *out NULL on success). */
int runtime_hooks_parse(json_t *hooks, struct runtime_hooks **out, struct berth_error **err);
void runtime_hooks_free(struct runtime_hooks *h);
void runtime_hooks_freep(struct runtime_hooks **h);
#define _cleanup_hooks_ __attribute__((cleanup(runtime_hooks_freep)))

/* Run every hook of kind in order, each with state_json on its stdin; a
 * hook that exits non-zero or outlives its timeout fails the call (the
 * caller decides whether that is fatal: poststart/poststop only warn).
 * Each hook runs in its own process group, with signals reset and no fds
 * but 0-2; stdout and stderr are captured (64 KiB each), and the first
 * line of stderr (else stdout) ends the error message:
 *   hook `/bin/x` exited with status 3: <first line>
 * On timeout the whole process group gets SIGKILL (-ETIMEDOUT).  The
 * caller must not reap children it did not start (no waitpid(-1)).
 * h NULL is a no-op. */
int runtime_hooks_run(const struct runtime_hooks *h, enum runtime_hook_kind kind,
                      const char *state_json, struct berth_error **err);

/* One hook, as above. */
int runtime_hook_run(const struct runtime_hook *hook, const char *state_json,
                     struct berth_error **err);

#endif
