/* SPDX-License-Identifier: Apache-2.0 */
/* --privileged: every device node of the host, as Docker gives it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "container/spec-private.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Directories under /dev that hold no devices of the host's own, or that
 * the container gets fresh instances of (Docker skips the same). */
static bool skipped_dir(const char *name)
{
        static const char *const skip[] = {"pts",  "shm",         "fd",   "mqueue",
                                           ".lxc", ".lxd-mounts", ".udev"};
        for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
                if (strcmp(name, skip[i]) == 0)
                        return true;
        return false;
}

static int walk(int dfd, const char *host_prefix, const char *ctr_prefix, int depth, json_t *out,
                struct berth_error **err)
{
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (d == NULL) {
                close(dfd);
                return berth_err(err, errno, "reading %s", host_prefix);
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                struct stat st;
                /* No symlinks followed: each node is listed once, at its
                 * real name. */
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                _cleanup_free_ char *ctr = xasprintf("%s/%s", ctr_prefix, e->d_name);
                if (S_ISDIR(st.st_mode)) {
                        if (depth > 8 || skipped_dir(e->d_name))
                                continue;
                        int sub = openat(dirfd(d), e->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                continue;
                        _cleanup_free_ char *host = xasprintf("%s/%s", host_prefix, e->d_name);
                        if (walk(sub, host, ctr, depth + 1, out, err) < 0)
                                return berth_err_ret(*err);
                        continue;
                }
                if ((!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) ||
                    strcmp(ctr, "/dev/console") == 0)
                        continue;
                json_t *dev = json_object();
                json_object_set_new(dev, "path", json_string(ctr));
                json_object_set_new(dev, "type", json_string(S_ISCHR(st.st_mode) ? "c" : "b"));
                json_object_set_new(dev, "major", json_integer(major(st.st_rdev)));
                json_object_set_new(dev, "minor", json_integer(minor(st.st_rdev)));
                json_object_set_new(dev, "fileMode", json_integer(st.st_mode & 07777));
                json_object_set_new(dev, "uid", json_integer(st.st_uid));
                json_object_set_new(dev, "gid", json_integer(st.st_gid));
                json_array_append_new(out, dev);
        }
        return 0;
}

int container_spec_host_devices(const char *dev_dir, json_t **out, struct berth_error **err)
{
        int dfd = open(dev_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_err(err, errno, "opening %s", dev_dir);
        _cleanup_json_ json_t *list = json_array();
        if (walk(dfd, dev_dir, "/dev", 0, list, err) < 0)
                return berth_err_ret(*err);
        *out = steal_pointer(&list);
        return 0;
}
