/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/options.h"
#include "container/parse.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct container_options *container_options_new(void)
{
        struct container_options *o = xcalloc(1, sizeof(*o));
        o->sig_proxy = true;
        return o;
}

void container_options_free(struct container_options *o)
{
        if (o == NULL)
                return;
        free(o->name);
        strv_free(o->env);
        strv_free(o->env_files);
        free(o->workdir);
        free(o->user);
        strv_free(o->entrypoint);
        strv_free(o->cmd);
        free(o->hostname);
        strv_free(o->labels);
        for (size_t i = 0; i < o->n_mounts; i++)
                container_mount_clear(&o->mounts[i]);
        free(o->mounts);
        free(o->cpuset_cpus);
        strv_free(o->cap_add);
        strv_free(o->cap_drop);
        free(o->seccomp_profile);
        for (size_t i = 0; i < o->n_ulimits; i++)
                container_ulimit_clear(&o->ulimits[i]);
        free(o->ulimits);
        free(o->network_name);
        free(o->uidmap);
        free(o->gidmap);
        free(o);
}

void container_options_freep(struct container_options **o)
{
        container_options_free(*o);
        *o = NULL;
}

enum flag_id {
        F_NAME,
        F_ENV,
        F_ENV_FILE,
        F_WORKDIR,
        F_USER,
        F_ENTRYPOINT,
        F_HOSTNAME,
        F_LABEL,
        F_VOLUME,
        F_MOUNT,
        F_TMPFS,
        F_READ_ONLY,
        F_MEMORY,
        F_MEMORY_SWAP,
        F_CPUS,
        F_CPU_SHARES,
        F_CPUSET_CPUS,
        F_PIDS_LIMIT,
        F_CAP_ADD,
        F_CAP_DROP,
        F_PRIVILEGED,
        F_SECURITY_OPT,
        F_ULIMIT,
        F_INIT,
        F_NETWORK,
        F_STOP_SIGNAL,
        F_STOP_TIMEOUT,
        F_RESTART,
        F_TTY,
        F_INTERACTIVE,
        F_DETACH,
        F_RM,
        F_SIG_PROXY,
        F_USERNS,
        F_UIDMAP,
        F_GIDMAP,
};

static const struct {
        const char *name, *alias;
        enum flag_id id;
        bool is_bool;
} flags[] = {
    {"name", NULL, F_NAME, false},
    {"env", "e", F_ENV, false},
    {"env-file", NULL, F_ENV_FILE, false},
    {"workdir", "w", F_WORKDIR, false},
    {"user", "u", F_USER, false},
    {"entrypoint", NULL, F_ENTRYPOINT, false},
    {"hostname", "h", F_HOSTNAME, false},
    {"label", "l", F_LABEL, false},
    {"volume", "v", F_VOLUME, false},
    {"mount", NULL, F_MOUNT, false},
    {"tmpfs", NULL, F_TMPFS, false},
    {"read-only", NULL, F_READ_ONLY, true},
    {"memory", "m", F_MEMORY, false},
    {"memory-swap", NULL, F_MEMORY_SWAP, false},
    {"cpus", NULL, F_CPUS, false},
    {"cpu-shares", "c", F_CPU_SHARES, false},
    {"cpuset-cpus", NULL, F_CPUSET_CPUS, false},
    {"pids-limit", NULL, F_PIDS_LIMIT, false},
    {"cap-add", NULL, F_CAP_ADD, false},
    {"cap-drop", NULL, F_CAP_DROP, false},
    {"privileged", NULL, F_PRIVILEGED, true},
    {"security-opt", NULL, F_SECURITY_OPT, false},
    {"ulimit", NULL, F_ULIMIT, false},
    {"init", NULL, F_INIT, true},
    {"network", "net", F_NETWORK, false},
    {"stop-signal", NULL, F_STOP_SIGNAL, false},
    {"stop-timeout", NULL, F_STOP_TIMEOUT, false},
    {"restart", NULL, F_RESTART, false},
    {"tty", "t", F_TTY, true},
    {"interactive", "i", F_INTERACTIVE, true},
    {"detach", "d", F_DETACH, true},
    {"rm", NULL, F_RM, true},
    {"sig-proxy", NULL, F_SIG_PROXY, true},
    {"userns", NULL, F_USERNS, false},
    {"uidmap", NULL, F_UIDMAP, false},
    {"gidmap", NULL, F_GIDMAP, false},
};

