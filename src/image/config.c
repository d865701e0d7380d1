/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "image/config.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* A JSON object used as a set ({"80/tcp": {}}) into its keys. */
static int object_keys(json_t *obj, const char *key, const char *what, char ***out,
                       struct berth_error **err)
{
        json_t *o = NULL;
        int r = util_json_object(obj, key, what, &o, err);
        if (r <= 0)
                return r;
        const char *k;
        json_t *v;
        char **keys = xcalloc(1, sizeof(char *));
        json_object_foreach(o, k, v) strv_append(&keys, k);
        *out = keys;
        return 0;
}

static int parse_healthcheck(json_t *cfg, struct image_healthcheck **out, struct berth_error **err)
{
        json_t *hc = NULL;
        int r = util_json_object(cfg, "Healthcheck", "config.Healthcheck", &hc, err);
        if (r <= 0)
                return r;
        struct image_healthcheck *h = xcalloc(1, sizeof(*h));
        if (util_json_strv(hc, "Test", "Healthcheck.Test", &h->test, err) < 0 ||
            util_json_int(hc, "Interval", "Healthcheck.Interval", &h->interval_ns, err) < 0 ||
            util_json_int(hc, "Timeout", "Healthcheck.Timeout", &h->timeout_ns, err) < 0 ||
            util_json_int(hc, "StartPeriod", "Healthcheck.StartPeriod", &h->start_period_ns, err) <
                0 ||
            util_json_int(hc, "StartInterval", "Healthcheck.StartInterval", &h->start_interval_ns,
                          err) < 0 ||
            util_json_int(hc, "Retries", "Healthcheck.Retries", &h->retries, err) < 0) {
                strv_free(h->test);
                free(h);
                return berth_err_ret(*err);
        }
        *out = h;
        return 0;
}

static int parse_inner(json_t *cfg, struct image_config *c, struct berth_error **err)
{
        if (util_json_dup_string(cfg, "User", "config.User", &c->user, err) < 0 ||
            util_json_strv(cfg, "Env", "config.Env", &c->env, err) < 0 ||
            util_json_strv(cfg, "Entrypoint", "config.Entrypoint", &c->entrypoint, err) < 0 ||
            util_json_strv(cfg, "Cmd", "config.Cmd", &c->cmd, err) < 0 ||
            util_json_dup_string(cfg, "WorkingDir", "config.WorkingDir", &c->working_dir, err) <
                0 ||
            object_keys(cfg, "ExposedPorts", "config.ExposedPorts", &c->exposed_ports, err) < 0 ||
            object_keys(cfg, "Volumes", "config.Volumes", &c->volumes, err) < 0 ||
            util_json_dup_string(cfg, "StopSignal", "config.StopSignal", &c->stop_signal, err) <
                0 ||
            util_json_strv(cfg, "OnBuild", "config.OnBuild", &c->on_build, err) < 0 ||
            util_json_strv(cfg, "Shell", "config.Shell", &c->shell, err) < 0 ||
            util_json_bool(cfg, "ArgsEscaped", "config.ArgsEscaped", &c->args_escaped, err) < 0 ||
            parse_healthcheck(cfg, &c->healthcheck, err) < 0)
                return berth_err_ret(*err);
        json_t *labels = NULL;
        if (util_json_object(cfg, "Labels", "config.Labels", &labels, err) < 0)
                return berth_err_ret(*err);
        if (labels != NULL) {
                c->labels = xcalloc(json_object_size(labels) + 1, sizeof(*c->labels));
                const char *k;
                json_t *v;
                json_object_foreach(labels, k, v)
                {
                        if (!json_is_string(v))
                                return berth_err(err, 0, "config.Labels.%s: expected a string", k);
                        c->labels[c->n_labels].key = xstrdup(k);
                        c->labels[c->n_labels].value = xstrdup(json_string_value(v));
                        c->n_labels++;
                }
        }
        return 0;
}

