/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RUN: the command runs in a container over the step's overlay, through
 * the runtime library in this process.  Its OCI spec is generated as for
 * `berth run` from the stage's config (env, user, workdir) with no
 * entrypoint; the network is none (loopback only) unless --network host.
 * The container is deleted whatever happens; the caller unmounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build/build-private.h"
#include "container/spec.h"
#include "image/config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

char **build_run_args(struct builder *b, struct build_stage *st, const struct build_instruction *in)
{
        char **args = xcalloc(1, sizeof(char *));
        if (in->json) {
                for (size_t i = 0; i < in->n_args; i++)
                        strv_append(&args, in->args[i]);
                return args;
        }
        json_t *shell = json_object_get(json_object_get(st->image, "config"), "Shell");
        if (json_is_array(shell) && json_array_size(shell) > 0) {
                size_t i;
                json_t *v;
                json_array_foreach(shell, i, v) strv_append(&args, json_string_value(v));
        } else {
                strv_append(&args, "/bin/sh");
                strv_append(&args, "-c");
        }
        const char *cmd = in->n_args > 0 ? in->args[0] : "";
        if (in->n_heredocs == 1 && strncmp(cmd, "<<", 2) == 0 && strchr(cmd, ' ') == NULL) {
                /* RUN <<EOF alone: the heredoc is the script. */
                strv_append(&args, in->heredocs[0].content);
                return args;
        }
        /* Otherwise the shell reads the heredocs itself, as written. */
        _cleanup_free_ char *text = xstrdup(cmd);
        for (size_t i = 0; i < in->n_heredocs; i++) {
                char *n =
                    xasprintf("%s\n%s%s", text, in->heredocs[i].content, in->heredocs[i].name);
                free(text);
                text = n;
        }
        strv_append(&args, text);
        return args;
}

/* ARGs in scope reach RUN as environment variables, below any ENV. */
static char **run_env(struct build_stage *st)
{
        char **env = xcalloc(1, sizeof(char *));
        json_t *cenv = json_object_get(json_object_get(st->image, "config"), "Env");
        for (char **a = st->args; a && *a; a++) {
                size_t kl = strcspn(*a, "=");
                bool shadowed = false;
                size_t i;
                json_t *v;
                json_array_foreach(cenv, i, v)
                {
                        const char *e = json_string_value(v);
                        if (e && strncmp(e, *a, kl) == 0 && e[kl] == '=')
                                shadowed = true;
                }
                if (!shadowed)
                        strv_append(&env, *a);
        }
        return env;
}

/* The mount points the runtime will have to create because the image
 * lacks them (a busybox image without /proc, /etc/hostname): BuildKit
 * doesn't let such stubs into the layer, and neither do we.  Making one
 * copies its existing ancestors up into the upper dir, so those are
 * remembered (with their owner and mode) to be dropped again if that is
 * all that happened to them. */
struct stub_anchor {
        char *path;
        struct stat st;
};

struct stub_plan {
        char **stubs; /* parents before children */
        struct stub_anchor *anchors;
        size_t n_anchors;
};

static void stub_plan_clear(struct stub_plan *p)
{
        strv_free(p->stubs);
        for (size_t i = 0; i < p->n_anchors; i++)
                free(p->anchors[i].path);
        free(p->anchors);
}

