/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Container IDs become directory names: keep them to a safe alphabet. */
static bool id_valid(const char *id)
{
        if (id[0] == '\0' || strlen(id) > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return false;
        for (const char *c = id; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || strchr("_.-+", *c)))
                        return false;
        return true;
}

int state_id_check(const char *id, struct berth_error **err)
{
        if (!id_valid(id))
                return berth_err(err, 0, "invalid container ID `%s`", id);
        return 0;
}

int state_dir_open(const char *root, const char *id, struct berth_error **err)
{
        if (state_id_check(id, err) < 0)
                return -EINVAL;
        _cleanup_free_ char *p = xasprintf("%s/%s", root, id);
        int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return berth_err(err, ENOENT, "container `%s` does not exist", id);
                return berth_err(err, errno, "opening `%s`", p);
        }
        return fd;
}

unsigned long long proc_start_time(pid_t pid)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
        _cleanup_free_ char *text = NULL;
        struct berth_error *scratch = NULL;
        if (util_file_read(AT_FDCWD, path, &text, NULL, &scratch) < 0) {
                berth_error_free(scratch);
                return 0;
        }
        /* comm may hold spaces and parentheses: fields start after the last ')'. */
        char *p = strrchr(text, ')');
        if (p == NULL)
                return 0;
        char state = 0;
        unsigned long long start = 0;
        /* field 3 is the state, field 22 the start time */
        if (sscanf(p + 2,
                   "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
                   "%*d %llu",
                   &state, &start) != 2)
                return 0;
        if (state == 'Z' || state == 'X')
                return 0;
        return start;
}

char *state_now(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[64];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

int state_load(const char *root, const char *id, struct runtime_state **out,
               struct berth_error **err)
{
        _cleanup_close_ int dfd = state_dir_open(root, id, err);
        if (dfd < 0)
                return dfd;
        _cleanup_json_ json_t *j = NULL;
        int r = util_json_load_file(dfd, "state.json", &j, err);
        if (r < 0) {
                if (r == -ENOENT && err != NULL) {
                        berth_error_free(*err);
                        *err = NULL;
                        return berth_err(err, ENOENT, "container `%s` does not exist", id);
                }
                return r;
        }
        struct runtime_state *s = xcalloc(1, sizeof(*s));
        s->id = xstrdup(id);
        s->bundle = xstrdup(json_string_value(json_object_get(j, "bundle")) ?: "");
        s->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
        s->start_time = (unsigned long long)json_integer_value(json_object_get(j, "startTime"));
        s->status = xstrdup(json_string_value(json_object_get(j, "status")) ?: "stopped");
        s->created = xstrdup(json_string_value(json_object_get(j, "created")) ?: "");
        s->annotations = json_incref(json_object_get(j, "annotations"));
        s->cgroup = json_incref(json_object_get(j, "cgroup"));
        *out = s;
        return 0;
}

int state_write_volatile(int dfd, const char *name, const char *text, struct berth_error **err)
{
        /* Runtime state describes live processes, which a crash or reboot
         * ends anyway: what matters is that a concurrent reader sees the
         * old or the new file, never half of one, which temp + rename
         * gives.  No fsync: on a disk-backed --root it would cost more
         * than the rest of `create`. */
        _cleanup_free_ char *tmp = xasprintf(".%s.%d.tmp", name, (int)getpid());
        _cleanup_close_ int fd =
            openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return berth_err(err, errno, "writing `%s`", name);
        if (util_write_all(fd, text, strlen(text)) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
                int e = errno;
                unlinkat(dfd, tmp, 0);
                return berth_err(err, e, "writing `%s`", name);
        }
        return 0;
}

int state_save(const char *root, const struct runtime_state *s, struct berth_error **err)
{
        _cleanup_close_ int dfd = state_dir_open(root, s->id, err);
        if (dfd < 0)
                return dfd;
        _cleanup_json_ json_t *j = json_pack(
            "{s:s, s:s, s:i, s:I, s:s, s:s}", "id", s->id, "bundle", s->bundle, "pid", (int)s->pid,
            "startTime", (json_int_t)s->start_time, "status", s->status, "created", s->created);
        if (s->annotations)
                json_object_set(j, "annotations", s->annotations);
        if (s->cgroup)
                json_object_set(j, "cgroup", s->cgroup);
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        return state_write_volatile(dfd, "state.json", text, err);
}

void state_free(struct runtime_state *s)
{
        if (s == NULL)
                return;
        free(s->id);
        free(s->bundle);
        free(s->status);
        free(s->created);
        json_decref(s->annotations);
        json_decref(s->cgroup);
        free(s);
}

const char *state_status(const struct runtime_state *s, const struct runtime_cgroup *cg)
{
        /* The saved pid counts only while it names the same process: same
         * start time, so a recycled pid does not look alive.  That guards
         * against reuse, not against a state.json edited to name another
         * process with its start time (both are in /proc/PID/stat): so
         * also, no container's init is pid 1 of our own pid namespace (it
         * exists before any container), and the init must be in the
         * container's cgroup.  Without this, `kill` and `delete --force`
         * would signal whatever host process the file names. */
        if (s->pid <= 1 || proc_start_time(s->pid) != s->start_time)
                return "stopped";
        if (cg != NULL) {
                struct berth_error *scratch = NULL;
                int in = runtime_cgroup_has_pid(cg, s->pid, &scratch);
                berth_error_free(steal_pointer(&scratch));
                if (in == 0)
                        return "stopped";
                int f = runtime_cgroup_is_frozen(cg, &scratch);
                berth_error_free(scratch);
                if (f > 0)
                        return "paused";
        }
        return s->status;
}

json_t *state_json(const struct runtime_state *s, const char *status)
{
        bool alive = strcmp(status, "stopped") != 0;
        json_t *j =
            json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.2.0", "id", s->id, "status",
                      status, "pid", alive ? (int)s->pid : 0, "bundle", s->bundle);
        json_object_set_new(j, "created", json_string(s->created));
        json_object_set_new(j, "annotations",
                            s->annotations ? json_incref(s->annotations) : json_object());
        return j;
}