static int parse_history(json_t *root, struct image_config *c, struct berth_error **err)
{
        json_t *arr = NULL;
        int r = util_json_array(root, "history", "history", &arr, err);
        if (r <= 0)
                return r;
        c->history = xcalloc(json_array_size(arr) + 1, sizeof(*c->history));
        size_t i;
        json_t *h;
        json_array_foreach(arr, i, h)
        {
                struct image_history *e = &c->history[c->n_history++];
                if (!json_is_object(h))
                        return berth_err(err, 0, "history[%zu]: expected an object", i);
                if (util_json_dup_string(h, "created", "history.created", &e->created, err) < 0 ||
                    util_json_dup_string(h, "created_by", "history.created_by", &e->created_by,
                                         err) < 0 ||
                    util_json_dup_string(h, "author", "history.author", &e->author, err) < 0 ||
                    util_json_dup_string(h, "comment", "history.comment", &e->comment, err) < 0 ||
                    util_json_bool(h, "empty_layer", "history.empty_layer", &e->empty_layer, err) <
                        0)
                        return berth_err_ret(*err);
        }
        return 0;
}

static int parse_rootfs(json_t *root, struct image_config *c, struct berth_error **err)
{
        json_t *rootfs = NULL, *ids = NULL;
        if (util_json_object(root, "rootfs", "rootfs", &rootfs, err) < 0)
                return berth_err_ret(*err);
        if (rootfs == NULL)
                return berth_err(err, 0, "image config has no rootfs");
        const char *type = NULL;
        if (util_json_string(rootfs, "type", "rootfs.type", &type, err) < 0)
                return berth_err_ret(*err);
        if (type == NULL || strcmp(type, "layers") != 0)
                return berth_err(err, 0, "rootfs.type must be \"layers\"");
        if (util_json_array(rootfs, "diff_ids", "rootfs.diff_ids", &ids, err) < 0)
                return berth_err_ret(*err);
        size_t n = ids ? json_array_size(ids) : 0;
        c->diff_ids = xcalloc(n + 1, IMAGE_DIGEST_LEN);
        for (size_t i = 0; i < n; i++) {
                const char *d = json_string_value(json_array_get(ids, i));
                if (d == NULL)
                        return berth_err(err, 0, "rootfs.diff_ids[%zu]: expected a string", i);
                if (image_digest_validate(d, err) < 0)
                        return berth_err_wrap(err, "rootfs.diff_ids[%zu]", i);
                memcpy(c->diff_ids[i], d, IMAGE_DIGEST_LEN);
        }
        c->n_diff_ids = n;
        return 0;
}

int image_config_parse(const char *buf, size_t len, struct image_config **out,
                       struct berth_error **err)
{
        json_error_t jerr;
        _cleanup_json_ json_t *root = json_loadb(buf, len, 0, &jerr);
        if (root == NULL)
                return berth_err(err, 0, "image config is not valid JSON (line %d: %s)", jerr.line,
                                 jerr.text);
        if (!json_is_object(root))
                return berth_err(err, 0, "image config is not a JSON object");
        struct image_config *c = xcalloc(1, sizeof(*c));
        _cleanup_config_ struct image_config *owned = c;
        json_t *cfg = NULL;
        if (util_json_dup_string(root, "architecture", "architecture", &c->architecture, err) < 0 ||
            util_json_dup_string(root, "os", "os", &c->os, err) < 0 ||
            util_json_dup_string(root, "variant", "variant", &c->variant, err) < 0 ||
            util_json_dup_string(root, "created", "created", &c->created, err) < 0 ||
            util_json_dup_string(root, "author", "author", &c->author, err) < 0 ||
            util_json_dup_string(root, "docker_version", "docker_version", &c->docker_version,
                                 err) < 0 ||
            util_json_dup_string(root, "comment", "comment", &c->comment, err) < 0 ||
            util_json_object(root, "config", "config", &cfg, err) < 0)
                return berth_err_wrap(err, "image config");
        if (cfg != NULL && parse_inner(cfg, c, err) < 0)
                return berth_err_wrap(err, "image config");
        if (parse_history(root, c, err) < 0 || parse_rootfs(root, c, err) < 0)
                return berth_err_wrap(err, "image config");
        *out = steal_pointer(&owned);
        return 0;
}

