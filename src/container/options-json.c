/* SPDX-License-Identifier: Apache-2.0 */
/* container_options <-> the body of Docker's POST /containers/create:
 * Config's fields at the top level, HostConfig inside.  The same shape is
 * what a container's record keeps and what `inspect` shows. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/options.h"
#include "container/parse.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static const char *restart_name(enum container_restart r)
{
        switch (r) {
        case CONTAINER_RESTART_ON_FAILURE:
                return "on-failure";
        case CONTAINER_RESTART_ALWAYS:
                return "always";
        case CONTAINER_RESTART_UNLESS_STOPPED:
                return "unless-stopped";
        default:
                return "no";
        }
}

static char *network_mode(const struct container_options *o)
{
        switch (o->network) {
        case CONTAINER_NETWORK_NONE:
                return xstrdup("none");
        case CONTAINER_NETWORK_HOST:
                return xstrdup("host");
        case CONTAINER_NETWORK_BRIDGE:
                return xstrdup("bridge");
        case CONTAINER_NETWORK_CONTAINER:
                return xasprintf("container:%s", o->network_name);
        case CONTAINER_NETWORK_NAMED:
                return xstrdup(o->network_name);
        default:
                return xstrdup("default");
        }
}

static void set_str(json_t *obj, const char *key, const char *v)
{
        json_object_set_new(obj, key, json_string(v != NULL ? v : ""));
}

/* "k=v" strv as a JSON object. */
static json_t *kv_object(char *const *kv)
{
        json_t *o = json_object();
        for (size_t i = 0; kv != NULL && kv[i] != NULL; i++) {
                const char *eq = strchr(kv[i], '=');
                _cleanup_free_ char *k =
                    eq ? xstrndup(kv[i], (size_t)(eq - kv[i])) : xstrdup(kv[i]);
                json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
        }
        return o;
}

static char *bind_spec(const struct container_mount *m)
{
        _cleanup_free_ char *mode = xstrdup("");
        const char *parts[] = {m->readonly ? "ro" : NULL, m->relabel, m->propagation,
                               m->nocopy ? "nocopy" : NULL};
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
                if (parts[i] == NULL)
                        continue;
                char *n = xasprintf("%s%s%s", mode, mode[0] ? "," : "", parts[i]);
                free(mode);
                mode = n;
        }
        return xasprintf("%s:%s%s%s", m->source, m->target, mode[0] ? ":" : "", mode);
}

static json_t *mount_json(const struct container_mount *m)
{
        static const char *const types[] = {"bind", "volume", "tmpfs"};
        json_t *j = json_object();
        set_str(j, "Type", types[m->type]);
        if (m->source != NULL)
                set_str(j, "Source", m->source);
        set_str(j, "Target", m->target);
        if (m->readonly)
                json_object_set_new(j, "ReadOnly", json_true());
        if (m->type == CONTAINER_MOUNT_BIND && (m->propagation || m->nonrecursive)) {
                json_t *b = json_object();
                if (m->propagation)
                        set_str(b, "Propagation", m->propagation);
                if (m->nonrecursive)
                        json_object_set_new(b, "NonRecursive", json_true());
                json_object_set_new(j, "BindOptions", b);
        }
        if (m->type == CONTAINER_MOUNT_VOLUME && (m->nocopy || m->volume_opts)) {
                json_t *v = json_object();
                if (m->nocopy)
                        json_object_set_new(v, "NoCopy", json_true());
                if (m->volume_opts) {
                        json_t *dc = json_object();
                        set_str(dc, "Name", "local");
                        json_object_set_new(dc, "Options", kv_object(m->volume_opts));
                        json_object_set_new(v, "DriverConfig", dc);
                }
                json_object_set_new(j, "VolumeOptions", v);
        }
        if (m->type == CONTAINER_MOUNT_TMPFS && (m->tmpfs_size || m->tmpfs_mode)) {
                json_t *t = json_object();
                if (m->tmpfs_size)
                        json_object_set_new(t, "SizeBytes", json_integer(m->tmpfs_size));
                if (m->tmpfs_mode)
                        json_object_set_new(t, "Mode", json_integer(m->tmpfs_mode));
                json_object_set_new(j, "TmpfsOptions", t);
        }
        return j;
}

