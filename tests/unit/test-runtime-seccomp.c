/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

static struct runtime_seccomp *parse_ok(const char *text)
{
        _cleanup_error_ struct berth_error *err = NULL;
        json_t *j = NULL;
        struct runtime_seccomp *s = NULL;

        assert_int_equal(util_json_load_string(text, strlen(text), "profile", &j, &err), 0);
        int r = runtime_seccomp_parse(j, &s, &err);
        if (r < 0)
                fail_msg("parse failed: %s", err->msg);
        json_decref(j);
        return s;
}

/* Parse must fail, with a message that contains want. */
static void parse_bad(const char *text, const char *want)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *j = NULL;
        struct runtime_seccomp *s = NULL;

        assert_int_equal(util_json_load_string(text, strlen(text), "profile", &j, &err), 0);
        assert_true(runtime_seccomp_parse(j, &s, &err) < 0);
        assert_null(s);
        assert_non_null(err);
        if (strstr(err->msg, want) == NULL)
                fail_msg("error `%s` does not mention `%s`", err->msg, want);
        assert_null(strchr(err->msg, '\n'));
}

static void test_parse_good(void **state)
{
        struct runtime_seccomp *s =
            parse_ok("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                     "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
                     "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                     "\"syscalls\":["
                     "{\"names\":[\"read\",\"write\",\"no_such_syscall_berth\"],\"action\":\"SCMP_"
                     "ACT_ALLOW\"},"
                     "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
                     "{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
                     "{\"index\":1,\"value\":255,\"valueTwo\":3,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
                     "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                     "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":5},"
                     "{\"names\":[\"no_such_a\",\"no_such_b\"],\"action\":\"SCMP_ACT_KILL\","
                     "\"args\":[{\"index\":2,\"value\":-1,\"op\":\"SCMP_CMP_NE\"}]}"
                     "]}");

        assert_int_equal(s->default_action, 0x00050000U | 38);
        assert_int_equal(s->n_archs, 2);
        assert_true(s->flag_log);
        assert_false(s->flag_tsync);
        assert_false(s->flag_spec_allow);
        assert_int_equal(s->n_syscalls, 5);
        /* The unknown name is dropped, the others resolved. */
        assert_int_equal(s->syscalls[0].n_nrs, 2);
        assert_string_equal(s->syscalls[0].names[0], "read");
        assert_string_equal(s->syscalls[0].names[1], "write");
        assert_null(s->syscalls[0].names[2]);
        assert_int_equal(s->syscalls[0].nrs[0], SYS_read);
        assert_int_equal(s->syscalls[0].nrs[1], SYS_write);
        assert_int_equal(s->syscalls[0].action, 0x7fff0000U);
        assert_int_equal(s->syscalls[1].n_args, 2);
        assert_int_equal(s->syscalls[1].args[1].index, 1);
        assert_int_equal(s->syscalls[1].args[1].value, 255);
        assert_int_equal(s->syscalls[1].args[1].value_two, 3);
        /* ERRNO without errnoRet is EPERM, as in runc. */
        assert_int_equal(s->syscalls[2].action, 0x00050000U | EPERM);
        assert_int_equal(s->syscalls[3].action, 0x7ff00000U | 5);
        /* All names unknown: an entry with nothing to load. */
        assert_int_equal(s->syscalls[4].n_nrs, 0);
        assert_null(s->syscalls[4].names);
        assert_true(s->syscalls[4].args[0].value == UINT64_MAX);
        runtime_seccomp_free(s);

        /* Absent or null: no filter at all. */
        struct berth_error *err = NULL;
        s = (void *)1;
        assert_int_equal(runtime_seccomp_parse(NULL, &s, &err), 0);
        assert_null(s);
        assert_int_equal(runtime_seccomp_load(NULL, &err), 0);
        struct runtime_seccomp_bpf *bpf = (void *)1;
        assert_int_equal(runtime_seccomp_compile(NULL, &bpf, &err), 0);
        assert_null(bpf);
        assert_int_equal(runtime_seccomp_bpf_load(NULL, &err), 0);
        assert_int_equal(runtime_seccomp_bpf_len(NULL), 0);
        assert_null(err);
}

/* The runtime-spec's own example config. */
#define SPEC_EXAMPLE                                                                               \
        BERTH_SRCDIR "/../shared/fixtures/specs/oci-schemas/runtime-spec/test/config/good/"        \
                     "spec-example.json"

