/* SPDX-License-Identifier: Apache-2.0 */
/* -v, --mount and --tmpfs, with Docker's rules (moby's volume/mounts
 * linux parser and the CLI's opts/mount.go) and their messages. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "container/options.h"
#include "container/parse.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

bool container_volume_name_valid(const char *name)
{
        if (!isalnum((unsigned char)name[0]) || name[1] == '\0')
                return false;
        for (const char *p = name + 1; *p != '\0'; p++)
                if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
                        return false;
        return true;
}

void container_mount_clear(struct container_mount *m)
{
        free(m->source);
        free(m->target);
        free(m->propagation);
        free(m->relabel);
        strv_free(m->volume_opts);
        free(m->tmpfs_data);
        *m = (struct container_mount){0};
}

static const char *type_name(enum container_mount_type t)
{
        return t == CONTAINER_MOUNT_BIND     ? "bind"
               : t == CONTAINER_MOUNT_VOLUME ? "volume"
                                             : "tmpfs";
}

static bool is_propagation(const char *s)
{
        static const char *const modes[] = {"private", "rprivate", "shared",
                                            "rshared", "slave",    "rslave"};
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
                if (strcmp(s, modes[i]) == 0)
                        return true;
        return false;
}

/* The checks of moby's validateMountConfig that need no host access; a
 * missing bind source is for container_options_validate(). */
int container_mount_check(const struct container_mount *m, struct berth_error **err)
{
        const char *t = type_name(m->type);
        if (m->target == NULL || m->target[0] != '/')
                return berth_err(err, 0,
                                 "invalid mount config for type \"%s\": invalid mount path: '%s' "
                                 "mount path must be absolute",
                                 t, m->target ? m->target : "");
        _cleanup_free_ char *clean = container_path_clean(m->target);
        if (strcmp(clean, "/") == 0)
                return berth_err(err, 0, "invalid specification: destination can't be '/'");
        switch (m->type) {
        case CONTAINER_MOUNT_BIND:
                if (m->source == NULL || m->source[0] == '\0')
                        return berth_err(err, 0,
                                         "invalid mount config for type \"bind\": field Source "
                                         "must not be empty");
                if (m->source[0] != '/')
                        return berth_err(err, 0,
                                         "invalid mount config for type \"bind\": invalid mount "
                                         "path: '%s' mount path must be absolute",
                                         m->source);
                if (m->nocopy || m->volume_opts != NULL)
                        return berth_err(err, 0,
                                         "invalid mount config for type \"bind\": field "
                                         "VolumeOptions must not be specified");
                if (m->propagation != NULL && !is_propagation(m->propagation))
                        return berth_err(err, 0,
                                         "invalid mount config for type \"bind\": invalid "
                                         "propagation mode: %s",
                                         m->propagation);
                break;
        case CONTAINER_MOUNT_VOLUME:
                if (m->propagation != NULL)
                        return berth_err(err, 0,
                                         "invalid mount config for type \"volume\": field "
                                         "BindOptions must not be specified");
                if (m->source != NULL && !container_volume_name_valid(m->source))
                        return berth_err(err, 0,
                                         "create %s: \"%s\" includes invalid characters for a "
                                         "local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" "
                                         "are allowed. If you intended to pass a host directory, "
                                         "use absolute path",
                                         m->source, m->source);
                break;
        case CONTAINER_MOUNT_TMPFS:
                if (m->source != NULL)
                        return berth_err(err, 0,
                                         "invalid mount config for type \"tmpfs\": field Source "
                                         "must not be specified");
                break;
        }
        return 0;
}

/* Paths as Docker stores them: cleaned (after the checks, whose messages
 * show them as given). */
void container_mount_clean_paths(struct container_mount *m)
{
        char *t = container_path_clean(m->target);
        free(m->target);
        m->target = t;
        if (m->type == CONTAINER_MOUNT_BIND) {
                char *src = container_path_clean(m->source);
                free(m->source);
                m->source = src;
        }
}