static int find_flag(const char *flag)
{
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (strcmp(flag, flags[i].name) == 0 ||
                    (flags[i].alias != NULL && strcmp(flag, flags[i].alias) == 0))
                        return (int)i;
        return -1;
}

bool container_options_flag_known(const char *flag)
{
        return find_flag(flag) >= 0;
}

bool container_options_flag_is_bool(const char *flag)
{
        int i = find_flag(flag);
        return i >= 0 && flags[i].is_bool;
}

static void set_str(char **dst, const char *v)
{
        free(*dst);
        *dst = xstrdup(v);
}

static void add_mount(struct container_options *o, struct container_mount *m)
{
        o->mounts = xrealloc(o->mounts, (o->n_mounts + 1) * sizeof(*o->mounts));
        o->mounts[o->n_mounts++] = *m;
}

static void set_label(struct container_options *o, const char *v)
{
        const char *eq = strchr(v, '=');
        size_t klen = eq ? (size_t)(eq - v) : strlen(v);
        _cleanup_free_ char *kv = eq ? xstrdup(v) : xasprintf("%s=", v);
        for (size_t i = 0; o->labels != NULL && o->labels[i] != NULL; i++)
                if (strncmp(o->labels[i], kv, klen + 1) == 0) {
                        free(o->labels[i]);
                        o->labels[i] = steal_pointer(&kv);
                        return;
                }
        strv_append(&o->labels, kv);
}

static int add_idmap(struct container_idmap **maps, size_t *n, const char *v,
                     struct berth_error **err)
{
        struct container_idmap m;
        if (container_parse_idmap(v, &m, err) < 0)
                return berth_err_ret(*err);
        *maps = xrealloc(*maps, (*n + 1) * sizeof(**maps));
        (*maps)[(*n)++] = m;
        return 0;
}

static int security_opt(struct container_options *o, const char *v, struct berth_error **err)
{
        /* "key=value", the old "key:value", or a bare no-new-privileges. */
        const char *sep = strchr(v, '=');
        if (sep == NULL && strcmp(v, "no-new-privileges") != 0)
                sep = strchr(v, ':');
        if (sep == NULL && strcmp(v, "no-new-privileges") != 0)
                return berth_err(err, 0, "Invalid --security-opt: \"%s\"", v);
        _cleanup_free_ char *key = sep ? xstrndup(v, (size_t)(sep - v)) : xstrdup(v);
        const char *val = sep ? sep + 1 : NULL;
        if (strcmp(key, "no-new-privileges") == 0) {
                if (val == NULL)
                        o->no_new_privileges = true;
                else if (container_parse_bool(val, &o->no_new_privileges, NULL) < 0)
                        return berth_err(err, 0, "invalid --security-opt 2: \"%s\"", v);
        } else if (strcmp(key, "seccomp") == 0) {
                if (val[0] == '\0')
                        return berth_err(err, 0, "invalid --security-opt 2: \"%s\"", v);
                o->seccomp_unconfined = strcmp(val, "unconfined") == 0;
                free(o->seccomp_profile);
                o->seccomp_profile = o->seccomp_unconfined ? NULL : xstrdup(val);
        } else if (strcmp(key, "label") == 0 || strcmp(key, "apparmor") == 0) {
                /* Accepted as Docker does on a host without SELinux or
                 * AppArmor: there is no LSM here for them to configure. */
        } else {
                return berth_err(err, 0, "invalid --security-opt 1: \"%s\"", v);
        }
        return 0;
}