static void test_parse_spec_example(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *config = NULL;
        _cleanup_seccomp_ struct runtime_seccomp *s = NULL;

        if (util_json_load_file(AT_FDCWD, SPEC_EXAMPLE, &config, &err) < 0)
                fail_msg("%s", err->msg);
        json_t *seccomp = json_object_get(json_object_get(config, "linux"), "seccomp");
        assert_non_null(seccomp);
        assert_int_equal(runtime_seccomp_parse(seccomp, &s, &err), 0);
        assert_int_equal(s->default_action, 0x7fff0000U);
        assert_int_equal(s->n_archs, 2);
        assert_int_equal(s->n_syscalls, 1);
        assert_string_equal(s->syscalls[0].names[0], "getcwd");
        assert_string_equal(s->syscalls[0].names[1], "chmod");
        assert_int_equal(s->syscalls[0].action, 0x00050000U | EPERM);
}

static void test_parse_bad(void **state)
{
        parse_bad("[]", "expected an object");
        parse_bad("{}", "defaultAction is required");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_BOGUS\"}",
                  "unknown seccomp action `SCMP_ACT_BOGUS`");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY is not supported");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
                  "errnoRet is only valid with SCMP_ACT_ERRNO");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}", "out of range");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\"}",
                  "listenerPath (seccomp notify) is not supported");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                  "unknown architecture `SCMP_ARCH_VAX`");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_X\"]}",
                  "unsupported seccomp flag `SECCOMP_FILTER_FLAG_X`");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":"
                  "\"SCMP_ACT_ERRNO\"}]}",
                  "syscalls[0]: names must list at least one syscall");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}",
                  "syscalls[0]: action is required");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                  "\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}]}",
                  "errnoRet is only valid");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                  "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                  "syscalls[0]: SCMP_ACT_NOTIFY is not supported");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
                  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "syscalls[0].args[0]: index 6 out of range");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
                  "\"op\":\"SCMP_CMP_APPROX\"}]}]}",
                  "unknown seccomp operator `SCMP_CMP_APPROX`");
        parse_bad(
            "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
            "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
            "value is required");
        parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\","
                  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                  "syscalls[0]: expected an array");
}

/*
 * Load profile in a forked child (no_new_privs set, so no privilege is
 * needed), run check there, and return the child's wait status.  check
 * returns 0 when everything behaved, else the number of the failed step.
 * As the runtime does, the filter is compiled before fork and the child
 * only installs it; direct instead has the child do both at once.
 */
/* Set: run_filtered_how compiles through the cache there. */
static const char *cache_dir;

static int run_filtered_how(const char *profile, int (*check)(void), bool direct)
{
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_seccomp *s = parse_ok(profile);
        struct runtime_seccomp_bpf *bpf = NULL;

        if (!direct) {
                if (runtime_seccomp_compile_cached(s, cache_dir, &bpf, &err) < 0)
                        fail_msg("compile: %s", err->msg);
                assert_true(runtime_seccomp_bpf_len(bpf) > 0);
        }
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct berth_error *cerr = NULL;
                /* cmocka catches SIGSYS to report a crash; here it must kill. */
                signal(SIGSYS, SIG_DFL);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(100);
                int r =
                    direct ? runtime_seccomp_load(s, &cerr) : runtime_seccomp_bpf_load(bpf, &cerr);
                if (r < 0) {
                        fprintf(stderr, "load: %s (%d)\n", cerr->msg, cerr->code);
                        _exit(101);
                }
                _exit(check());
        }
        runtime_seccomp_free(s);
        runtime_seccomp_bpf_free(bpf);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static int run_filtered(const char *profile, int (*check)(void))
{
        return run_filtered_how(profile, check, false);
}

static void assert_exit_ok(int status)
{
        if (!WIFEXITED(status))
                fail_msg("child killed by signal %d", WTERMSIG(status));
        if (WEXITSTATUS(status) != 0)
                fail_msg("child failed at step %d", WEXITSTATUS(status));
}

static char scratch_dir[64];

static int check_mkdir(void)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/denied", scratch_dir);
        if (mkdir(path, 0700) == 0 || errno != EACCES)
                return 1;
        if (syscall(SYS_mkdirat, AT_FDCWD, path, 0700) == 0 || errno != EACCES)
                return 2;
        /* Everything else still works. */
        if (getpid() <= 0)
                return 3;
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || write(fd, "x", 1) != 1)
                return 4;
        close(fd);
        snprintf(path, sizeof(path), "%s/file", scratch_dir);
        fd = open(path, O_CREAT | O_WRONLY, 0600);
        if (fd < 0)
                return 5;
        close(fd);
        return 0;
}

