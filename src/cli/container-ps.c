/* SPDX-License-Identifier: Apache-2.0 */
/* ps and inspect. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/container.h"
#include "cli/format.h"
#include "image/view.h"
#include "storage/copy.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

time_t cli_container_time(const char *rfc3339)
{
        struct timespec ts;
        if (rfc3339 == NULL || container_time_parse(rfc3339, &ts) < 0 || ts.tv_sec <= 0)
                return (time_t)-1;
        return ts.tv_sec;
}

/* Docker's HumanDuration: cli_human_ago without " ago". */
static char *human_duration(time_t t)
{
        char *s = cli_human_ago(t);
        size_t n = strlen(s);
        if (n > 4 && strcmp(s + n - 4, " ago") == 0)
                s[n - 4] = '\0';
        return s;
}

char *cli_container_status(const struct container_record *r)
{
        const struct container_state *s = &r->state;
        _cleanup_free_ char *up = human_duration(cli_container_time(s->started_at));
        _cleanup_free_ char *ago = cli_human_ago(cli_container_time(s->finished_at));
        switch (s->status) {
        case CONTAINER_RUNNING:
                return xasprintf("Up %s", up);
        case CONTAINER_PAUSED:
                return xasprintf("Up %s (Paused)", up);
        case CONTAINER_RESTARTING:
                return xasprintf("Restarting (%d) %s", s->exit_code, ago);
        case CONTAINER_EXITED:
                return xasprintf("Exited (%d) %s", s->exit_code, ago);
        case CONTAINER_DEAD:
                return xstrdup("Dead");
        case CONTAINER_REMOVING:
                return xstrdup("Removal In Progress");
        default:
                return xstrdup("Created");
        }
}

char *cli_container_command(const struct container_record *r, bool trunc)
{
        size_t len = strlen(r->path ? r->path : "") + 1;
        for (char **a = r->args; a && *a; a++)
                len += strlen(*a) + 1;
        _cleanup_free_ char *cmd = xcalloc(len + 1, 1);
        char *p = cmd;
        p = stpcpy(p, r->path ? r->path : "");
        for (char **a = r->args; a && *a; a++) {
                *p++ = ' ';
                p = stpcpy(p, *a);
        }
        _cleanup_free_ char *cut = trunc ? cli_truncate(cmd, 20) : xstrdup(cmd);
        return xasprintf("\"%s\"", cut);
}

static bool label_match(const struct container_record *r, const char *want)
{
        const char *eq = strchr(want, '=');
        size_t klen = eq ? (size_t)(eq - want) : strlen(want);
        for (char **l = r->labels; l && *l; l++) {
                if (strncmp(*l, want, klen) != 0 || (*l)[klen] != '=')
                        continue;
                if (eq == NULL || strcmp(*l + klen + 1, eq + 1) == 0)
                        return true;
        }
        return false;
}

/* Docker's name filter is a regular expression, matched against the name
 * with and without its "/" (so both ^web$ and ^/web$ pick "web"); one
 * that doesn't compile matches as plain text. */
static bool name_match(const char *name, const char *pattern)
{
        regex_t re;
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return strstr(name, pattern) != NULL;
        _cleanup_free_ char *slashed = xasprintf("/%s", name);
        bool hit = regexec(&re, name, 0, NULL, 0) == 0 || regexec(&re, slashed, 0, NULL, 0) == 0;
        regfree(&re);
        return hit;
}

/* Docker's rule: values of one key OR, different keys AND. */
static bool filters_match(const struct container_record *r, char **filters)
{
        static const char *const keys[] = {"status", "name",   "label", "id",
                                           "exited", "before", "since", "ancestor"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                bool any = false, hit = false;
                size_t kl = strlen(keys[k]);
                for (char **f = filters; f && *f; f++) {
                        if (strncmp(*f, keys[k], kl) != 0 || (*f)[kl] != '=')
                                continue;
                        any = true;
                        const char *v = *f + kl + 1;
                        switch (k) {
                        case 0:
                                hit |= strcmp(v, container_status_name(r->state.status)) == 0;
                                break;
                        case 1:
                                hit |= name_match(r->name, v);
                                break;
                        case 2:
                                hit |= label_match(r, v);
                                break;
                        case 3:
                                hit |= strncmp(r->id, v, strlen(v)) == 0;
                                break;
                        case 4:
                                hit |= r->state.status == CONTAINER_EXITED &&
                                       r->state.exit_code == atoi(v);
                                break;
                        /* before, since and ancestor were resolved by
                         * parse_filter: a creation time, an image ID. */
                        case 5:
                                hit |= strcmp(r->created ? r->created : "", v) < 0;
                                break;
                        case 6:
                                hit |= strcmp(r->created ? r->created : "", v) > 0;
                                break;
                        default:
                                hit |= r->image != NULL && strcmp(r->image, v) == 0;
                        }
                }
                if (any && !hit)
                        return false;
        }
        return true;
}