/* moby's ValidMountMode: comma-separated, at most one of each kind. */
static int apply_mode(struct container_mount *m, const char *mode, bool *copy_set)
{
        _cleanup_free_ char *copy = xstrdup(mode);
        char *p = copy;
        int rw = 0, label = 0, prop = 0, cp = 0, consistency = 0;
        if (mode[0] == '\0')
                return 0;
        for (char *o = strsep(&p, ","); o != NULL; o = strsep(&p, ",")) {
                if (strcmp(o, "rw") == 0 || strcmp(o, "ro") == 0) {
                        rw++;
                        m->readonly = strcmp(o, "ro") == 0;
                } else if (strcmp(o, "z") == 0 || strcmp(o, "Z") == 0) {
                        label++;
                        m->relabel = xstrdup(o);
                } else if (is_propagation(o)) {
                        prop++;
                        m->propagation = xstrdup(o);
                } else if (strcmp(o, "nocopy") == 0) {
                        cp++;
                        m->nocopy = true;
                        *copy_set = true;
                } else if (strcmp(o, "consistent") == 0 || strcmp(o, "cached") == 0 ||
                           strcmp(o, "delegated") == 0) {
                        consistency++;
                } else {
                        return -1;
                }
        }
        return rw > 1 || label > 1 || prop > 1 || cp > 1 || consistency > 1 ? -1 : 0;
}

int container_parse_volume(const char *s, struct container_mount *out, struct berth_error **err)
{
        _cleanup_free_ char *copy = xstrdup(s);
        char *arr[4] = {0}, *p = copy;
        size_t n = 0;
        for (char *f = strsep(&p, ":"); f != NULL; f = strsep(&p, ":"), n++)
                if (n < 4)
                        arr[n] = f;
        if (n > 3 || arr[0][0] == '\0')
                return berth_err(err, 0, "invalid volume specification: '%s'", s);

        struct container_mount m = {.type = CONTAINER_MOUNT_VOLUME, .from_volume_flag = true};
        const char *mode = "";
        bool copy_set = false;
        if (n == 1) {
                m.target = xstrdup(arr[0]);
        } else {
                if (n == 2) {
                        /* "/foo:rw" is a destination with a mode, which a
                         * volume can't have. */
                        struct container_mount probe = {0};
                        bool cs = false;
                        int bad = apply_mode(&probe, arr[1], &cs);
                        container_mount_clear(&probe);
                        if (bad == 0)
                                return berth_err(err, 0, "invalid volume specification: '%s'", s);
                } else {
                        mode = arr[2];
                }
                m.source = xstrdup(arr[0]);
                m.target = xstrdup(arr[1]);
                if (m.source[0] == '/')
                        m.type = CONTAINER_MOUNT_BIND;
        }
        if (apply_mode(&m, mode, &copy_set) < 0) {
                container_mount_clear(&m);
                return berth_err(err, 0, "invalid mode: %s", mode);
        }
        int r = container_mount_check(&m, err);
        if (r < 0) {
                container_mount_clear(&m);
                return r;
        }
        container_mount_clean_paths(&m);
        *out = m;
        return 0;
}

/* Go's encoding/csv for one record: fields split on ',', a field may be
 * double-quoted with "" for a quote. */
static int csv_fields(const char *s, char ***out, struct berth_error **err)
{
        _cleanup_strv_ char **fields = xcalloc(1, sizeof(char *));
        _cleanup_free_ char *buf = xmalloc(strlen(s) + 1);
        const char *p = s;
        for (;;) {
                size_t n = 0;
                if (*p == '"') {
                        for (p++;; p++) {
                                if (*p == '\0')
                                        return berth_err(err, 0,
                                                         "parse error on line 1, column %zu: "
                                                         "extraneous or missing \" in quoted-field",
                                                         (size_t)(p - s) + 1);
                                if (*p == '"' && p[1] == '"') {
                                        buf[n++] = '"';
                                        p++;
                                } else if (*p == '"') {
                                        p++;
                                        break;
                                } else {
                                        buf[n++] = *p;
                                }
                        }
                        if (*p != ',' && *p != '\0')
                                return berth_err(err, 0,
                                                 "parse error on line 1, column %zu: extraneous "
                                                 "or missing \" in quoted-field",
                                                 (size_t)(p - s) + 1);
                } else {
                        while (*p != ',' && *p != '\0') {
                                if (*p == '"')
                                        return berth_err(err, 0,
                                                         "parse error on line 1, column %zu: "
                                                         "bare \" in non-quoted-field",
                                                         (size_t)(p - s) + 1);
                                buf[n++] = *p++;
                        }
                }
                buf[n] = '\0';
                strv_append(&fields, buf);
                if (*p == '\0')
                        break;
                p++;
        }
        *out = steal_pointer(&fields);
        return 0;
}