static void plan_stubs(int root, json_t *spec, struct stub_plan *plan)
{
        plan->stubs = xcalloc(1, sizeof(char *));
        size_t i;
        json_t *mnt;
        json_array_foreach(json_object_get(spec, "mounts"), i, mnt)
        {
                const char *dst = json_string_value(json_object_get(mnt, "destination"));
                if (dst == NULL || dst[0] != '/')
                        continue;
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_close_ int fd =
                    util_path_open_in_root(root, dst, O_PATH | O_NOFOLLOW, 0, &scratch);
                if (fd >= 0 || scratch == NULL || scratch->code != ENOENT)
                        continue;
                for (const char *p = strchr(dst + 1, '/');; p = strchr(p + 1, '/')) {
                        _cleanup_free_ char *prefix =
                            p ? xstrndup(dst, (size_t)(p - dst)) : xstrdup(dst);
                        _cleanup_error_ struct berth_error *e2 = NULL;
                        _cleanup_close_ int pfd =
                            util_path_open_in_root(root, prefix, O_PATH | O_NOFOLLOW, 0, &e2);
                        struct stat st;
                        if (pfd >= 0 && fstat(pfd, &st) == 0 && S_ISDIR(st.st_mode)) {
                                bool known = false;
                                for (size_t k = 0; k < plan->n_anchors && !known; k++)
                                        known = strcmp(plan->anchors[k].path, prefix) == 0;
                                if (!known) {
                                        plan->anchors =
                                            xrealloc(plan->anchors, (plan->n_anchors + 1) *
                                                                        sizeof(*plan->anchors));
                                        plan->anchors[plan->n_anchors].path = xstrdup(prefix);
                                        plan->anchors[plan->n_anchors++].st = st;
                                }
                        } else if (pfd < 0) {
                                bool listed = false;
                                for (char **x = plan->stubs; *x && !listed; x++)
                                        listed = strcmp(*x, prefix) == 0;
                                if (!listed)
                                        strv_append(&plan->stubs, prefix);
                        }
                        if (p == NULL)
                                break;
                }
        }
}

/* Open the parent of path inside root; *base is its last element. */
static int open_parent_in(int root, const char *path, const char **base)
{
        const char *slash = strrchr(path, '/');
        if (slash == NULL || slash[1] == '\0')
                return -1;
        *base = slash + 1;
        _cleanup_free_ char *parent =
            slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
        _cleanup_error_ struct berth_error *scratch = NULL;
        return util_path_open_in_root(root, parent, O_PATH | O_DIRECTORY, 0, &scratch);
}

/* After the run, through the mounted view: each stub still empty goes
 * (children first); one the command filled stays. */
static void remove_stubs(int root, char **stubs)
{
        for (size_t n = strv_len(stubs); n-- > 0;) {
                const char *base;
                _cleanup_close_ int pfd = open_parent_in(root, stubs[n], &base);
                struct stat st;
                if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        unlinkat(pfd, base, AT_REMOVEDIR); /* fails unless empty */
                else if (S_ISREG(st.st_mode) && st.st_size == 0)
                        unlinkat(pfd, base, 0);
        }
}

static int by_depth(const void *a, const void *b)
{
        size_t la = strlen(((const struct stub_anchor *)a)->path);
        size_t lb = strlen(((const struct stub_anchor *)b)->path);
        return la < lb ? 1 : la > lb ? -1 : 0;
}

/* After the unmount, in the upper dir itself: an ancestor that was only
 * copied up for a stub (empty there, not opaque, same owner and mode as
 * before) goes, so the lower one shows through unchanged. */
static void prune_anchors(const char *upper, struct stub_plan *plan)
{
        _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ufd < 0)
                return;
        qsort(plan->anchors, plan->n_anchors, sizeof(*plan->anchors), by_depth);
        for (size_t i = 0; i < plan->n_anchors; i++) {
                const struct stub_anchor *a = &plan->anchors[i];
                const char *base;
                _cleanup_close_ int pfd = open_parent_in(ufd, a->path, &base);
                if (pfd < 0)
                        continue;
                _cleanup_close_ int dfd =
                    openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                char opq[2];
                if (dfd < 0 || fstat(dfd, &st) < 0 || st.st_mode != a->st.st_mode ||
                    st.st_uid != a->st.st_uid || st.st_gid != a->st.st_gid ||
                    fgetxattr(dfd, "trusted.overlay.opaque", opq, sizeof(opq)) >= 0)
                        continue;
                unlinkat(pfd, base, AT_REMOVEDIR); /* fails unless empty */
        }
}