static void test_load_errno(void **state)
{
        struct stat st;
        char path[128];

        snprintf(scratch_dir, sizeof(scratch_dir), "/tmp/berth-seccomp-XXXXXX");
        assert_non_null(mkdtemp(scratch_dir));
        /* Through both paths: compiled before fork, and all in the child. */
        for (int direct = 0; direct <= 1; direct++)
                assert_exit_ok(
                    run_filtered_how("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                                     "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\","
                                     "\"SCMP_ARCH_X32\"],"
                                     "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                                     "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}",
                                     check_mkdir, direct));
        snprintf(path, sizeof(path), "%s/denied", scratch_dir);
        assert_int_equal(stat(path, &st), -1);
        snprintf(path, sizeof(path), "%s/file", scratch_dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(scratch_dir), 0);
}

#define PERS_QUERY 0xffffffffUL

static long pers(unsigned long v)
{
        return syscall(SYS_personality, v);
}

static int check_personality_eq(void)
{
        if (pers(PER_LINUX32) != -1 || errno != ENOEXEC)
                return 1;
        /* Another value, and the query, pass. */
        if (pers(PER_LINUX) < 0)
                return 2;
        if (pers(PERS_QUERY) < 0)
                return 3;
        return 0;
}

static void test_load_arg_eq(void **state)
{
        assert_exit_ok(run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                                    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\","
                                    "\"errnoRet\":8,\"args\":[{\"index\":0,\"value\":8,"
                                    "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                                    check_personality_eq));
}

/* Two conditions on arg 0: separate rules, so either one denies. */
static int check_personality_same_index(void)
{
        if (pers(PER_LINUX32) != -1 || errno != EPERM)
                return 1;
        if (pers(PER_BSD) != -1 || errno != EPERM)
                return 2;
        if (pers(PER_LINUX) < 0)
                return 3;
        if (pers(PERS_QUERY) < 0)
                return 4;
        return 0;
}

static void test_load_same_index(void **state)
{
        assert_exit_ok(
            run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                         "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
                         "{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
                         "{\"index\":0,\"value\":6,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                         check_personality_same_index));
}

/* Distinct indexes: one rule, all conditions must hold.  MASKED_EQ takes
 * value as the mask and valueTwo as the expected result. */
static int check_and_masked(void)
{
        /* prctl(PR_SET_DUMPABLE, 0) is denied, (PR_SET_DUMPABLE, 1) and
         * (PR_GET_DUMPABLE) are not. */
        if (syscall(SYS_prctl, PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) != -1 || errno != EXDEV)
                return 1;
        if (syscall(SYS_prctl, PR_SET_DUMPABLE, 1UL, 0UL, 0UL, 0UL) != 0)
                return 2;
        if (syscall(SYS_prctl, PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) < 0)
                return 3;
        /* personality: (arg0 & 0xff) == 0x08 denied. */
        if (pers(0x0108) != -1 || errno != EXDEV)
                return 4;
        if (pers(PER_LINUX) < 0)
                return 5;
        return 0;
}

static void test_load_and_masked(void **state)
{
        assert_exit_ok(run_filtered(
            "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
            "{\"names\":[\"prctl\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18,\"args\":["
            "{\"index\":0,\"value\":4,\"op\":\"SCMP_CMP_EQ\"},"
            "{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
            "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18,"
            "\"args\":[{\"index\":0,\"value\":255,\"valueTwo\":8,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}"
            "]}",
            check_and_masked));
}

static int check_getcwd_kills(void)
{
        char buf[256];
        syscall(SYS_getcwd, buf, sizeof(buf));
        return 1; /* not reached */
}

static void test_load_kill(void **state)
{
        const char *actions[] = {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL",
                                 "SCMP_ACT_TRAP"};
        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
                char profile[512];
                snprintf(profile, sizeof(profile),
                         "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                         "{\"names\":[\"getcwd\"],\"action\":\"%s\"}]}",
                         actions[i]);
                int status = run_filtered(profile, check_getcwd_kills);
                if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
                        fail_msg("%s: expected death by SIGSYS, got status %#x", actions[i],
                                 status);
        }
}

static int check_log_allows(void)
{
        char buf[256];
        return syscall(SYS_getcwd, buf, sizeof(buf)) > 0 ? 0 : 1;
}

static void test_load_log_flags_default_dup(void **state)
{
        /* LOG lets the call through; a rule equal to the default action is
         * skipped rather than rejected by libseccomp; the flags are honoured. */
        assert_exit_ok(run_filtered(
            "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
            "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
            "\"SECCOMP_FILTER_FLAG_TSYNC\"],"
            "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_LOG\"},"
            "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
            check_log_allows));
}

static int check_default_errno(void)
{
        /* Only what the child needs to report back is allowed. */
        long r = syscall(SYS_getppid);
        if (r != -1 || errno != ENOSYS) {
                fprintf(stderr, "getppid -> %ld errno %d\n", r, errno);
                return 1;
        }
        return 0;
}

static void test_load_default_errno(void **state)
{
        /* defaultErrnoRet applies to every syscall not listed.  The allow
         * list covers what this child does before and after the check. */
        assert_exit_ok(run_filtered(
            "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"syscalls\":["
            "{\"names\":[\"exit\",\"exit_group\",\"write\",\"brk\",\"mmap\",\"munmap\","
            "\"rt_sigreturn\",\"rt_sigprocmask\",\"futex\",\"madvise\",\"sigaltstack\","
            "\"prctl\",\"getpid\",\"gettid\",\"sched_yield\",\"close\",\"read\",\"openat\","
            "\"fstat\",\"newfstatat\",\"readlink\",\"getrlimit\",\"prlimit64\",\"mprotect\"],"
            "\"action\":\"SCMP_ACT_ALLOW\"}]}",
            check_default_errno));
}

static void test_load_needs_nnp(void **state)
{
        struct runtime_seccomp *s =
            parse_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                     "[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct berth_error *err = NULL;
                /* Without CAP_SYS_ADMIN (root drops it with its uid) and
                 * without no_new_privs, the kernel refuses; load must say
                 * so rather than set no_new_privs behind the config's back. */
                if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
                        _exit(77); /* inherited: nothing to show here */
                if (getuid() == 0 && setuid(65534) < 0)
                        _exit(1);
                if (runtime_seccomp_load(s, &err) != -EACCES)
                        _exit(2);
                if (strcmp(err->msg, "loading seccomp filter") != 0)
                        _exit(3);
                if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
                        _exit(4);
                _exit(0);
        }
        runtime_seccomp_free(s);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                skip();
        assert_exit_ok(status);
}

/* Podman's default profile (Debian: golang-github-containers-common), in
 * Docker's format: archMap and includes/excludes are the engine's to
 * resolve.  This turns it into linux.seccomp as the engine would for an
 * x86_64 container with no capabilities. */
#define REAL_PROFILE "/usr/share/containers/seccomp.json"

static bool has_keys(json_t *obj)
{
        return json_is_object(obj) && json_object_size(obj) > 0;
}

static char *oci_from_docker_profile(void)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *docker = NULL;
        if (util_json_load_file(AT_FDCWD, REAL_PROFILE, &docker, &err) < 0)
                fail_msg("%s", err->msg);

        json_t *oci = json_object(), *syscalls = json_array(), *entry;
        size_t i;
        json_object_set(oci, "defaultAction", json_object_get(docker, "defaultAction"));
        json_object_set(oci, "defaultErrnoRet", json_object_get(docker, "defaultErrnoRet"));
        json_object_set_new(
            oci, "architectures",
            json_pack("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
        json_array_foreach(json_object_get(docker, "syscalls"), i, entry)
        {
                json_t *inc = json_object_get(entry, "includes");
                /* includes.caps: not with no capabilities; excludes.caps:
                 * always; includes.arches: only if amd64 is named. */
                if (has_keys(inc) && json_object_get(inc, "caps") != NULL)
                        continue;
                json_t *arches = json_object_get(inc, "arches"), *a;
                size_t k;
                bool ours = arches == NULL;
                json_array_foreach(arches, k, a) ours |= strcmp(json_string_value(a), "amd64") == 0;
                if (!ours)
                        continue;
                json_array_append(syscalls, entry);
        }
        json_object_set_new(oci, "syscalls", syscalls);
        char *text = json_dumps(oci, JSON_COMPACT);
        json_decref(oci);
        return text;
}

static int check_real_profile(void)
{
        /* Not in the profile: the default, ENOSYS.  cachestat (451 on
         * x86_64, Linux 6.5) is newer than the profile; unfiltered, a bad
         * fd gives EBADF. */
        if (syscall(451, -1, NULL, NULL, 0) != -1 || errno != ENOSYS)
                return 1;
        /* Listed as SCMP_ACT_ERRNO with errnoRet 1; unfiltered, moving no
         * pages succeeds. */
        if (syscall(SYS_move_pages, 0, 0UL, NULL, NULL, NULL, 0) != -1 || errno != EPERM)
                return 5;
        /* socket(AF_NETLINK, *, NETLINK_AUDIT) is EINVAL without
         * CAP_AUDIT_WRITE; other sockets pass the ALLOW rules. */
        if (socket(AF_NETLINK, SOCK_RAW, 9) != -1 || errno != EINVAL)
                return 2;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0)
                return 3;
        close(fd);
        /* A whole program still runs under it. */
        execl("/bin/sh", "sh", "-c", "x=$(echo hi); [ \"$x\" = hi ] && exit 7", (char *)NULL);
        return 4;
}

static const char personality_profile[] =
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\","
    "\"errnoRet\":8,\"args\":[{\"index\":0,\"value\":8,"
    "\"op\":\"SCMP_CMP_EQ\"}]}]}";

/* The one entry in dir (its name in name), and its content. */
static char *cache_entry(const char *dir, char name[256], size_t *len)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        assert_non_null(d);
        int n = 0;
        for (struct dirent *de; (de = readdir(d)) != NULL;)
                if (de->d_name[0] != '.' && n++ == 0)
                        snprintf(name, 256, "%s", de->d_name);
        assert_int_equal(n, 1);
        char path[384];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        char *text = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_file_read(AT_FDCWD, path, &text, len, &err), 0);
        return text;
}

