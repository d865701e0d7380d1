/* SPDX-License-Identifier: Apache-2.0 */
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "util/json.h"
#include "util/xalloc.h"

/* linux/capability.h, by number. */
const char *const runtime_cap_names[RUNTIME_CAP_LAST + 2] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

int runtime_cap_from_name(const char *name)
{
        if (name == NULL)
                return -1;
        for (int i = 0; i <= RUNTIME_CAP_LAST; i++)
                if (strcmp(runtime_cap_names[i], name) == 0)
                        return i;
        return -1;
}

const char *runtime_cap_name(int cap)
{
        return cap >= 0 && cap <= RUNTIME_CAP_LAST ? runtime_cap_names[cap] : NULL;
}

static json_t *strings(const char *const *v)
{
        json_t *a = json_array();
        for (; *v != NULL; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *mount(const char *dest, const char *type, const char *source,
                     const char *const *options)
{
        json_t *m =
            json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
        if (options != NULL)
                json_object_set_new(m, "options", strings(options));
        return m;
}

static json_t *default_mounts(bool rootless)
{
        static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
        static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                          "mode=0620", "gid=5",  NULL};
        static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
                                          "mode=1777", "size=65536k", NULL};
        static const char *const mqueue[] = {"nosuid", "noexec", "nodev", NULL};
        static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
        static const char *const sys_bind[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
        static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
        json_t *mounts = json_array();

        json_array_append_new(mounts, mount("/proc", "proc", "proc", NULL));
        json_array_append_new(mounts, mount("/dev", "tmpfs", "tmpfs", dev));
        json_t *devpts = mount("/dev/pts", "devpts", "devpts", pts);
        if (rootless) {
                /* gid 5 (tty) is not mapped in a one-id user namespace:
                 * devpts would refuse the mount. */
                json_t *opts = json_object_get(devpts, "options");
                json_array_remove(opts, json_array_size(opts) - 1);
        }
        json_array_append_new(mounts, devpts);
        json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm", shm));
        json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", mqueue));
        /* Without a network namespace of its own a user namespace may not
         * mount a fresh sysfs, so the rootless variant binds the host's. */
        json_array_append_new(mounts, rootless ? mount("/sys", "none", "/sys", sys_bind)
                                               : mount("/sys", "sysfs", "sysfs", sys));
        json_array_append_new(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup", cgroup));
        return mounts;
}

static json_t *id_map(unsigned int host_id)
{
        return json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)host_id,
                         "size", 1);
}

json_t *runtime_spec_default(bool rootless)
{
        static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                           NULL};
        static const char *const masked[] = {"/proc/acpi",
                                             "/proc/asound",
                                             "/proc/kcore",
                                             "/proc/keys",
                                             "/proc/latency_stats",
                                             "/proc/timer_list",
                                             "/proc/timer_stats",
                                             "/proc/sched_debug",
                                             "/sys/firmware",
                                             "/proc/scsi",
                                             NULL};
        static const char *const readonly[] = {
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
        static const char *const ns_root[] = {"pid", "network", "ipc", "uts", "mount", NULL};
        /* A rootless container keeps the host's network: an unprivileged
         * user could not connect a new netns to anything anyway. */
        static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "user", NULL};

        json_t *process = json_pack(
            "{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:o, s:o, s:o}, s:[{s:s, s:i, s:i}], "
            "s:b}",
            "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
            "cwd", "/", "capabilities", "bounding", strings(caps), "effective", strings(caps),
            "permitted", strings(caps), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft",
            1024, "noNewPrivileges", 1);

        json_t *lx = json_object();
        if (rootless) {
                json_object_set_new(lx, "uidMappings", id_map(geteuid()));
                json_object_set_new(lx, "gidMappings", id_map(getegid()));
        } else {
                json_object_set_new(
                    lx, "resources",
                    json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
        }
        json_t *namespaces = json_array();
        for (const char *const *ns = rootless ? ns_rootless : ns_root; *ns != NULL; ns++)
                json_array_append_new(namespaces, json_pack("{s:s}", "type", *ns));
        json_object_set_new(lx, "namespaces", namespaces);
        json_object_set_new(lx, "maskedPaths", strings(masked));
        json_object_set_new(lx, "readonlyPaths", strings(readonly));

        return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion",
                         RUNTIME_OCI_VERSION, "process", process, "root", "path", "rootfs",
                         "readonly", 1, "hostname", "berth", "mounts", default_mounts(rootless),
                         "linux", lx);
}

/* The options the mount code understands: runc's list.  Keep in step with
 * the runtime's mount flag table. */
static const char *const mount_options[] = {
    "acl",
    "async",
    "atime",
    "bind",
    "defaults",
    "dev",
    "diratime",
    "dirsync",
    "exec",
    "iversion",
    "lazytime",
    "loud",
    "mand",
    "noacl",
    "noatime",
    "nodev",
    "nodiratime",
    "noexec",
    "noiversion",
    "nolazytime",
    "nomand",
    "norelatime",
    "nostrictatime",
    "nosuid",
    "nosymfollow",
    "private",
    "ratime",
    "rbind",
    "rdev",
    "rdiratime",
    "relatime",
    "remount",
    "rexec",
    "rnoatime",
    "rnodev",
    "rnodiratime",
    "rnoexec",
    "rnorelatime",
    "rnostrictatime",
    "rnosuid",
    "rnosymfollow",
    "ro",
    "rprivate",
    "rrelatime",
    "rro",
    "rrw",
    "rshared",
    "rslave",
    "rstrictatime",
    "rsuid",
    "rsymfollow",
    "runbindable",
    "rw",
    "shared",
    "silent",
    "slave",
    "strictatime",
    "suid",
    "symfollow",
    "sync",
    "tmpcopyup",
    "unbindable",
    NULL,
};

json_t *runtime_features(void)
{
        static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
                                                 "pid",    "user", "uts",   NULL};
        const struct scmp_version *v = seccomp_version();
        json_t *hooks = json_array();

        for (int k = 0; k < RUNTIME_HOOK_KINDS; k++)
                json_array_append_new(hooks, json_string(runtime_hook_names[k]));
        char *libseccomp = xasprintf("%u.%u.%u", v->major, v->minor, v->micro);
        json_t *features = json_pack(
            "{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o}, "
            "s:{s:b}, s:{s:b}}, s:{s:s, s:s}}",
            "ociVersionMin", RUNTIME_OCI_VERSION_MIN, "ociVersionMax", RUNTIME_OCI_VERSION, "hooks",
            hooks, "mountOptions", strings(mount_options), "linux", "namespaces",
            strings(namespaces), "capabilities", strings(runtime_cap_names), "cgroup", "v1", 1,
            "v2", 1, "systemd", 0, "systemdUser", 0, "seccomp", "enabled", 1, "actions",
            strings(runtime_seccomp_action_names), "operators", strings(runtime_seccomp_op_names),
            "archs", strings(runtime_seccomp_arch_names), "apparmor", "enabled", 0, "selinux",
            "enabled", 0, "annotations", "io.github.seccomp.libseccomp.version", libseccomp,
            "org.berth.runtime.version", BERTH_VERSION);
        free(libseccomp);
        json_t *seccomp = json_object_get(json_object_get(features, "linux"), "seccomp");
        json_object_set_new(seccomp, "knownFlags", strings(runtime_seccomp_flag_names));
        json_object_set_new(seccomp, "supportedFlags", strings(runtime_seccomp_flag_names));
        return features;
}
