/* SPDX-License-Identifier: Apache-2.0 */
/* The mounts of a container's spec: Docker's defaults, then the user's
 * (binds, volumes, tmpfs, the generated /etc files, init) ordered so that
 * a parent is mounted before what goes inside it. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "container/parse.h"
#include "container/spec-private.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static json_t *mount_new(const char *dest, const char *type, const char *source, ...)
{
        json_t *m = json_object(), *opts = json_array();
        va_list ap;
        json_object_set_new(m, "destination", json_string(dest));
        json_object_set_new(m, "type", json_string(type));
        json_object_set_new(m, "source", json_string(source));
        va_start(ap, source);
        for (const char *o = va_arg(ap, const char *); o != NULL; o = va_arg(ap, const char *))
                json_array_append_new(opts, json_string(o));
        va_end(ap);
        json_object_set_new(m, "options", opts);
        return m;
}

static void opt_add(json_t *m, const char *o)
{
        json_array_append_new(json_object_get(m, "options"), json_string(o));
}

/* Destinations compare cleaned: "/data/" and "/data" are one. */
static char *clean_path(const char *p)
{
        return container_path_clean(p);
}

void container_volumes_plan(const struct image_config *img, const struct container_options *o,
                            struct container_volume_list *out)
{
        struct container_volume_list l = {0};
        for (size_t i = 0; i < o->n_mounts; i++) {
                const struct container_mount *m = &o->mounts[i];
                if (m->type != CONTAINER_MOUNT_VOLUME)
                        continue;
                l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
                l.v[l.n++] = (struct container_volume){
                    .name = m->source ? xstrdup(m->source) : NULL,
                    .target = clean_path(m->target),
                    .readonly = m->readonly,
                    .nocopy = m->nocopy,
                    .anonymous = m->source == NULL,
                };
        }
        /* An image VOLUME that no mount covers becomes an anonymous
         * volume (Docker's rule); a bind or tmpfs at its path wins. */
        for (size_t i = 0; img != NULL && img->volumes != NULL && img->volumes[i] != NULL; i++) {
                _cleanup_free_ char *t = clean_path(img->volumes[i]);
                bool covered = false;
                for (size_t j = 0; j < o->n_mounts && !covered; j++) {
                        _cleanup_free_ char *mt = clean_path(o->mounts[j].target);
                        covered = strcmp(mt, t) == 0;
                }
                for (size_t j = 0; j < l.n && !covered; j++)
                        covered = strcmp(l.v[j].target, t) == 0;
                if (covered)
                        continue;
                l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
                l.v[l.n++] = (struct container_volume){
                    .target = steal_pointer(&t),
                    .anonymous = true,
                };
        }
        *out = l;
}

void container_volume_list_clear(struct container_volume_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].name);
                free(l->v[i].target);
                free(l->v[i].host_path);
        }
        free(l->v);
        *l = (struct container_volume_list){0};
}

static json_t *bind_mount(const char *dest, const char *src, bool recursive, bool ro,
                          const char *propagation)
{
        json_t *m = mount_new(dest, "bind", src, recursive ? "rbind" : "bind", NULL);
        if (ro)
                opt_add(m, "ro");
        opt_add(m, propagation != NULL ? propagation : "rprivate");
        return m;
}

/* moby's ConvertTmpfsOptions: size in the largest unit that divides it. */
static json_t *tmpfs_mount(const struct container_mount *m)
{
        json_t *j =
            mount_new(m->target, "tmpfs", "tmpfs", "noexec", "nosuid", "nodev", "rprivate", NULL);
        if (m->tmpfs_data != NULL) {
                _cleanup_free_ char *copy = xstrdup(m->tmpfs_data);
                char *p = copy;
                for (char *o = strsep(&p, ","); o != NULL; o = strsep(&p, ","))
                        if (o[0] != '\0')
                                opt_add(j, o);
                return j;
        }
        if (m->readonly)
                opt_add(j, "ro");
        if (m->tmpfs_size > 0) {
                int64_t size = m->tmpfs_size;
                const char *sfx = "";
                if (size % (1 << 30) == 0)
                        size /= 1 << 30, sfx = "g";
                else if (size % (1 << 20) == 0)
                        size /= 1 << 20, sfx = "m";
                else if (size % (1 << 10) == 0)
                        size /= 1 << 10, sfx = "k";
                _cleanup_free_ char *o = xasprintf("size=%lld%s", (long long)size, sfx);
                opt_add(j, o);
        }
        if (m->tmpfs_mode != 0) {
                _cleanup_free_ char *o = xasprintf("mode=%o", m->tmpfs_mode);
                opt_add(j, o);
        }
        return j;
}

static size_t depth(json_t *m)
{
        const char *d = json_string_value(json_object_get(m, "destination"));
        size_t n = 0;
        for (const char *p = d; *p != '\0'; p++)
                if (*p == '/' && p[1] != '/' && p[1] != '\0')
                        n++;
        return n;
}

