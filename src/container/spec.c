/* SPDX-License-Identifier: Apache-2.0 */
/* Image config + options -> OCI config.json, as Docker's daemon builds it
 * (moby daemon/oci_linux.go and oci/defaults.go). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "container/caps.h"
#include "container/parse.h"
#include "container/spec-private.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

bool container_spec_userns(const struct container_options *o)
{
        return o->userns == CONTAINER_USERNS_AUTO ||
               (o->userns == CONTAINER_USERNS_DEFAULT && (o->n_uidmap > 0 || o->n_gidmap > 0));
}

static json_t *idmaps_json(const struct container_idmap *m, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_object();
                json_object_set_new(e, "containerID", json_integer(m[i].container_id));
                json_object_set_new(e, "hostID", json_integer(m[i].host_id));
                json_object_set_new(e, "size", json_integer(m[i].size));
                json_array_append_new(a, e);
        }
        return a;
}

static json_t *ns(const char *type, const char *path)
{
        json_t *n = json_object();
        json_object_set_new(n, "type", json_string(type));
        if (path != NULL)
                json_object_set_new(n, "path", json_string(path));
        return n;
}

static int namespaces(const struct container_spec_input *in, json_t *linux_,
                      struct berth_error **err)
{
        const struct container_options *o = in->opts;
        json_t *list = json_array();
        json_object_set_new(linux_, "namespaces", list);
        json_array_append_new(list, ns("mount", NULL));
        switch (o->network) {
        case CONTAINER_NETWORK_HOST:
                break;
        case CONTAINER_NETWORK_CONTAINER:
                if (in->netns_path == NULL)
                        return berth_err(err, 0,
                                         "--network container:%s: no network namespace "
                                         "path given",
                                         o->network_name);
                json_array_append_new(list, ns("network", in->netns_path));
                break;
        default:
                /* none, and until bridge networking exists every other
                 * mode: an own namespace with only loopback. */
                json_array_append_new(list, ns("network", NULL));
                break;
        }
        json_array_append_new(list, ns("uts", NULL));
        json_array_append_new(list, ns("pid", NULL));
        json_array_append_new(list, ns("ipc", NULL));
        if (container_spec_userns(o)) {
                json_array_append_new(list, ns("user", NULL));
                const struct container_idmap *u = o->uidmap, *g = o->gidmap;
                size_t nu = o->n_uidmap, ng = o->n_gidmap;
                if (o->userns == CONTAINER_USERNS_AUTO) {
                        u = in->auto_uidmap, nu = in->n_auto_uidmap;
                        g = in->auto_gidmap, ng = in->n_auto_gidmap;
                        if (nu == 0 || ng == 0)
                                return berth_err(err, 0,
                                                 "--userns=auto: no subordinate id range "
                                                 "given");
                }
                /* Like podman: a --uidmap alone maps the gids the same. */
                if (ng == 0)
                        g = u, ng = nu;
                if (nu == 0)
                        u = g, nu = ng;
                json_object_set_new(linux_, "uidMappings", idmaps_json(u, nu));
                json_object_set_new(linux_, "gidMappings", idmaps_json(g, ng));
        }
        if (in->cgroupns)
                json_array_append_new(list, ns("cgroup", NULL));
        return 0;
}

static json_t *dev_rule(bool allow, const char *type, int64_t major, int64_t minor,
                        const char *access)
{
        json_t *d = json_object();
        json_object_set_new(d, "allow", json_boolean(allow));
        if (type != NULL)
                json_object_set_new(d, "type", json_string(type));
        if (major >= 0)
                json_object_set_new(d, "major", json_integer(major));
        if (minor >= 0)
                json_object_set_new(d, "minor", json_integer(minor));
        json_object_set_new(d, "access", json_string(access));
        return d;
}

