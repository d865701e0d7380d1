/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper for tests/e2e/runtime-cgroup.bats: drives the runtime's
 * cgroup code one step per invocation, keeping the cgroup's saved
 * description in a state file between steps.
 *
 *   cgroup-probe create PATH RESOURCES-JSON STATE
 *   cgroup-probe spawn STATE                 child sleeping in it; prints its pid
 *   cgroup-probe run STATE sleep|fork-loop N|alloc MB
 *                                            child in it; waits; prints its end
 *   cgroup-probe pids|oom|frozen|stats|mounts|dirs STATE
 *   cgroup-probe freeze|thaw STATE
 *   cgroup-probe kill STATE SIGNAL
 *   cgroup-probe destroy STATE               SIGKILL all, wait, remove
 *   cgroup-probe bpf-devices STATE RESOURCES attach the device rules as eBPF to
 *                                            the v2 tree (also enforced on hybrid)
 *   cgroup-probe run STATE open PATH r|w     child opens PATH; prints "open ok"
 *                                            or the errno name
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

static int fail(struct berth_error *err)
{
        berth_error_print(err, "cgroup-probe");
        berth_error_free(err);
        return 1;
}

static int load(const char *state, struct runtime_cgroup **cg, struct berth_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        if (util_json_load_file(AT_FDCWD, state, &j, err) < 0)
                return berth_err_ret(*err);
        return runtime_cgroup_load(j, cg, err);
}

static void child_fork_loop(long n)
{
        pid_t kids[4096];
        long k = 0;
        int e = 0;
        if (n > 4096)
                n = 4096;
        for (; k < n; k++) {
                pid_t p = fork();
                if (p < 0) {
                        e = errno;
                        break;
                }
                if (p == 0) {
                        pause();
                        _exit(0);
                }
                kids[k] = p;
        }
        printf("forked %ld %s\n", k, e == EAGAIN ? "EAGAIN" : e ? strerror(e) : "ok");
        fflush(stdout);
        for (long i = 0; i < k; i++) {
                kill(kids[i], SIGKILL);
                waitpid(kids[i], NULL, 0);
        }
        _exit(0);
}