static int bool_value(const char *key, const char *val, bool *out, struct berth_error **err)
{
        if (val == NULL) {
                *out = true;
                return 0;
        }
        /* The CLI's parseBoolValue: a few spellings only. */
        if (strcasecmp(val, "1") == 0 || strcasecmp(val, "true") == 0)
                *out = true;
        else if (strcasecmp(val, "0") == 0 || strcasecmp(val, "false") == 0)
                *out = false;
        else
                return berth_err(err, 0, "invalid value for %s: %s", key, val);
        return 0;
}

int container_parse_mount(const char *s, struct container_mount *out, struct berth_error **err)
{
        _cleanup_strv_ char **fields = NULL;
        if (csv_fields(s, &fields, err) < 0)
                return berth_err_ret(*err);

        struct container_mount m = {.type = CONTAINER_MOUNT_VOLUME};
        _cleanup_free_ char *type = xstrdup("volume");
        bool bind_opts = false, volume_opts = false, tmpfs_opts = false;
        int r = 0;
        for (size_t i = 0; fields[i] != NULL && r == 0; i++) {
                char *field = fields[i], *eq = strchr(field, '=');
                _cleanup_free_ char *key =
                    eq ? xstrndup(field, (size_t)(eq - field)) : xstrdup(field);
                const char *val = eq ? eq + 1 : NULL;
                for (char *k = key; *k != '\0'; k++)
                        *k = (char)tolower((unsigned char)*k);
                if (val == NULL && strcmp(key, "readonly") != 0 && strcmp(key, "ro") != 0 &&
                    strcmp(key, "volume-nocopy") != 0 && strcmp(key, "bind-nonrecursive") != 0) {
                        r = berth_err(err, 0, "invalid field '%s' must be a key=value pair", field);
                        break;
                }
                if (strcmp(key, "type") == 0) {
                        free(type);
                        type = xstrdup(val);
                        for (char *k = type; *k != '\0'; k++)
                                *k = (char)tolower((unsigned char)*k);
                } else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
                        free(m.source);
                        m.source = val[0] != '\0' ? xstrdup(val) : NULL;
                } else if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 ||
                           strcmp(key, "destination") == 0) {
                        free(m.target);
                        m.target = xstrdup(val);
                } else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
                        r = bool_value(key, val, &m.readonly, err);
                } else if (strcmp(key, "consistency") == 0) {
                        /* accepted, meaningless on Linux */
                } else if (strcmp(key, "bind-propagation") == 0) {
                        bind_opts = true;
                        free(m.propagation);
                        m.propagation = xstrdup(val);
                        for (char *k = m.propagation; *k != '\0'; k++)
                                *k = (char)tolower((unsigned char)*k);
                } else if (strcmp(key, "bind-nonrecursive") == 0) {
                        bind_opts = true;
                        r = bool_value(key, val, &m.nonrecursive, err);
                } else if (strcmp(key, "volume-nocopy") == 0) {
                        volume_opts = true;
                        r = bool_value(key, val, &m.nocopy, err);
                } else if (strcmp(key, "volume-opt") == 0) {
                        volume_opts = true;
                        strv_append(&m.volume_opts, val);
                } else if (strcmp(key, "volume-driver") == 0 || strcmp(key, "volume-label") == 0 ||
                           strcmp(key, "volume-subpath") == 0) {
                        volume_opts = true;
                        if (strcmp(key, "volume-driver") == 0 && strcmp(val, "local") != 0)
                                r = berth_err(err, 0, "volume driver %s is not supported", val);
                        if (strcmp(key, "volume-subpath") == 0)
                                r = berth_err(err, 0, "volume-subpath is not supported");
                } else if (strcmp(key, "tmpfs-size") == 0) {
                        tmpfs_opts = true;
                        if (container_parse_size(val, &m.tmpfs_size, NULL) < 0)
                                r = berth_err(err, 0, "invalid value for %s: %s", key, val);
                } else if (strcmp(key, "tmpfs-mode") == 0) {
                        tmpfs_opts = true;
                        char *end = NULL;
                        errno = 0;
                        unsigned long v = strtoul(val, &end, 8);
                        if (val[0] == '\0' || val[0] == '-' || val[0] == '+' || *end != '\0' ||
                            errno != 0 || v > 0xffffffffUL)
                                r = berth_err(err, 0, "invalid value for %s: %s", key, val);
                        m.tmpfs_mode = (uint32_t)v;
                } else {
                        r = berth_err(err, 0, "unexpected key '%s' in '%s'", key, field);
                }
        }
        if (r == 0) {
                if (strcmp(type, "bind") == 0)
                        m.type = CONTAINER_MOUNT_BIND;
                else if (strcmp(type, "volume") == 0)
                        m.type = CONTAINER_MOUNT_VOLUME;
                else if (strcmp(type, "tmpfs") == 0)
                        m.type = CONTAINER_MOUNT_TMPFS;
                else if (type[0] == '\0')
                        r = berth_err(err, 0, "type is required");
                else
                        r = berth_err(err, 0,
                                      "invalid mount config for type \"%s\": mount type unknown",
                                      type);
        }
        if (r == 0 && (m.target == NULL || m.target[0] == '\0'))
                r = berth_err(err, 0, "target is required");
        if (r == 0 && volume_opts && m.type != CONTAINER_MOUNT_VOLUME)
                r = berth_err(err, 0, "cannot mix 'volume-*' options with mount type '%s'", type);
        if (r == 0 && bind_opts && m.type != CONTAINER_MOUNT_BIND)
                r = berth_err(err, 0, "cannot mix 'bind-*' options with mount type '%s'", type);
        if (r == 0 && tmpfs_opts && m.type != CONTAINER_MOUNT_TMPFS)
                r = berth_err(err, 0, "cannot mix 'tmpfs-*' options with mount type '%s'", type);
        if (r == 0)
                r = container_mount_check(&m, err);
        if (r < 0) {
                container_mount_clear(&m);
                return r;
        }
        container_mount_clean_paths(&m);
        *out = m;
        return 0;
}