static json_t *idmaps_json(const struct container_idmap *m, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *s =
                    xasprintf("%u:%u:%u", m[i].container_id, m[i].host_id, m[i].size);
                json_array_append_new(a, json_string(s));
        }
        return a;
}

json_t *container_options_to_json(const struct container_options *o, char *const *env)
{
        json_t *c = json_object(), *h = json_object();

        if (o->name != NULL)
                set_str(c, "Name", o->name);
        set_str(c, "Hostname", o->hostname);
        set_str(c, "User", o->user);
        json_object_set_new(c, "AttachStdin", json_boolean(o->interactive && !o->detach));
        json_object_set_new(c, "AttachStdout", json_boolean(!o->detach));
        json_object_set_new(c, "AttachStderr", json_boolean(!o->detach));
        json_object_set_new(c, "Tty", json_boolean(o->tty));
        json_object_set_new(c, "OpenStdin", json_boolean(o->interactive));
        json_object_set_new(c, "StdinOnce", json_boolean(o->interactive && !o->detach));
        json_object_set_new(c, "Env", util_json_from_strv(env != NULL ? env : o->env));
        json_object_set_new(c, "Cmd", o->cmd ? util_json_from_strv(o->cmd) : json_null());
        if (o->entrypoint_set) {
                /* Docker's CLI sends [""] for --entrypoint "". */
                json_t *ep = util_json_from_strv(o->entrypoint);
                if (json_array_size(ep) == 0)
                        json_array_append_new(ep, json_string(""));
                json_object_set_new(c, "Entrypoint", ep);
        } else {
                json_object_set_new(c, "Entrypoint", json_null());
        }
        set_str(c, "WorkingDir", o->workdir);
        json_object_set_new(c, "Labels", kv_object(o->labels));
        if (o->stop_signal > 0) {
                const char *n = container_signal_name(o->stop_signal);
                _cleanup_free_ char *s =
                    n ? xasprintf("SIG%s", n) : xasprintf("%d", o->stop_signal);
                set_str(c, "StopSignal", s);
        }
        if (o->stop_timeout_set)
                json_object_set_new(c, "StopTimeout", json_integer(o->stop_timeout));

        json_t *binds = json_array(), *mounts = json_array(), *tmpfs = json_object();
        json_t *volumes = json_object();
        for (size_t i = 0; i < o->n_mounts; i++) {
                const struct container_mount *m = &o->mounts[i];
                if (m->from_volume_flag && m->source == NULL) {
                        json_object_set_new(volumes, m->target, json_object());
                } else if (m->from_volume_flag) {
                        _cleanup_free_ char *b = bind_spec(m);
                        json_array_append_new(binds, json_string(b));
                } else if (m->type == CONTAINER_MOUNT_TMPFS && m->tmpfs_data != NULL) {
                        set_str(tmpfs, m->target, m->tmpfs_data);
                } else {
                        json_array_append_new(mounts, mount_json(m));
                }
        }
        json_object_set_new(c, "Volumes", volumes);

        json_object_set_new(h, "Binds", binds);
        json_object_set_new(h, "Mounts", mounts);
        json_object_set_new(h, "Tmpfs", tmpfs);
        json_object_set_new(h, "ReadonlyRootfs", json_boolean(o->read_only));
        json_object_set_new(h, "Memory", json_integer(o->memory));
        json_object_set_new(h, "MemorySwap", json_integer(o->memory_swap));
        json_object_set_new(h, "NanoCpus", json_integer(o->nano_cpus));
        json_object_set_new(h, "CpuShares", json_integer(o->cpu_shares));
        set_str(h, "CpusetCpus", o->cpuset_cpus);
        json_object_set_new(h, "PidsLimit",
                            o->pids_limit_set ? json_integer(o->pids_limit) : json_null());
        json_object_set_new(h, "CapAdd", util_json_from_strv(o->cap_add));
        json_object_set_new(h, "CapDrop", util_json_from_strv(o->cap_drop));
        json_object_set_new(h, "Privileged", json_boolean(o->privileged));
        json_t *sec = json_array();
        if (o->seccomp_unconfined)
                json_array_append_new(sec, json_string("seccomp=unconfined"));
        else if (o->seccomp_profile != NULL) {
                _cleanup_free_ char *s = xasprintf("seccomp=%s", o->seccomp_profile);
                json_array_append_new(sec, json_string(s));
        }
        if (o->no_new_privileges)
                json_array_append_new(sec, json_string("no-new-privileges:true"));
        json_object_set_new(h, "SecurityOpt", sec);
        json_t *ul = json_array();
        for (size_t i = 0; i < o->n_ulimits; i++) {
                json_t *u = json_object();
                set_str(u, "Name", o->ulimits[i].name);
                json_object_set_new(u, "Hard", json_integer(o->ulimits[i].hard));
                json_object_set_new(u, "Soft", json_integer(o->ulimits[i].soft));
                json_array_append_new(ul, u);
        }
        json_object_set_new(h, "Ulimits", ul);
        json_object_set_new(h, "Init", o->init ? json_true() : json_null());
        _cleanup_free_ char *net = network_mode(o);
        set_str(h, "NetworkMode", net);
        json_t *rp = json_object();
        set_str(rp, "Name", restart_name(o->restart));
        json_object_set_new(rp, "MaximumRetryCount", json_integer(o->restart_max_retries));
        json_object_set_new(h, "RestartPolicy", rp);
        json_object_set_new(h, "AutoRemove", json_boolean(o->rm));
        set_str(h, "UsernsMode",
                o->userns == CONTAINER_USERNS_HOST   ? "host"
                : o->userns == CONTAINER_USERNS_AUTO ? "auto"
                                                     : "");
        /* berth's own (podman's --uidmap/--gidmap); Docker has none. */
        if (o->n_uidmap > 0)
                json_object_set_new(h, "UIDMaps", idmaps_json(o->uidmap, o->n_uidmap));
        if (o->n_gidmap > 0)
                json_object_set_new(h, "GIDMaps", idmaps_json(o->gidmap, o->n_gidmap));
        json_object_set_new(c, "HostConfig", h);
        return c;
}

