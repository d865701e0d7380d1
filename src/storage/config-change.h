/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_STORAGE_CONFIG_CHANGE_H
#define BERTH_STORAGE_CONFIG_CHANGE_H

#include <jansson.h>

#include "util/error.h"

/*
 * One Dockerfile-style change (`import --change`, `commit -c`) applied to
 * an image config's "config" object: CMD, ENTRYPOINT (JSON or shell form),
 * ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ONBUILD.
 */
int storage_config_change_apply(json_t *cfg, const char *line, struct berth_error **err);

#endif
