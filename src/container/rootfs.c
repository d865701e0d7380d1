/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "container/rootfs.h"
#include "container/spec-private.h"
#include "storage/idmap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static size_t maps_from_json(json_t *arr, struct storage_idmap **out)
{
        size_t n = json_array_size(arr), i;
        json_t *m;
        *out = xcalloc(n + 1, sizeof(**out));
        json_array_foreach(arr, i, m)
        {
                (*out)[i] = (struct storage_idmap){
                    .container_id = (uint32_t)json_integer_value(json_object_get(m, "containerID")),
                    .host_id = (uint32_t)json_integer_value(json_object_get(m, "hostID")),
                    .size = (uint32_t)json_integer_value(json_object_get(m, "size")),
                };
        }
        return n;
}

static size_t maps_from_options(const struct container_idmap *v, size_t n,
                                struct storage_idmap **out)
{
        *out = xcalloc(n + 1, sizeof(**out));
        for (size_t i = 0; i < n; i++)
                (*out)[i] = (struct storage_idmap){v[i].container_id, v[i].host_id, v[i].size};
        return n;
}

size_t container_idmaps_load(const char *dir, struct storage_idmap **uid,
                             struct storage_idmap **gid, size_t *n_gid)
{
        _cleanup_json_ json_t *spec = NULL;
        _cleanup_free_ char *cfg = xasprintf("%s/config.json", dir);
        _cleanup_error_ struct berth_error *scratch = NULL;
        *uid = *gid = NULL;
        *n_gid = 0;
        if (util_json_load_file(AT_FDCWD, cfg, &spec, &scratch) < 0)
                return 0;
        json_t *l = json_object_get(spec, "linux");
        size_t nu = maps_from_json(json_object_get(l, "uidMappings"), uid);
        *n_gid = maps_from_json(json_object_get(l, "gidMappings"), gid);
        if (*n_gid == 0 && nu > 0) {
                free(*gid);
                *gid = xcalloc(nu + 1, sizeof(**gid));
                memcpy(*gid, *uid, nu * sizeof(**gid));
                *n_gid = nu;
        }
        return nu;
}

int container_rootfs_mount(const char *dir, char *const *lowers, const char *target,
                           const struct container_options *o, const struct container_idmap *auto_u,
                           const struct container_idmap *auto_g, unsigned flags,
                           enum storage_rootfs_driver *driver, struct berth_error **err)
{
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_free_ char *work = xasprintf("%s/work", dir);
        _cleanup_free_ struct storage_idmap *u = NULL, *g = NULL;
        size_t nu = 0, ng = 0;
        if (o != NULL && container_spec_userns(o)) {
                if (o->userns == CONTAINER_USERNS_AUTO) {
                        nu = auto_u ? maps_from_options(auto_u, 1, &u) : 0;
                        ng = auto_g ? maps_from_options(auto_g, 1, &g) : 0;
                } else {
                        nu = maps_from_options(o->uidmap, o->n_uidmap, &u);
                        ng = maps_from_options(o->gidmap, o->n_gidmap, &g);
                }
        } else if (o == NULL) {
                _cleanup_json_ json_t *spec = NULL;
                _cleanup_free_ char *cfg = xasprintf("%s/config.json", dir);
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (util_json_load_file(AT_FDCWD, cfg, &spec, &scratch) == 0) {
                        json_t *l = json_object_get(spec, "linux");
                        nu = maps_from_json(json_object_get(l, "uidMappings"), &u);
                        ng = maps_from_json(json_object_get(l, "gidMappings"), &g);
                }
        }
        /* As the spec: one map alone serves both. */
        if (ng == 0 && nu > 0) {
                free(g);
                g = xcalloc(nu + 1, sizeof(*g));
                memcpy(g, u, nu * sizeof(*g));
                ng = nu;
        } else if (nu == 0 && ng > 0) {
                free(u);
                u = xcalloc(ng + 1, sizeof(*u));
                memcpy(u, g, ng * sizeof(*u));
                nu = ng;
        }
        if (nu == 0)
                return storage_rootfs_mount(lowers, strv_len(lowers), upper, work, target, flags,
                                            driver, err);
        /* The runtime mounts the rootfs from inside the user namespace,
         * where host root's 0700 directories are closed: the container's
         * directory, containers/ and --root get search (not read) rights
         * for others, as Docker's root is 0711. */
        _cleanup_free_ char *path = xstrdup(dir);
        for (int i = 0; i < 3; i++) {
                struct stat st;
                if (stat(path, &st) == 0 && !(st.st_mode & S_IXOTH) &&
                    chmod(path, (st.st_mode & 07777) | S_IXOTH) < 0)
                        return berth_err(err, errno, "opening `%s` to the container's root", path);
                char *slash = strrchr(path, '/');
                if (slash == NULL || slash == path)
                        break;
                *slash = '\0';
        }
        return storage_rootfs_mount_idmapped(lowers, strv_len(lowers), upper, work, target, u, nu,
                                             g, ng, driver, err);
}