int build_run(struct builder *b, struct build_stage *st, const struct build_instruction *in,
              struct build_mount *m, struct berth_error **err)
{
        const char *flag = NULL;
        if (build_flag_get(in, "mount", &flag) == 1 || build_flag_get(in, "security", &flag) == 1)
                return berth_err(err, 0, "RUN --mount and --security are not supported");
        enum build_network net = b->o->network;
        if (build_flag_get(in, "network", &flag) == 1 && flag != NULL) {
                if (strcmp(flag, "host") == 0)
                        net = BUILD_NETWORK_HOST;
                else if (strcmp(flag, "none") == 0 || strcmp(flag, "default") == 0)
                        net = strcmp(flag, "none") == 0 ? BUILD_NETWORK_NONE : b->o->network;
                else
                        return berth_err(err, 0, "RUN --network=%s: none, host or default", flag);
        }
        _cleanup_container_options_ struct container_options *o = container_options_new();
        o->network = net == BUILD_NETWORK_HOST ? CONTAINER_NETWORK_HOST : CONTAINER_NETWORK_NONE;
        o->entrypoint_set = true;
        o->entrypoint = xcalloc(1, sizeof(char *));
        o->cmd = build_run_args(b, st, in);
        o->hostname = xstrdup("buildkitsandbox");

        _cleanup_free_ char *ctext = json_dumps(st->image, JSON_COMPACT);
        struct image_config *img = NULL;
        _cleanup_strv_ char **env = run_env(st);
        if (image_config_parse(ctext, strlen(ctext), &img, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *id = xasprintf("berth-build-%d-%u", (int)getpid(), b->seq++);
        _cleanup_free_ char *cgroup = xasprintf("/berth/%s", id);
        /* /etc/hosts, /etc/hostname and /etc/resolv.conf as for `berth
         * run` (the host's with --network host), so that a RUN with the
         * network can resolve names; stubs they need are removed after. */
        _cleanup_free_ char *bundle = xasprintf("%s/bundle", m->dir);
        if (mkdir(bundle, 0700) < 0)
                return berth_err(err, errno, "creating `%s`", bundle);
        _cleanup_close_ int bfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bfd < 0)
                return berth_err(err, errno, "opening `%s`", bundle);
        if (container_etc_files_write(bfd, o, "buildkitsandbox", NULL, NULL, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *hostname_path = xasprintf("%s/hostname", bundle);
        _cleanup_free_ char *hosts_path = xasprintf("%s/hosts", bundle);
        _cleanup_free_ char *resolv_path = xasprintf("%s/resolv.conf", bundle);
        struct container_spec_input si = {
            .hostname_path = hostname_path,
            .hosts_path = hosts_path,
            .resolv_conf_path = resolv_path,
            .img = img,
            .opts = o,
            .env = env,
            .id = id,
            .rootfs_path = m->merged,
            .rootfd = m->root_fd,
            .hostname = "buildkitsandbox",
            .cgroups_path = cgroup,
        };
        _cleanup_json_ json_t *spec = NULL;
        int r = container_spec_generate(&si, &spec, err);
        image_config_free(img);
        if (r < 0)
                return berth_err_wrap(err, "generating the step's container spec");
        /* The working directory exists before the command runs, as Docker
         * makes it at start. */
        const char *cwd =
            json_string_value(json_object_get(json_object_get(spec, "process"), "cwd"));
        if (cwd != NULL && container_workdir_ensure(m->root_fd, cwd, err) < 0)
                return berth_err_ret(*err);
        if (util_json_write_atomic(bfd, "config.json", spec, err) < 0)
                return berth_err_ret(*err);
        _cleanup_free_ char *state = xasprintf("%s/build", b->o->runroot);
        if (util_path_mkdir_p(state, 0700, err) < 0)
                return berth_err_ret(*err);
        struct stub_plan plan = {0};
        plan_stubs(m->root_fd, spec, &plan);
        r = build_container_run(b, state, id, bundle, err);
        remove_stubs(m->root_fd, plan.stubs);
        if (r >= 0 && build_mount_unmount(m, err) < 0)
                r = berth_err_ret(*err);
        if (r >= 0)
                prune_anchors(m->upper, &plan);
        stub_plan_clear(&plan);
        return r;
}
