/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <sys/prctl.h>

#include "container/caps.h"
#include "container/spec.h"
#include "util/xalloc.h"

const char *const container_caps_all[] = {
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

const char *const container_caps_default[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static bool in_list(char *const *list, const char *s)
{
        for (size_t i = 0; list != NULL && list[i] != NULL; i++)
                if (strcmp(list[i], s) == 0)
                        return true;
        return false;
}

bool container_cap_known(const char *name)
{
        return in_list((char *const *)container_caps_all, name);
}

static void add_unique(char ***caps, const char *c)
{
        if (!in_list(*caps, c))
                strv_append(caps, c);
}

char **container_caps_compute(char *const *cap_add, char *const *cap_drop, bool privileged,
                              char *const *available)
{
        char **caps = xcalloc(1, sizeof(char *));
        const char *const *base = container_caps_default;

        if (privileged || in_list(cap_add, "ALL")) {
                for (size_t i = 0; container_caps_all[i] != NULL; i++)
                        if ((privileged || !in_list(cap_drop, container_caps_all[i])) &&
                            (available == NULL || in_list(available, container_caps_all[i])))
                                add_unique(&caps, container_caps_all[i]);
                return caps;
        }
        if (!in_list(cap_drop, "ALL"))
                for (size_t i = 0; base[i] != NULL; i++)
                        if (!in_list(cap_drop, base[i]))
                                add_unique(&caps, base[i]);
        for (size_t i = 0; cap_add != NULL && cap_add[i] != NULL; i++)
                add_unique(&caps, cap_add[i]);
        return caps;
}

char **container_caps_available(void)
{
        char **caps = xcalloc(1, sizeof(char *));
        for (int i = 0; container_caps_all[i] != NULL; i++)
                /* 1 in the bounding set, 0 not, -1 (EINVAL) unknown to
                 * this kernel. */
                if (prctl(PR_CAPBSET_READ, (unsigned long)i, 0, 0, 0) == 1)
                        strv_append(&caps, container_caps_all[i]);
        return caps;
}
