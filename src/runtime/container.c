/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/create.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

static int unix_addr(int dfd, const char *name, struct sockaddr_un *sa, struct berth_error **err)
{
        /* Through /proc/self/fd so that a deep --root never overflows
         * sun_path; the directory fd is ours, not the container's. */
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dfd, name);
        if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
                return berth_err(err, ENAMETOOLONG, "socket path");
        return 0;
}

static int write_idmap(pid_t pid, const char *file, const struct runtime_id_map *m, size_t n,
                       struct berth_error **err)
{
        _cleanup_free_ char *text = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char *t =
                    xasprintf("%s%u %u %u\n", text, m[i].container_id, m[i].host_id, m[i].size);
                free(text);
                text = t;
        }
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
                return berth_err(err, errno, "writing %s", file);
        return 0;
}

static int write_idmaps(const struct runtime_config *c, pid_t pid, struct berth_error **err)
{
        int r;
        /* An unprivileged writer may only map its gid once setgroups is
         * denied; root keeps setgroups so additionalGids work. */
        if (geteuid() != 0) {
                _cleanup_free_ char *path = xasprintf("/proc/%d/setgroups", (int)pid);
                _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd >= 0 && write(fd, "deny", 4) != 4)
                        return berth_err(err, errno, "writing setgroups");
        }
        if (c->n_uid_mappings &&
            (r = write_idmap(pid, "uid_map", c->uid_mappings, c->n_uid_mappings, err)) < 0)
                return r;
        if (c->n_gid_mappings &&
            (r = write_idmap(pid, "gid_map", c->gid_mappings, c->n_gid_mappings, err)) < 0)
                return r;
        return 0;
}

static void ctx_free(struct create_ctx *x)
{
        runtime_config_free(x->c);
        runtime_mount_plan_free(x->plan);
        free(x->bundle);
        free(x->rootfs);
        runtime_cgroup_entry_close(&x->cg_entry);
        runtime_cgroup_free(x->cg);
        if (x->state_dfd >= 0)
                close(x->state_dfd);
        if (x->lock_fd >= 0)
                close(x->lock_fd);
        if (x->start_listen >= 0)
                close(x->start_listen);
        for (int i = 0; i < 2; i++)
                if (x->sync[i] >= 0)
                        close(x->sync[i]);
        for (int k = 0; k < RUNTIME_NS_KINDS; k++)
                if (x->ns_fds[k] >= 0)
                        close(x->ns_fds[k]);
        free(x->state_json);
        runtime_seccomp_bpf_free(x->seccomp);
        free(x->exe);
}

static int prepare(struct create_ctx *x, struct berth_error **err)
{
        int r;
        char buf[PATH_MAX];
        if (realpath(x->opts->bundle, buf) == NULL)
                return berth_err(err, errno, "bundle `%s`", x->opts->bundle);
        x->bundle = xstrdup(buf);
        if ((r = runtime_config_load(x->bundle, &x->c, err)) < 0)
                return r;
        if (x->c->process == NULL)
                return berth_err(err, 0, "config.json: process: missing");
        if (x->c->root_path == NULL)
                return berth_err(err, 0, "config.json: root.path: missing");
        if (x->c->process->terminal && x->opts->console_socket == NULL)
                return berth_err(err, 0,
                                 "process.terminal needs --console-socket to hand the tty over");
        _cleanup_free_ char *rootfs = x->c->root_path[0] == '/'
                                          ? xstrdup(x->c->root_path)
                                          : xasprintf("%s/%s", x->bundle, x->c->root_path);
        struct stat st;
        if (realpath(rootfs, buf) == NULL || stat(buf, &st) < 0)
                return berth_err(err, errno, "rootfs `%s`", rootfs);
        /* errno is stale here: name the problem itself */
        if (!S_ISDIR(st.st_mode))
                return berth_err(err, ENOTDIR, "rootfs `%s`", rootfs);
        x->rootfs = xstrdup(buf);
        if ((r = runtime_mount_plan_build(x->c, x->bundle, &x->plan, err)) < 0)
                return berth_err_wrap(err, "config.json");
        /* libseccomp allocates and may fail: compile here, before anything
         * exists, and leave the child one seccomp(2) call. */
        if (x->c->seccomp && (r = runtime_seccomp_compile_cached(
                                  x->c->seccomp, x->opts->seccomp_cache, &x->seccomp, err)) < 0)
                return berth_err_wrap(err, "compiling seccomp");
        for (int k = 0; k < RUNTIME_NS_KINDS; k++) {
                const char *p = x->c->ns[k].path;
                if (p == NULL)
                        continue;
                x->ns_fds[k] = open(p, O_RDONLY | O_CLOEXEC);
                if (x->ns_fds[k] < 0)
                        return berth_err(err, errno, "opening %s namespace `%s`",
                                         runtime_ns_proc_name(k), p);
        }
        return 0;
}

