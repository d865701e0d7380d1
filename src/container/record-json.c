/* SPDX-License-Identifier: Apache-2.0 */
/* container.json <-> struct container_record. */
#include <errno.h>
#include <string.h>

#include "container/record.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static const char *const status_names[] = {
    [CONTAINER_CREATED] = "created",   [CONTAINER_RUNNING] = "running",
    [CONTAINER_PAUSED] = "paused",     [CONTAINER_RESTARTING] = "restarting",
    [CONTAINER_REMOVING] = "removing", [CONTAINER_EXITED] = "exited",
    [CONTAINER_DEAD] = "dead",
};

const char *container_status_name(enum container_status s)
{
        return s <= CONTAINER_DEAD ? status_names[s] : "unknown";
}

int container_status_parse(const char *s, enum container_status *out)
{
        for (size_t i = 0; i <= CONTAINER_DEAD; i++)
                if (strcmp(s, status_names[i]) == 0) {
                        *out = i;
                        return 0;
                }
        return -EINVAL;
}

static json_t *str_or_empty(const char *s)
{
        return json_string(s != NULL ? s : "");
}

static json_t *embedded(const char *text)
{
        json_t *v = text ? json_loads(text, 0, NULL) : NULL;
        return v != NULL ? v : json_object();
}

char *container_record_to_string(const struct container_record *r)
{
        _cleanup_json_ json_t *o = json_object();
        const struct container_state *s = &r->state;
        json_object_set_new(o, "Id", json_string(r->id));
        json_object_set_new(o, "Created", str_or_empty(r->created));
        json_object_set_new(o, "Path", str_or_empty(r->path));
        json_object_set_new(o, "Args", util_json_from_strv(r->args));
        json_t *st = json_object();
        json_object_set_new(st, "Status", json_string(container_status_name(s->status)));
        json_object_set_new(
            st, "Running",
            json_boolean(s->status == CONTAINER_RUNNING || s->status == CONTAINER_PAUSED));
        json_object_set_new(st, "Paused", json_boolean(s->status == CONTAINER_PAUSED));
        json_object_set_new(st, "Restarting", json_boolean(s->status == CONTAINER_RESTARTING));
        json_object_set_new(st, "OOMKilled", json_boolean(s->oom_killed));
        json_object_set_new(st, "Dead", json_boolean(s->status == CONTAINER_DEAD));
        json_object_set_new(st, "Pid", json_integer(s->pid));
        json_object_set_new(st, "ExitCode", json_integer(s->exit_code));
        json_object_set_new(st, "Error", str_or_empty(s->error));
        json_object_set_new(st, "StartedAt",
                            json_string(s->started_at ? s->started_at : "0001-01-01T00:00:00Z"));
        json_object_set_new(st, "FinishedAt",
                            json_string(s->finished_at ? s->finished_at : "0001-01-01T00:00:00Z"));
        json_object_set_new(o, "State", st);
        json_object_set_new(o, "Image", str_or_empty(r->image));
        json_object_set_new(o, "LogPath", str_or_empty(r->log_path));
        _cleanup_free_ char *name = xasprintf("/%s", r->name ? r->name : "");
        json_object_set_new(o, "Name", json_string(name));
        json_object_set_new(o, "RestartCount", json_integer(r->restart_count));
        json_object_set_new(o, "Driver", str_or_empty(r->rootfs_driver));
        json_object_set_new(o, "Platform", json_string("linux"));
        json_t *mounts = json_array();
        for (size_t i = 0; i < r->n_mounts; i++) {
                const struct container_record_mount *m = &r->mounts[i];
                json_t *j = json_object();
                json_object_set_new(j, "Type", str_or_empty(m->type));
                if (m->name)
                        json_object_set_new(j, "Name", json_string(m->name));
                json_object_set_new(j, "Source", str_or_empty(m->source));
                json_object_set_new(j, "Destination", str_or_empty(m->destination));
                json_object_set_new(j, "Mode", str_or_empty(m->mode));
                json_object_set_new(j, "RW", json_boolean(m->rw));
                json_object_set_new(j, "Propagation", json_string(""));
                if (m->anonymous)
                        json_object_set_new(j, "Anonymous", json_true());
                json_array_append_new(mounts, j);
        }
        json_object_set_new(o, "Mounts", mounts);
        json_object_set_new(o, "Config", embedded(r->config_json));
        json_object_set_new(o, "HostConfig", embedded(r->host_config_json));
        /* berth's own fields: what the monitor and the CLI act on. */
        json_t *b = json_object();
        json_object_set_new(b, "Tty", json_boolean(r->tty));
        json_object_set_new(b, "OpenStdin", json_boolean(r->open_stdin));
        json_object_set_new(b, "AutoRemove", json_boolean(r->auto_remove));
        json_object_set_new(b, "RestartPolicy", json_integer(r->restart_policy));
        json_object_set_new(b, "RestartMaxRetries", json_integer(r->restart_max_retries));
        json_object_set_new(b, "StopSignal", json_integer(r->stop_signal));
        json_object_set_new(b, "StopTimeout", json_integer(r->stop_timeout));
        json_object_set_new(b, "Labels", util_json_from_strv(r->labels));
        json_object_set_new(b, "ManuallyStopped", json_boolean(r->manually_stopped));
        json_object_set_new(b, "RestartingManually", json_boolean(r->restarting_manually));
        json_object_set_new(b, "MonitorPid", json_integer(r->monitor_pid));
        json_object_set_new(b, "Hostname", str_or_empty(r->hostname));
        json_object_set_new(b, "ImageRef", str_or_empty(r->image_ref));
        json_object_set_new(o, "Berth", b);
        return json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static char *dup_str(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static int64_t get_int(json_t *o, const char *key)
{
        return json_integer_value(json_object_get(o, key));
}

static bool get_bool(json_t *o, const char *key)
{
        return json_is_true(json_object_get(o, key));
}

static char **get_strv(json_t *o, const char *key)
{
        char **v = xcalloc(1, sizeof(char *));
        json_t *a = json_object_get(o, key), *e;
        size_t i;
        json_array_foreach(a, i, e) if (json_is_string(e)) strv_append(&v, json_string_value(e));
        return v;
}

int container_record_from_string(const char *text, size_t len, struct container_record **out,
                                 struct berth_error **err)
{
        _cleanup_json_ json_t *o = NULL;
        if (util_json_load_string(text, len, "container.json", &o, err) < 0)
                return berth_err_ret(*err);
        const char *id = json_string_value(json_object_get(o, "Id"));
        if (id == NULL || strlen(id) != 64)
                return berth_err(err, EINVAL, "container.json: bad Id");
        _cleanup_container_record_ struct container_record *r = xcalloc(1, sizeof(*r));
        memcpy(r->id, id, 65);
        const char *name = json_string_value(json_object_get(o, "Name"));
        r->name = xstrdup(name && name[0] == '/' ? name + 1 : (name ? name : ""));
        r->image = dup_str(o, "Image");
        r->created = dup_str(o, "Created");
        r->path = dup_str(o, "Path");
        r->args = get_strv(o, "Args");
        r->log_path = dup_str(o, "LogPath");
        r->restart_count = get_int(o, "RestartCount");
        r->rootfs_driver = dup_str(o, "Driver");
        json_t *st = json_object_get(o, "State");
        const char *status = json_string_value(json_object_get(st, "Status"));
        if (status == NULL || container_status_parse(status, &r->state.status) < 0)
                return berth_err(err, EINVAL, "container.json: bad State.Status");
        r->state.oom_killed = get_bool(st, "OOMKilled");
        r->state.pid = get_int(st, "Pid");
        r->state.exit_code = get_int(st, "ExitCode");
        r->state.error = dup_str(st, "Error");
        r->state.started_at = dup_str(st, "StartedAt");
        r->state.finished_at = dup_str(st, "FinishedAt");
        json_t *mounts = json_object_get(o, "Mounts"), *m;
        size_t i;
        r->mounts = xcalloc(json_array_size(mounts) + 1, sizeof(*r->mounts));
        json_array_foreach(mounts, i, m)
        {
                struct container_record_mount *d = &r->mounts[r->n_mounts++];
                d->type = dup_str(m, "Type");
                d->name = dup_str(m, "Name");
                d->source = dup_str(m, "Source");
                d->destination = dup_str(m, "Destination");
                d->mode = dup_str(m, "Mode");
                d->rw = get_bool(m, "RW");
                d->anonymous = get_bool(m, "Anonymous");
        }
        json_t *c = json_object_get(o, "Config"), *h = json_object_get(o, "HostConfig");
        r->config_json = c ? json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        r->host_config_json = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_t *b = json_object_get(o, "Berth");
        r->tty = get_bool(b, "Tty");
        r->open_stdin = get_bool(b, "OpenStdin");
        r->auto_remove = get_bool(b, "AutoRemove");
        r->restart_policy = get_int(b, "RestartPolicy");
        r->restart_max_retries = get_int(b, "RestartMaxRetries");
        r->stop_signal = get_int(b, "StopSignal");
        r->stop_timeout = get_int(b, "StopTimeout");
        r->labels = get_strv(b, "Labels");
        r->manually_stopped = get_bool(b, "ManuallyStopped");
        r->restarting_manually = get_bool(b, "RestartingManually");
        r->monitor_pid = get_int(b, "MonitorPid");
        r->hostname = dup_str(b, "Hostname");
        r->image_ref = dup_str(b, "ImageRef");
        *out = steal_pointer(&r);
        return 0;
}