/* Check one --filter and add it, with before/since/ancestor resolved to
 * what filters_match compares: a creation time, an image ID.  0, or the
 * exit status with *err set. */
static int parse_filter(const struct container_engine *e, const char *f, char ***filters, bool *all,
                        struct berth_error **err)
{
        const char *eq = strchr(f, '=');
        if (eq == NULL)
                return cli_usage_error(err, "ps", "bad format of filter (expected name=value)");
        const char *v = eq + 1;
        size_t kl = (size_t)(eq - f);
        _cleanup_free_ char *key = xstrndup(f, kl);
        if (strcmp(key, "status") == 0) {
                enum container_status st;
                if (container_status_parse(v, &st) < 0)
                        return cli_usage_error(err, "ps", "invalid filter '%s'", f);
                *all = true;
        } else if (strcmp(key, "exited") == 0) {
                char *end;
                errno = 0;
                long code = strtol(v, &end, 10);
                if (end == v || *end != '\0' || errno != 0 || code < 0 || code > 255)
                        return cli_usage_error(err, "ps", "invalid filter '%s'", f);
        } else if (strcmp(key, "before") == 0 || strcmp(key, "since") == 0) {
                char id[65];
                _cleanup_container_record_ struct container_record *r = NULL;
                if (cli_container_id(e, v, id, err) < 0 ||
                    container_record_load(e->root, id, &r, err) <= 0)
                        return CLI_EXIT_FAILURE;
                _cleanup_free_ char *kv = xasprintf("%s=%s", key, r->created ? r->created : "");
                strv_append(filters, kv);
                return 0;
        } else if (strcmp(key, "ancestor") == 0) {
                /* An image no one has matches no container. */
                _cleanup_image_details_ struct image_details *d = NULL;
                if (image_details_get(e->root, v, &d, err) < 0)
                        return CLI_EXIT_FAILURE;
                _cleanup_free_ char *kv = xasprintf("ancestor=%s", d ? d->summary.id : "-");
                strv_append(filters, kv);
                return 0;
        } else if (strcmp(key, "name") != 0 && strcmp(key, "label") != 0 &&
                   strcmp(key, "id") != 0) {
                return cli_usage_error(err, "ps", "invalid filter '%s'", f);
        }
        strv_append(filters, f);
        return 0;
}

static json_t *labels_map(const struct container_record *r)
{
        json_t *m = json_object();
        for (char **l = r->labels; l && *l; l++) {
                const char *eq = strchr(*l, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);
                json_object_set_new(m, k, json_string(eq ? eq + 1 : ""));
        }
        return m;
}

/* Docker's ps -s: what the container wrote, and that over its image. */
static json_t *size_text(const struct container_engine *e, const struct container_record *r)
{
        long long rw = 0;
        _cleanup_free_ char *dir = container_record_dir(e->root, r->id);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (fd >= 0)
                (void)storage_tree_size(fd, &rw, &scratch);
        _cleanup_image_details_ struct image_details *d = NULL;
        int64_t image = 0;
        if (r->image != NULL && image_details_get(e->root, r->image, &d, &scratch) > 0)
                image = d->summary.size;
        _cleanup_free_ char *a = cli_human_size(rw);
        _cleanup_free_ char *b = cli_human_size(rw + image);
        return json_sprintf("%s (virtual %s)", a, b);
}