const char *image_config_label(const struct image_config *c, const char *key)
{
        if (c == NULL)
                return NULL;
        for (size_t i = 0; i < c->n_labels; i++)
                if (strcmp(c->labels[i].key, key) == 0)
                        return c->labels[i].value;
        return NULL;
}

void image_chain_ids(char (*diff_ids)[IMAGE_DIGEST_LEN], size_t n, char (*out)[IMAGE_DIGEST_LEN])
{
        for (size_t i = 0; i < n; i++) {
                if (i == 0) {
                        memcpy(out[0], diff_ids[0], IMAGE_DIGEST_LEN);
                        continue;
                }
                char buf[2 * IMAGE_DIGEST_LEN + 1];
                size_t l = 0;
                memcpy(buf, out[i - 1], IMAGE_DIGEST_LEN - 1);
                l = IMAGE_DIGEST_LEN - 1;
                buf[l++] = ' ';
                memcpy(buf + l, diff_ids[i], IMAGE_DIGEST_LEN - 1);
                l += IMAGE_DIGEST_LEN - 1;
                image_digest_buffer(buf, l, out[i]);
        }
}

static bool same_str(const char *a, const char *b)
{
        return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_step(const struct image_history *a, const struct image_history *b)
{
        return a->empty_layer == b->empty_layer && same_str(a->created, b->created) &&
               same_str(a->created_by, b->created_by) && same_str(a->author, b->author) &&
               same_str(a->comment, b->comment);
}

bool image_config_extends(const struct image_config *child, const struct image_config *parent)
{
        if (child == NULL || parent == NULL || child == parent)
                return false;
        if (parent->n_diff_ids == 0 && parent->n_history == 0)
                return false;
        if (parent->n_diff_ids > child->n_diff_ids || parent->n_history > child->n_history)
                return false;
        if (parent->n_diff_ids == child->n_diff_ids && parent->n_history == child->n_history)
                return false;
        for (size_t i = 0; i < parent->n_diff_ids; i++)
                if (strcmp(parent->diff_ids[i], child->diff_ids[i]) != 0)
                        return false;
        for (size_t i = 0; i < parent->n_history; i++)
                if (!same_step(&parent->history[i], &child->history[i]))
                        return false;
        return true;
}

void image_config_parents(struct image_config *const *configs, size_t n, ssize_t *parent)
{
        for (size_t i = 0; i < n; i++) {
                parent[i] = -1;
                for (size_t j = 0; j < n; j++) {
                        if (!image_config_extends(configs[i], configs[j]))
                                continue;
                        const struct image_config *best = parent[i] < 0 ? NULL : configs[parent[i]];
                        if (best == NULL || configs[j]->n_history > best->n_history ||
                            configs[j]->n_diff_ids > best->n_diff_ids)
                                parent[i] = (ssize_t)j;
                }
        }
}

void image_config_free(struct image_config *c)
{
        if (c == NULL)
                return;
        free(c->architecture);
        free(c->os);
        free(c->variant);
        free(c->created);
        free(c->author);
        free(c->docker_version);
        free(c->comment);
        free(c->user);
        strv_free(c->env);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        free(c->working_dir);
        strv_free(c->exposed_ports);
        strv_free(c->volumes);
        free(c->stop_signal);
        for (size_t i = 0; i < c->n_labels; i++) {
                free(c->labels[i].key);
                free(c->labels[i].value);
        }
        free(c->labels);
        if (c->healthcheck != NULL) {
                strv_free(c->healthcheck->test);
                free(c->healthcheck);
        }
        strv_free(c->on_build);
        strv_free(c->shell);
        for (size_t i = 0; i < c->n_history; i++) {
                free(c->history[i].created);
                free(c->history[i].created_by);
                free(c->history[i].author);
                free(c->history[i].comment);
        }
        free(c->history);
        free(c->diff_ids);
        free(c);
}

void image_config_freep(struct image_config **c)
{
        image_config_free(*c);
        *c = NULL;
}