/* Apply one flag from a JSON value, with the CLI's parser and message. */
static int set_flag(struct container_options *o, const char *flag, const char *v,
                    struct berth_error **err)
{
        return container_options_set(o, flag, v, err);
}

static int str_field(json_t *obj, const char *key, const char *flag, struct container_options *o,
                     struct berth_error **err)
{
        const char *v = NULL;
        int r = util_json_string(obj, key, key, &v, err);
        if (r <= 0 || v[0] == '\0')
                return r;
        return set_flag(o, flag, v, err);
}

static int bool_field(json_t *obj, const char *key, bool *dst, struct berth_error **err)
{
        bool b = false;
        int r = util_json_bool(obj, key, key, &b, err);
        if (r > 0)
                *dst = b;
        return r;
}

static int int_field(json_t *obj, const char *key, int64_t *dst, struct berth_error **err)
{
        int64_t v = 0;
        int r = util_json_int(obj, key, key, &v, err);
        if (r > 0)
                *dst = v;
        return r;
}

/* A strslice: an array of strings, or one string. */
static int strslice(json_t *obj, const char *key, bool *present, char ***out,
                    struct berth_error **err)
{
        json_t *v = json_object_get(obj, key);
        *present = v != NULL && !json_is_null(v);
        if (!*present)
                return 0;
        if (json_is_string(v)) {
                *out = xcalloc(2, sizeof(char *));
                (*out)[0] = xstrdup(json_string_value(v));
                return 0;
        }
        return util_json_strv(obj, key, key, out, err) < 0 ? berth_err_ret(*err) : 0;
}

static int each_string(json_t *obj, const char *key, const char *flag, struct container_options *o,
                       struct berth_error **err)
{
        _cleanup_strv_ char **v = NULL;
        if (util_json_strv(obj, key, key, &v, err) < 0)
                return berth_err_ret(*err);
        for (size_t i = 0; v != NULL && v[i] != NULL; i++)
                if (set_flag(o, flag, v[i], err) < 0)
                        return berth_err_ret(*err);
        return 0;
}