static json_t *ps_json(const struct container_record *r, bool trunc)
{
        json_t *o = json_object();
        _cleanup_free_ char *cmd = cli_container_command(r, trunc);
        _cleanup_free_ char *status = cli_container_status(r);
        /* Docker's RunningFor is the CREATED column: "... ago". */
        _cleanup_free_ char *running = cli_human_ago(cli_container_time(r->created));
        time_t created = cli_container_time(r->created);
        _cleanup_free_ char *created_at = cli_time_string(created);
        _cleanup_free_ char *id = trunc ? xstrndup(r->id, 12) : xstrdup(r->id);
        size_t cap = 1;
        for (char **l = r->labels; l && *l; l++)
                cap += strlen(*l) + 1;
        _cleanup_free_ char *labels = xcalloc(cap, 1);
        for (char **l = r->labels; l && *l; l++) {
                if (l != r->labels)
                        strcat(labels, ",");
                strcat(labels, *l);
        }
        json_object_set_new(o, "Command", json_string(cmd));
        json_object_set_new(o, "CreatedAt", json_string(created_at));
        json_object_set_new(o, "ID", json_string(id));
        json_object_set_new(o, "Image", json_string(r->image_ref ? r->image_ref : ""));
        json_object_set_new(o, "Labels", json_string(labels));
        /* Docker's: a volume by its name, a bind by its source, cut to
         * 15 columns unless --no-trunc. */
        _cleanup_free_ char *mounts = xstrdup("");
        size_t vols = 0;
        for (size_t i = 0; i < r->n_mounts; i++) {
                const struct container_record_mount *m = &r->mounts[i];
                const char *what = m->name ? m->name : m->source ? m->source : "";
                _cleanup_free_ char *cut = trunc ? cli_truncate(what, 15) : xstrdup(what);
                char *next = xasprintf("%s%s%s", mounts, *mounts ? "," : "", cut);
                free(mounts);
                mounts = next;
                vols += m->name != NULL;
        }
        json_object_set_new(o, "LocalVolumes", json_sprintf("%zu", vols));
        json_object_set_new(o, "Mounts", json_string(mounts));
        json_object_set_new(o, "Names", json_string(r->name));
        json_object_set_new(o, "Networks", json_string(""));
        json_object_set_new(o, "Ports", json_string(""));
        json_object_set_new(o, "RunningFor", json_string(running));
        json_object_set_new(o, "State", json_string(container_status_name(r->state.status)));
        json_object_set_new(o, "Status", json_string(status));
        return o;
}

/* Docker's default ps table, and its column titles. */
#define PS_ROW                                                                                     \
        "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

static json_t *ps_headers(void)
{
        static const char *const h[][2] = {
            {"Command", "COMMAND"}, {"CreatedAt", "CREATED AT"},
            {"ID", "CONTAINER ID"}, {"Image", "IMAGE"},
            {"Label", "LABEL"},     {"Labels", "LABELS"},
            {"Mounts", "MOUNTS"},   {"LocalVolumes", "LOCAL VOLUMES"},
            {"Names", "NAMES"},     {"Networks", "NETWORKS"},
            {"Ports", "PORTS"},     {"RunningFor", "CREATED"},
            {"State", "STATE"},     {"Status", "STATUS"},
            {"Size", "SIZE"},
        };
        json_t *o = json_object();
        for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
                json_object_set_new(o, h[i][0], json_string(h[i][1]));
        return o;
}

static int cmp_created(const void *a, const void *b)
{
        const struct container_record *x = *(struct container_record *const *)a;
        const struct container_record *y = *(struct container_record *const *)b;
        return strcmp(y->created ? y->created : "", x->created ? x->created : "");
}

