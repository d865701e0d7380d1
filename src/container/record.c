/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container/record.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

void container_record_mounts_clear(struct container_record *r)
{
        for (size_t i = 0; i < r->n_mounts; i++) {
                free(r->mounts[i].type);
                free(r->mounts[i].name);
                free(r->mounts[i].source);
                free(r->mounts[i].destination);
                free(r->mounts[i].mode);
        }
        free(r->mounts);
        r->mounts = NULL;
        r->n_mounts = 0;
}

void container_record_free(struct container_record *r)
{
        if (r == NULL)
                return;
        free(r->name);
        free(r->image);
        free(r->image_ref);
        free(r->created);
        free(r->path);
        strv_free(r->args);
        free(r->hostname);
        strv_free(r->labels);
        free(r->rootfs_driver);
        free(r->state.error);
        free(r->state.started_at);
        free(r->state.finished_at);
        free(r->log_path);
        container_record_mounts_clear(r);
        free(r->config_json);
        free(r->host_config_json);
        free(r);
}

void container_record_freep(struct container_record **r)
{
        container_record_free(*r);
}

bool container_name_valid(const char *name)
{
        if (name[0] == '/')
                name++;
        if (!isalnum((unsigned char)name[0]) || name[1] == '\0')
                return false;
        for (const char *p = name + 1; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
                        return false;
        return true;
}

/* Docker's generator pairs an adjective with a notable scientist's or
 * engineer's surname; berth keeps the shape with shorter lists. */
static const char *const adjectives[] = {
    "admiring", "adoring",    "agitated",  "amazing",  "angry",    "awesome",    "blissful",
    "bold",     "brave",      "busy",      "charming", "clever",   "cool",       "compassionate",
    "dazzling", "determined", "eager",     "ecstatic", "elegant",  "epic",       "exciting",
    "festive",  "focused",    "friendly",  "gallant",  "gifted",   "goofy",      "gracious",
    "happy",    "hopeful",    "inspiring", "jolly",    "keen",     "kind",       "laughing",
    "loving",   "lucid",      "modest",    "nice",     "nifty",    "optimistic", "peaceful",
    "pensive",  "quirky",     "relaxed",   "serene",   "sharp",    "stoic",      "sweet",
    "tender",   "trusting",   "upbeat",    "vibrant",  "wizardly", "youthful",   "zealous",
};
static const char *const surnames[] = {
    "agnesi",   "allen",    "archimedes", "babbage", "bardeen", "bartik",   "bell",     "bohr",
    "brattain", "cannon",   "carson",     "cerf",    "curie",   "darwin",   "dijkstra", "einstein",
    "euclid",   "euler",    "faraday",    "fermat",  "fermi",   "feynman",  "franklin", "galileo",
    "gauss",    "goldberg", "hamilton",   "hawking", "hertz",   "hodgkin",  "hopper",   "hypatia",
    "johnson",  "kepler",   "knuth",      "lamarr",  "liskov",  "lovelace", "maxwell",  "meitner",
    "mendel",   "newton",   "noether",    "pascal",  "pasteur", "planck",   "ritchie",  "shannon",
    "tesla",    "thompson", "torvalds",   "turing",  "volta",   "wilson",   "wozniak",  "yonath",
};

static uint32_t random_u32(void)
{
        uint32_t v = 0;
        if (getrandom(&v, sizeof(v), 0) != sizeof(v))
                v = (uint32_t)time(NULL) ^ (uint32_t)getpid();
        return v;
}

char *container_name_generate(void)
{
        uint32_t r = random_u32();
        size_t na = sizeof(adjectives) / sizeof(adjectives[0]);
        size_t ns = sizeof(surnames) / sizeof(surnames[0]);
        return xasprintf("%s_%s", adjectives[r % na], surnames[(r / na) % ns]);
}

/* n as exactly width decimal digits at p; returns the end. */
static char *put_digits(char *p, unsigned long n, int width)
{
        for (int i = width - 1; i >= 0; i--, n /= 10)
                p[i] = (char)('0' + n % 10);
        return p + width;
}

char *container_time_format(char *p, const struct timespec *ts)
{
        /* The civil date of a day number (Hinnant's days_from_civil,
         * inverted): arithmetic in place of gmtime's time zone code, which
         * would stay resident in every monitor. */
        long days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
        long z = days + 719468, era = z / 146097;
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
        p = put_digits(p, yoe + era * 400 + (month <= 2), 4);
        *p++ = '-';
        p = put_digits(p, month, 2);
        *p++ = '-';
        p = put_digits(p, day, 2);
        *p++ = 'T';
        p = put_digits(p, secs / 3600, 2);
        *p++ = ':';
        p = put_digits(p, secs / 60 % 60, 2);
        *p++ = ':';
        p = put_digits(p, secs % 60, 2);
        *p++ = '.';
        p = put_digits(p, ts->tv_nsec, 9);
        *p++ = 'Z';
        *p = '\0';
        return p;
}

char *container_time_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char buf[CONTAINER_TIME_LEN + 1];
        container_time_format(buf, &ts);
        return xstrdup(buf);
}