static int mount_from_json(json_t *j, size_t idx, struct container_options *o,
                           struct berth_error **err)
{
        _cleanup_free_ char *what = xasprintf("HostConfig.Mounts[%zu]", idx);
        const char *type = NULL, *src = NULL, *dst = NULL, *prop = NULL;
        json_t *bo = NULL, *vo = NULL, *to = NULL, *dc = NULL, *opts = NULL;
        struct container_mount m = {0};
        if (!json_is_object(j))
                return berth_err(err, 0, "%s: expected an object", what);
        if (util_json_string(j, "Type", what, &type, err) < 0 ||
            util_json_string(j, "Source", what, &src, err) < 0 ||
            util_json_string(j, "Target", what, &dst, err) < 0 ||
            util_json_bool(j, "ReadOnly", what, &m.readonly, err) < 0 ||
            util_json_object(j, "BindOptions", what, &bo, err) < 0 ||
            util_json_object(j, "VolumeOptions", what, &vo, err) < 0 ||
            util_json_object(j, "TmpfsOptions", what, &to, err) < 0)
                return berth_err_ret(*err);
        if (type == NULL || strcmp(type, "volume") == 0)
                m.type = CONTAINER_MOUNT_VOLUME;
        else if (strcmp(type, "bind") == 0)
                m.type = CONTAINER_MOUNT_BIND;
        else if (strcmp(type, "tmpfs") == 0)
                m.type = CONTAINER_MOUNT_TMPFS;
        else
                return berth_err(err, 0, "invalid mount config for type \"%s\": mount type unknown",
                                 type);
        m.source = src && src[0] ? xstrdup(src) : NULL;
        m.target = xstrdup(dst ? dst : "");
        int r = 0;
        if (bo != NULL && (util_json_string(bo, "Propagation", what, &prop, err) < 0 ||
                           util_json_bool(bo, "NonRecursive", what, &m.nonrecursive, err) < 0))
                r = berth_err_ret(*err);
        if (r == 0 && prop != NULL && prop[0] != '\0')
                m.propagation = xstrdup(prop);
        if (r == 0 && vo != NULL &&
            (util_json_bool(vo, "NoCopy", what, &m.nocopy, err) < 0 ||
             util_json_object(vo, "DriverConfig", what, &dc, err) < 0 ||
             (dc != NULL && util_json_object(dc, "Options", what, &opts, err) < 0)))
                r = berth_err_ret(*err);
        const char *k;
        json_t *v;
        if (r == 0 && opts != NULL)
                json_object_foreach(opts, k, v)
                {
                        _cleanup_free_ char *kv =
                            xasprintf("%s=%s", k, json_is_string(v) ? json_string_value(v) : "");
                        strv_append(&m.volume_opts, kv);
                }
        int64_t size = 0, mode = 0;
        if (r == 0 && to != NULL &&
            (util_json_int(to, "SizeBytes", what, &size, err) < 0 ||
             util_json_int(to, "Mode", what, &mode, err) < 0))
                r = berth_err_ret(*err);
        m.tmpfs_size = size;
        m.tmpfs_mode = (uint32_t)mode;
        if (r == 0 &&
            ((bo && m.type != CONTAINER_MOUNT_BIND) || (vo && m.type != CONTAINER_MOUNT_VOLUME) ||
             (to && m.type != CONTAINER_MOUNT_TMPFS)))
                r = berth_err(err, 0, "%s: options that don't match the type %s", what,
                              type ? type : "volume");
        if (r == 0 && (size < 0 || mode < 0 || mode > 07777))
                r = berth_err(err, 0, "%s: invalid TmpfsOptions", what);
        if (r == 0 && container_mount_check(&m, err) < 0)
                r = berth_err_ret(*err);
        if (r < 0) {
                container_mount_clear(&m);
                return r;
        }
        container_mount_clean_paths(&m);
        o->mounts = xrealloc(o->mounts, (o->n_mounts + 1) * sizeof(*o->mounts));
        o->mounts[o->n_mounts++] = m;
        return 0;
}