static json_t *resources(const struct container_options *o)
{
        json_t *r = json_object(), *devs = json_array();
        if (o->privileged) {
                json_array_append_new(devs, dev_rule(true, NULL, -1, -1, "rwm"));
        } else {
                /* Docker's device cgroup: deny, then mknod of anything and
                 * use of the standard nodes, ptys and tun. */
                json_array_append_new(devs, dev_rule(false, NULL, -1, -1, "rwm"));
                json_array_append_new(devs, dev_rule(true, "c", -1, -1, "m"));
                json_array_append_new(devs, dev_rule(true, "b", -1, -1, "m"));
                static const int std[][2] = {{1, 3}, {1, 8}, {1, 7}, {5, 0}, {1, 5}, {1, 9}};
                for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
                        json_array_append_new(devs,
                                              dev_rule(true, "c", std[i][0], std[i][1], "rwm"));
                json_array_append_new(devs, dev_rule(true, "c", 136, -1, "rwm"));
                json_array_append_new(devs, dev_rule(true, "c", 5, 2, "rwm"));
                json_array_append_new(devs, dev_rule(true, "c", 10, 200, "rwm"));
        }
        json_object_set_new(r, "devices", devs);

        if (o->memory > 0 || o->memory_swap != 0) {
                json_t *m = json_object();
                int64_t swap = o->memory_swap;
                /* Docker: memory without --memory-swap allows as much swap
                 * again (swap counts memory+swap). */
                if (o->memory > 0 && swap == 0)
                        swap = o->memory * 2;
                if (o->memory > 0)
                        json_object_set_new(m, "limit", json_integer(o->memory));
                if (swap != 0)
                        json_object_set_new(m, "swap", json_integer(swap));
                json_object_set_new(r, "memory", m);
        }
        if (o->cpu_shares > 0 || o->nano_cpus > 0 || o->cpuset_cpus != NULL) {
                json_t *c = json_object();
                if (o->cpu_shares > 0)
                        json_object_set_new(c, "shares", json_integer(o->cpu_shares));
                if (o->nano_cpus > 0) {
                        const int64_t period = 100000;
                        json_object_set_new(c, "quota",
                                            json_integer(o->nano_cpus * period / 1000000000));
                        json_object_set_new(c, "period", json_integer(period));
                }
                if (o->cpuset_cpus != NULL)
                        json_object_set_new(c, "cpus", json_string(o->cpuset_cpus));
                json_object_set_new(r, "cpu", c);
        }
        if (o->pids_limit_set && o->pids_limit > 0) {
                json_t *p = json_object();
                json_object_set_new(p, "limit", json_integer(o->pids_limit));
                json_object_set_new(r, "pids", p);
        }
        return r;
}

static int seccomp(const struct container_spec_input *in, char *const *caps, json_t *linux_,
                   struct berth_error **err)
{
        const struct container_options *o = in->opts;
        json_t *s = NULL;
        if (o->privileged || o->seccomp_unconfined)
                return 0;
        if (o->seccomp_profile != NULL) {
                /* A path, or the profile itself: Docker's CLI sends the
                 * file's content over the API, so a record holds JSON. */
                _cleanup_json_ json_t *profile = NULL;
                const char *p = o->seccomp_profile + strspn(o->seccomp_profile, " \t\r\n");
                bool inline_json = p[0] == '{';
                const char *name = inline_json ? "(inline)" : o->seccomp_profile;
                if ((inline_json
                         ? util_json_load_string(p, strlen(p), "seccomp profile", &profile, err)
                         : util_json_load_file(AT_FDCWD, o->seccomp_profile, &profile, err)) < 0 ||
                    container_seccomp_from_profile(profile, caps, in->arch, &s, err) < 0)
                        return berth_err_wrap(err, "seccomp profile %s", name);
        } else if (container_seccomp_default(caps, in->arch, &s, err) < 0) {
                return berth_err_wrap(err, "default seccomp profile");
        }
        json_object_set_new(linux_, "seccomp", s);
        return 0;
}