static void put_entry(const char *dir, const char *name, const char *buf, size_t len)
{
        char path[384];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

static void test_cache(void **state)
{
        char dir[64] = "/tmp/berth-seccomp-cache-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char sub[96];
        /* Made on demand. */
        snprintf(sub, sizeof(sub), "%s/cache", dir);
        cache_dir = sub;
        char name[256];
        size_t len, len2;
        /* A miss compiles and stores; a hit behaves the same. */
        assert_exit_ok(run_filtered(personality_profile, check_personality_eq));
        _cleanup_free_ char *first = cache_entry(sub, name, &len);
        assert_exit_ok(run_filtered(personality_profile, check_personality_eq));
        _cleanup_free_ char *again = cache_entry(sub, name, &len2);
        assert_int_equal(len, len2);
        assert_memory_equal(first, again, len);
        /* A damaged entry (a flipped instruction byte, a torn write, an
         * empty file) is not used: compiled again, and replaced. */
        _cleanup_free_ char *bad = xmalloc(len);
        memcpy(bad, first, len);
        bad[len - 3] ^= 0x40;
        put_entry(sub, name, bad, len);
        assert_exit_ok(run_filtered(personality_profile, check_personality_eq));
        free(again);
        again = cache_entry(sub, name, &len2);
        assert_memory_equal(first, again, len);
        size_t cuts[] = {len - 1, len - 8, 0};
        for (size_t i = 0; i < 3; i++) {
                put_entry(sub, name, first, cuts[i]);
                assert_exit_ok(run_filtered(personality_profile, check_personality_eq));
                free(again);
                again = cache_entry(sub, name, &len2);
                assert_int_equal(len2, len);
                assert_memory_equal(first, again, len);
        }
        /* Another profile is another entry. */
        assert_exit_ok(run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                                    "{\"names\":[\"personality\"],\"action\":"
                                    "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,"
                                    "\"op\":\"SCMP_CMP_EQ\"}]},{\"names\":[\"personality\"],"
                                    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
                                    "\"value\":6,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                                    check_personality_same_index));
        _cleanup_closedir_ DIR *d = opendir(sub);
        int n = 0;
        for (struct dirent *de; (de = readdir(d)) != NULL;)
                n += de->d_name[0] != '.';
        assert_int_equal(n, 2);
        /* A cache that can't be made is no cache. */
        put_entry(dir, "file", "", 0);
        snprintf(sub, sizeof(sub), "%s/file/cache", dir);
        assert_exit_ok(run_filtered(personality_profile, check_personality_eq));
        cache_dir = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_remove_tree(AT_FDCWD, dir, &err), 0);
}

static void test_load_real_profile(void **state)
{
#ifndef __x86_64__
        skip();
#endif
        _cleanup_free_ char *profile = oci_from_docker_profile();
        int status = run_filtered(profile, check_real_profile);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 7);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_good),
            cmocka_unit_test(test_parse_spec_example),
            cmocka_unit_test(test_parse_bad),
            cmocka_unit_test(test_load_errno),
            cmocka_unit_test(test_load_arg_eq),
            cmocka_unit_test(test_load_same_index),
            cmocka_unit_test(test_load_and_masked),
            cmocka_unit_test(test_load_kill),
            cmocka_unit_test(test_load_log_flags_default_dup),
            cmocka_unit_test(test_load_default_errno),
            cmocka_unit_test(test_load_real_profile),
            cmocka_unit_test(test_cache),
            cmocka_unit_test(test_load_needs_nnp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