static int host_config(json_t *h, struct container_options *o, struct berth_error **err)
{
        json_t *v, *arr = NULL;
        const char *k;
        size_t i;
        if (each_string(h, "Binds", "volume", o, err) < 0)
                return berth_err_ret(*err);
        arr = NULL;
        if (util_json_array(h, "Mounts", "HostConfig.Mounts", &arr, err) < 0)
                return berth_err_ret(*err);
        json_array_foreach(arr, i,
                           v) if (mount_from_json(v, i, o, err) < 0) return berth_err_ret(*err);
        arr = NULL;
        if (util_json_object(h, "Tmpfs", "HostConfig.Tmpfs", &arr, err) < 0)
                return berth_err_ret(*err);
        json_object_foreach(arr, k, v)
        {
                const char *data = json_is_string(v) ? json_string_value(v) : "";
                _cleanup_free_ char *t = data[0] ? xasprintf("%s:%s", k, data) : xstrdup(k);
                if (set_flag(o, "tmpfs", t, err) < 0)
                        return berth_err_ret(*err);
        }
        bool init = false;
        if (bool_field(h, "ReadonlyRootfs", &o->read_only, err) < 0 ||
            bool_field(h, "Privileged", &o->privileged, err) < 0 ||
            bool_field(h, "AutoRemove", &o->rm, err) < 0 || bool_field(h, "Init", &init, err) < 0 ||
            int_field(h, "Memory", &o->memory, err) < 0 ||
            int_field(h, "MemorySwap", &o->memory_swap, err) < 0 ||
            int_field(h, "NanoCpus", &o->nano_cpus, err) < 0 ||
            int_field(h, "CpuShares", &o->cpu_shares, err) < 0)
                return berth_err_ret(*err);
        o->init = init;
        int r = int_field(h, "PidsLimit", &o->pids_limit, err);
        if (r < 0)
                return r;
        o->pids_limit_set = r > 0;
        if (o->memory < 0 || o->memory_swap < -1 || o->nano_cpus < 0)
                return berth_err(err, 0, "HostConfig: negative Memory, MemorySwap or NanoCpus");
        if (str_field(h, "CpusetCpus", "cpuset-cpus", o, err) < 0 ||
            each_string(h, "CapAdd", "cap-add", o, err) < 0 ||
            each_string(h, "CapDrop", "cap-drop", o, err) < 0 ||
            each_string(h, "SecurityOpt", "security-opt", o, err) < 0 ||
            str_field(h, "UsernsMode", "userns", o, err) < 0 ||
            each_string(h, "UIDMaps", "uidmap", o, err) < 0 ||
            each_string(h, "GIDMaps", "gidmap", o, err) < 0)
                return berth_err_ret(*err);
        const char *net = NULL;
        if (util_json_string(h, "NetworkMode", "HostConfig.NetworkMode", &net, err) < 0)
                return berth_err_ret(*err);
        if (net != NULL && net[0] != '\0' && strcmp(net, "default") != 0 &&
            set_flag(o, "network", net, err) < 0)
                return berth_err_ret(*err);

        arr = NULL;
        if (util_json_array(h, "Ulimits", "HostConfig.Ulimits", &arr, err) < 0)
                return berth_err_ret(*err);
        json_array_foreach(arr, i, v)
        {
                const char *name = NULL;
                int64_t soft = 0, hard = 0;
                if (util_json_string(v, "Name", "HostConfig.Ulimits", &name, err) < 0 ||
                    util_json_int(v, "Soft", "HostConfig.Ulimits", &soft, err) < 0 ||
                    util_json_int(v, "Hard", "HostConfig.Ulimits", &hard, err) < 0)
                        return berth_err_ret(*err);
                _cleanup_free_ char *u =
                    xasprintf("%s=%" PRId64 ":%" PRId64, name ? name : "", soft, hard);
                if (set_flag(o, "ulimit", u, err) < 0)
                        return berth_err_ret(*err);
        }
        json_t *rp = NULL;
        if (util_json_object(h, "RestartPolicy", "HostConfig.RestartPolicy", &rp, err) < 0)
                return berth_err_ret(*err);
        if (rp != NULL) {
                const char *name = NULL;
                int64_t max = 0;
                if (util_json_string(rp, "Name", "HostConfig.RestartPolicy", &name, err) < 0 ||
                    util_json_int(rp, "MaximumRetryCount", "HostConfig.RestartPolicy", &max, err) <
                        0)
                        return berth_err_ret(*err);
                _cleanup_free_ char *p = max != 0 ? xasprintf("%s:%" PRId64, name ? name : "", max)
                                                  : xstrdup(name ? name : "");
                if (set_flag(o, "restart", p, err) < 0)
                        return berth_err_ret(*err);
        }
        return 0;
}