static json_t *caps_json(char *const *caps)
{
        json_t *c = json_object();
        const char *sets[] = {"bounding", "effective", "permitted"};
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
                json_object_set_new(c, sets[i], util_json_from_strv(caps));
        return c;
}

static json_t *rlimit_value(int64_t v)
{
        /* -1 is RLIM_INFINITY: jansson's integers are signed 64-bit, so
         * 2^64-1 can't be written; berth-runtime reads -1 as infinity. */
        return json_integer(v < 0 ? -1 : v);
}

static int process(const struct container_spec_input *in, char *const *caps, json_t **out,
                   struct berth_error **err)
{
        const struct container_options *o = in->opts;
        const struct image_config *img = in->img;
        _cleanup_json_ json_t *p = json_object();
        _cleanup_strv_ char **args = NULL, **env = NULL;
        struct container_user user = {0};

        json_object_set_new(p, "terminal", json_boolean(o->tty));
        /* An empty -u or -w means "not given", as in Docker's merge. */
        const char *uspec = o->user != NULL && o->user[0] ? o->user
                            : img && img->user            ? img->user
                                                          : "";
        if (container_user_resolve(in->rootfd, uspec, &user, err) < 0)
                return berth_err_ret(*err);
        json_t *u = json_object();
        json_object_set_new(u, "uid", json_integer(user.uid));
        json_object_set_new(u, "gid", json_integer(user.gid));
        if (user.n_additional_gids > 0) {
                json_t *g = json_array();
                for (size_t i = 0; i < user.n_additional_gids; i++)
                        json_array_append_new(g, json_integer(user.additional_gids[i]));
                json_object_set_new(u, "additionalGids", g);
        }
        json_object_set_new(p, "user", u);

        if (container_spec_args(img, o, &args, err) < 0) {
                container_user_clear(&user);
                return berth_err_ret(*err);
        }
        json_t *a = json_array();
        if (o->init) {
                /* berth's init reaps orphans and forwards signals as pid 1;
                 * "--" ends its own options. */
                json_array_append_new(a, json_string(CONTAINER_INIT_PATH));
                json_array_append_new(a, json_string("--"));
        }
        for (size_t i = 0; args[i] != NULL; i++)
                json_array_append_new(a, json_string(args[i]));
        json_object_set_new(p, "args", a);

        env = container_spec_env(img, in->env, in->hostname, o->tty);
        /* HOME as runc sets it at exec when the env lacks it: the user's
         * home from passwd, "/" otherwise. */
        bool has_home = false;
        for (size_t i = 0; env[i] != NULL; i++)
                has_home |= strncmp(env[i], "HOME=", 5) == 0;
        if (!has_home) {
                _cleanup_free_ char *h = xasprintf("HOME=%s", user.home);
                strv_append(&env, h);
        }
        container_user_clear(&user);
        json_object_set_new(p, "env", util_json_from_strv(env));

        const char *cwd = o->workdir && o->workdir[0]                      ? o->workdir
                          : img && img->working_dir && img->working_dir[0] ? img->working_dir
                                                                           : "/";
        json_object_set_new(p, "cwd", json_string(cwd));
        json_object_set_new(p, "capabilities", caps_json(caps));
        if (o->n_ulimits > 0) {
                json_t *rl = json_array();
                for (size_t i = 0; i < o->n_ulimits; i++) {
                        json_t *r = json_object();
                        json_object_set_new(
                            r, "type",
                            json_string(container_rlimit_oci_name(o->ulimits[i].resource)));
                        json_object_set_new(r, "hard", rlimit_value(o->ulimits[i].hard));
                        json_object_set_new(r, "soft", rlimit_value(o->ulimits[i].soft));
                        json_array_append_new(rl, r);
                }
                json_object_set_new(p, "rlimits", rl);
        }
        if (o->no_new_privileges)
                json_object_set_new(p, "noNewPrivileges", json_true());
        *out = steal_pointer(&p);
        return 0;
}