static int network(struct container_options *o, const char *v, struct berth_error **err)
{
        free(o->network_name);
        o->network_name = NULL;
        if (strcmp(v, "none") == 0) {
                o->network = CONTAINER_NETWORK_NONE;
        } else if (strcmp(v, "host") == 0) {
                o->network = CONTAINER_NETWORK_HOST;
        } else if (strcmp(v, "bridge") == 0 || strcmp(v, "default") == 0) {
                o->network = CONTAINER_NETWORK_BRIDGE;
        } else if (strncmp(v, "container:", 10) == 0) {
                if (v[10] == '\0')
                        return berth_err(err, 0, "invalid container format container:<name|id>");
                o->network = CONTAINER_NETWORK_CONTAINER;
                o->network_name = xstrdup(v + 10);
        } else if (v[0] == '\0') {
                return berth_err(err, 0, "network name must not be empty");
        } else {
                o->network = CONTAINER_NETWORK_NAMED;
                o->network_name = xstrdup(v);
        }
        return 0;
}

static int apply(struct container_options *o, enum flag_id id, const char *v,
                 struct berth_error **err)
{
        struct container_mount m;
        int64_t n;
        char *cap = NULL;

        switch (id) {
        case F_NAME:
                /* Docker's "--name ''" is no name: one is made up. */
                free(o->name);
                o->name = v[0] ? xstrdup(v) : NULL;
                return 0;
        case F_ENV:
                if (v[0] == '=' || v[0] == '\0')
                        return berth_err(err, 0, "invalid environment variable: %s", v);
                strv_append(&o->env, v);
                return 0;
        case F_ENV_FILE:
                strv_append(&o->env_files, v);
                return 0;
        case F_WORKDIR:
                set_str(&o->workdir, v);
                return 0;
        case F_USER:
                set_str(&o->user, v);
                return 0;
        case F_ENTRYPOINT:
                /* One word, not split (Docker's CLI); "" leaves none. */
                o->entrypoint_set = true;
                strv_free(o->entrypoint);
                o->entrypoint = xcalloc(1, sizeof(char *));
                if (v[0] != '\0')
                        strv_append(&o->entrypoint, v);
                return 0;
        case F_HOSTNAME:
                set_str(&o->hostname, v);
                return 0;
        case F_LABEL:
                if (v[0] == '=' || v[0] == '\0' || isspace((unsigned char)v[0]))
                        return berth_err(err, 0, "invalid label '%s': empty name", v);
                set_label(o, v);
                return 0;
        case F_VOLUME:
        case F_MOUNT:
        case F_TMPFS:
                if ((id == F_VOLUME  ? container_parse_volume(v, &m, err)
                     : id == F_MOUNT ? container_parse_mount(v, &m, err)
                                     : container_parse_tmpfs(v, &m, err)) < 0)
                        return berth_err_ret(*err);
                add_mount(o, &m);
                return 0;
        case F_MEMORY:
                return container_parse_size(v, &o->memory, err);
        case F_MEMORY_SWAP:
                if (strcmp(v, "-1") == 0) {
                        o->memory_swap = -1;
                        return 0;
                }
                return container_parse_size(v, &o->memory_swap, err);
        case F_CPUS:
                return container_parse_cpus(v, &o->nano_cpus, err);
        case F_CPU_SHARES:
                return container_parse_int64(v, &o->cpu_shares, err);
        case F_CPUSET_CPUS:
                if (container_parse_cpuset(v, err) < 0)
                        return berth_err_ret(*err);
                set_str(&o->cpuset_cpus, v);
                return 0;
        case F_PIDS_LIMIT:
                o->pids_limit_set = true;
                return container_parse_int64(v, &o->pids_limit, err);
        case F_CAP_ADD:
        case F_CAP_DROP:
                if (container_parse_capability(v, &cap, err) < 0)
                        return berth_err_ret(*err);
                strv_append(id == F_CAP_ADD ? &o->cap_add : &o->cap_drop, cap);
                free(cap);
                return 0;
        case F_SECURITY_OPT:
                return security_opt(o, v, err);
        case F_ULIMIT: {
                struct container_ulimit u;
                if (container_parse_ulimit(v, &u, err) < 0)
                        return berth_err_ret(*err);
                /* A later --ulimit of one name replaces the earlier. */
                for (size_t i = 0; i < o->n_ulimits; i++)
                        if (o->ulimits[i].resource == u.resource) {
                                container_ulimit_clear(&o->ulimits[i]);
                                o->ulimits[i] = u;
                                return 0;
                        }
                o->ulimits = xrealloc(o->ulimits, (o->n_ulimits + 1) * sizeof(*o->ulimits));
                o->ulimits[o->n_ulimits++] = u;
                return 0;
        }
        case F_NETWORK:
                return network(o, v, err);
        case F_STOP_SIGNAL:
                return container_parse_signal(v, &o->stop_signal, err);
        case F_STOP_TIMEOUT:
                if (container_parse_int64(v, &n, err) < 0)
                        return berth_err_ret(*err);
                if (n < -1 || n > 0x7fffffff)
                        return berth_err(err, 0, "value out of range");
                o->stop_timeout_set = true;
                o->stop_timeout = (int)n;
                return 0;
        case F_RESTART:
                o->restart_set = true;
                return container_parse_restart(v, &o->restart, &o->restart_max_retries, err);
        case F_USERNS:
                if (v[0] == '\0')
                        o->userns = CONTAINER_USERNS_DEFAULT;
                else if (strcmp(v, "host") == 0)
                        o->userns = CONTAINER_USERNS_HOST;
                else if (strcmp(v, "auto") == 0 || strcmp(v, "private") == 0)
                        o->userns = CONTAINER_USERNS_AUTO;
                else
                        return berth_err(err, 0,
                                         "valid modes are \"host\", \"auto\" and "
                                         "\"private\"");
                return 0;
        case F_UIDMAP:
                return add_idmap(&o->uidmap, &o->n_uidmap, v, err);
        case F_GIDMAP:
                return add_idmap(&o->gidmap, &o->n_gidmap, v, err);
        default:
                return berth_err(err, 0, "not a value flag");
        }
}

