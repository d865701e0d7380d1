/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_OPTIONS_H
#define BERTH_CONTAINER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/error.h"

/*
 * The options of `run` and `create`, typed, with one parser per value
 * syntax that accepts exactly what Docker's CLI accepts.  The CLI (and the
 * API, from its JSON) fills a struct container_options through
 * container_options_set(), flag by flag, then calls
 * container_options_validate() once, which checks what Docker's daemon
 * checks across flags.  Parser errors are one line:
 *   invalid argument "12x" for "--memory" flag: invalid suffix: 'x'
 */

enum container_mount_type {
        CONTAINER_MOUNT_BIND,
        CONTAINER_MOUNT_VOLUME,
        CONTAINER_MOUNT_TMPFS,
};

struct container_mount {
        enum container_mount_type type;
        char *source; /* host path (bind), volume name (NULL: anonymous), NULL (tmpfs) */
        char *target; /* absolute path in the container */
        bool readonly;
        bool from_volume_flag; /* -v: a missing host dir is created (--mount errors) */
        bool nocopy;           /* volume: no copy-up of the image's content */
        bool nonrecursive;     /* bind-nonrecursive: "bind" instead of "rbind" */
        char *propagation;     /* bind: private rprivate shared rshared slave rslave */
        char *relabel;         /* -v ...:z or :Z, kept for inspect; no LSM acts on it */
        char **volume_opts;    /* volume-opt: "key=value" */
        int64_t tmpfs_size;    /* tmpfs-size in bytes; 0: unlimited */
        uint32_t tmpfs_mode;   /* tmpfs-mode; 0: unset */
        char *tmpfs_data;      /* --tmpfs DST:OPTIONS: the raw mount data */
};

struct container_ulimit {
        char *name;         /* Docker's name: "nofile" */
        int resource;       /* RLIMIT_NOFILE */
        int64_t soft, hard; /* -1: unlimited */
};

enum container_network_mode {
        CONTAINER_NETWORK_DEFAULT, /* not given: bridge once it exists */
        CONTAINER_NETWORK_NONE,
        CONTAINER_NETWORK_HOST,
        CONTAINER_NETWORK_BRIDGE,
        CONTAINER_NETWORK_CONTAINER, /* network_name is the container */
        CONTAINER_NETWORK_NAMED,     /* network_name is a user network */
};

enum container_restart {
        CONTAINER_RESTART_NO,
        CONTAINER_RESTART_ON_FAILURE,
        CONTAINER_RESTART_ALWAYS,
        CONTAINER_RESTART_UNLESS_STOPPED,
};

enum container_userns {
        CONTAINER_USERNS_DEFAULT, /* none, unless --uidmap/--gidmap */
        CONTAINER_USERNS_HOST,    /* --userns=host */
        CONTAINER_USERNS_AUTO,    /* --userns=auto/private: a range from /etc/subuid */
};

struct container_idmap {
        uint32_t container_id, host_id, size;
};

struct container_options {
        char *name;
        char **env;       /* -e as given: "K=V", or a bare "K" that unsets K */
        char **env_files; /* --env-file paths, read by container_options_env() */
        char *workdir;
        char *user;
        bool entrypoint_set; /* --entrypoint given: replaces the image's */
        char **entrypoint;   /* with entrypoint_set: [] for --entrypoint "", which clears */
        char **cmd;          /* the arguments after the image; NULL: the image's Cmd */
        char *hostname;
        char **labels; /* "K=V", later -l of one key replaces the earlier */
        struct container_mount *mounts;
        size_t n_mounts;
        bool read_only;

        int64_t memory;      /* bytes; 0 unset */
        int64_t memory_swap; /* bytes; -1 unlimited; 0 unset */
        int64_t nano_cpus;   /* --cpus * 1e9; 0 unset */
        int64_t cpu_shares;  /* 0 unset */
        char *cpuset_cpus;
        bool pids_limit_set;
        int64_t pids_limit; /* <= 0: unlimited */

        char **cap_add, **cap_drop; /* normalised: "CAP_X" or "ALL" */
        bool privileged;
        bool seccomp_unconfined;
        char *seccomp_profile; /* seccomp=FILE: a Docker profile's host path, or its JSON */
        bool no_new_privileges;
        struct container_ulimit *ulimits;
        size_t n_ulimits;
        bool init;

        enum container_network_mode network;
        char *network_name;

        int stop_signal; /* 0: the image's, else SIGTERM */
        bool stop_timeout_set;
        int stop_timeout;
        enum container_restart restart;
        int restart_max_retries;
        bool restart_set;

        bool tty, interactive, detach, rm, sig_proxy;