int container_time_parse(const char *s, struct timespec *out)
{
        struct tm tm = {0};
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (p == NULL)
                return -EINVAL;
        long ns = 0;
        if (*p == '.') {
                long scale = 100000000;
                for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
                        ns += (*p - '0') * scale;
        }
        if (*p != 'Z')
                return -EINVAL;
        out->tv_sec = timegm(&tm);
        out->tv_nsec = ns;
        return 0;
}

char *container_record_dir(const char *root, const char *id)
{
        return xasprintf("%s/containers/%s", root, id);
}

static int lock_records(const char *root, struct berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers", root);
        if (util_path_mkdir_p(dir, 0700, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *lock = xasprintf("%s/containers.lock", root);
        return util_lock_acquire(lock, LOCK_EX, err);
}

/* Always atomic; durable unless the record dies with the run anyway
 * (--rm), or a durable write follows before anyone relies on it. */
static int write_record(const char *root, const struct container_record *r, bool durable,
                        struct berth_error **err)
{
        _cleanup_free_ char *dir = container_record_dir(root, r->id);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", dir);
        _cleanup_free_ char *text = container_record_to_string(r);
        return util_file_write(fd, "container.json", text, strlen(text), 0600,
                               durable && !r->auto_remove ? UTIL_WRITE_DURABLE : 0, err);
}

int container_record_load(const char *root, const char *id, struct container_record **out,
                          struct berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("%s/containers/%s/container.json", root, id);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        _cleanup_error_ struct berth_error *rerr = NULL;
        if (util_file_read(AT_FDCWD, path, &text, &len, &rerr) < 0) {
                if (rerr->code == ENOENT || rerr->code == ENOTDIR)
                        return 0;
                *err = steal_pointer(&rerr);
                return berth_err_ret(*err);
        }
        if (container_record_from_string(text, len, out, err) < 0)
                return berth_err_wrap(err, "container %s", id);
        return 1;
}

/* The ID of the container called name, by reading every record: 1/0. */
static int scan_name(const char *root, const char *name, const char *skip, char out[65])
{
        _cleanup_strv_ char **ids = NULL;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (container_record_list(root, &ids, &scratch) < 0)
                return 0;
        for (char **id = ids; *id; id++) {
                if (skip != NULL && strcmp(*id, skip) == 0)
                        continue;
                _cleanup_container_record_ struct container_record *r = NULL;
                _cleanup_error_ struct berth_error *e = NULL;
                if (container_record_load(root, *id, &r, &e) <= 0)
                        continue;
                if (strcmp(r->name, name) == 0) {
                        memcpy(out, r->id, 65);
                        return 1;
                }
        }
        return 0;
}

/*
 * The name index: <root>/container-names/<name>, a symlink to the ID of
 * the container that has the name, so that create, rename and lookups
 * don't read every record (with 40 containers that was ~5 ms of every
 * create).  It changes under the records lock only.  An entry is made
 * before the record that takes the name is written and removed after the
 * record that gave it up is: the index may name a container that is gone
 * or renamed since (every use checks the record), but it never misses a
 * name in use.  A store from before the index gets it built from the
 * records by the first create or rename; until then lookups read the
 * records.
 */
static char *names_path(const char *root)
{
        return xasprintf("%s/container-names", root);
}

static int names_build(const char *root, struct berth_error **err)
{
        _cleanup_free_ char *path = names_path(root);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", path, getpid());
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)util_path_remove_tree(AT_FDCWD, tmp, &scratch);
        if (mkdir(tmp, 0700) < 0)
                return berth_err(err, errno, "creating `%s`", tmp);
        _cleanup_strv_ char **ids = NULL;
        int r = container_record_list(root, &ids, err);
        for (char **id = ids; r == 0 && *id; id++) {
                _cleanup_container_record_ struct container_record *rec = NULL;
                _cleanup_error_ struct berth_error *e = NULL;
                if (container_record_load(root, *id, &rec, &e) <= 0)
                        continue;
                _cleanup_free_ char *link = xasprintf("%s/%s", tmp, rec->name);
                if (symlink(rec->id, link) < 0 && errno != EEXIST)
                        r = berth_err(err, errno, "indexing the name `%s`", rec->name);
        }
        if (r == 0 && rename(tmp, path) < 0)
                r = berth_err(err, errno, "creating `%s`", path);
        if (r < 0)
                (void)util_path_remove_tree(AT_FDCWD, tmp, &scratch);
        return r;
}

/* The index, made if missing (only under the lock). */
static int names_open(const char *root, bool build, struct berth_error **err)
{
        _cleanup_free_ char *path = names_path(root);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT || !build)
                return fd >= 0 ? fd : berth_err(err, errno, "opening `%s`", path);
        if (names_build(root, err) < 0)
                return berth_err_ret(*err);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 ? fd : berth_err(err, errno, "opening `%s`", path);
}