int container_options_set(struct container_options *o, const char *flag, const char *value,
                          struct berth_error **err)
{
        int i = find_flag(flag);
        if (i < 0)
                return berth_err(err, ENOENT, "unknown flag: --%s", flag);
        const char *name = flags[i].name;

        if (flags[i].is_bool) {
                bool b = true;
                if (value != NULL && container_parse_bool(value, &b, err) < 0)
                        return berth_err_wrap(err, "invalid argument \"%s\" for \"--%s\" flag",
                                              value, name);
                switch (flags[i].id) {
                case F_READ_ONLY:
                        o->read_only = b;
                        break;
                case F_PRIVILEGED:
                        o->privileged = b;
                        break;
                case F_INIT:
                        o->init = b;
                        break;
                case F_TTY:
                        o->tty = b;
                        break;
                case F_INTERACTIVE:
                        o->interactive = b;
                        break;
                case F_DETACH:
                        o->detach = b;
                        break;
                case F_RM:
                        o->rm = b;
                        break;
                case F_SIG_PROXY:
                        o->sig_proxy = b;
                        break;
                default:
                        break;
                }
                return 0;
        }
        if (value == NULL)
                return berth_err(err, 0, "flag needs an argument: --%s", name);
        if (apply(o, flags[i].id, value, err) < 0)
                return berth_err_wrap(err, "invalid argument \"%s\" for \"--%s\" flag", value,
                                      name);
        return 0;
}

/* Whether every CPU of a cpuset list is online: 1 yes, 0 no, -1 can't
 * tell (no /sys), which lets the runtime decide. */