int container_options_from_json(json_t *body, struct container_options **out,
                                struct berth_error **err)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        json_t *h = NULL, *labels = NULL, *vols = NULL, *v;
        const char *k;
        bool present = false;
        int64_t timeout = 0;
        if (!json_is_object(body))
                return berth_err(err, 0, "container config: expected a JSON object");
        if (str_field(body, "Name", "name", o, err) < 0 ||
            str_field(body, "Hostname", "hostname", o, err) < 0 ||
            str_field(body, "User", "user", o, err) < 0 ||
            str_field(body, "WorkingDir", "workdir", o, err) < 0 ||
            bool_field(body, "Tty", &o->tty, err) < 0 ||
            bool_field(body, "OpenStdin", &o->interactive, err) < 0 ||
            each_string(body, "Env", "env", o, err) < 0 ||
            str_field(body, "StopSignal", "stop-signal", o, err) < 0)
                return berth_err_ret(*err);
        /* -d is what makes Docker's CLI send AttachStdout false. */
        bool attach = true;
        if (bool_field(body, "AttachStdout", &attach, err) < 0)
                return berth_err_ret(*err);
        o->detach = !attach;
        int r = int_field(body, "StopTimeout", &timeout, err);
        if (r < 0)
                return r;
        if (r > 0) {
                if (timeout < -1 || timeout > 0x7fffffff)
                        return berth_err(err, 0, "StopTimeout: value out of range");
                o->stop_timeout_set = true;
                o->stop_timeout = (int)timeout;
        }
        if (strslice(body, "Cmd", &present, &o->cmd, err) < 0)
                return berth_err_ret(*err);
        _cleanup_strv_ char **ep = NULL;
        if (strslice(body, "Entrypoint", &present, &ep, err) < 0)
                return berth_err_ret(*err);
        if (present) {
                /* [""] (Docker's CLI for --entrypoint "") and [] both clear
                 * it; Docker keeps the image's Cmd for [], a corner that
                 * berth does not reproduce. */
                o->entrypoint_set = true;
                o->entrypoint = xcalloc(1, sizeof(char *));
                if (!(strv_len(ep) == 1 && ep[0][0] == '\0'))
                        for (size_t i = 0; ep[i] != NULL; i++)
                                strv_append(&o->entrypoint, ep[i]);
        }
        if (util_json_object(body, "Labels", "Labels", &labels, err) < 0 ||
            util_json_object(body, "Volumes", "Volumes", &vols, err) < 0 ||
            util_json_object(body, "HostConfig", "HostConfig", &h, err) < 0)
                return berth_err_ret(*err);
        json_object_foreach(labels, k, v)
        {
                if (!json_is_string(v))
                        return berth_err(err, 0, "Labels.%s: expected a string", k);
                _cleanup_free_ char *kv = xasprintf("%s=%s", k, json_string_value(v));
                if (set_flag(o, "label", kv, err) < 0)
                        return berth_err_ret(*err);
        }
        json_object_foreach(vols, k,
                            v) if (set_flag(o, "volume", k, err) < 0) return berth_err_ret(*err);
        if (h != NULL && host_config(h, o, err) < 0)
                return berth_err_ret(*err);
        *out = steal_pointer(&o);
        return 0;
}