static bool has_dest(json_t *list, const char *dest)
{
        size_t i;
        json_t *m;
        json_array_foreach(list, i, m)
        {
                if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
                        return true;
        }
        return false;
}

static const struct container_volume *find_volume(const struct container_volume_list *l,
                                                  const char *target)
{
        _cleanup_free_ char *t = clean_path(target);
        for (size_t i = 0; l != NULL && i < l->n; i++)
                if (strcmp(l->v[i].target, t) == 0)
                        return &l->v[i];
        return NULL;
}

static int volume_mount(json_t *user, const struct container_volume *v, bool readonly,
                        struct berth_error **err)
{
        if (v == NULL || v->host_path == NULL)
                return berth_err(err, 0, "volume at %s has no host path",
                                 v ? v->target : "(unplanned)");
        json_array_append_new(user, bind_mount(v->target, v->host_path, true, readonly, NULL));
        return 0;
}

int container_spec_mounts(const struct container_spec_input *in, json_t **out,
                          struct berth_error **err)
{
        const struct container_options *o = in->opts;
        bool userns = container_spec_userns(o);
        _cleanup_json_ json_t *user = json_array();

        for (size_t i = 0; i < o->n_mounts; i++) {
                const struct container_mount *m = &o->mounts[i];
                switch (m->type) {
                case CONTAINER_MOUNT_BIND:
                        json_array_append_new(user,
                                              bind_mount(m->target, m->source, !m->nonrecursive,
                                                         m->readonly, m->propagation));
                        break;
                case CONTAINER_MOUNT_VOLUME:
                        if (volume_mount(user, find_volume(in->volumes, m->target), m->readonly,
                                         err) < 0)
                                return berth_err_ret(*err);
                        break;
                case CONTAINER_MOUNT_TMPFS:
                        json_array_append_new(user, tmpfs_mount(m));
                        break;
                }
        }
        for (size_t i = 0; in->volumes != NULL && i < in->volumes->n; i++) {
                const struct container_volume *v = &in->volumes->v[i];
                if (!has_dest(user, v->target) && volume_mount(user, v, v->readonly, err) < 0)
                        return berth_err_ret(*err);
        }
        /* The generated files, unless the user mounts their own there. */
        const struct {
                const char *dest, *src;
        } files[] = {
            {"/etc/resolv.conf", in->resolv_conf_path},
            {"/etc/hostname", in->hostname_path},
            {"/etc/hosts", in->hosts_path},
        };
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                if (files[i].src != NULL && !has_dest(user, files[i].dest))
                        json_array_append_new(user, bind_mount(files[i].dest, files[i].src, true,
                                                               o->read_only, NULL));
        if (o->init) {
                if (in->init_path == NULL)
                        return berth_err(err, 0, "--init: no init binary given");
                json_array_append_new(user, mount_new(CONTAINER_INIT_PATH, "bind", in->init_path,
                                                      "bind", "ro", "nosuid", NULL));
        }

        /* Parents before children: a stable sort by path depth. */
        size_t n = json_array_size(user);
        _cleanup_free_ json_t **sorted = xcalloc(n + 1, sizeof(json_t *));
        for (size_t i = 0; i < n; i++) {
                json_t *m = json_array_get(user, i);
                size_t j = i;
                while (j > 0 && depth(sorted[j - 1]) > depth(m)) {
                        sorted[j] = sorted[j - 1];
                        j--;
                }
                sorted[j] = m;
        }

        json_t *sys;
        if (userns && o->network == CONTAINER_NETWORK_HOST)
                /* sysfs can't be mounted in a user namespace that does not
                 * own the network namespace: bind the host's, read-only. */
                sys = mount_new("/sys", "bind", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro",
                                NULL);
        else if (o->privileged)
                sys = mount_new("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", NULL);
        else
                sys = mount_new("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro", NULL);
        json_t *defaults[] = {
            mount_new("/proc", "proc", "proc", "nosuid", "noexec", "nodev", NULL),
            mount_new("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k",
                      NULL),
            mount_new("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
                      "ptmxmode=0666", "mode=0620", "gid=5", NULL),
            sys,
            o->privileged ? mount_new("/sys/fs/cgroup", "cgroup", "cgroup", "rw", "nosuid",
                                      "noexec", "nodev", NULL)
                          : mount_new("/sys/fs/cgroup", "cgroup", "cgroup", "ro", "nosuid",
                                      "noexec", "nodev", NULL),
            mount_new("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev", NULL),
            mount_new("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777",
                      "size=67108864", NULL),
        };
        bool user_dev = has_dest(user, "/dev");
        json_t *all = json_array();
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
                const char *d = json_string_value(json_object_get(defaults[i], "destination"));
                /* A user mount replaces the default at its destination, and
                 * a user /dev replaces everything Docker puts under /dev. */
                if (has_dest(user, d) || (user_dev && strncmp(d, "/dev/", 5) == 0))
                        json_decref(defaults[i]);
                else
                        json_array_append_new(all, defaults[i]);
        }
        for (size_t i = 0; i < n; i++)
                json_array_append(all, sorted[i]);
        *out = all;
        return 0;
}