int container_spec_generate(const struct container_spec_input *in, json_t **out,
                            struct berth_error **err)
{
        const struct container_options *o = in->opts;
        _cleanup_json_ json_t *spec = json_object();
        _cleanup_strv_ char **caps =
            container_caps_compute(o->cap_add, o->cap_drop, o->privileged, in->caps_available);
        json_t *proc = NULL, *mounts = NULL;

        json_object_set_new(spec, "ociVersion", json_string("1.1.0"));
        if (process(in, caps, &proc, err) < 0)
                return berth_err_wrap(err, "generating the spec");
        json_object_set_new(spec, "process", proc);

        json_t *root = json_object();
        json_object_set_new(root, "path", json_string(in->rootfs_path));
        if (o->read_only)
                json_object_set_new(root, "readonly", json_true());
        json_object_set_new(spec, "root", root);
        json_object_set_new(spec, "hostname", json_string(in->hostname));

        if (container_spec_mounts(in, &mounts, err) < 0)
                return berth_err_wrap(err, "generating the spec");
        json_object_set_new(spec, "mounts", mounts);

        json_t *linux_ = json_object();
        json_object_set_new(spec, "linux", linux_);
        if (o->network != CONTAINER_NETWORK_HOST && o->network != CONTAINER_NETWORK_CONTAINER) {
                /* Docker's: in an own network namespace, binding low ports
                 * and ping need no privilege. */
                json_t *sysctl = json_object();
                json_object_set_new(sysctl, "net.ipv4.ip_unprivileged_port_start",
                                    json_string("0"));
                json_object_set_new(sysctl, "net.ipv4.ping_group_range",
                                    json_string("0 2147483647"));
                json_object_set_new(linux_, "sysctl", sysctl);
        }
        json_object_set_new(linux_, "resources", resources(o));
        if (in->cgroups_path != NULL)
                json_object_set_new(linux_, "cgroupsPath", json_string(in->cgroups_path));
        if (namespaces(in, linux_, err) < 0)
                return berth_err_wrap(err, "generating the spec");
        /* In a user namespace the range must be gids it maps (the kernel
         * refuses others): 0 to the highest mapped one, as moby does. */
        json_t *gmaps = json_object_get(linux_, "gidMappings");
        json_t *sysctls = json_object_get(linux_, "sysctl");
        if (json_array_size(gmaps) > 0 && json_object_get(sysctls, "net.ipv4.ping_group_range")) {
                json_int_t high = -1;
                bool zero = false;
                size_t i;
                json_t *m;
                json_array_foreach(gmaps, i, m)
                {
                        json_int_t c = json_integer_value(json_object_get(m, "containerID"));
                        json_int_t n = json_integer_value(json_object_get(m, "size"));
                        zero |= c == 0 && n > 0;
                        if (n > 0 && c + n - 1 > high)
                                high = c + n - 1;
                }
                if (zero) {
                        _cleanup_free_ char *range = xasprintf("0 %lld", (long long)high);
                        json_object_set_new(sysctls, "net.ipv4.ping_group_range",
                                            json_string(range));
                } else {
                        json_object_del(sysctls, "net.ipv4.ping_group_range");
                }
        }
        if (seccomp(in, caps, linux_, err) < 0)
                return berth_err_wrap(err, "generating the spec");
        if (o->privileged && in->host_dev_dir != NULL) {
                json_t *devs = NULL;
                if (container_spec_host_devices(in->host_dev_dir, &devs, err) < 0)
                        return berth_err_wrap(err, "generating the spec");
                json_object_set_new(linux_, "devices", devs);
        }
        if (!o->privileged) {
                json_object_set_new(linux_, "maskedPaths",
                                    util_json_from_strv((char *const *)masked_paths));
                json_object_set_new(linux_, "readonlyPaths",
                                    util_json_from_strv((char *const *)readonly_paths));
        }
        *out = steal_pointer(&spec);
        return 0;
}