static int cpuset_available(const char *list)
{
        _cleanup_free_ char *online = NULL;
        _cleanup_error_ struct berth_error *e = NULL;
        if (util_file_read(AT_FDCWD, "/sys/devices/system/cpu/online", &online, NULL, &e) < 0)
                return -1;
        bool on[4096] = {false};
        char *p = online;
        for (char *item = strsep(&p, ",\n"); item != NULL; item = strsep(&p, ",\n")) {
                unsigned a, b;
                int n = sscanf(item, "%u-%u", &a, &b);
                if (n == 1)
                        b = a;
                for (unsigned c = a; n >= 1 && c <= b && c < 4096; c++)
                        on[c] = true;
        }
        _cleanup_free_ char *copy = xstrdup(list);
        p = copy;
        for (char *item = strsep(&p, ","); item != NULL; item = strsep(&p, ",")) {
                unsigned a, b;
                int n = sscanf(item, "%u-%u", &a, &b);
                if (n == 1)
                        b = a;
                for (unsigned c = a; n >= 1 && c <= b; c++)
                        if (c >= 4096 || !on[c])
                                return 0;
        }
        return 1;
}

static bool name_valid(const char *name)
{
        /* Docker's ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$ */
        if (name[0] == '/')
                name++;
        return container_volume_name_valid(name);
}

int container_options_validate(const struct container_options *o, struct berth_error **err)
{
        if (o->name != NULL && !name_valid(o->name))
                return berth_err(err, 0,
                                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 o->name);
        /* There are no user networks to join (Docker's daemon looks the
         * name up and fails the same way). */
        if (o->network == CONTAINER_NETWORK_NAMED)
                return berth_err(err, 0, "network %s not found", o->network_name);
        if (o->hostname != NULL && strlen(o->hostname) > 64)
                return berth_err(err, 0, "invalid hostname \"%s\": longer than 64 characters",
                                 o->hostname);
        if (o->hostname != NULL && o->network == CONTAINER_NETWORK_CONTAINER)
                return berth_err(err, 0, "conflicting options: hostname and the network mode");
        if (o->workdir != NULL && o->workdir[0] != '\0' && o->workdir[0] != '/')
                return berth_err(err, 0,
                                 "the working directory '%s' is invalid, it needs to be an "
                                 "absolute path",
                                 o->workdir);
        if (o->memory > 0 && o->memory < 6 * 1024 * 1024)
                return berth_err(err, 0, "Minimum memory limit allowed is 6MB");
        if (o->memory == 0 && o->memory_swap > 0)
                return berth_err(err, 0,
                                 "You should always set the Memory limit when using "
                                 "Memoryswap limit, see usage");
        if (o->memory_swap > 0 && o->memory_swap < o->memory)
                return berth_err(err, 0,
                                 "Minimum memoryswap limit should be larger than memory "
                                 "limit, see usage");
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (o->nano_cpus > 0 && ncpu > 0 &&
            (o->nano_cpus < 10000000 || o->nano_cpus > (int64_t)ncpu * 1000000000))
                return berth_err(err, 0,
                                 "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs "
                                 "available",
                                 ncpu, ncpu);
        if (o->cpuset_cpus != NULL && cpuset_available(o->cpuset_cpus) == 0) {
                _cleanup_free_ char *online = NULL;
                _cleanup_error_ struct berth_error *e = NULL;
                util_file_read(AT_FDCWD, "/sys/devices/system/cpu/online", &online, NULL, &e);
                if (online != NULL)
                        online[strcspn(online, "\n")] = '\0';
                return berth_err(err, 0,
                                 "Requested CPUs are not available - requested %s, "
                                 "available: %s",
                                 o->cpuset_cpus, online ? online : "?");
        }
        if (o->cpu_shares < 0)
                return berth_err(err, 0, "invalid CPU shares (%lld): must not be negative",
                                 (long long)o->cpu_shares);
        if (o->rm && o->restart != CONTAINER_RESTART_NO)
                return berth_err(err, 0,
                                 "conflicting options: cannot specify both --restart "
                                 "and --rm");
        if (o->userns == CONTAINER_USERNS_HOST && (o->n_uidmap > 0 || o->n_gidmap > 0))
                return berth_err(err, 0,
                                 "--userns=host and --uidmap/--gidmap are mutually "
                                 "exclusive");
        for (size_t i = 0; i < o->n_mounts; i++) {
                const struct container_mount *m = &o->mounts[i];
                for (size_t j = 0; j < i; j++)
                        if (strcmp(o->mounts[j].target, m->target) == 0)
                                return berth_err(err, 0, "Duplicate mount point: %s", m->target);
                struct stat st;
                /* -v creates a missing host directory; --mount does not. */
                if (m->type == CONTAINER_MOUNT_BIND && !m->from_volume_flag &&
                    stat(m->source, &st) < 0)
                        return berth_err(err, 0,
                                         "invalid mount config for type \"bind\": bind source "
                                         "path does not exist: %s",
                                         m->source);
        }
        return 0;
}