static void child_open(const char *path, const char *mode)
{
        int fd = open(path, (mode[0] == 'w' ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
        printf("open %s\n", fd >= 0 ? "ok" : errno == EPERM ? "EPERM" : strerror(errno));
        fflush(stdout);
        _exit(0);
}

static void child_alloc(long mb)
{
        size_t len = (size_t)mb << 20;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                _exit(3);
        for (size_t i = 0; i < len; i += 4096)
                p[i] = 1;
        _exit(0);
}

/* Fork a child that waits until it is in the cgroup, then does `what`. */
static int start(struct runtime_cgroup *cg, char **what, bool detach, pid_t *out,
                 struct berth_error **err)
{
        int go[2];
        if (pipe2(go, O_CLOEXEC) < 0)
                return berth_err(err, errno, "pipe");
        pid_t pid = fork();
        if (pid < 0)
                return berth_err(err, errno, "fork");
        if (pid == 0) {
                char c;
                close(go[1]);
                if (detach) {
                        /* bats waits for every holder of its output pipe. */
                        int null = open("/dev/null", O_RDWR);
                        dup2(null, 0);
                        dup2(null, 1);
                        dup2(null, 2);
                        setsid();
                }
                if (read(go[0], &c, 1) != 1)
                        _exit(2);
                if (strcmp(what[0], "fork-loop") == 0)
                        child_fork_loop(strtol(what[1], NULL, 10));
                else if (strcmp(what[0], "alloc") == 0)
                        child_alloc(strtol(what[1], NULL, 10));
                else if (strcmp(what[0], "open") == 0)
                        child_open(what[1], what[2]);
                for (;;)
                        pause();
        }
        close(go[0]);
        int r = runtime_cgroup_enter(cg, pid, err);
        if (r < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                close(go[1]);
                return r;
        }
        if (write(go[1], "x", 1) != 1)
                r = berth_err(err, errno, "starting the child");
        close(go[1]);
        *out = pid;
        return r;
}

static int wait_child(pid_t pid)
{
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return 1;
        if (WIFSIGNALED(st))
                printf("signaled %d\n", WTERMSIG(st));
        else
                printf("exited %d\n", WEXITSTATUS(st));
        return 0;
}

static int destroy(struct runtime_cgroup *cg, struct berth_error **err)
{
        /* Thaw first: a frozen v1 task does not die until thawed. */
        _cleanup_error_ struct berth_error *scratch = NULL;
        runtime_cgroup_freeze(cg, false, &scratch);
        for (int i = 0; i < 500; i++) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n;
                if (runtime_cgroup_pids(cg, &pids, &n, err) < 0)
                        return berth_err_ret(*err);
                if (n == 0)
                        break;
                if (runtime_cgroup_kill_all(cg, SIGKILL, err) < 0)
                        return berth_err_ret(*err);
                struct timespec ts = {0, 10 * 1000000L};
                nanosleep(&ts, NULL);
        }
        return runtime_cgroup_destroy(cg, err);
}

static int cmd(int argc, char **argv, struct berth_error **err)
{
        const char *verb = argv[1];
        _cleanup_cgroup_ struct runtime_cgroup *cg = NULL;

        if (strcmp(verb, "create") == 0) {
                _cleanup_json_ json_t *rj = NULL, *saved = NULL;
                struct runtime_resources *res = NULL;
                if (argc != 5)
                        return berth_err(err, EINVAL, "usage: create PATH RESOURCES STATE");
                if (util_json_load_string(argv[3], strlen(argv[3]), "resources", &rj, err) < 0 ||
                    runtime_resources_parse(rj, &res, err) < 0)
                        return berth_err_ret(*err);
                int r = runtime_cgroup_create(argv[2], "probe", res, &cg, err);
                runtime_resources_free(res);
                if (r < 0)
                        return r;
                saved = runtime_cgroup_save(cg);
                if (json_dump_file(saved, argv[4], JSON_COMPACT) < 0) {
                        destroy(cg, err);
                        return berth_err(err, EIO, "writing `%s`", argv[4]);
                }
                return 0;
        }
        if (argc < 3)
                return berth_err(err, EINVAL, "usage: %s STATE", verb);
        if (load(argv[2], &cg, err) < 0)
                return berth_err_ret(*err);

        if (strcmp(verb, "spawn") == 0 || strcmp(verb, "run") == 0) {
                char *sleep_arg[] = {"sleep", NULL};
                bool detach = strcmp(verb, "spawn") == 0;
                pid_t pid = 0;
                if (!detach && argc < 4)
                        return berth_err(err, EINVAL, "usage: run STATE WHAT [N]");
                if (!detach && strcmp(argv[3], "sleep") != 0 && argc < 5)
                        return berth_err(err, EINVAL, "usage: run STATE %s N", argv[3]);
                if (!detach && strcmp(argv[3], "open") == 0 && argc < 6)
                        return berth_err(err, EINVAL, "usage: run STATE open PATH r|w");
                if (start(cg, detach ? sleep_arg : argv + 3, detach, &pid, err) < 0)
                        return berth_err_ret(*err);
                if (detach) {
                        printf("%d\n", (int)pid);
                        return 0;
                }
                fflush(stdout);
                return wait_child(pid) == 0 ? 0 : berth_err(err, errno, "waiting");
        }
        if (strcmp(verb, "pids") == 0) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n;
                if (runtime_cgroup_pids(cg, &pids, &n, err) < 0)
                        return berth_err_ret(*err);
                for (size_t i = 0; i < n; i++)
                        printf("%d\n", (int)pids[i]);
                return 0;
        }
        if (strcmp(verb, "oom") == 0) {
                int r = runtime_cgroup_oom_killed(cg, err);
                if (r >= 0)
                        printf("%d\n", r);
                return r;
        }
        if (strcmp(verb, "frozen") == 0) {
                int r = runtime_cgroup_is_frozen(cg, err);
                if (r >= 0)
                        printf("%d\n", r);
                return r;
        }
        if (strcmp(verb, "freeze") == 0 || strcmp(verb, "thaw") == 0)
                return runtime_cgroup_freeze(cg, strcmp(verb, "freeze") == 0, err);
        if (strcmp(verb, "kill") == 0) {
                if (argc != 4)
                        return berth_err(err, EINVAL, "usage: kill STATE SIGNAL");
                return runtime_cgroup_kill_all(cg, atoi(argv[3]), err);
        }
        if (strcmp(verb, "stats") == 0) {
                struct runtime_cgroup_stats s;
                if (runtime_cgroup_stats(cg, &s, err) < 0)
                        return berth_err_ret(*err);
                printf("memory_usage=%" PRIu64 "\nmemory_limit=%" PRIu64 "\ncpu_usage_ns=%" PRIu64
                       "\npids_current=%" PRIu64 "\npids_limit=%" PRIu64 "\n",
                       s.memory_usage, s.memory_limit, s.cpu_usage_ns, s.pids_current,
                       s.pids_limit);
                return 0;
        }
        if (strcmp(verb, "mounts") == 0 || strcmp(verb, "dirs") == 0) {
                struct runtime_cgroup_mount *m;
                size_t n;
                if (runtime_cgroup_mounts(cg, &m, &n, err) < 0)
                        return berth_err_ret(*err);
                for (size_t i = 0; i < n; i++)
                        if (strcmp(verb, "dirs") == 0)
                                printf("%s\n", m[i].host_dir);
                        else
                                printf("%s %s\n", *m[i].name ? m[i].name : "-", m[i].host_dir);
                runtime_cgroup_mounts_free(m, n);
                return 0;
        }
        if (strcmp(verb, "bpf-devices") == 0) {
                _cleanup_json_ json_t *rj = NULL;
                _cleanup_resources_ struct runtime_resources *res = NULL;
                if (argc != 4 || cgroup_v2_hier(cg) == NULL)
                        return berth_err(err, EINVAL, "usage: bpf-devices STATE RESOURCES (v2)");
                if (util_json_load_string(argv[3], strlen(argv[3]), "resources", &rj, err) < 0 ||
                    runtime_resources_parse(rj, &res, err) < 0)
                        return berth_err_ret(*err);
                return cgroup_v2_devices_apply(cgroup_v2_hier(cg)->dir, res->devices,
                                               res->n_devices, err);
        }
        if (strcmp(verb, "destroy") == 0)
                return destroy(cg, err);
        return berth_err(err, EINVAL, "unknown command `%s`", verb);
}

int main(int argc, char **argv)
{
        struct berth_error *err = NULL;
        if (argc < 2) {
                fprintf(stderr, "usage: cgroup-probe COMMAND ...\n");
                return 2;
        }
        if (cmd(argc, argv, &err) < 0)
                return fail(err);
        return 0;
}
