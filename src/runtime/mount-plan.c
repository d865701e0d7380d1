/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "runtime/mount-plan.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const struct {
        const char *name;
        bool clear; /* the option turns the flag off */
        unsigned long flag;
} option_table[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
};

static const struct {
        const char *name;
        unsigned long flag;
} propagation_table[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int runtime_mount_options_parse(char *const *options, struct runtime_mount_step *s,
                                struct berth_error **err)
{
        _cleanup_free_ char *data = NULL;
        for (char *const *o = options; o && *o; o++) {
                bool known = false;
                if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0) {
                        s->kind = MOUNT_STEP_BIND;
                        s->recursive = s->recursive || (*o)[0] == 'r';
                        continue;
                }
                for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++) {
                        if (strcmp(*o, option_table[i].name) != 0)
                                continue;
                        if (option_table[i].clear) {
                                s->flags &= ~option_table[i].flag;
                                s->clear_flags |= option_table[i].flag;
                        } else {
                                s->flags |= option_table[i].flag;
                                s->clear_flags &= ~option_table[i].flag;
                        }
                        known = true;
                }
                for (size_t i = 0; i < sizeof(propagation_table) / sizeof(propagation_table[0]);
                     i++) {
                        if (strcmp(*o, propagation_table[i].name) == 0) {
                                s->propagation = propagation_table[i].flag;
                                known = true;
                        }
                }
                if (known)
                        continue;
                /* Mount-API-only options that a plain mount(2) cannot do. */
                if (strcmp(*o, "idmap") == 0 || strcmp(*o, "ridmap") == 0 ||
                    strncmp(*o, "rro", 3) == 0)
                        return berth_err(err, 0, "mount option `%s` is not supported", *o);
                /* Everything else is for the filesystem (mode=, size=, newinstance...). */
                if (data == NULL) {
                        data = xstrdup(*o);
                } else {
                        char *n = xasprintf("%s,%s", data, *o);
                        free(data);
                        data = n;
                }
        }
        free(s->data);
        s->data = steal_pointer(&data);
        return 0;
}

static char *clean_path(const char *p)
{
        /* Collapse "//" and a trailing "/" so that "/dev/" matches "/dev". */
        char *r = xmalloc(strlen(p) + 2);
        size_t n = 0;
        for (const char *s = p; *s; s++) {
                if (*s == '/' && n > 0 && r[n - 1] == '/')
                        continue;
                r[n++] = *s;
        }
        if (n > 1 && r[n - 1] == '/')
                n--;
        r[n] = '\0';
        return r;
}

int runtime_mount_plan_build(const struct runtime_config *c, const char *bundle,
                             struct runtime_mount_plan **out, struct berth_error **err)
{
        struct runtime_mount_plan *p = xcalloc(1, sizeof(*p));
        p->steps = xcalloc(c->n_mounts + 1, sizeof(*p->steps));
        for (size_t i = 0; i < c->n_mounts; i++) {
                const struct runtime_mount *m = &c->mounts[i];
                struct runtime_mount_step *s = &p->steps[p->n++];
                s->destination = clean_path(m->destination);
                s->fstype = xstrdup(m->type ? m->type : "none");
                s->kind = strcmp(s->fstype, "bind") == 0 ? MOUNT_STEP_BIND : MOUNT_STEP_FS;
                int r = runtime_mount_options_parse(m->options, s, err);
                if (r < 0) {
                        runtime_mount_plan_free(p);
                        return berth_err_wrap(err, "mount `%s`", m->destination);
                }
                if (s->kind == MOUNT_STEP_FS && strcmp(s->fstype, "cgroup") == 0)
                        s->kind = MOUNT_STEP_CGROUP;
                if (s->kind == MOUNT_STEP_BIND) {
                        if (m->source == NULL) {
                                runtime_mount_plan_free(p);
                                return berth_err(err, 0, "mount `%s`: a bind needs a source",
                                                 m->destination);
                        }
                        s->source = m->source[0] == '/' ? xstrdup(m->source)
                                                        : xasprintf("%s/%s", bundle, m->source);
                        struct stat st;
                        /* A missing source fails here, before anything exists. */
                        if (stat(s->source, &st) < 0) {
                                int e = errno;
                                runtime_mount_plan_free(p);
                                return berth_err(err, e, "mount `%s`: source `%s`", m->destination,
                                                 m->source);
                        }
                        s->source_is_dir = S_ISDIR(st.st_mode);
                } else {
                        s->source = xstrdup(m->source ? m->source : s->fstype);
                        s->source_is_dir = true;
                }
                if (strcmp(s->destination, "/dev") == 0) {
                        p->has_dev_mount = true;
                        p->dev_is_bind = s->kind == MOUNT_STEP_BIND;
                }
        }
        *out = p;
        return 0;
}

void runtime_mount_plan_free(struct runtime_mount_plan *p)
{
        if (p == NULL)
                return;
        for (size_t i = 0; i < p->n; i++) {
                free(p->steps[i].source);
                free(p->steps[i].destination);
                free(p->steps[i].fstype);
                free(p->steps[i].data);
        }
        free(p->steps);
        free(p);
}
