/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Each parser takes `what` (the document's name) and builds precise field
 * names from it: "config.json: linux.namespaces[2].type". */

static int bad(struct berth_error **err, const char *what, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(struct berth_error **err, const char *what, const char *field, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        return berth_err(err, 0, "%s: %s: %s", what, field, msg);
}

/* A uint32 field (ids, sizes); 1 present, 0 absent. */
static int get_u32(json_t *obj, const char *key, const char *what, const char *field, uint32_t *out,
                   struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
                return bad(err, what, field, "expected an unsigned 32-bit integer");
        *out = (uint32_t)json_integer_value(v);
        return 1;
}

static int get_i64(json_t *obj, const char *key, const char *what, const char *field, int64_t *out,
                   struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return bad(err, what, field, "expected an integer");
        *out = json_integer_value(v);
        return 1;
}

static int get_bool(json_t *obj, const char *key, const char *what, const char *field, bool *out,
                    struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return bad(err, what, field, "expected a boolean");
        *out = json_is_true(v);
        return 1;
}

static int get_str(json_t *obj, const char *key, const char *what, const char *field, char **out,
                   struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return bad(err, what, field, "expected a string");
        free(*out);
        *out = xstrdup(json_string_value(v));
        return 1;
}

static int get_strv(json_t *obj, const char *key, const char *what, const char *field, char ***out,
                    struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return bad(err, what, field, "expected an array of strings");
        char **r = xcalloc(json_array_size(v) + 1, sizeof(char *));
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
                if (!json_is_string(e)) {
                        strv_free(r);
                        return bad(err, what, field, "expected an array of strings");
                }
                r[i] = xstrdup(json_string_value(e));
        }
        strv_free(*out);
        *out = r;
        return 1;
}

/* An optional member that must be an object when present. */
static int get_obj(json_t *obj, const char *key, const char *what, const char *field, json_t **out,
                   struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        *out = NULL;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return bad(err, what, field, "expected an object");
        *out = v;
        return 1;
}

static int get_arr(json_t *obj, const char *key, const char *what, const char *field, json_t **out,
                   struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        *out = NULL;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return bad(err, what, field, "expected an array");
        *out = v;
        return 1;
}

int runtime_cap_parse(const char *name)
{
        if (strncasecmp(name, "CAP_", 4) != 0)
                return -1;
        _cleanup_free_ char *lower = xstrdup(name);
        for (char *p = lower; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        cap_value_t v;
        if (cap_from_name(lower, &v) < 0 || v < 0 || v > 63)
                return -1;
        return (int)v;
}

static int parse_capset(json_t *caps, const char *key, const char *what, uint64_t *out,
                        struct berth_error **err)
{
        _cleanup_free_ char *field = xasprintf("process.capabilities.%s", key);
        _cleanup_strv_ char **names = NULL;
        int r = get_strv(caps, key, what, field, &names, err);
        if (r <= 0)
                return r;
        for (char **n = names; *n; n++) {
                int c = runtime_cap_parse(*n);
                if (c < 0)
                        return bad(err, what, field, "unknown capability `%s`", *n);
                *out |= 1ULL << c;
        }
        return 0;
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(json_t *arr, const char *what, struct runtime_process *p,
                         struct berth_error **err)
{
        p->rlimits = xcalloc(json_array_size(arr) + 1, sizeof(*p->rlimits));
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
                _cleanup_free_ char *field = xasprintf("process.rlimits[%zu]", i);
                if (!json_is_object(e))
                        return bad(err, what, field, "expected an object");
                const char *type = NULL;
                json_t *t = json_object_get(e, "type");
                if (json_is_string(t))
                        type = json_string_value(t);
                int res = -1;
                for (size_t k = 0; type && k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
                        if (strcmp(type, rlimit_names[k].name) == 0)
                                res = rlimit_names[k].resource;
                if (res < 0)
                        return bad(err, what, field, "unknown rlimit type `%s`",
                                   type ? type : "(missing)");
                json_t *soft = json_object_get(e, "soft"), *hard = json_object_get(e, "hard");
                if (!json_is_integer(soft) || !json_is_integer(hard))
                        return bad(err, what, field, "expected integer soft and hard");
                struct runtime_rlimit *rl = &p->rlimits[p->n_rlimits++];
                rl->resource = res;
                rl->soft = (uint64_t)json_integer_value(soft);
                rl->hard = (uint64_t)json_integer_value(hard);
        }
        return 0;
}

int runtime_process_parse(json_t *obj, const char *what, struct runtime_process **out,
                          struct berth_error **err)
{
        if (!json_is_object(obj))
                return bad(err, what, "process", "expected an object");
        struct runtime_process *p = xcalloc(1, sizeof(*p));
        int r;
        json_t *user, *caps, *rlimits, *v;
        if ((r = get_bool(obj, "terminal", what, "process.terminal", &p->terminal, err)) < 0)
                goto fail;
        if ((r = get_obj(obj, "consoleSize", what, "process.consoleSize", &v, err)) < 0)
                goto fail;
        if (v != NULL) {
                uint32_t rows = 0, cols = 0;
                if ((r = get_u32(v, "height", what, "process.consoleSize.height", &rows, err)) <
                        0 ||
                    (r = get_u32(v, "width", what, "process.consoleSize.width", &cols, err)) < 0)
                        goto fail;
                p->console_rows = rows;
                p->console_cols = cols;
        }
        if ((r = get_str(obj, "cwd", what, "process.cwd", &p->cwd, err)) < 0)
                goto fail;
        if (r == 0 || p->cwd[0] != '/') {
                r = bad(err, what, "process.cwd", "expected an absolute path");
                goto fail;
        }
        if ((r = get_strv(obj, "args", what, "process.args", &p->args, err)) < 0)
                goto fail;
        if (p->args == NULL || p->args[0] == NULL) {
                r = bad(err, what, "process.args", "expected a non-empty array of strings");
                goto fail;
        }
        if ((r = get_strv(obj, "env", what, "process.env", &p->env, err)) < 0)
                goto fail;
        for (char **e = p->env; e && *e; e++) {
                if (strchr(*e, '=') == NULL || **e == '=') {
                        r = bad(err, what, "process.env", "expected KEY=VALUE, got `%s`", *e);
                        goto fail;
                }
        }
        if ((r = get_obj(obj, "user", what, "process.user", &user, err)) < 0)
                goto fail;
        if (user != NULL) {
                uint32_t u = 0, g = 0, m;
                if ((r = get_u32(user, "uid", what, "process.user.uid", &u, err)) < 0 ||
                    (r = get_u32(user, "gid", what, "process.user.gid", &g, err)) < 0)
                        goto fail;
                p->uid = u;
                p->gid = g;
                if ((r = get_u32(user, "umask", what, "process.user.umask", &m, err)) < 0)
                        goto fail;
                if (r > 0) {
                        p->has_umask = true;
                        p->umask = (mode_t)(m & 0777);
                }
                json_t *ag;
                if ((r = get_arr(user, "additionalGids", what, "process.user.additionalGids", &ag,
                                 err)) < 0)
                        goto fail;
                if (ag != NULL) {
                        p->additional_gids = xcalloc(json_array_size(ag) + 1, sizeof(gid_t));
                        size_t i;
                        json_array_foreach(ag, i, v)
                        {
                                if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                                    json_integer_value(v) > UINT32_MAX) {
                                        r = bad(err, what, "process.user.additionalGids",
                                                "expected unsigned integers");
                                        goto fail;
                                }
                                p->additional_gids[p->n_additional_gids++] =
                                    (gid_t)json_integer_value(v);
                        }
                }
        }
        if ((r = get_obj(obj, "capabilities", what, "process.capabilities", &caps, err)) < 0)
                goto fail;
        if (caps != NULL) {
                p->has_caps = true;
                if ((r = parse_capset(caps, "bounding", what, &p->caps.bounding, err)) < 0 ||
                    (r = parse_capset(caps, "effective", what, &p->caps.effective, err)) < 0 ||
                    (r = parse_capset(caps, "inheritable", what, &p->caps.inheritable, err)) < 0 ||
                    (r = parse_capset(caps, "permitted", what, &p->caps.permitted, err)) < 0 ||
                    (r = parse_capset(caps, "ambient", what, &p->caps.ambient, err)) < 0)
                        goto fail;
        }
        if ((r = get_arr(obj, "rlimits", what, "process.rlimits", &rlimits, err)) < 0)
                goto fail;
        if (rlimits != NULL && (r = parse_rlimits(rlimits, what, p, err)) < 0)
                goto fail;
        if ((r = get_bool(obj, "noNewPrivileges", what, "process.noNewPrivileges",
                          &p->no_new_privileges, err)) < 0)
                goto fail;
        int64_t oom = 0;
        if ((r = get_i64(obj, "oomScoreAdj", what, "process.oomScoreAdj", &oom, err)) < 0)
                goto fail;
        if (r > 0) {
                if (oom < -1000 || oom > 1000) {
                        r = bad(err, what, "process.oomScoreAdj", "expected -1000..1000");
                        goto fail;
                }
                p->has_oom_score_adj = true;
                p->oom_score_adj = (int)oom;
        }
        *out = p;
        return 0;
fail:
        runtime_process_free(p);
        return r;
}

void runtime_process_free(struct runtime_process *p)
{
        if (p == NULL)
                return;
        free(p->cwd);
        strv_free(p->args);
        strv_free(p->env);
        free(p->additional_gids);
        free(p->rlimits);
        free(p);
}

static const struct {
        const char *name; /* config.json */
        const char *proc; /* /proc/PID/ns */
        int flag;
} ns_table[RUNTIME_NS_KINDS] = {
    [RUNTIME_NS_USER] = {"user", "user", CLONE_NEWUSER},
    [RUNTIME_NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [RUNTIME_NS_NET] = {"network", "net", CLONE_NEWNET},
    [RUNTIME_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [RUNTIME_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [RUNTIME_NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},
    [RUNTIME_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [RUNTIME_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int runtime_ns_flag(enum runtime_ns_kind kind)
{
        return ns_table[kind].flag;
}

const char *runtime_ns_proc_name(enum runtime_ns_kind kind)
{
        return ns_table[kind].proc;
}

static int parse_namespaces(json_t *arr, const char *what, struct runtime_config *c,
                            struct berth_error **err)
{
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
                _cleanup_free_ char *field = xasprintf("linux.namespaces[%zu]", i);
                if (!json_is_object(e))
                        return bad(err, what, field, "expected an object");
                json_t *t = json_object_get(e, "type");
                if (!json_is_string(t))
                        return bad(err, what, field, "expected a string `type`");
                int kind = -1;
                for (int k = 0; k < RUNTIME_NS_KINDS; k++)
                        if (strcmp(json_string_value(t), ns_table[k].name) == 0)
                                kind = k;
                if (kind < 0)
                        return bad(err, what, field, "unknown namespace type `%s`",
                                   json_string_value(t));
                if (c->ns[kind].enabled)
                        return bad(err, what, field, "duplicate namespace type `%s`",
                                   json_string_value(t));
                c->ns[kind].enabled = true;
                int r = get_str(e, "path", what, field, &c->ns[kind].path, err);
                if (r < 0)
                        return r;
                if (r > 0 && c->ns[kind].path[0] != '/')
                        return bad(err, what, field, "path must be absolute");
        }
        return 0;
}

static int parse_idmaps(json_t *arr, const char *what, const char *key, struct runtime_id_map **out,
                        size_t *n, struct berth_error **err)
{
        *out = xcalloc(json_array_size(arr) + 1, sizeof(**out));
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
                _cleanup_free_ char *field = xasprintf("linux.%s[%zu]", key, i);
                struct runtime_id_map *m = &(*out)[i];
                if (!json_is_object(e))
                        return bad(err, what, field, "expected an object");
                int a, b, s;
                if ((a = get_u32(e, "containerID", what, field, &m->container_id, err)) < 0 ||
                    (b = get_u32(e, "hostID", what, field, &m->host_id, err)) < 0 ||
                    (s = get_u32(e, "size", what, field, &m->size, err)) < 0)
                        return -EINVAL;
                if (!a || !b || !s)
                        return bad(err, what, field, "expected containerID, hostID and size");
                *n = i + 1;
        }
        return 0;
}

static int parse_devices(json_t *arr, const char *what, struct runtime_config *c,
                         struct berth_error **err)
{
        c->devices = xcalloc(json_array_size(arr) + 1, sizeof(*c->devices));
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
                _cleanup_free_ char *field = xasprintf("linux.devices[%zu]", i);
                if (!json_is_object(e))
                        return bad(err, what, field, "expected an object");
                struct runtime_device *d = &c->devices[c->n_devices++];
                d->mode = 0666;
                if (get_str(e, "path", what, field, &d->path, err) <= 0 || d->path[0] != '/')
                        return bad(err, what, field, "expected an absolute `path`");
                const char *type = json_string_value(json_object_get(e, "type"));
                if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
                        return bad(err, what, field, "expected `type` c, b, u or p");
                d->type = type[0];
                d->major = d->minor = 0;
                if (d->type != 'p' && (get_i64(e, "major", what, field, &d->major, err) <= 0 ||
                                       get_i64(e, "minor", what, field, &d->minor, err) <= 0))
                        return bad(err, what, field, "expected integer `major` and `minor`");
                uint32_t v;
                int r;
                if ((r = get_u32(e, "fileMode", what, field, &v, err)) < 0)
                        return r;
                if (r > 0)
                        d->mode = (mode_t)(v & 07777);
                if ((r = get_u32(e, "uid", what, field, &v, err)) < 0)
                        return r;
                d->uid = r > 0 ? v : 0;
                if ((r = get_u32(e, "gid", what, field, &v, err)) < 0)
                        return r;
                d->gid = r > 0 ? v : 0;
        }
        return 0;
}

/* A string->string object into two parallel strvs. */
static int parse_string_map(json_t *obj, const char *what, const char *field, char ***keys,
                            char ***values, struct berth_error **err)
{
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v)
        {
                if (!json_is_string(v))
                        return bad(err, what, field, "expected string values");
                strv_append(keys, k);
                strv_append(values, json_string_value(v));
        }
        return 0;
}

static int parse_propagation(const char *s, unsigned long *out)
{
        static const struct {
                const char *name;
                unsigned long flags;
        } t[] = {
            {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
            {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
            {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
            {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                if (strcmp(s, t[i].name) == 0) {
                        *out = t[i].flags;
                        return 0;
                }
        }
        return -EINVAL;
}

static int parse_time_offsets(json_t *obj, const char *what, struct runtime_config *c,
                              struct berth_error **err)
{
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v)
        {
                int64_t *secs, *nsecs;
                if (strcmp(k, "monotonic") == 0) {
                        secs = &c->monotonic_secs;
                        nsecs = &c->monotonic_nsecs;
                } else if (strcmp(k, "boottime") == 0) {
                        secs = &c->boottime_secs;
                        nsecs = &c->boottime_nsecs;
                } else {
                        return bad(err, what, "linux.timeOffsets", "unknown clock `%s`", k);
                }
                if (!json_is_object(v) ||
                    get_i64(v, "secs", what, "linux.timeOffsets", secs, err) < 0 ||
                    get_i64(v, "nanosecs", what, "linux.timeOffsets", nsecs, err) < 0)
                        return bad(err, what, "linux.timeOffsets", "expected {secs, nanosecs}");
        }
        c->has_time_offsets = true;
        return 0;
}

/* Does sysctl key k start with p?  "net/ipv4/x" and "net.ipv4.x" are the
 * same key to the kernel, so '/' and '.' match each other. */
static bool sysctl_has_prefix(const char *k, const char *p, bool whole)
{
        for (; *p; k++, p++) {
                char a = *k == '/' ? '.' : *k, b = *p == '/' ? '.' : *p;
                if (a != b)
                        return false;
        }
        return !whole || *k == '\0';
}

/*
 * /proc/sys is written from inside the container's namespaces, so a key is
 * only the container's own when the kernel namespaces it and the config
 * asks for that namespace.  Any other key would change the host for
 * everyone (kernel.shm_rmid_forced with the host's IPC namespace, say):
 * refuse it here, before anything is created, as runc does.
 */
static int check_sysctl(const struct runtime_config *c, const char *key, const char *what,
                        struct berth_error **err)
{
        static const char *const ipc_keys[] = {
            "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem",
            "kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni",
        };
        enum runtime_ns_kind need = RUNTIME_NS_KINDS;
        for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
                if (sysctl_has_prefix(key, ipc_keys[i], true))
                        need = RUNTIME_NS_IPC;
        if (sysctl_has_prefix(key, "fs.mqueue.", false))
                need = RUNTIME_NS_IPC;
        else if (sysctl_has_prefix(key, "net.", false))
                need = RUNTIME_NS_NET;
        else if (sysctl_has_prefix(key, "kernel.hostname", true) ||
                 sysctl_has_prefix(key, "kernel.domainname", true))
                need = RUNTIME_NS_UTS;
        if (need == RUNTIME_NS_KINDS)
                return bad(err, what, "linux.sysctl",
                           "`%s` is not namespaced: setting it would change the host", key);
        if (!c->ns[need].enabled)
                return bad(err, what, "linux.sysctl",
                           "`%s` needs its own %s namespace, else it would change the host's", key,
                           runtime_ns_proc_name(need));
        return 0;
}

static int parse_linux(json_t *lx, const char *what, struct runtime_config *c,
                       struct berth_error **err)
{
        json_t *v;
        int r;
        if ((r = get_arr(lx, "namespaces", what, "linux.namespaces", &v, err)) < 0)
                return r;
        if (v && (r = parse_namespaces(v, what, c, err)) < 0)
                return r;
        if ((r = get_arr(lx, "uidMappings", what, "linux.uidMappings", &v, err)) < 0)
                return r;
        if (v && (r = parse_idmaps(v, what, "uidMappings", &c->uid_mappings, &c->n_uid_mappings,
                                   err)) < 0)
                return r;
        if ((r = get_arr(lx, "gidMappings", what, "linux.gidMappings", &v, err)) < 0)
                return r;
        if (v && (r = parse_idmaps(v, what, "gidMappings", &c->gid_mappings, &c->n_gid_mappings,
                                   err)) < 0)
                return r;
        if ((c->n_uid_mappings || c->n_gid_mappings) && !c->ns[RUNTIME_NS_USER].enabled)
                return bad(err, what, "linux.uidMappings", "id mappings need a user namespace");
        if ((r = get_arr(lx, "devices", what, "linux.devices", &v, err)) < 0)
                return r;
        if (v && (r = parse_devices(v, what, c, err)) < 0)
                return r;
        if ((r = get_str(lx, "cgroupsPath", what, "linux.cgroupsPath", &c->cgroups_path, err)) < 0)
                return r;
        if ((r = get_obj(lx, "resources", what, "linux.resources", &v, err)) < 0)
                return r;
        if (v && (r = runtime_resources_parse(v, &c->resources, err)) < 0)
                return berth_err_wrap(err, "%s: linux.resources", what);
        if ((r = get_obj(lx, "seccomp", what, "linux.seccomp", &v, err)) < 0)
                return r;
        if (v && (r = runtime_seccomp_parse(v, &c->seccomp, err)) < 0)
                return berth_err_wrap(err, "%s: linux.seccomp", what);
        _cleanup_free_ char *prop = NULL;
        if ((r = get_str(lx, "rootfsPropagation", what, "linux.rootfsPropagation", &prop, err)) < 0)
                return r;
        if (prop && parse_propagation(prop, &c->rootfs_propagation) < 0)
                return bad(err, what, "linux.rootfsPropagation", "unknown propagation `%s`", prop);
        if ((r = get_strv(lx, "maskedPaths", what, "linux.maskedPaths", &c->masked_paths, err)) < 0)
                return r;
        if ((r = get_strv(lx, "readonlyPaths", what, "linux.readonlyPaths", &c->readonly_paths,
                          err)) < 0)
                return r;
        if ((r = get_obj(lx, "sysctl", what, "linux.sysctl", &v, err)) < 0)
                return r;
        if (v && (r = parse_string_map(v, what, "linux.sysctl", &c->sysctl_keys, &c->sysctl_values,
                                       err)) < 0)
                return r;
        if ((r = get_obj(lx, "timeOffsets", what, "linux.timeOffsets", &v, err)) < 0)
                return r;
        if (v && (r = parse_time_offsets(v, what, c, err)) < 0)
                return r;
        return 0;
}

static int parse_mounts(json_t *arr, const char *what, struct runtime_config *c,
                        struct berth_error **err)
{
        c->mounts = xcalloc(json_array_size(arr) + 1, sizeof(*c->mounts));
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
                _cleanup_free_ char *field = xasprintf("mounts[%zu]", i);
                if (!json_is_object(e))
                        return bad(err, what, field, "expected an object");
                struct runtime_mount *m = &c->mounts[c->n_mounts++];
                int r;
                if ((r = get_str(e, "destination", what, field, &m->destination, err)) < 0)
                        return r;
                if (r == 0 || m->destination[0] != '/')
                        return bad(err, what, field, "expected an absolute `destination`");
                if (get_str(e, "type", what, field, &m->type, err) < 0 ||
                    get_str(e, "source", what, field, &m->source, err) < 0 ||
                    get_strv(e, "options", what, field, &m->options, err) < 0)
                        return -EINVAL;
        }
        return 0;
}

int runtime_config_parse(json_t *doc, const char *what, struct runtime_config **out,
                         struct berth_error **err)
{
        if (!json_is_object(doc))
                return berth_err(err, 0, "%s: expected a JSON object", what);
        _cleanup_config_ struct runtime_config *c = xcalloc(1, sizeof(*c));
        json_t *v;
        int r;
        if ((r = get_str(doc, "ociVersion", what, "ociVersion", &c->oci_version, err)) < 0)
                return r;
        if (r == 0)
                return bad(err, what, "ociVersion", "missing");
        if ((r = get_obj(doc, "root", what, "root", &v, err)) < 0)
                return r;
        if (v != NULL) {
                if ((r = get_str(v, "path", what, "root.path", &c->root_path, err)) < 0)
                        return r;
                if (r == 0)
                        return bad(err, what, "root.path", "missing");
                if ((r = get_bool(v, "readonly", what, "root.readonly", &c->root_readonly, err)) <
                    0)
                        return r;
        }
        if ((r = get_obj(doc, "process", what, "process", &v, err)) < 0)
                return r;
        if (v && (r = runtime_process_parse(v, what, &c->process, err)) < 0)
                return r;
        if ((r = get_str(doc, "hostname", what, "hostname", &c->hostname, err)) < 0 ||
            (r = get_str(doc, "domainname", what, "domainname", &c->domainname, err)) < 0)
                return r;
        if ((r = get_arr(doc, "mounts", what, "mounts", &v, err)) < 0)
                return r;
        if (v && (r = parse_mounts(v, what, c, err)) < 0)
                return r;
        if ((r = get_obj(doc, "hooks", what, "hooks", &v, err)) < 0)
                return r;
        if (v && (r = runtime_hooks_parse(v, &c->hooks, err)) < 0)
                return berth_err_wrap(err, "%s: hooks", what);
        if ((r = get_obj(doc, "annotations", what, "annotations", &v, err)) < 0)
                return r;
        if (v && (r = parse_string_map(v, what, "annotations", &c->annotation_keys,
                                       &c->annotation_values, err)) < 0)
                return r;
        if ((r = get_obj(doc, "linux", what, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_linux(v, what, c, err)) < 0)
                return r;
        /* Only a Linux config promises namespaces (FreeBSD and z/OS ones
         * set a hostname without them). */
        if (v && (c->hostname || c->domainname) && !c->ns[RUNTIME_NS_UTS].enabled)
                return bad(err, what, "hostname", "setting it needs a new uts namespace");
        for (size_t i = 0; c->sysctl_keys && c->sysctl_keys[i]; i++)
                if ((r = check_sysctl(c, c->sysctl_keys[i], what, err)) < 0)
                        return r;
        *out = steal_pointer(&c);
        return 0;
}

/*
 * The runtime spec has uint64 fields (rlimits, cpu shares and periods) and
 * writers put RLIM_INFINITY as 18446744073709551615, which jansson, whose
 * integers are int64, rejects as "too big".  Rewrite each integer literal
 * above INT64_MAX (outside strings) as the int64 with the same bits; the
 * uint64 fields read it back with a cast, and the int64 ones see a
 * negative number they already refuse or take as "unlimited".  The result
 * is never longer than the input.
 */
static void widen_u64(char *text, size_t *len)
{
        size_t o = 0;
        bool in_string = false;
        for (size_t i = 0; i < *len;) {
                char ch = text[i];
                if (in_string) {
                        text[o++] = text[i++];
                        if (ch == '\\' && i < *len)
                                text[o++] = text[i++];
                        else if (ch == '"')
                                in_string = false;
                        continue;
                }
                if (ch == '"')
                        in_string = true;
                if (!(ch >= '0' && ch <= '9')) {
                        text[o++] = text[i++];
                        continue;
                }
                /* A whole run of digits: the integer part of a number
                 * unless a sign, a point or an exponent marker leads it
                 * or a point or an exponent follows. */
                size_t n = strspn(text + i, "0123456789");
                bool plain =
                    (o == 0 || strchr("-+.eE", text[o - 1]) == NULL) &&
                    (i + n >= *len || strchr(".eE", text[i + n]) == NULL || text[i + n] == '\0');
                char digits[24];
                if (plain && n >= 19 && n < sizeof(digits)) {
                        memcpy(digits, text + i, n);
                        digits[n] = '\0';
                        errno = 0;
                        unsigned long long v = strtoull(digits, NULL, 10);
                        if (errno == 0 && v > INT64_MAX) {
                                char repl[24];
                                int w = snprintf(repl, sizeof(repl), "%lld", (long long)(int64_t)v);
                                memcpy(text + o, repl, (size_t)w);
                                o += (size_t)w;
                                i += n;
                                continue;
                        }
                }
                memmove(text + o, text + i, n);
                o += n;
                i += n;
        }
        *len = o;
}

int runtime_json_load_file(int dirfd, const char *path, json_t **out, struct berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = util_file_read(dirfd, path, &text, &len, err);
        if (r < 0)
                return r;
        widen_u64(text, &len);
        return util_json_load_string(text, len, path, out, err);
}

int runtime_config_load(const char *bundle, struct runtime_config **out, struct berth_error **err)
{
        _cleanup_close_ int dfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_err(err, errno, "opening bundle `%s`", bundle);
        _cleanup_json_ json_t *doc = NULL;
        int r = runtime_json_load_file(dfd, "config.json", &doc, err);
        if (r < 0)
                return r;
        return runtime_config_parse(doc, "config.json", out, err);
}

void runtime_config_free(struct runtime_config *c)
{
        if (c == NULL)
                return;
        free(c->oci_version);
        runtime_process_free(c->process);
        free(c->root_path);
        free(c->hostname);
        free(c->domainname);
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].destination);
                free(c->mounts[i].type);
                free(c->mounts[i].source);
                strv_free(c->mounts[i].options);
        }
        free(c->mounts);
        runtime_hooks_free(c->hooks);
        strv_free(c->annotation_keys);
        strv_free(c->annotation_values);
        for (int k = 0; k < RUNTIME_NS_KINDS; k++)
                free(c->ns[k].path);
        free(c->uid_mappings);
        free(c->gid_mappings);
        for (size_t i = 0; i < c->n_devices; i++)
                free(c->devices[i].path);
        free(c->devices);
        free(c->cgroups_path);
        runtime_resources_free(c->resources);
        runtime_seccomp_free(c->seccomp);
        strv_free(c->masked_paths);
        strv_free(c->readonly_paths);
        strv_free(c->sysctl_keys);
        strv_free(c->sysctl_values);
        free(c);
}

void runtime_config_freep(struct runtime_config **c)
{
        runtime_config_free(*c);
}