/* The state dir, made with mkdir so two creates of one ID cannot both win. */
static int make_state_dir(struct create_ctx *x, struct berth_error **err)
{
        /* Before mkdir: "a/b" would make a directory in container a's
         * state, and "a b" one that nothing then removes. */
        if (state_id_check(x->id, err) < 0)
                return -EINVAL;
        int r = util_path_mkdir_p(x->root, 0700, err);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd = open(x->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_err(err, errno, "opening `%s`", x->root);
        if (mkdirat(rootfd, x->id, 0700) < 0) {
                if (errno == EEXIST)
                        return berth_err(err, EEXIST, "container `%s` already exists", x->id);
                return berth_err(err, errno, "creating the state of `%s`", x->id);
        }
        x->state_dfd = state_dir_open(x->root, x->id, err);
        if (x->state_dfd < 0)
                return x->state_dfd;
        /* Held until create returns: `delete` tells a create in progress
         * from one that was killed half-way by trying to take it. */
        x->lock_fd = openat(rootfd, x->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (x->lock_fd < 0 || flock(x->lock_fd, LOCK_EX) < 0)
                return berth_err(err, errno, "locking the state of `%s`", x->id);
        return 0;
}

/*
 * A first state.json, before anything that outlives us (the cgroup, the
 * init) exists: if create is killed from here on, `delete` finds the
 * cgroup to remove instead of an ID that can be neither used nor deleted.
 * pid 0 reads as stopped.
 */
static int save_creating_state(struct create_ctx *x, struct berth_error **err)
{
        struct runtime_state s = {
            .id = (char *)x->id,
            .bundle = x->bundle,
            .status = (char *)"creating",
            .created = state_now(),
            .cgroup = x->cg ? runtime_cgroup_save(x->cg) : NULL,
        };
        int r = state_save(x->root, &s, err);
        free(s.created);
        json_decref(s.cgroup);
        return r;
}

static int make_cgroup(struct create_ctx *x, struct berth_error **err)
{
        struct berth_error *scratch = NULL;
        int r = runtime_cgroup_create(x->c->cgroups_path, x->id, x->c->resources, &x->cg, &scratch);
        if (r >= 0)
                return 0;
        /* Rootless, like runc: without delegated cgroups the container
         * runs in ours, as long as it asked for no limits. */
        if (geteuid() != 0 && x->c->resources == NULL &&
            (r == -EACCES || r == -EPERM || r == -EROFS)) {
                log_debug("running without a cgroup: %s", scratch->msg);
                berth_error_free(scratch);
                x->cg = NULL;
                return 0;
        }
        if (err != NULL && *err == NULL)
                *err = scratch;
        else
                berth_error_free(scratch);
        return r;
}

static int make_start_socket(struct create_ctx *x, struct berth_error **err)
{
        struct sockaddr_un sa;
        int r = unix_addr(x->state_dfd, "start.sock", &sa, err);
        if (r < 0)
                return r;
        x->start_listen = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (x->start_listen < 0)
                return berth_err(err, errno, "socket");
        if (bind(x->start_listen, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(x->start_listen, 1) < 0)
                return berth_err(err, errno, "binding the start socket");
        return 0;
}

char *create_state_json(const struct create_ctx *x, pid_t pid)
{
        struct runtime_state s = {
            .id = (char *)x->id,
            .bundle = x->bundle,
            .pid = pid,
            .created = (char *)"",
        };
        _cleanup_json_ json_t *j = state_json(&s, "creating");
        json_t *ann = json_object();
        for (size_t i = 0; x->c->annotation_keys && x->c->annotation_keys[i]; i++)
                json_object_set_new(ann, x->c->annotation_keys[i],
                                    json_string(x->c->annotation_values[i]));
        json_object_set_new(j, "annotations", ann);
        return json_dumps(j, JSON_COMPACT);
}

static int run_hooks(struct create_ctx *x, pid_t pid, struct berth_error **err)
{
        free(x->state_json);
        x->state_json = create_state_json(x, pid);
        int r = runtime_hooks_run(x->c->hooks, RUNTIME_HOOK_PRESTART, x->state_json, err);
        if (r < 0)
                return berth_err_wrap(err, "prestart hook");
        r = runtime_hooks_run(x->c->hooks, RUNTIME_HOOK_CREATE_RUNTIME, x->state_json, err);
        if (r < 0)
                return berth_err_wrap(err, "createRuntime hook");
        return 0;
}

/* One of our steps failed while the child was working: if the child failed
 * first (its exit is what broke our step), its error is the one to report. */
static int prefer_child_error(struct create_ctx *x, int r, struct berth_error **err)
{
        struct pollfd p = {.fd = x->sync[0], .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
                return r;
        struct sync_msg m;
        struct berth_error *scratch = NULL;
        if (sync_recv(x->sync[0], &m, NULL, &scratch) < 0 || m.type != SYNC_ERROR) {
                berth_error_free(scratch);
                return r;
        }
        if (err != NULL) {
                berth_error_free(*err);
                *err = NULL;
        }
        return berth_err(err, m.code, "%s", m.text);
}

/* The parent's side of the sync stages, until the init reports READY. */
static int parent_sync(struct create_ctx *x, pid_t pid, struct berth_error **err)
{
        int r;
        if (x->c->ns[RUNTIME_NS_USER].enabled && x->ns_fds[RUNTIME_NS_USER] < 0 &&
            (r = write_idmaps(x->c, pid, err)) < 0)
                return r;
        if ((r = sync_send(x->sync[0], SYNC_GO, -1, err)) < 0)
                return r;
        /* The first cgroup.procs write of a burst waits for an RCU grace
         * period (the cgroup threadgroup rwsem): milliseconds, most of a
         * container's start-up.  The child sets up its namespaces and
         * rootfs meanwhile and waits for SYNC_CGROUP only before it
         * unshares the cgroup namespace and reports READY, so nothing of
         * the container's own runs outside the cgroup. */
        if ((x->cg && !x->cg_self && (r = runtime_cgroup_enter(x->cg, pid, err)) < 0) ||
            (x->c->process->has_oom_score_adj &&
             (r = process_set_oom_score_adj(pid, x->c->process->oom_score_adj, err)) < 0) ||
            (r = sync_send(x->sync[0], SYNC_CGROUP, -1, err)) < 0)
                return prefer_child_error(x, r, err);
        for (;;) {
                struct sync_msg m;
                _cleanup_close_ int fd = -1;
                if ((r = sync_recv(x->sync[0], &m, &fd, err)) < 0)
                        return r;
                switch (m.type) {
                case SYNC_READY:
                        return 0;
                case SYNC_ERROR:
                        return berth_err(err, m.code, "%s", m.text);
                case SYNC_HOOKS:
                        if ((r = run_hooks(x, pid, err)) < 0)
                                return r;
                        if ((r = sync_send(x->sync[0], SYNC_HOOKS_DONE, -1, err)) < 0)
                                return r;
                        break;
                case SYNC_TERMINAL:
                        if (fd < 0)
                                return berth_err(err, EPROTO, "sync: no terminal fd");
                        r = runtime_console_socket_send(x->opts->console_socket, fd, err);
                        if (r < 0)
                                return r;
                        if ((r = sync_send(x->sync[0], SYNC_TERMINAL_DONE, -1, err)) < 0)
                                return r;
                        break;
                default:
                        return berth_err(err, EPROTO, "sync: unexpected message %d", m.type);
                }
        }
}

static int write_pid_file(const char *path, pid_t pid, struct berth_error **err)
{
        /* No trailing newline: containerd's shim parses the bare number. */
        _cleanup_free_ char *text = xasprintf("%d", (int)pid);
        _cleanup_free_ char *copy = xstrdup(path);
        char *slash = strrchr(copy, '/');
        const char *dir = ".", *name = copy;
        if (slash) {
                *slash = '\0';
                dir = slash == copy ? "/" : copy;
                name = slash + 1;
        }
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_err(err, errno, "pid file `%s`", path);
        return state_write_volatile(dfd, name, text, err);
}

/* Clone the init.  A pid namespace joined by path is entered for children
 * only (pid_for_children) around the clone, then restored, so the calling
 * process (possibly the berth engine) stays where it was. */
static pid_t clone_init(struct create_ctx *x, struct berth_error **err)
{
        unsigned long flags = SIGCHLD;
        const struct runtime_config *c = x->c;
        if (c->ns[RUNTIME_NS_PID].enabled && x->ns_fds[RUNTIME_NS_PID] < 0)
                flags |= CLONE_NEWPID;
        if (c->ns[RUNTIME_NS_USER].enabled && x->ns_fds[RUNTIME_NS_USER] < 0)
                flags |= CLONE_NEWUSER;
        _cleanup_close_ int own_pidns = -1;
        if (x->ns_fds[RUNTIME_NS_PID] >= 0) {
                own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
                if (own_pidns < 0 || setns(x->ns_fds[RUNTIME_NS_PID], CLONE_NEWPID) < 0)
                        return berth_err(err, errno, "joining pid namespace `%s`",
                                         c->ns[RUNTIME_NS_PID].path);
        }
        fflush(NULL);
        pid_t pid = -1;
        if (x->cg_self && x->cg_entry.v2_dir >= 0) {
                struct clone_args ca = {
                    .flags = (flags & ~CSIGNAL) | CLONE_INTO_CGROUP,
                    .exit_signal = SIGCHLD,
                    .cgroup = (uint64_t)x->cg_entry.v2_dir,
                };
                pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
                /* A kernel without clone3 or CLONE_INTO_CGROUP: we move
                 * the init ourselves. */
                if (pid < 0)
                        x->cg_self = false;
        }
        if (pid < 0)
                pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
        if (pid == 0)
                init_main(x);
        int e = errno;
        if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
                log_warn("restoring the pid namespace: %s", strerror(errno));
        if (pid < 0)
                return berth_err(err, e, "clone");
        return pid;
}

static void cleanup_failed(struct create_ctx *x, pid_t *pid)
{
        struct berth_error *scratch = NULL;
        if (*pid > 0) {
                kill(*pid, SIGKILL);
                while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                *pid = 0;
        }
        if (x->cg) {
                runtime_cgroup_kill_all(x->cg, SIGKILL, &scratch);
                berth_error_free(steal_pointer(&scratch));
                runtime_cgroup_destroy(x->cg, &scratch);
                berth_error_free(steal_pointer(&scratch));
                runtime_cgroup_free(steal_pointer(&x->cg));
        }
        if (x->state_dfd >= 0) {
                _cleanup_close_ int rootfd = open(x->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (rootfd >= 0)
                        util_path_remove_tree(rootfd, x->id, &scratch);
                berth_error_free(steal_pointer(&scratch));
        }
}

int runtime_container_create(const char *root, const char *id,
                             const struct runtime_create_options *opts, pid_t *out_pid,
                             struct berth_error **err)
{
        struct create_ctx x = {
            .root = root,
            .id = id,
            .opts = opts,
            .state_dfd = -1,
            .lock_fd = -1,
            .start_listen = -1,
            .sync = {-1, -1},
            .cg_entry = {.v2_dir = -1},
        };
        for (int k = 0; k < RUNTIME_NS_KINDS; k++)
                x.ns_fds[k] = -1;
        pid_t pid = 0;
        int r;
        if ((r = prepare(&x, err)) < 0 || (r = make_state_dir(&x, err)) < 0)
                goto out;
        if ((r = save_creating_state(&x, err)) < 0 || (r = make_cgroup(&x, err)) < 0 ||
            (r = save_creating_state(&x, err)) < 0 || (r = make_start_socket(&x, err)) < 0)
                goto fail;
        if (x.cg) {
                struct berth_error *scratch = NULL;
                x.cg_self = runtime_cgroup_entry_open(x.cg, &x.cg_entry, &scratch) == 0;
                if (!x.cg_self)
                        log_debug("the init can't enter its cgroup itself: %s", scratch->msg);
                berth_error_free(scratch);
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x.sync) < 0) {
                r = berth_err(err, errno, "socketpair");
                goto fail;
        }
        x.state_json = create_state_json(&x, 0);
        if ((pid = clone_init(&x, err)) < 0) {
                r = pid;
                pid = 0;
                goto fail;
        }
        close(steal_fd(&x.sync[1]));
        log_debug("container %s: init is pid %d", id, (int)pid);
        if ((r = parent_sync(&x, pid, err)) < 0)
                goto fail;
        log_debug("container %s: created, waiting for start", id);

        struct runtime_state s = {
            .id = (char *)id,
            .bundle = x.bundle,
            .pid = pid,
            .start_time = proc_start_time(pid),
            .status = (char *)"created",
            .created = state_now(),
            .annotations = json_object(),
            .cgroup = x.cg ? runtime_cgroup_save(x.cg) : NULL,
        };
        for (size_t i = 0; x.c->annotation_keys && x.c->annotation_keys[i]; i++)
                json_object_set_new(s.annotations, x.c->annotation_keys[i],
                                    json_string(x.c->annotation_values[i]));
        r = state_save(root, &s, err);
        free(s.created);
        json_decref(s.annotations);
        json_decref(s.cgroup);
        if (r < 0)
                goto fail;
        if (opts->pid_file && (r = write_pid_file(opts->pid_file, pid, err)) < 0)
                goto fail;
        /* Until this message the init dies with us: a create killed
         * half-way leaves no init that no state file points at. */
        if ((r = sync_send(x.sync[0], SYNC_SAVED, -1, err)) < 0)
                goto fail;
        if (out_pid)
                *out_pid = pid;
        r = 0;
        goto out;
fail:
        cleanup_failed(&x, &pid);
out:
        ctx_free(&x);
        if (r < 0)
                return berth_err_wrap(err, "creating container %s", id);
        return 0;
}

int runtime_container_start(const char *root, const char *id, struct berth_error **err)
{
        struct runtime_state *s = NULL;
        _cleanup_close_ int dfd = -1, sock = -1;
        _cleanup_config_ struct runtime_config *c = NULL;
        int r = state_load(root, id, &s, err);
        if (r < 0)
                return r;
        const char *status = state_status(s, NULL);
        if (strcmp(status, "created") != 0) {
                r = berth_err(err, 0, "cannot start container `%s`: it is %s", id, status);
                goto out;
        }
        dfd = state_dir_open(root, id, err);
        struct sockaddr_un sa;
        if (dfd < 0 || (r = unix_addr(dfd, "start.sock", &sa, err)) < 0) {
                r = -EINVAL;
                goto out;
        }
        sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                r = berth_err(err, errno, "starting container `%s`", id);
                goto out;
        }
        /* EOF means the init's close-on-exec fds went: execve succeeded. */
        struct sync_msg m;
        ssize_t n;
        do
                n = recv(sock, &m, sizeof(m), 0);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof(m) && m.type == SYNC_ERROR) {
                m.text[sizeof(m.text) - 1] = '\0';
                r = berth_err(err, m.code, "starting container %s: %s", id, m.text);
                goto out;
        }
        unlinkat(dfd, "start.sock", 0);
        log_debug("container %s: started pid %d", id, (int)s->pid);
        free(s->status);
        s->status = xstrdup("running");
        if ((r = state_save(root, s, err)) < 0)
                goto out;
        struct berth_error *scratch = NULL;
        if (runtime_config_load(s->bundle, &c, &scratch) == 0 && c->hooks) {
                _cleanup_json_ json_t *j = state_json(s, "running");
                _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
                if (runtime_hooks_run(c->hooks, RUNTIME_HOOK_POSTSTART, text, &scratch) < 0)
                        log_warn("poststart hook: %s", scratch ? scratch->msg : "");
        }
        berth_error_free(scratch);
        r = 0;
out:
        state_free(s);
        return r;
}

int runtime_wait_exit_code(pid_t pid, struct berth_error **err)
{
        int status;
        pid_t r;
        do
                r = waitpid(pid, &status, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return berth_err(err, errno, "waiting for %d", (int)pid);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}