        enum container_userns userns;
        struct container_idmap *uidmap, *gidmap;
        size_t n_uidmap, n_gidmap;
};

/* Defaults as Docker's (sig-proxy on). */
struct container_options *container_options_new(void);
void container_options_free(struct container_options *o);
void container_options_freep(struct container_options **o);
#define _cleanup_container_options_ __attribute__((cleanup(container_options_freep)))

/*
 * Apply one flag.  flag is the long name without dashes ("memory",
 * "cap-add", "tty"); the short forms e h l m u v w i t d are accepted too.
 * value is the flag's argument; for a boolean flag NULL means true, or
 * "true"/"false"/"1"/"0".  Returns -ENOENT for a flag that is not one of
 * run's, so the CLI can say "unknown flag".
 */
int container_options_set(struct container_options *o, const char *flag, const char *value,
                          struct berth_error **err);
/* Whether flag is one of run's. */
bool container_options_flag_known(const char *flag);
/* Whether flag takes no argument (--tty, --rm, ...). */
bool container_options_flag_is_bool(const char *flag);

/* What Docker's daemon checks across flags: swap without memory, a
 * restart policy with --rm, a hostname with --network container:, ... */
int container_options_validate(const struct container_options *o, struct berth_error **err);

/*
 * The environment that -e and --env-file add, in Docker's order (the env
 * files first, then -e): "K=V", or a bare "K" meaning "unset K".  A bare
 * key in an env file, or a bare -e whose variable the caller's environment
 * has, takes the caller's value (lookup; NULL uses getenv).
 */
int container_options_env(const struct container_options *o, const char *(*lookup)(const char *),
                          char ***out, struct berth_error **err);

/* An env file's content: "K=V" lines, '#' comments and blank lines
 * skipped, a bare "K" taken from lookup (dropped when unset there). */
int container_env_file_parse(const char *content, const char *path,
                             const char *(*lookup)(const char *), char ***out,
                             struct berth_error **err);

/*
 * The body of Docker's POST /containers/create (Config's fields at the top,
 * "HostConfig" inside; plus "Name"), which is also what a container's record
 * keeps and `inspect` starts from.  to_json writes env (the resolved
 * container_options_env()) when non-NULL, else o->env.  from_json checks
 * each value with the same parsers as the flags.
 */
json_t *container_options_to_json(const struct container_options *o, char *const *env);
int container_options_from_json(json_t *body, struct container_options **out,
                                struct berth_error **err);

/* Value parsers: each returns 0 or a negative code with a message that
 * the flag setter prefixes with "invalid argument ... for ... flag: ". */

/* go-units RAMInBytes: "512m", "1.5g", "100k", "10 KiB"; binary units. */
int container_parse_size(const char *s, int64_t *out, struct berth_error **err);
/* --cpus: a decimal (at most 9 fractional digits) into nano-CPUs. */
int container_parse_cpus(const char *s, int64_t *out, struct berth_error **err);
/* "SIGTERM", "TERM", "term", "15", "RTMIN+3". */
int container_parse_signal(const char *s, int *out, struct berth_error **err);
/* Name of a signal without "SIG": "TERM"; NULL when unknown. */
const char *container_signal_name(int sig);
/* -v SRC:DST[:MODE] / DST. */
int container_parse_volume(const char *s, struct container_mount *out, struct berth_error **err);
/* --mount type=...,source=...,target=... */
int container_parse_mount(const char *s, struct container_mount *out, struct berth_error **err);
/* --tmpfs DST[:OPTIONS] */
int container_parse_tmpfs(const char *s, struct container_mount *out, struct berth_error **err);
/* --ulimit name=soft[:hard] */
int container_parse_ulimit(const char *s, struct container_ulimit *out, struct berth_error **err);
/* --restart no|always|unless-stopped|on-failure[:N] */
int container_parse_restart(const char *s, enum container_restart *policy, int *max_retries,
                            struct berth_error **err);
/* --uidmap/--gidmap CONTAINER:HOST:SIZE */
int container_parse_idmap(const char *s, struct container_idmap *out, struct berth_error **err);
/* A capability as --cap-add takes it: "net_admin", "CAP_NET_ADMIN", "ALL"
 * into "CAP_NET_ADMIN" / "ALL". */
int container_parse_capability(const char *s, char **out, struct berth_error **err);
/* cpuset list syntax: "0-3,5". */
int container_parse_cpuset(const char *s, struct berth_error **err);

/* Docker's local volume name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool container_volume_name_valid(const char *name);

void container_mount_clear(struct container_mount *m);
void container_ulimit_clear(struct container_ulimit *u);

#endif
