/* SPDX-License-Identifier: Apache-2.0 */
/* The host's cgroup hierarchies (from mountinfo), cgroupsPath checks, and
 * small helpers over cgroup control files. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char *const layout_names[] = {
    [CGROUP_LAYOUT_V1] = "v1", [CGROUP_LAYOUT_HYBRID] = "hybrid", [CGROUP_LAYOUT_V2] = "v2"};

const char *cgroup_layout_name(enum cgroup_layout l)
{
        return layout_names[l];
}

int cgroup_layout_from_name(const char *name, enum cgroup_layout *out)
{
        for (size_t i = 0; i < sizeof(layout_names) / sizeof(layout_names[0]); i++)
                if (strcmp(layout_names[i], name) == 0) {
                        *out = (enum cgroup_layout)i;
                        return 0;
                }
        return -EINVAL;
}

void cgroup_mounts_free(struct cgroup_mount *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(m[i].name);
                free(m[i].mount);
        }
        free(m);
}

/* Mount options of a v1 cgroup that are not controllers. */
static bool is_controller_option(const char *o, size_t len)
{
        static const char *const not_controllers[] = {
            "rw",   "ro",  "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods",
            "none", "all", NULL};
        if (len >= 14 && strncmp(o, "release_agent=", 14) == 0)
                return false;
        for (const char *const *p = not_controllers; *p != NULL; p++)
                if (strlen(*p) == len && strncmp(*p, o, len) == 0)
                        return false;
        return true;
}

/* "rw,cpu,cpuacct" -> "cpu,cpuacct". */
static char *controllers_of(const char *opts)
{
        _cleanup_free_ char *name = xstrdup("");
        for (const char *p = opts; *p != '\0';) {
                size_t len = strcspn(p, ",");
                if (len > 0 && is_controller_option(p, len)) {
                        char *next = xasprintf("%s%s%.*s", name, *name ? "," : "", (int)len, p);
                        free(name);
                        name = next;
                }
                p += len;
                if (*p == ',')
                        p++;
        }
        return steal_pointer(&name);
}

static bool below_cgroup_root(const char *mp)
{
        size_t n = strlen(CGROUP_ROOT);
        return strncmp(mp, CGROUP_ROOT, n) == 0 && (mp[n] == '\0' || mp[n] == '/');
}

int cgroup_layout_parse(const char *mountinfo, enum cgroup_layout *layout,
                        struct cgroup_mount **out, size_t *n, struct berth_error **err)
{
        struct cgroup_mount *m = NULL;
        size_t count = 0;
        ssize_t v2 = -1;
        bool v2_at_root = false;
        _cleanup_free_ char *copy = xstrdup(mountinfo);
        char *save = NULL;

        for (char *line = strtok_r(copy, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SRC SUPER" */
                char mp[4096], fstype[64], super[1024];
                const char *dash = strstr(line, " - ");
                if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
                    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
                        continue;
                /* Escaped names (\040) never occur below /sys/fs/cgroup
                 * on a sane host; skip rather than misparse them. */
                if (!below_cgroup_root(mp) || strchr(mp, '\\') != NULL)
                        continue;
                bool is_v2 = strcmp(fstype, "cgroup2") == 0;
                if (!is_v2 && strcmp(fstype, "cgroup") != 0)
                        continue;
                _cleanup_free_ char *name = is_v2 ? xstrdup("") : controllers_of(super);
                bool dup = false;
                for (size_t i = 0; i < count; i++)
                        dup |= m[i].v2 == is_v2 && strcmp(m[i].name, name) == 0;
                if (dup || (!is_v2 && *name == '\0'))
                        continue;
                if (is_v2) {
                        v2 = (ssize_t)count;
                        v2_at_root = strcmp(mp, CGROUP_ROOT) == 0;
                }
                m = xrealloc(m, (count + 1) * sizeof(*m));
                m[count++] = (struct cgroup_mount){
                    .name = steal_pointer(&name), .mount = xstrdup(mp), .v2 = is_v2};
        }

        if (v2 >= 0 && v2_at_root) {
                /* Pure v2: only the unified tree counts. */
                struct cgroup_mount keep = m[v2];
                m[v2] = m[0];
                m[0] = keep;
                for (size_t i = 1; i < count; i++) {
                        free(m[i].name);
                        free(m[i].mount);
                }
                count = 1;
                *layout = CGROUP_LAYOUT_V2;
        } else if (count > 0 && !(count == 1 && v2 == 0)) {
                *layout = v2 >= 0 ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_V1;
        } else if (count == 1) {
                /* A lone cgroup2 somewhere below /sys/fs/cgroup. */
                *layout = CGROUP_LAYOUT_V2;
        } else {
                free(m);
                return berth_err(err, ENOENT, "no cgroup hierarchy is mounted below %s",
                                 CGROUP_ROOT);
        }
        *out = m;
        *n = count;
        return 0;
}

int cgroup_path_normalize(const char *in, char **out, struct berth_error **err)
{
        _cleanup_free_ char *res = xstrdup("");
        for (const char *p = in; *p != '\0';) {
                size_t len = strcspn(p, "/");
                if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return berth_err(err, EINVAL,
                                         "cgroupsPath `%s`: \".\" and \"..\" are not allowed", in);
                for (size_t i = 0; i < len; i++)
                        if (p[i] == '\n' || p[i] == ':' || p[i] == '\\')
                                return berth_err(err, EINVAL, "cgroupsPath `%s`: invalid character",
                                                 in);
                if (len > 0) {
                        char *next = xasprintf("%s/%.*s", res, (int)len, p);
                        free(res);
                        res = next;
                }
                p += len;
                while (*p == '/')
                        p++;
        }
        if (*res == '\0')
                return berth_err(err, EINVAL, "cgroupsPath `%s`: names the root cgroup", in);
        *out = steal_pointer(&res);
        return 0;
}

/* A unit name part: what systemd accepts, minus anything path-like. */
static bool unit_name_ok(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
                    !(s[i] >= '0' && s[i] <= '9') && strchr("-_.@", s[i]) == NULL)
                        return false;
        return len > 0 && !(len == 1 && s[0] == '.') && !(len == 2 && s[0] == '.' && s[1] == '.');
}