int cli_cmd_ps(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
            {"no-trunc", no_argument, NULL, 'T'},     {"filter", required_argument, NULL, 'f'},
            {"format", required_argument, NULL, 'F'}, {"last", required_argument, NULL, 'n'},
            {"latest", no_argument, NULL, 'l'},       {"size", no_argument, NULL, 's'},
            {"help", no_argument, NULL, 'H'},         {0}};
        bool all = false, quiet = false, trunc = true, size = false;
        long last = -1;
        const char *format = NULL;
        _cleanup_strv_ char **filters = xcalloc(1, sizeof(char *));
        struct container_engine e;
        cli_engine(g, &e);
        int c;
        while ((c = getopt_long(argc, argv, "+aqf:n:ls", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'T':
                        trunc = false;
                        break;
                case 's':
                        size = true;
                        break;
                case 'f':
                        if (parse_filter(&e, optarg, &filters, &all, err) != 0)
                                return CLI_EXIT_FAILURE;
                        break;
                case 'n':
                case 'l': {
                        char *end;
                        last = c == 'l' ? 1 : strtol(optarg, &end, 10);
                        if (c == 'n' && (*end != '\0' || end == optarg))
                                return cli_usage_error(err, "ps",
                                                       "invalid argument \"%s\" for \"-n, "
                                                       "--last\" flag",
                                                       optarg);
                        break;
                }
                case 'F':
                        format = optarg;
                        if (cli_template_check(format, err) < 0)
                                return CLI_EXIT_FAILURE;
                        break;
                case 'H':
                        puts("Usage: berth ps [-a] [-q] [-s] [-n N] [-l] [--no-trunc] [--filter "
                             "K=V] "
                             "[--format json|table|TEMPLATE]");
                        return 0;
                default:
                        return CLI_EXIT_FAILURE;
                }
        }
        /* -n and -l count stopped containers too, as Docker's. */
        if (last >= 0)
                all = true;
        _cleanup_strv_ char **ids = NULL;
        if (container_record_list(e.root, &ids, err) < 0)
                return CLI_EXIT_FAILURE;
        size_t n = 0;
        struct container_record **recs = xcalloc(strv_len(ids) + 1, sizeof(*recs));
        for (char **id = ids; *id; id++) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                struct container_record *r = NULL;
                if (container_inspect(&e, *id, &r, &scratch) <= 0)
                        continue;
                bool up = r->state.status == CONTAINER_RUNNING ||
                          r->state.status == CONTAINER_PAUSED ||
                          r->state.status == CONTAINER_RESTARTING;
                if ((!all && !up) || !filters_match(r, filters)) {
                        container_record_free(r);
                        continue;
                }
                recs[n++] = r;
        }
        qsort(recs, n, sizeof(*recs), cmp_created);
        for (; last >= 0 && n > (size_t)last; n--)
                container_record_free(recs[n - 1]);
        _cleanup_json_ json_t *headers = ps_headers();
        struct cli_list_format *f =
            quiet ? NULL
                  : cli_list_format_new(format, size ? PS_ROW "\t{{.Size}}" : PS_ROW, headers);
        for (size_t i = 0; i < n; i++) {
                struct container_record *r = recs[i];
                if (quiet) {
                        printf("%.*s\n", trunc ? 12 : 64, r->id);
                } else {
                        _cleanup_json_ json_t *o = ps_json(r, trunc);
                        if (size)
                                json_object_set_new(o, "Size", size_text(&e, r));
                        /* For {{.Label "k"}}, which Docker's JSON hasn't. */
                        if (!cli_list_format_is_json(f))
                                json_object_set_new(o, "Label", labels_map(r));
                        cli_list_format_row(f, o);
                }
                container_record_free(r);
        }
        free(recs);
        if (f != NULL)
                cli_list_format_end(f);
        return 0;
}

/* Docker's GraphDriver: where the container's layers are (the image's,
 * top first, as the record's layers file lists them). */
static json_t *graph_driver(const char *dir, const struct container_record *r)
{
        _cleanup_free_ char *lpath = xasprintf("%s/layers", dir);
        _cleanup_free_ char *layers = NULL;
        _cleanup_error_ struct berth_error *scratch = NULL;
        json_t *data = json_object();
        if (util_file_read(AT_FDCWD, lpath, &layers, NULL, &scratch) == 0) {
                for (char *p = layers; *p; p++)
                        if (*p == '\n')
                                *p = p[1] ? ':' : '\0';
                json_object_set_new(data, "LowerDir", json_string(layers));
        }
        static const char *const dirs[][2] = {
            {"MergedDir", "rootfs"}, {"UpperDir", "upper"}, {"WorkDir", "work"}};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                json_object_set_new(data, dirs[i][0], json_sprintf("%s/%s", dir, dirs[i][1]));
        json_t *g = json_object();
        json_object_set_new(g, "Data", data);
        json_object_set_new(g, "Name", json_string(r->rootfs_driver ? r->rootfs_driver : ""));
        return g;
}

