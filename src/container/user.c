/* SPDX-License-Identifier: Apache-2.0 */
/* "user[:group]" to ids, from the image's /etc/passwd and /etc/group, with
 * the rules of moby/sys/user's GetExecUser that Docker runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "container/parse.h"
#include "container/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* An id as Atoi takes it; Docker's range for uids and gids. */
static bool parse_id(const char *s, int64_t *out)
{
        if (s[0] == '\0' || container_parse_int64(s, out, NULL) < 0)
                return false;
        return true;
}

/*
 * Read a database file of the rootfs.  It is opened inside the rootfs
 * (a symlinked /etc/passwd can't point at the host's) and must be a
 * regular file: a FIFO planted by the image would block us forever.
 * Returns 1 read, 0 absent or unopenable.
 */
static int read_db(int rootfd, const char *path, char **out, struct berth_error **err)
{
        _cleanup_error_ struct berth_error *e = NULL;
        _cleanup_close_ int fd = util_path_open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK, 0, &e);
        /* Docker treats a file it can't open as empty, whatever the
         * reason: then names fail to resolve and numeric ids still work. */
        if (fd < 0)
                return 0;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_err(err, errno, "stat of %s in the rootfs", path);
        if (!S_ISREG(st.st_mode))
                return berth_err(err, 0, "%s in the rootfs is not a regular file", path);
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = xmalloc(cap);
        for (;;) {
                if (len + 1 >= cap)
                        buf = xrealloc(buf, cap *= 2);
                ssize_t r = util_read_all(fd, buf + len, cap - len - 1);
                if (r < 0)
                        return berth_err(err, errno, "reading %s in the rootfs", path);
                if (r == 0)
                        break;
                len += (size_t)r;
        }
        buf[len] = '\0';
        *out = steal_pointer(&buf);
        return 1;
}

/* Split a line into up to n ':'-fields (in place); missing ones are "". */
static void fields(char *line, char **f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                f[i] = line;
                char *c = line ? strchr(line, ':') : NULL;
                if (line == NULL)
                        f[i] = "";
                if (c != NULL)
                        *c = '\0';
                line = c ? c + 1 : NULL;
        }
}

/* Iterate the non-empty, non-comment lines of db. */
static char *next_line(char **cursor)
{
        while (*cursor != NULL && **cursor != '\0') {
                char *line = *cursor, *nl = strchr(line, '\n');
                if (nl != NULL) {
                        *nl = '\0';
                        *cursor = nl + 1;
                } else {
                        *cursor = line + strlen(line);
                }
                while (*line == ' ' || *line == '\t')
                        line++;
                if (*line != '\0' && *line != '#')
                        return line;
        }
        return NULL;
}

void container_user_clear(struct container_user *u)
{
        free(u->additional_gids);
        free(u->home);
        *u = (struct container_user){0};
}

int container_user_resolve(int rootfd, const char *spec, struct container_user *out,
                           struct berth_error **err)
{
        const char *colon = strchr(spec, ':');
        _cleanup_free_ char *user_arg =
            colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
        const char *group_arg = colon ? colon + 1 : "";
        int64_t uid_arg = 0, gid_arg = 0;
        bool uid_numeric = parse_id(user_arg, &uid_arg);
        bool gid_numeric = parse_id(group_arg, &gid_arg);

        struct container_user u = {0};
        _cleanup_free_ char *home = xstrdup("/");
        _cleanup_free_ char *matched_name = NULL;

        _cleanup_free_ char *passwd = NULL;
        if (read_db(rootfd, "/etc/passwd", &passwd, err) < 0)
                return berth_err_ret(*err);
        bool matched = false;
        for (char *cur = passwd, *line; (line = next_line(&cur)) != NULL;) {
                char *f[7];
                int64_t id;
                fields(line, f, 7);
                bool hit = user_arg[0] == '\0' ? parse_id(f[2], &id) && id == 0
                           : uid_numeric       ? parse_id(f[2], &id) && id == uid_arg
                                               : strcmp(f[0], user_arg) == 0;
                if (!hit)
                        continue;
                int64_t uid = 0, gid = 0;
                parse_id(f[2], &uid);
                parse_id(f[3], &gid);
                u.uid = (uint32_t)uid;
                u.gid = (uint32_t)gid;
                free(home);
                home = xstrdup(f[5]);
                matched_name = xstrdup(f[0]);
                matched = true;
                break;
        }
        if (!matched && user_arg[0] != '\0') {
                if (!uid_numeric)
                        return berth_err(err, 0,
                                         "unable to find user %s: no matching entries in passwd "
                                         "file",
                                         user_arg);
                if (uid_arg < 0 || uid_arg > 2147483647)
                        return berth_err(err, 0, "uids and gids must be in range 0-2147483647");
                u.uid = (uint32_t)uid_arg;
        }

        /* Groups matter when a group is named, or when a passwd entry
         * matched (for its supplementary groups). */
        if (group_arg[0] != '\0' || matched) {
                _cleanup_free_ char *group = NULL;
                if (read_db(rootfd, "/etc/group", &group, err) < 0)
                        return berth_err_ret(*err);
                bool group_found = false;
                _cleanup_free_ uint32_t *sgids = NULL;
                size_t n_sgids = 0;
                for (char *cur = group, *line; (line = next_line(&cur)) != NULL;) {
                        char *f[4];
                        int64_t gid = 0;
                        fields(line, f, 4);
                        if (!parse_id(f[2], &gid))
                                gid = 0;
                        if (group_arg[0] != '\0') {
                                bool hit =
                                    gid_numeric ? gid == gid_arg : strcmp(f[0], group_arg) == 0;
                                if (hit && !group_found) {
                                        u.gid = (uint32_t)gid;
                                        group_found = true;
                                }
                                continue;
                        }
                        _cleanup_free_ char *members = xstrdup(f[3]);
                        char *p = members;
                        for (char *m = strsep(&p, ","); m != NULL; m = strsep(&p, ","))
                                if (strcmp(m, matched_name) == 0) {
                                        sgids = xrealloc(sgids, (n_sgids + 1) * sizeof(*sgids));
                                        sgids[n_sgids++] = (uint32_t)gid;
                                        break;
                                }
                }
                if (group_arg[0] != '\0' && !group_found) {
                        if (!gid_numeric)
                                return berth_err(err, 0,
                                                 "unable to find group %s: no matching entries "
                                                 "in group file",
                                                 group_arg);
                        if (gid_arg < 0 || gid_arg > 2147483647)
                                return berth_err(err, 0,
                                                 "uids and gids must be in range 0-2147483647");
                        u.gid = (uint32_t)gid_arg;
                }
                u.additional_gids = steal_pointer(&sgids);
                u.n_additional_gids = n_sgids;
        }
        u.home = steal_pointer(&home);
        *out = u;
        return 0;
}