/* The container (not skip) that the index says has name, if its record
 * agrees: 1 and out, else 0. */
static int index_name(const char *root, int namesfd, const char *name, const char *skip,
                      char out[65])
{
        char id[65];
        /* What a user typed may be no name at all ("../x"). */
        if (name[0] == '/' || !container_name_valid(name) ||
            readlinkat(namesfd, name, id, sizeof(id)) != 64)
                return 0;
        id[64] = '\0';
        if (skip != NULL && strcmp(id, skip) == 0)
                return 0;
        _cleanup_container_record_ struct container_record *r = NULL;
        _cleanup_error_ struct berth_error *e = NULL;
        if (container_record_load(root, id, &r, &e) <= 0 || strcmp(r->name, name) != 0)
                return 0;
        memcpy(out, id, 65);
        return 1;
}

/* The ID of the container called name (not skip): 1/0.  namesfd < 0:
 * there is no index yet. */
static int find_name(const char *root, int namesfd, const char *name, const char *skip,
                     char out[65])
{
        return namesfd >= 0 ? index_name(root, namesfd, name, skip, out)
                            : scan_name(root, name, skip, out);
}

/* Point name at id, over a stale entry (the caller found it free). */
static int name_claim(int namesfd, const char *name, const char *id, struct berth_error **err)
{
        if (unlinkat(namesfd, name, 0) < 0 && errno != ENOENT)
                return berth_err(err, errno, "freeing the name `%s`", name);
        if (symlinkat(id, namesfd, name) < 0)
                return berth_err(err, errno, "claiming the name `%s`", name);
        return 0;
}

/* Drop name's entry if it still points at id. */
static void name_release(int namesfd, const char *name, const char *id)
{
        char cur[65];
        if (readlinkat(namesfd, name, cur, sizeof(cur)) == 64 && memcmp(cur, id, 64) == 0)
                unlinkat(namesfd, name, 0);
}

static int name_conflict(const char *name, const char *other, struct berth_error **err)
{
        return berth_err(err, EEXIST,
                         "Conflict. The container name \"/%s\" is already in use by container "
                         "\"%s\". You have to remove (or rename) that container to be able to "
                         "reuse that name",
                         name, other);
}

