/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static char tmp[64];

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/berth-hooks-XXXXXX");
        return mkdtemp(tmp) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
        struct berth_error *err = NULL;
        int r = util_path_remove_tree(AT_FDCWD, tmp, &err);
        berth_error_free(err);
        return r;
}

static struct runtime_hooks *parse_ok(json_t *j)
{
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_hooks *h = NULL;
        if (runtime_hooks_parse(j, &h, &err) < 0)
                fail_msg("parse failed: %s", err->msg);
        json_decref(j);
        return h;
}

static char *read_text(const char *path)
{
        _cleanup_error_ struct berth_error *err = NULL;
        char *text = NULL;
        size_t len;
        if (util_file_read(AT_FDCWD, path, &text, &len, &err) < 0)
                fail_msg("reading %s: %s", path, err->msg);
        return text;
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One hook running `sh -c script` with arg0 as argv[0]. */
static struct runtime_hook sh_hook(const char *arg0, const char *script, int timeout)
{
        struct runtime_hook hk = {.path = (char *)"/bin/sh", .timeout = timeout};
        char *args[] = {(char *)arg0, (char *)"-c", (char *)script, (char *)arg0, NULL};
        hk.args = strv_dup(args);
        return hk;
}

static void test_parse(void **state)
{
        json_t *j =
            json_pack("{s:[{s:s, s:[s, s], s:[s], s:i}, {s:s}], s:[{s:s}], s:[]}", "prestart",
                      "path", "/bin/true", "args", "true", "x", "env", "A=1", "timeout", 5, "path",
                      "/bin/false", "poststop", "path", "/bin/echo", "createRuntime");
        struct runtime_hooks *h = parse_ok(j);
        assert_int_equal(h->n[RUNTIME_HOOK_PRESTART], 2);
        assert_int_equal(h->n[RUNTIME_HOOK_POSTSTOP], 1);
        assert_int_equal(h->n[RUNTIME_HOOK_CREATE_RUNTIME], 0);
        assert_int_equal(h->n[RUNTIME_HOOK_START_CONTAINER], 0);
        struct runtime_hook *hk = &h->hooks[RUNTIME_HOOK_PRESTART][0];
        assert_string_equal(hk->path, "/bin/true");
        assert_string_equal(hk->args[1], "x");
        assert_null(hk->args[2]);
        assert_string_equal(hk->env[0], "A=1");
        assert_int_equal(hk->timeout, 5);
        assert_null(h->hooks[RUNTIME_HOOK_PRESTART][1].args);
        assert_int_equal(h->hooks[RUNTIME_HOOK_PRESTART][1].timeout, 0);
        assert_string_equal(runtime_hook_names[RUNTIME_HOOK_CREATE_CONTAINER], "createContainer");
        runtime_hooks_free(h);

        /* Absent: an empty set, and running it does nothing. */
        struct berth_error *err = NULL;
        assert_int_equal(runtime_hooks_parse(NULL, &h, &err), 0);
        assert_non_null(h);
        assert_int_equal(runtime_hooks_run(h, RUNTIME_HOOK_PRESTART, "{}", &err), 0);
        runtime_hooks_free(h);
        assert_int_equal(runtime_hooks_run(NULL, RUNTIME_HOOK_POSTSTOP, "{}", &err), 0);
        assert_null(err);

        const struct {
                const char *json, *want;
        } bad[] = {
            {"[]", "hooks: expected an object"},
            {"{\"prestart\":{}}", "hooks.prestart: expected an array"},
            {"{\"prestart\":[{\"path\":\"true\"}]}", "hooks.prestart[0]: path must be an absolute"},
            {"{\"poststart\":[{\"args\":[]}]}", "hooks.poststart[0]: path must be an absolute"},
            {"{\"poststop\":[{\"path\":\"/x\",\"timeout\":0}]}", "timeout must be between"},
            {"{\"poststop\":[{\"path\":\"/x\",\"timeout\":-3}]}", "timeout must be between"},
            {"{\"poststop\":[{\"path\":\"/x\",\"env\":\"A=1\"}]}",
             "hooks.poststop[0]: expected an array"},
            {"{\"startContainer\":[{\"path\":\"/x\"},7]}", "startContainer[1]: expected an object"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_json_ json_t *b = NULL;
                assert_int_equal(
                    util_json_load_string(bad[i].json, strlen(bad[i].json), "t", &b, &err), 0);
                h = NULL;
                assert_true(runtime_hooks_parse(b, &h, &err) < 0);
                assert_null(h);
                if (strstr(err->msg, bad[i].want) == NULL)
                        fail_msg("`%s`: error `%s` lacks `%s`", bad[i].json, err->msg, bad[i].want);
                berth_error_freep(&err);
        }
}

static void test_parse_spec_example(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *config = NULL;
        _cleanup_hooks_ struct runtime_hooks *h = NULL;
        const char *path = BERTH_SRCDIR "/../shared/fixtures/specs/oci-schemas/runtime-spec/test/"
                                        "config/good/spec-example.json";

        if (util_json_load_file(AT_FDCWD, path, &config, &err) < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(runtime_hooks_parse(json_object_get(config, "hooks"), &h, &err), 0);
        const size_t want[RUNTIME_HOOK_KINDS] = {2, 2, 1, 1, 1, 1};
        for (int k = 0; k < RUNTIME_HOOK_KINDS; k++)
                assert_int_equal(h->n[k], want[k]);
        assert_string_equal(h->hooks[RUNTIME_HOOK_CREATE_CONTAINER][0].args[0], "-mount");
        assert_string_equal(h->hooks[RUNTIME_HOOK_PRESTART][0].env[0], "key1=value1");
        assert_int_equal(h->hooks[RUNTIME_HOOK_POSTSTART][0].timeout, 5);
        assert_string_equal(h->hooks[RUNTIME_HOOK_POSTSTOP][0].path, "/usr/sbin/cleanup.sh");
}

static void test_stdin_env_args(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *script = xasprintf(
            "cat > %s/stdin; printf '%%s|%%s|%%s' \"$0\" \"$HOOKVAR\" \"${BERTH_LEAK:-unset}\" "
            "> %s/env; tr '\\0' ' ' < /proc/$$/cmdline > %s/cmdline",
            tmp, tmp, tmp);
        struct runtime_hook hk = sh_hook("custom-argv0", script, 10);
        char *env[] = {(char *)"HOOKVAR=hello world", (char *)"PATH=/usr/bin:/bin", NULL};
        hk.env = env;
        const char *state_json = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\","
                                 "\"pid\":42,\"bundle\":\"/b\"}";

        setenv("BERTH_LEAK", "leaked", 1);
        assert_int_equal(runtime_hook_run(&hk, state_json, &err), 0);
        unsetenv("BERTH_LEAK");
        strv_free(hk.args);

        _cleanup_free_ char *p = xasprintf("%s/stdin", tmp);
        _cleanup_free_ char *got = read_text(p);
        assert_string_equal(got, state_json);
        free(p);
        p = xasprintf("%s/env", tmp);
        _cleanup_free_ char *envs = read_text(p);
        /* Only the given env: nothing of ours leaks in. */
        assert_string_equal(envs, "custom-argv0|hello world|unset");
        free(p);
        p = xasprintf("%s/cmdline", tmp);
        _cleanup_free_ char *cmdline = read_text(p);
        /* args[0] is argv[0]; path is what ran. */
        assert_true(strncmp(cmdline, "custom-argv0 -c ", 16) == 0);
}

static void test_env_inherited_when_absent(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *script = xasprintf("printf %%s \"$BERTH_INHERIT\" > %s/inh", tmp);
        struct runtime_hook hk = sh_hook("sh", script, 0);

        setenv("BERTH_INHERIT", "from-parent", 1);
        assert_int_equal(runtime_hook_run(&hk, NULL, &err), 0);
        unsetenv("BERTH_INHERIT");
        strv_free(hk.args);
        _cleanup_free_ char *p = xasprintf("%s/inh", tmp);
        _cleanup_free_ char *got = read_text(p);
        assert_string_equal(got, "from-parent");
}

static void test_large_state(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        size_t n = 300 * 1024;
        _cleanup_free_ char *big = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                big[i] = (char)('a' + i % 26);
        big[n] = '\0';
        _cleanup_free_ char *script = xasprintf("cat > %s/big", tmp);
        struct runtime_hook hk = sh_hook("sh", script, 10);
        assert_int_equal(runtime_hook_run(&hk, big, &err), 0);
        strv_free(hk.args);
        _cleanup_free_ char *p = xasprintf("%s/big", tmp);
        _cleanup_free_ char *got = read_text(p);
        assert_string_equal(got, big);
}

static void test_fail_status(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_hook hk =
            sh_hook("sh", "echo on stdout; echo '  first line  ' >&2; echo second >&2; exit 3", 10);
        /* A hook that ignores its stdin is fine too. */
        assert_int_equal(runtime_hook_run(&hk, "{\"id\":\"x\"}", &err), -EINVAL);
        strv_free(hk.args);
        assert_string_equal(err->msg, "hook `/bin/sh` exited with status 3: first line");
        assert_int_equal(err->code, 0);
        berth_error_freep(&err);

        /* Nothing on stderr: stdout's first line. */
        hk = sh_hook("sh", "echo only stdout; exit 1", 10);
        assert_true(runtime_hook_run(&hk, "{}", &err) < 0);
        strv_free(hk.args);
        assert_string_equal(err->msg, "hook `/bin/sh` exited with status 1: only stdout");
        berth_error_freep(&err);

        hk = sh_hook("sh", "exit 7", 10);
        assert_true(runtime_hook_run(&hk, "{}", &err) < 0);
        strv_free(hk.args);
        assert_string_equal(err->msg, "hook `/bin/sh` exited with status 7");
        berth_error_freep(&err);

        hk = sh_hook("sh", "echo dying >&2; kill -TERM $$", 10);
        assert_true(runtime_hook_run(&hk, "{}", &err) < 0);
        strv_free(hk.args);
        assert_string_equal(err->msg, "hook `/bin/sh` was killed by signal 15 (TERM): dying");
        berth_error_freep(&err);

        struct runtime_hook missing = {.path = (char *)"/nonexistent/hook"};
        assert_int_equal(runtime_hook_run(&missing, "{}", &err), -ENOENT);
        assert_string_equal(err->msg, "executing hook `/nonexistent/hook`");
}

/* Gone, or a zombie waiting for init. */
static bool process_gone(pid_t pid)
{
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        for (int i = 0; i < 200; i++) {
                FILE *f = fopen(path, "r");
                if (f == NULL)
                        return true;
                size_t n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[n] = '\0';
                char *p = strrchr(buf, ')');
                if (p != NULL && p[1] == ' ' && p[2] == 'Z')
                        return true;
                usleep(10000);
        }
        return false;
}

static pid_t read_pid(const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", tmp, name);
        _cleanup_free_ char *text = read_text(p);
        return (pid_t)atoi(text);
}

static void test_timeout(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        /* The hook starts a grandchild in its process group: the timeout
         * must take both. */
        _cleanup_free_ char *script =
            xasprintf("sleep 30 & echo $! > %s/bg.tmp; mv %s/bg.tmp %s/bg; wait", tmp, tmp, tmp);
        struct runtime_hook hk = sh_hook("sh", script, 1);
        double t0 = now();
        assert_int_equal(runtime_hook_run(&hk, "{}", &err), -ETIMEDOUT);
        double took = now() - t0;
        strv_free(hk.args);
        assert_string_equal(err->msg, "hook `/bin/sh` timed out after 1 s");
        assert_true(took >= 0.9 && took < 5);
        pid_t bg = read_pid("bg");
        assert_true(bg > 0);
        assert_true(process_gone(bg));
}

static void test_background_keeps_pipes(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        /* The hook exits at once but leaves a child holding stdout and
         * stderr: the run must end with the hook, not with the child. */
        _cleanup_free_ char *script = xasprintf(
            "sleep 20 & echo $! > %s/bg2.tmp; mv %s/bg2.tmp %s/bg2; exit 0", tmp, tmp, tmp);
        struct runtime_hook hk = sh_hook("sh", script, 10);
        double t0 = now();
        assert_int_equal(runtime_hook_run(&hk, "{}", &err), 0);
        assert_true(now() - t0 < 5);
        strv_free(hk.args);
        pid_t bg = read_pid("bg2");
        assert_true(bg > 0);
        kill(bg, SIGKILL);
        assert_true(process_gone(bg));
}

static void test_flood(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        /* Endless output: the deadline still holds. */
        struct runtime_hook hk = sh_hook("sh", "yes; exit 0", 1);
        double t0 = now();
        assert_int_equal(runtime_hook_run(&hk, "{}", &err), -ETIMEDOUT);
        assert_true(now() - t0 < 5);
        strv_free(hk.args);
        berth_error_freep(&err);

        /* A megabyte on one stderr line: the message keeps 1 KiB of it. */
        hk = sh_hook("sh", "head -c 1000000 /dev/zero | tr '\\0' x >&2; exit 4", 10);
        assert_true(runtime_hook_run(&hk, "{}", &err) < 0);
        strv_free(hk.args);
        const char *prefix = "hook `/bin/sh` exited with status 4: xxx";
        assert_true(strncmp(err->msg, prefix, strlen(prefix)) == 0);
        assert_int_equal(strlen(err->msg), strlen(prefix) - 3 + 1024 + 3);
        assert_string_equal(err->msg + strlen(err->msg) - 4, "x...");
}

static void test_run_kind_in_order(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *one = xasprintf("echo one >> %s/order", tmp);
        _cleanup_free_ char *two = xasprintf("echo two >> %s/order; exit 2", tmp);
        _cleanup_free_ char *three = xasprintf("echo three >> %s/order", tmp);
        json_t *j = json_pack("{s:[{s:s, s:[s, s, s]}, {s:s, s:[s, s, s]}, {s:s, s:[s, s, s]}]}",
                              "createRuntime", "path", "/bin/sh", "args", "sh", "-c", one, "path",
                              "/bin/sh", "args", "sh", "-c", two, "path", "/bin/sh", "args", "sh",
                              "-c", three);
        struct runtime_hooks *h = parse_ok(j);
        /* Other kinds run nothing. */
        assert_int_equal(runtime_hooks_run(h, RUNTIME_HOOK_PRESTART, "{}", &err), 0);
        assert_true(runtime_hooks_run(h, RUNTIME_HOOK_CREATE_RUNTIME, "{}", &err) < 0);
        assert_string_equal(err->msg, "hook `/bin/sh` exited with status 2");
        runtime_hooks_free(h);
        _cleanup_free_ char *p = xasprintf("%s/order", tmp);
        _cleanup_free_ char *got = read_text(p);
        /* The failure stops the list. */
        assert_string_equal(got, "one\ntwo\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_parse_spec_example),
            cmocka_unit_test_setup_teardown(test_stdin_env_args, setup, teardown),
            cmocka_unit_test_setup_teardown(test_env_inherited_when_absent, setup, teardown),
            cmocka_unit_test_setup_teardown(test_large_state, setup, teardown),
            cmocka_unit_test_setup_teardown(test_fail_status, setup, teardown),
            cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
            cmocka_unit_test_setup_teardown(test_background_keeps_pipes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_run_kind_in_order, setup, teardown),
            cmocka_unit_test(test_flood),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