int cgroup_path_from_systemd(const char *in, char **out, struct berth_error **err)
{
        const char *c1 = strchr(in, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL || strchr(c2 + 1, ':') != NULL)
                return berth_err(err, EINVAL,
                                 "cgroupsPath `%s`: expected a path or \"slice:prefix:name\"", in);
        size_t slen = (size_t)(c1 - in), plen = (size_t)(c2 - c1 - 1);
        const char *slice = slen > 0 ? in : "system.slice", *prefix = c1 + 1, *name = c2 + 1;
        if (slen == 0)
                slen = strlen(slice);
        if (!unit_name_ok(slice, slen) || slen < 7 || strncmp(slice + slen - 6, ".slice", 6) != 0 ||
            (plen > 0 && !unit_name_ok(prefix, plen)) || !unit_name_ok(name, strlen(name)))
                return berth_err(err, EINVAL, "cgroupsPath `%s`: not a valid systemd unit path",
                                 in);
        /* "a-b-c.slice" lives in "a.slice/a-b.slice/a-b-c.slice"; "-.slice"
         * is the root. */
        _cleanup_free_ char *res = xstrdup("");
        if (!(slen == 7 && slice[0] == '-')) {
                size_t base = slen - 6;
                if (slice[0] == '-' || slice[base - 1] == '-' ||
                    memmem(slice, base, "--", 2) != NULL)
                        return berth_err(err, EINVAL, "cgroupsPath `%s`: invalid slice name", in);
                for (size_t i = 0; i <= base; i++) {
                        if (i < base && slice[i] != '-')
                                continue;
                        char *next = xasprintf("%s/%.*s.slice", res, (int)i, slice);
                        free(res);
                        res = next;
                }
        }
        *out = plen > 0 ? xasprintf("%s/%.*s-%s.scope", res, (int)plen, prefix, name)
                        : xasprintf("%s/%s.scope", res, name);
        return 0;
}

int cgroup_write(const char *dir, const char *file, const char *value, struct berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        /* One write(2): the kernel parses each write as a whole value. */
        ssize_t w = write(fd, value, strlen(value));
        if (w < 0)
                return berth_err(err, errno, "writing `%s` to `%s`", value, path);
        if ((size_t)w != strlen(value))
                return berth_err(err, EIO, "writing `%s` to `%s`: short write", value, path);
        return 0;
}

int cgroup_write_int(const char *dir, const char *file, int64_t value, struct berth_error **err)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRId64, value);
        return cgroup_write(dir, file, buf, err);
}

bool cgroup_has_file(const char *dir, const char *file)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        return access(path, F_OK) == 0;
}

int cgroup_read(const char *dir, const char *file, char **out, struct berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        if (util_file_read(AT_FDCWD, path, &text, &len, err) < 0)
                return berth_err_ret(*err);
        while (len > 0 && text[len - 1] == '\n')
                text[--len] = '\0';
        *out = steal_pointer(&text);
        return 1;
}

int cgroup_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out,
                      struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read(dir, file, &text, err);
        if (r <= 0)
                return r;
        size_t klen = strlen(key);
        for (char *line = text; line != NULL && *line != '\0';) {
                char *nl = strchr(line, '\n');
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        *out = strtoull(line + klen + 1, NULL, 10);
                        return 1;
                }
                line = nl != NULL ? nl + 1 : NULL;
        }
        return 0;
}

int cgroup_read_u64(const char *dir, const char *file, uint64_t *out, struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read(dir, file, &text, err);
        if (r <= 0)
                return r;
        if (strcmp(text, "max") == 0) {
                *out = 0;
                return 1;
        }
        char *end;
        errno = 0;
        *out = strtoull(text, &end, 10);
        if (errno != 0 || end == text)
                return berth_err(err, EINVAL, "`%s/%s`: not a number: `%s`", dir, file, text);
        return 1;
}