/* A directory with no record: a create killed between its mkdir and the
 * rename of the record into it, or a remove killed after unlinking the
 * record (it goes first) and before the rest.  No lookup sees either, so
 * nothing else would ever remove them.  Under the lock nobody is making
 * one; a remove still at work beside us only races us to ENOENT. */
static void sweep_orphans(const char *root)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers", root);
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (d == NULL)
                return;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strlen(de->d_name) != 64)
                        continue;
                _cleanup_free_ char *rec = xasprintf("%s/container.json", de->d_name);
                if (faccessat(dirfd(d), rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
                        continue;
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)util_path_remove_tree(dirfd(d), de->d_name, &scratch);
        }
}

int container_record_create(const char *root, struct container_record *r, struct berth_error **err)
{
        if (r->name != NULL && r->name[0] == '/')
                memmove(r->name, r->name + 1, strlen(r->name));
        if (r->name != NULL && !container_name_valid(r->name))
                return berth_err(err, 0,
                                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 r->name);
        _cleanup_close_ int lock = lock_records(root, err);
        if (lock < 0)
                return lock;
        sweep_orphans(root);
        _cleanup_close_ int names = names_open(root, true, err);
        if (names < 0)
                return names;
        char other[65];
        if (r->name == NULL) {
                for (int tries = 0;; tries++) {
                        _cleanup_free_ char *n = container_name_generate();
                        /* Docker adds a digit once names start to collide. */
                        if (tries >= 10) {
                                char *base = steal_pointer(&n);
                                n = xasprintf("%s%u", base, random_u32() % 10);
                                free(base);
                        }
                        if (find_name(root, names, n, NULL, other) == 0) {
                                r->name = steal_pointer(&n);
                                break;
                        }
                }
        } else if (find_name(root, names, r->name, NULL, other) == 1) {
                return name_conflict(r->name, other, err);
        }
        for (;;) {
                unsigned char raw[32];
                if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
                        return berth_err(err, errno, "generating a container ID");
                for (size_t i = 0; i < 32; i++)
                        snprintf(r->id + 2 * i, 3, "%02x", raw[i]);
                /* Docker avoids all-digit short IDs: they read as numbers. */
                if (strspn(r->id, "0123456789") >= 12)
                        continue;
                _cleanup_free_ char *dir = container_record_dir(root, r->id);
                if (mkdir(dir, 0700) == 0)
                        break;
                if (errno != EEXIST)
                        return berth_err(err, errno, "creating `%s`", dir);
        }
        /* create's own update, once the bundle is made, is the durable
         * write (its directory fsync covers this rename too). */
        if (name_claim(names, r->name, r->id, err) < 0 || write_record(root, r, false, err) < 0) {
                name_release(names, r->name, r->id);
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_free_ char *dir = xasprintf("%s/containers", root);
                _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0)
                        (void)util_path_remove_tree(dfd, r->id, &scratch);
                return berth_err_ret(*err);
        }
        return 0;
}

int container_record_update(const char *root, const char *id, container_record_update_fn fn,
                            void *data, struct berth_error **err)
{
        _cleanup_close_ int lock = lock_records(root, err);
        if (lock < 0)
                return lock;
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_record_load(root, id, &r, err);
        if (found <= 0)
                return found;
        int keep = fn(r, data, err);
        if (keep < 0)
                return keep;
        if (keep == 0 && write_record(root, r, true, err) < 0)
                return berth_err_ret(*err);
        return 1;
}

int container_record_set_paused(struct container_record *r, void *data, struct berth_error **err)
{
        r->state.status = *(bool *)data ? CONTAINER_PAUSED : CONTAINER_RUNNING;
        return 0;
}

struct rename_data {
        const char *root, *name;
        char *old; /* out */
};

static int do_rename(struct container_record *r, void *data, struct berth_error **err)
{
        struct rename_data *d = data;
        _cleanup_close_ int names = names_open(d->root, true, err);
        if (names < 0)
                return names;
        char other[65];
        if (strcmp(r->name, d->name) == 0)
                return berth_err(err, 0,
                                 "Renaming a container with the same name as its current name");
        if (find_name(d->root, names, d->name, r->id, other) == 1)
                return name_conflict(d->name, other, err);
        if (name_claim(names, d->name, r->id, err) < 0)
                return berth_err_ret(*err);
        d->old = steal_pointer(&r->name);
        r->name = xstrdup(d->name);
        return 0;
}

