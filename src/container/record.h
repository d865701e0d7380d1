/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_RECORD_H
#define BERTH_CONTAINER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * A container's record: <root>/containers/<id>/container.json, shaped like
 * Docker's inspect document (Id, Name "/x", Image "sha256:<config digest>",
 * Created, Path, Args, Config, HostConfig, State, Mounts, RestartCount,
 * LogPath, ...).  The image store counts an image as in use exactly when a
 * record's top-level Image names it.
 *
 * Every write happens under <root>/containers.lock (exclusive) and replaces
 * the file atomically, so readers never lock and never see half a record;
 * name and ID allocation happen under the same lock, which is what makes
 * twenty concurrent `berth run` get twenty distinct names.  The lock is
 * held for milliseconds, never while a container runs.
 */

enum container_status {
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_PAUSED,
        CONTAINER_RESTARTING,
        CONTAINER_REMOVING,
        CONTAINER_EXITED,
        CONTAINER_DEAD,
};

const char *container_status_name(enum container_status s);
int container_status_parse(const char *s, enum container_status *out);

struct container_state {
        enum container_status status;
        bool oom_killed;
        pid_t pid; /* the container's init on the host; 0 when not running */
        int exit_code;
        char *error;
        char *started_at;  /* RFC 3339 with nanoseconds, UTC */
        char *finished_at; /* "0001-01-01T00:00:00Z" when never */
};

struct container_record_mount {
        char *type; /* bind, volume, tmpfs */
        char *name; /* volume name, else NULL */
        char *source;
        char *destination;
        char *mode;
        bool rw;
        bool anonymous; /* an anonymous volume: removed with rm -v / --rm */
};

struct container_record {
        char id[65];
        char *name;      /* without Docker's leading "/" */
        char *image;     /* "sha256:<config digest>" */
        char *image_ref; /* as the user named it: Config.Image */
        char *created;
        char *path;  /* process.args[0] */
        char **args; /* process.args[1..] */
        char *hostname;

        /* What the engine acts on, typed; Config and HostConfig below keep
         * Docker's full documents for inspect. */
        bool tty, open_stdin, auto_remove;
        int restart_policy; /* enum container_restart */
        int restart_max_retries;
        int stop_signal;  /* resolved: the option, the image's, or SIGTERM */
        int stop_timeout; /* seconds; -1: Docker's default (10) */
        char **labels;    /* "K=V" */
        char *rootfs_driver;

        struct container_state state;
        int restart_count;
        bool manually_stopped;    /* stop/kill by the user: no restart */
        bool restarting_manually; /* restart's stop: --rm doesn't remove it */
        pid_t monitor_pid;
        char *log_path;

        struct container_record_mount *mounts;
        size_t n_mounts;

        char *config_json;      /* Docker's Config (serialized JSON object) */
        char *host_config_json; /* Docker's HostConfig */
};

void container_record_free(struct container_record *r);
/* Free r's mounts and leave it with none. */
void container_record_mounts_clear(struct container_record *r);
void container_record_freep(struct container_record **r);
#define _cleanup_container_record_ __attribute__((cleanup(container_record_freep)))

/* Docker's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading "/" allowed). */
bool container_name_valid(const char *name);
/* Docker-style "adjective_surname". */
char *container_name_generate(void);
/* "2026-12-03T20:04:46.123456789Z" for now. */
char *container_time_now(void);
/* The same for ts (UTC, years 1970-9999) at p, NUL-terminated: returns
 * the end, CONTAINER_TIME_LEN bytes on. */
#define CONTAINER_TIME_LEN 30
char *container_time_format(char *p, const struct timespec *ts);
/* Parses the above into a timespec; -EINVAL when malformed. */
int container_time_parse(const char *s, struct timespec *out);

/*
 * Allocate a fresh ID (64 hex digits) and, when r->name is NULL, a fresh
 * name; check the name is free, make containers/<id>/ and write the
 * record (not yet durably: the caller's first update is), all under the
 * lock.  A record with auto_remove is never written durably: it goes when
 * the run ends.  A taken name fails with Docker's message
 * (Conflict. The container name "/x" is already in use by container "<id>".
 * You have to remove (or rename) that container to be able to reuse that
 * name.) and -EEXIST.
 */
int container_record_create(const char *root, struct container_record *r, struct berth_error **err);

/* 1 loaded, 0 no such container. */
int container_record_load(const char *root, const char *id, struct container_record **out,
                          struct berth_error **err);

/* Load, apply fn, write back, under the lock.  fn returns < 0 to abort
 * (its error kept), 0 to write, 1 to leave the record as it is.  Returns
 * 0 when the container is gone (fn not called), 1 when updated. */
typedef int (*container_record_update_fn)(struct container_record *r, void *data,
                                          struct berth_error **err);
int container_record_update(const char *root, const char *id, container_record_update_fn fn,
                            void *data, struct berth_error **err);

/* An update fn: *(bool *)data paused, else running. */
int container_record_set_paused(struct container_record *r, void *data, struct berth_error **err);

/* Rename under the lock, with create's conflict check. */
int container_record_rename(const char *root, const char *id, const char *name,
                            struct berth_error **err);

/*
 * Find a container by full ID, name (with or without "/"), or unique ID
 * prefix, in that order as Docker does.  1 with out (the full ID) set,
 * 0 not found; an ambiguous prefix is an error.
 */
int container_record_lookup(const char *root, const char *what, char out[65],
                            struct berth_error **err);
/* As lookup, with Docker's "No such container: X" for not found. */
int container_record_resolve(const char *root, const char *what, char out[65],
                             struct berth_error **err);

/* Every container's ID (records that fail to load are skipped). */
int container_record_list(const char *root, char ***ids, struct berth_error **err);

/* Remove containers/<id>/ (the record and everything beside it: upper/,
 * work/, the bundle, logs), the record first so the container stops
 * existing at once.  The caller has unmounted the rootfs. */
int container_record_remove(const char *root, const char *id, struct berth_error **err);

/* "<root>/containers/<id>" (fresh string). */
char *container_record_dir(const char *root, const char *id);

/* Serialize / parse container.json. */
char *container_record_to_string(const struct container_record *r);
int container_record_from_string(const char *text, size_t len, struct container_record **out,
                                 struct berth_error **err);

#endif