/* The container's record as Docker's inspect shows it, with the files
 * the container sees as /etc/hostname, /etc/hosts and /etc/resolv.conf. */
static json_t *container_doc(const char *root, const struct container_record *r)
{
        _cleanup_free_ char *text = container_record_to_string(r);
        json_t *doc = json_loads(text, 0, NULL);
        json_object_del(doc, "Berth");
        json_t *cfg = json_object_get(doc, "Config");
        if (cfg != NULL && r->hostname != NULL)
                json_object_set_new(cfg, "Hostname", json_string(r->hostname));
        _cleanup_free_ char *dir = container_record_dir(root, r->id);
        static const char *const files[][2] = {{"ResolvConfPath", "resolv.conf"},
                                               {"HostnamePath", "hostname"},
                                               {"HostsPath", "hosts"}};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, files[i][1]);
                json_object_set_new(doc, files[i][0],
                                    json_string(access(path, F_OK) == 0 ? path : ""));
        }
        json_object_set_new(doc, "GraphDriver", graph_driver(dir, r));
        /* Docker's NetworkSettings as far as berth has them: the network
         * namespace; no network gives it an address. */
        json_t *net = json_object();
        json_object_set_new(net, "SandboxKey",
                            r->state.pid > 0 ? json_sprintf("/proc/%d/ns/net", r->state.pid)
                                             : json_string(""));
        json_object_set_new(net, "IPAddress", json_string(""));
        json_object_set_new(net, "Networks", json_object());
        json_object_set_new(doc, "NetworkSettings", net);
        return doc;
}

/* One object by name or ID: a container, else (unless type says which)
 * an image, as Docker's inspect looks.  1 found, 0 not, < 0 error. */
static int inspect_one(const struct cli_global *g, const struct container_engine *e,
                       const char *what, const char *type, json_t **out, struct berth_error **err)
{
        if (strcmp(type, "image") != 0) {
                char id[65];
                _cleanup_container_record_ struct container_record *r = NULL;
                int found = container_record_lookup(e->root, what, id, err);
                if (found > 0)
                        found = container_inspect(e, id, &r, err);
                if (found != 0 || strcmp(type, "container") == 0) {
                        if (found > 0)
                                *out = container_doc(e->root, r);
                        return found;
                }
        }
        _cleanup_image_details_ struct image_details *d = NULL;
        int found = image_details_get(g->root, what, &d, err);
        if (found > 0)
                *out = image_details_inspect(d);
        return found;
}

static int inspect(const struct cli_global *g, const char *type, int argc, char **argv,
                   struct berth_error **err)
{
        static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                             {"type", required_argument, NULL, 'T'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        const char *format = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
                if (c == 'f') {
                        format = optarg;
                        if (cli_template_check(format, err) < 0)
                                return CLI_EXIT_FAILURE;
                } else if (c == 'T') {
                        if (strcmp(optarg, "container") != 0 && strcmp(optarg, "image") != 0)
                                return cli_usage_error(err, "inspect", "unsupported type \"%s\"",
                                                       optarg);
                        type = optarg;
                } else if (c == 'H') {
                        puts("Usage: berth inspect [-f TEMPLATE] [--type container|image] "
                             "NAME|ID...");
                        return 0;
                } else {
                        return CLI_EXIT_FAILURE;
                }
        }
        if (optind >= argc)
                return cli_usage_error(err, "inspect", "requires at least 1 argument");
        struct container_engine e;
        cli_engine(g, &e);
        _cleanup_json_ json_t *out = json_array();
        int status = 0;
        for (int i = optind; i < argc; i++) {
                _cleanup_error_ struct berth_error *one = NULL;
                json_t *doc = NULL;
                if (inspect_one(g, &e, argv[i], type, &doc, &one) <= 0) {
                        if (one == NULL)
                                berth_err(&one, 0, "No such object: %s", argv[i]);
                        berth_error_print(one, "berth");
                        status = 1;
                        continue;
                }
                json_array_append_new(out, doc);
        }
        cli_inspect_print(out, format);
        return status;
}

int cli_cmd_inspect(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        return inspect(g, "", argc, argv, err);
}

int cli_cmd_container_inspect(const struct cli_global *g, int argc, char **argv,
                              struct berth_error **err)
{
        return inspect(g, "container", argc, argv, err);
}
