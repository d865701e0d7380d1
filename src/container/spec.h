/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_SPEC_H
#define BERTH_CONTAINER_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container/options.h"
#include "image/config.h"
#include "util/error.h"

/*
 * Image config + run options -> the OCI runtime config.json that
 * berth-runtime consumes, merged exactly as Docker's daemon merges them.
 */

/* A volume the container mounts: from -v NAME:/dst, --mount type=volume,
 * -v /dst (anonymous) or the image's VOLUME.  The caller creates or finds
 * it and sets host_path before container_spec_generate(). */
struct container_volume {
        char *name;   /* NULL: anonymous (the caller names it) */
        char *target; /* in the container */
        bool readonly;
        bool nocopy;    /* skip Docker's copy-up of the image's content */
        bool anonymous; /* removed with rm -v / --rm */
        char *host_path;
};

struct container_volume_list {
        struct container_volume *v;
        size_t n;
};

/* The volumes to provide: each volume mount of the options, then each
 * image VOLUME that no mount of the options covers (Docker's rule). */
void container_volumes_plan(const struct image_config *img, const struct container_options *o,
                            struct container_volume_list *out);
void container_volume_list_clear(struct container_volume_list *l);

struct container_spec_input {
        const struct image_config *img; /* the image store's; NULL: an empty config */
        const struct container_options *opts;
        char *const *env;        /* container_options_env(opts): -e and --env-file */
        const char *id;          /* the full container ID */
        const char *rootfs_path; /* root.path in the document */
        int rootfd;              /* the mounted rootfs, for /etc/passwd and /etc/group */
        const char *hostname;    /* container_hostname() */
        /* Host files the caller wrote (container_hosts_content() etc.) and
         * which are bind-mounted over /etc/...; NULL: no such mount. */
        const char *hostname_path, *hosts_path, *resolv_conf_path;
        const char *netns_path; /* --network container:X: X's network namespace */
        const char *init_path;  /* --init: berth's init on the host, bound to /dev/init */
        const struct container_volume_list *volumes; /* planned, host paths filled in */
        /* --privileged: the host's device directory ("/dev") whose nodes
         * all go to linux.devices, as Docker does; NULL: none. */
        const char *host_dev_dir;
        const char *cgroups_path; /* linux.cgroupsPath, absolute ("/berth/<id>"); NULL: none */
        bool cgroupns;            /* a private cgroup namespace (Docker's default on cgroup v2) */
        const char *arch;         /* Go's arch name for the seccomp profile; NULL: this machine's */
        /* What --privileged and --cap-add ALL give: container_caps_available()
         * (the engine's own bounding set, which a container can't exceed);
         * NULL: every capability berth knows. */
        char *const *caps_available;
        /* The host ranges for --userns=auto, resolved by the caller from
         * /etc/subuid and /etc/subgid; ignored unless opts->userns is auto. */
        const struct container_idmap *auto_uidmap, *auto_gidmap;
        size_t n_auto_uidmap, n_auto_gidmap;
};

int container_spec_generate(const struct container_spec_input *in, json_t **out,
                            struct berth_error **err);

/* --hostname, else the joined container's (container:X), the host's
 * (host), or the first 12 characters of the ID. */
char *container_hostname(const struct container_options *o, const char *id,
                         const char *other_hostname);

/* process.args: Docker's entrypoint/cmd rules. */
int container_spec_args(const struct image_config *img, const struct container_options *o,
                        char ***out, struct berth_error **err);

/* process.env: PATH, HOSTNAME, TERM=xterm with -t, then the image's env
 * and -e/--env-file replacing or appending (a bare "K" unsets K). */
char **container_spec_env(const struct image_config *img, char *const *user_env,
                          const char *hostname, bool tty);

/* Docker's ReplaceOrAppendEnvValues. */
char **container_env_merge(char *const *defaults, char *const *overrides);

/* The stop signal: --stop-signal, else the image's, else SIGTERM. */
int container_stop_signal(const struct image_config *img, const struct container_options *o,
                          struct berth_error **err);

/* User resolution as Docker does it (moby/sys/user GetExecUser). */
struct container_user {
        uint32_t uid, gid;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        char *home;
};
/* spec is "user[:group]", names or ids; "" is root.  /etc/passwd and
 * /etc/group are read inside rootfd (missing ones count as empty). */
int container_user_resolve(int rootfd, const char *spec, struct container_user *out,
                           struct berth_error **err);
void container_user_clear(struct container_user *u);

/* --userns=auto: the caller's range in /etc/subuid (or subgid) content,
 * by user name or uid, as a map of container ids from 0 (at most 65536).
 * 1 found, 0 none. */
int container_subid_lookup(const char *content, const char *user, uint32_t uid,
                           struct container_idmap *out);

/* mkdir -p of process.cwd inside the rootfs, as Docker does at start. */
int container_workdir_ensure(int rootfd, const char *cwd, struct berth_error **err);

/* Config.Labels: the image's, with -l/--label replacing or adding. */
char **container_labels(const struct image_config *img, const struct container_options *o);

/* The content of the generated files. */
char *container_hostname_content(const char *hostname);
/* localhost lines, then "<ip>\t<hostname> [<name>]"; ip NULL gives
 * 127.0.0.1 (no network of its own yet to name). */
char *container_hosts_content(const char *hostname, const char *name, const char *ip);
/* The host's resolv.conf minus loopback nameservers (and IPv6 ones
 * unless ipv6), 8.8.8.8 and 8.8.4.4 when none remain. */
char *container_resolv_conf_content(const char *host_resolv_conf, bool ipv6);

/*
 * Write "hostname", "hosts" and "resolv.conf" under dirfd (the bundle), to
 * be passed as hostname_path etc.  --network host copies the host's hosts
 * and resolv.conf; otherwise they are generated, and a host resolv.conf
 * that only names systemd-resolved's stub is replaced by resolved's
 * upstream list first.  host_etc: where the host's files are (NULL: /etc;
 * tests point it elsewhere).  Atomic but not fsynced, as Docker writes
 * them: they are derived from the options and the host's files.
 */
int container_etc_files_write(int dirfd, const struct container_options *o, const char *hostname,
                              const char *ip, const char *host_etc, struct berth_error **err);

/* linux.seccomp from a Docker-format profile (moby's default.json shape)
 * for the given capabilities and arch: includes/excludes resolved. */
int container_seccomp_from_profile(json_t *profile, char *const *caps, const char *arch,
                                   json_t **out, struct berth_error **err);
/* Docker's default profile, as berth ships it (seccomp-default.json). */
int container_seccomp_default(char *const *caps, const char *arch, json_t **out,
                              struct berth_error **err);
/* The capabilities in the calling process's bounding set ("CAP_X"). */
char **container_caps_available(void);

/* Go's name for this machine's arch: "amd64", "arm64", ... */
const char *container_arch_native(void);

#endif
