/* SPDX-License-Identifier: Apache-2.0 */
/* A Docker-format seccomp profile to the OCI linux.seccomp section: the
 * profile's capability-, arch- and kernel-conditional rules are resolved
 * here, for one container, as Docker's daemon resolves them. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "container/spec.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* tools/embed-text.py of seccomp-default.json */
extern const char container_seccomp_default_json[];

const char *container_arch_native(void)
{
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__i386__)
        return "386";
#elif defined(__arm__)
        return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "ppc64le";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#else
        return "unknown";
#endif
}

static const char *scmp_arch(const char *go)
{
        static const char *const map[][2] = {
            {"amd64", "SCMP_ARCH_X86_64"},    {"386", "SCMP_ARCH_X86"},
            {"arm64", "SCMP_ARCH_AARCH64"},   {"arm", "SCMP_ARCH_ARM"},
            {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"s390x", "SCMP_ARCH_S390X"},
            {"riscv64", "SCMP_ARCH_RISCV64"},
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(map[i][0], go) == 0)
                        return map[i][1];
        return NULL;
}

static bool strv_has(char *const *v, const char *s)
{
        for (size_t i = 0; v != NULL && v[i] != NULL; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

static bool json_has(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) if (json_is_string(v) &&
                                          strcmp(json_string_value(v), s) == 0) return true;
        return false;
}

static int kernel_at_least(const char *min)
{
        struct utsname u;
        int kmaj = 0, kmin = 0, maj = 0, mn = 0;
        if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &kmaj, &kmin) < 1)
                return 0;
        if (sscanf(min, "%d.%d", &maj, &mn) < 1)
                return -1;
        return kmaj > maj || (kmaj == maj && kmin >= mn);
}

/* Whether the rule applies: every included cap held, the arch included,
 * the kernel new enough; no excluded cap held and the arch not excluded. */
static int rule_applies(json_t *rule, char *const *caps, const char *arch, struct berth_error **err)
{
        json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
        json_t *v;
        size_t i;
        if (json_is_object(inc)) {
                json_t *a = json_object_get(inc, "arches");
                if (json_array_size(a) > 0 && !json_has(a, arch))
                        return 0;
                json_array_foreach(json_object_get(inc, "caps"), i,
                                   v) if (!json_is_string(v) ||
                                          !strv_has(caps, json_string_value(v))) return 0;
                json_t *k = json_object_get(inc, "minKernel");
                if (json_is_string(k)) {
                        int r = kernel_at_least(json_string_value(k));
                        if (r < 0)
                                return berth_err(err, 0, "seccomp profile: invalid minKernel %s",
                                                 json_string_value(k));
                        if (r == 0)
                                return 0;
                }
        }
        if (json_is_object(exc)) {
                if (json_has(json_object_get(exc, "arches"), arch))
                        return 0;
                json_array_foreach(json_object_get(exc, "caps"), i,
                                   v) if (json_is_string(v) &&
                                          strv_has(caps, json_string_value(v))) return 0;
                if (json_object_get(exc, "minKernel") != NULL)
                        return berth_err(err, 0,
                                         "seccomp profile: minKernel is not supported in excludes");
        }
        return 1;
}

static int architectures(json_t *profile, const char *arch, json_t *out, struct berth_error **err)
{
        json_t *archs = json_object_get(profile, "architectures");
        json_t *map = json_object_get(profile, "archMap");
        if (json_array_size(archs) > 0 && json_array_size(map) > 0)
                return berth_err(err, 0,
                                 "seccomp profile: use either 'architectures' or 'archMap'");
        if (json_array_size(archs) > 0) {
                json_object_set(out, "architectures", archs);
                return 0;
        }
        const char *native = scmp_arch(arch);
        json_t *v;
        size_t i;
        json_array_foreach(map, i, v)
        {
                json_t *a = json_object_get(v, "architecture");
                if (native == NULL || !json_is_string(a) ||
                    strcmp(json_string_value(a), native) != 0)
                        continue;
                json_t *list = json_array();
                json_array_append(list, a);
                json_t *sub;
                size_t j;
                json_array_foreach(json_object_get(v, "subArchitectures"), j, sub)
                    json_array_append(list, sub);
                json_object_set_new(out, "architectures", list);
        }
        return 0;
}

int container_seccomp_from_profile(json_t *profile, char *const *caps, const char *arch,
                                   json_t **out, struct berth_error **err)
{
        if (arch == NULL)
                arch = container_arch_native();
        if (!json_is_object(profile))
                return berth_err(err, 0, "seccomp profile: not a JSON object");
        json_t *dflt = json_object_get(profile, "defaultAction");
        if (!json_is_string(dflt))
                return berth_err(err, 0, "seccomp profile: defaultAction: expected a string");

        _cleanup_json_ json_t *s = json_object();
        json_object_set(s, "defaultAction", dflt);
        json_t *errno_ret = json_object_get(profile, "defaultErrnoRet");
        if (json_is_integer(errno_ret))
                json_object_set(s, "defaultErrnoRet", errno_ret);
        if (architectures(profile, arch, s, err) < 0)
                return berth_err_ret(*err);
        const char *pass[] = {"listenerPath", "listenerMetadata", "flags"};
        for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
                if (json_object_get(profile, pass[i]) != NULL)
                        json_object_set(s, pass[i], json_object_get(profile, pass[i]));

        json_t *syscalls = json_array(), *rule;
        json_object_set_new(s, "syscalls", syscalls);
        size_t i;
        json_array_foreach(json_object_get(profile, "syscalls"), i, rule)
        {
                json_t *name = json_object_get(rule, "name"),
                       *names = json_object_get(rule, "names");
                json_t *action = json_object_get(rule, "action");
                if (name != NULL && names != NULL)
                        return berth_err(err, 0,
                                         "seccomp profile: 'name' and 'names' were specified in "
                                         "the seccomp profile, use either 'name' or 'names'");
                if (!json_is_string(action))
                        return berth_err(
                            err, 0, "seccomp profile: syscalls[%zu].action: expected a string", i);
                int r = rule_applies(rule, caps, arch, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                json_t *o = json_object();
                if (json_is_string(name)) {
                        json_t *l = json_array();
                        json_array_append(l, name);
                        json_object_set_new(o, "names", l);
                } else if (json_is_array(names)) {
                        json_object_set(o, "names", names);
                } else {
                        json_decref(o);
                        return berth_err(err, 0, "seccomp profile: syscalls[%zu]: no names", i);
                }
                json_object_set(o, "action", action);
                json_t *args = json_object_get(rule, "args");
                if (json_array_size(args) > 0)
                        json_object_set(o, "args", args);
                json_t *eret = json_object_get(rule, "errnoRet");
                if (json_is_integer(eret))
                        json_object_set(o, "errnoRet", eret);
                json_array_append_new(syscalls, o);
        }
        *out = steal_pointer(&s);
        return 0;
}

int container_seccomp_default(char *const *caps, const char *arch, json_t **out,
                              struct berth_error **err)
{
        _cleanup_json_ json_t *profile = NULL;
        if (util_json_load_string(container_seccomp_default_json,
                                  strlen(container_seccomp_default_json), "seccomp-default.json",
                                  &profile, err) < 0)
                return berth_err_ret(*err);
        return container_seccomp_from_profile(profile, caps, arch, out, err);
}
