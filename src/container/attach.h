/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_ATTACH_H
#define BERTH_CONTAINER_ATTACH_H

#include <stdbool.h>

#include "container/lifecycle.h"

struct container_attach_options {
        bool in, out, err; /* which of our stdio to relay */
        bool tty;          /* raw mode and window size for our terminal */
        bool sig_proxy;    /* forward the signals we get to the container */
        /* With tty and in: the bytes typed to detach (NULL: Docker's
         * ctrl-p ctrl-q, "": none). */
        const char *detach_keys;
};

/*
 * Relay our stdio with the container's through its monitor's attach
 * socket until the container exits; *exit_code is its status, 0 when the
 * user detached (the container runs on).  fd is an already connected
 * socket (container_attach_open) or -1 to connect now.
 */
int container_attach(const struct container_engine *e, const char *id, int fd,
                     const struct container_attach_options *o, int *exit_code,
                     struct berth_error **err);

/* Docker's --detach-keys: "ctrl-p,ctrl-q", "a,ctrl-@" into the bytes
 * (fresh string; "" for ""). */
int container_detach_keys_parse(const char *spec, char **out, struct berth_error **err);

/* Connect and say which streams we want; the fd for container_attach. */
int container_attach_open(const struct container_engine *e, const char *id,
                          const struct container_attach_options *o, struct berth_error **err);

#endif