int container_record_rename(const char *root, const char *id, const char *name,
                            struct berth_error **err)
{
        if (name[0] == '/')
                name++;
        if (!container_name_valid(name))
                return berth_err(err, 0,
                                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 name);
        struct rename_data d = {root, name, NULL};
        int r = container_record_update(root, id, do_rename, &d, err);
        _cleanup_free_ char *old = d.old;
        if (r == 0)
                return berth_err(err, ENOENT, "No such container: %s", id);
        if (r < 0)
                return r;
        /* The old name goes once the record no longer has it. */
        if (strcmp(old, name) != 0) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_close_ int lock = lock_records(root, &scratch);
                _cleanup_close_ int names = lock >= 0 ? names_open(root, false, &scratch) : -1;
                if (names >= 0)
                        name_release(names, old, id);
        }
        return 0;
}

int container_record_list(const char *root, char ***ids, struct berth_error **err)
{
        *ids = xcalloc(1, sizeof(char *));
        _cleanup_free_ char *dir = xasprintf("%s/containers", root);
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (d == NULL)
                return errno == ENOENT ? 0 : berth_err(err, errno, "reading `%s`", dir);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (strlen(de->d_name) != 64)
                        continue;
                _cleanup_free_ char *rec = xasprintf("%s/%s/container.json", dir, de->d_name);
                if (access(rec, F_OK) == 0)
                        strv_append(ids, de->d_name);
        }
        return 0;
}

int container_record_lookup(const char *root, const char *what, char out[65],
                            struct berth_error **err)
{
        if (what[0] == '\0')
                return 0;
        _cleanup_strv_ char **ids = NULL;
        if (container_record_list(root, &ids, err) < 0)
                return berth_err_ret(*err);
        for (char **id = ids; *id; id++)
                if (strcmp(*id, what) == 0) {
                        memcpy(out, *id, 65);
                        return 1;
                }
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_close_ int names = names_open(root, false, &scratch);
        if (find_name(root, names, what[0] == '/' ? what + 1 : what, NULL, out) == 1)
                return 1;
        size_t len = strlen(what), hits = 0;
        for (char **id = ids; *id; id++)
                if (strncmp(*id, what, len) == 0) {
                        if (hits++ == 0)
                                memcpy(out, *id, 65);
                }
        if (hits > 1)
                return berth_err(err, EINVAL, "multiple IDs found with provided prefix: %s", what);
        return hits == 1;
}

int container_record_resolve(const char *root, const char *what, char out[65],
                             struct berth_error **err)
{
        int r = container_record_lookup(root, what, out, err);
        if (r == 0)
                return berth_err(err, ENOENT, "No such container: %s", what);
        return r < 0 ? r : 0;
}

int container_record_remove(const char *root, const char *id, struct berth_error **err)
{
        _cleanup_free_ char *dir = container_record_dir(root, id);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : berth_err(err, errno, "opening `%s`", dir);
        {
                /* The record goes first, under the lock: from here on the
                 * container does not exist, for lookups and for the image
                 * store's in-use check, even if removing the rest fails. */
                _cleanup_close_ int lock = lock_records(root, err);
                if (lock < 0)
                        return lock;
                _cleanup_container_record_ struct container_record *r = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)container_record_load(root, id, &r, &scratch);
                if (unlinkat(dfd, "container.json", 0) < 0 && errno != ENOENT)
                        return berth_err(err, errno, "removing the record of %s", id);
                _cleanup_close_ int names = names_open(root, false, &scratch);
                if (r != NULL && names >= 0)
                        name_release(names, r->name, id);
        }
        _cleanup_free_ char *parent = xasprintf("%s/containers", root);
        _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return berth_err(err, errno, "opening `%s`", parent);
        return util_path_remove_tree(pfd, id, err);
}