/* The option words tmpfs(5) and mount(8) take, as moby's
 * ParseTmpfsOptions accepts them. */
static bool tmpfs_option_valid(const char *o)
{
        static const char *const flags[] = {
            "defaults",   "ro",         "rw",          "suid",        "nosuid",        "dev",
            "nodev",      "exec",       "noexec",      "sync",        "async",         "dirsync",
            "remount",    "mand",       "nomand",      "atime",       "noatime",       "diratime",
            "nodiratime", "relatime",   "norelatime",  "strictatime", "nostrictatime", "bind",
            "rbind",      "private",    "rprivate",    "shared",      "rshared",       "slave",
            "rslave",     "unbindable", "runbindable", "tmpcopyup",
        };
        static const char *const data[] = {
            "size=", "mode=", "uid=", "gid=", "nr_inodes=", "nr_blocks=", "mpol="};
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (strcmp(o, flags[i]) == 0)
                        return true;
        for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
                if (strncmp(o, data[i], strlen(data[i])) == 0 && o[strlen(data[i])] != '\0')
                        return true;
        return false;
}

int container_parse_tmpfs(const char *s, struct container_mount *out, struct berth_error **err)
{
        const char *colon = strchr(s, ':');
        struct container_mount m = {.type = CONTAINER_MOUNT_TMPFS};
        m.target = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
        if (colon != NULL && colon[1] != '\0') {
                _cleanup_free_ char *copy = xstrdup(colon + 1);
                char *p = copy;
                for (char *o = strsep(&p, ","); o != NULL; o = strsep(&p, ",")) {
                        if (!tmpfs_option_valid(o)) {
                                container_mount_clear(&m);
                                return berth_err(err, 0, "invalid tmpfs option [\"%s\"]", o);
                        }
                        if (strcmp(o, "ro") == 0)
                                m.readonly = true;
                        else if (strcmp(o, "rw") == 0)
                                m.readonly = false;
                }
                m.tmpfs_data = xstrdup(colon + 1);
        }
        int r = container_mount_check(&m, err);
        if (r < 0) {
                container_mount_clear(&m);
                return r;
        }
        container_mount_clean_paths(&m);
        *out = m;
        return 0;
}