int container_env_file_parse(const char *content, const char *path,
                             const char *(*lookup)(const char *), char ***out,
                             struct berth_error **err)
{
        _cleanup_strv_ char **env = xcalloc(1, sizeof(char *));
        const char *p = content;
        size_t lineno = 0;
        if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
                p += 3; /* a UTF-8 BOM */
        while (*p != '\0') {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                _cleanup_free_ char *line = xstrndup(p, len);
                p += len + (nl ? 1 : 0);
                lineno++;
                if (len > 0 && line[len - 1] == '\r')
                        line[len - 1] = '\0';
                char *l = line;
                while (isspace((unsigned char)*l))
                        l++;
                if (*l == '\0' || *l == '#')
                        continue;
                char *eq = strchr(l, '=');
                _cleanup_free_ char *var = eq ? xstrndup(l, (size_t)(eq - l)) : xstrdup(l);
                if (var[0] == '\0')
                        return berth_err(err, 0,
                                         "poorly formatted environment: no variable name on "
                                         "line '%s'",
                                         l);
                /* A bare name may carry trailing blanks, which are
                 * trimmed; anywhere else a blank makes the name bad. */
                if (eq == NULL) {
                        size_t n = strlen(var);
                        while (n > 0 && isspace((unsigned char)var[n - 1]))
                                var[--n] = '\0';
                }
                if (strpbrk(var, " \t\n\v\f\r") != NULL)
                        return berth_err(err, 0,
                                         "poorly formatted environment: variable '%s' contains "
                                         "whitespaces",
                                         var);
                if (eq != NULL) {
                        strv_append(&env, l);
                } else {
                        const char *val = lookup ? lookup(var) : getenv(var);
                        if (val != NULL) {
                                _cleanup_free_ char *kv = xasprintf("%s=%s", var, val);
                                strv_append(&env, kv);
                        }
                }
        }
        (void)path;
        *out = steal_pointer(&env);
        return 0;
}

int container_options_env(const struct container_options *o, const char *(*lookup)(const char *),
                          char ***out, struct berth_error **err)
{
        _cleanup_strv_ char **env = xcalloc(1, sizeof(char *));
        for (size_t i = 0; o->env_files != NULL && o->env_files[i] != NULL; i++) {
                _cleanup_free_ char *content = NULL;
                _cleanup_strv_ char **lines = NULL;
                if (util_file_read(AT_FDCWD, o->env_files[i], &content, NULL, err) < 0)
                        return berth_err_wrap(err, "reading env file");
                if (container_env_file_parse(content, o->env_files[i], lookup, &lines, err) < 0)
                        return berth_err_wrap(err, "env file %s", o->env_files[i]);
                for (size_t j = 0; lines[j] != NULL; j++)
                        strv_append(&env, lines[j]);
        }
        for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++) {
                const char *e = o->env[i];
                const char *val = NULL;
                if (strchr(e, '=') == NULL)
                        val = lookup ? lookup(e) : getenv(e);
                if (val != NULL) {
                        _cleanup_free_ char *kv = xasprintf("%s=%s", e, val);
                        strv_append(&env, kv);
                } else {
                        strv_append(&env, e);
                }
        }
        *out = steal_pointer(&env);
        return 0;
}
