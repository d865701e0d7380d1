/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/record.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

static char *tmp_root(void)
{
        char *d = xstrdup("/tmp/berth-unit-record.XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static void rm_root(const char *d)
{
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_remove_tree(AT_FDCWD, d, &err), 0);
}

static struct container_record *sample(const char *name)
{
        struct container_record *r = xcalloc(1, sizeof(*r));
        r->name = name ? xstrdup(name) : NULL;
        r->image =
            xstrdup("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        r->created = container_time_now();
        r->path = xstrdup("/bin/sh");
        r->args = xcalloc(1, sizeof(char *));
        strv_append(&r->args, "-c");
        strv_append(&r->args, "echo hi");
        r->state.status = CONTAINER_CREATED;
        r->stop_signal = 15;
        r->stop_timeout = -1;
        r->config_json = xstrdup("{\"Tty\":false,\"Image\":\"busybox\"}");
        return r;
}

static void test_roundtrip(void **state)
{
        _cleanup_container_record_ struct container_record *r = sample("web");
        memcpy(r->id, "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90", 65);
        r->state.status = CONTAINER_EXITED;
        r->state.exit_code = 137;
        r->state.oom_killed = true;
        r->n_mounts = 1;
        r->mounts = xcalloc(1, sizeof(*r->mounts));
        r->mounts[0].type = xstrdup("volume");
        r->mounts[0].name = xstrdup("data");
        r->mounts[0].destination = xstrdup("/data");
        r->mounts[0].rw = true;
        r->mounts[0].anonymous = true;
        _cleanup_free_ char *text = container_record_to_string(r);
        _cleanup_json_ json_t *doc = json_loads(text, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(doc, "Name")), "/web");
        json_t *st = json_object_get(doc, "State");
        assert_string_equal(json_string_value(json_object_get(st, "Status")), "exited");
        assert_true(json_is_false(json_object_get(st, "Running")));
        assert_int_equal(json_integer_value(json_object_get(st, "ExitCode")), 137);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(doc, "Config"), "Image")), "busybox");
        _cleanup_container_record_ struct container_record *back = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(container_record_from_string(text, strlen(text), &back, &err), 0);
        assert_string_equal(back->name, "web");
        assert_string_equal(back->id, r->id);
        assert_int_equal(back->state.exit_code, 137);
        assert_true(back->state.oom_killed);
        assert_int_equal(back->n_mounts, 1);
        assert_true(back->mounts[0].anonymous);
        assert_string_equal(back->mounts[0].name, "data");
        assert_string_equal(back->args[1], "echo hi");
        assert_int_equal(back->stop_timeout, -1);
}

static void test_names_and_time(void **state)
{
        assert_true(container_name_valid("web"));
        assert_true(container_name_valid("/web-1.a_b"));
        assert_false(container_name_valid("a"));
        assert_false(container_name_valid("-x"));
        assert_false(container_name_valid("a b"));
        for (int i = 0; i < 50; i++) {
                _cleanup_free_ char *n = container_name_generate();
                assert_true(container_name_valid(n));
                assert_non_null(strchr(n, '_'));
        }
        _cleanup_free_ char *now = container_time_now();
        struct timespec ts;
        assert_int_equal(container_time_parse(now, &ts), 0);
        assert_true(ts.tv_sec > 1700000000);
        assert_int_equal(container_time_parse("2026-12-03T20:04:46.5Z", &ts), 0);
        assert_int_equal(ts.tv_nsec, 500000000);
        assert_int_equal(container_time_parse("yesterday", &ts), -EINVAL);
}

/* The hand-made date against gmtime and strftime: the epoch, leap days,
 * century years, the ends of months and years, and a walk through the
 * range a day and a bit at a time. */
static void test_time_format(void **state)
{
        const time_t fixed[] = {0,
                                59,
                                86399,
                                86400,
                                951782400 /* 2000-02-29 */,
                                4107542400 /* 2100-03-01 */,
                                253402300799 /* 9999-12-31 */,
                                1709164800 /* 2024-02-29 */,
                                1798761599 /* 2026-12-31 */};
        size_t n = sizeof(fixed) / sizeof(fixed[0]);
        for (size_t i = 0; i < n + 30000; i++) {
                struct timespec ts = {i < n ? fixed[i] : (time_t)(i - n) * 90061 * 100 / 97,
                                      (long)(i * 7919) % 1000000000};
                char got[CONTAINER_TIME_LEN + 1], want[64], day[32];
                struct tm tm;
                gmtime_r(&ts.tv_sec, &tm);
                strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
                snprintf(want, sizeof(want), "%s.%09ldZ", day, ts.tv_nsec);
                assert_ptr_equal(container_time_format(got, &ts), got + CONTAINER_TIME_LEN);
                assert_string_equal(got, want);
                struct timespec back;
                assert_int_equal(container_time_parse(got, &back), 0);
                assert_int_equal(back.tv_sec, ts.tv_sec);
        }
}

static void test_create_lookup_rename_remove(void **state)
{
        _cleanup_free_ char *root = tmp_root();
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_container_record_ struct container_record *a = sample("alpha");
        _cleanup_container_record_ struct container_record *b = sample(NULL);
        assert_int_equal(container_record_create(root, a, &err), 0);
        assert_int_equal(container_record_create(root, b, &err), 0);
        assert_non_null(b->name);
        assert_int_equal(strlen(a->id), 64);

        _cleanup_container_record_ struct container_record *dup = sample("alpha");
        assert_int_equal(container_record_create(root, dup, &err), -EEXIST);
        _cleanup_free_ char *msg = berth_error_text(err);
        assert_non_null(strstr(msg, "Conflict. The container name \"/alpha\" is already in use"));
        assert_non_null(strstr(msg, a->id));
        berth_error_free(err);
        err = NULL;

        char id[65];
        assert_int_equal(container_record_lookup(root, "alpha", id, &err), 1);
        assert_string_equal(id, a->id);
        assert_int_equal(container_record_lookup(root, "/alpha", id, &err), 1);
        char prefix[13];
        memcpy(prefix, b->id, 12);
        prefix[12] = '\0';
        assert_int_equal(container_record_lookup(root, prefix, id, &err), 1);
        assert_string_equal(id, b->id);
        assert_int_equal(container_record_lookup(root, "nosuch", id, &err), 0);
        assert_int_equal(container_record_resolve(root, "nosuch", id, &err), -ENOENT);
        _cleanup_free_ char *nf = berth_error_text(err);
        assert_string_equal(nf, "No such container: nosuch: No such file or directory");
        berth_error_free(err);
        err = NULL;

        assert_int_equal(container_record_rename(root, b->id, "alpha", &err), -EEXIST);
        berth_error_free(err);
        err = NULL;
        assert_int_equal(container_record_rename(root, b->id, "beta", &err), 0);
        assert_int_equal(container_record_lookup(root, "beta", id, &err), 1);

        _cleanup_container_record_ struct container_record *loaded = NULL;
        assert_int_equal(container_record_load(root, a->id, &loaded, &err), 1);
        assert_string_equal(loaded->path, "/bin/sh");

        assert_int_equal(container_record_remove(root, a->id, &err), 0);
        assert_int_equal(container_record_lookup(root, "alpha", id, &err), 0);
        _cleanup_strv_ char **ids = NULL;
        assert_int_equal(container_record_list(root, &ids, &err), 0);
        assert_int_equal(strv_len(ids), 1);
        rm_root(root);
}

/* The name index: names come free on rename and remove, a stale or
 * missing index is no harm, and a lookup can't leave it. */
static void test_name_index(void **state)
{
        _cleanup_free_ char *root = tmp_root();
        _cleanup_error_ struct berth_error *err = NULL;
        char id[65];
        _cleanup_container_record_ struct container_record *a = sample("alpha");
        assert_int_equal(container_record_create(root, a, &err), 0);
        /* Renamed: the old name is free, the new one taken. */
        assert_int_equal(container_record_rename(root, a->id, "beta", &err), 0);
        _cleanup_container_record_ struct container_record *a2 = sample("alpha");
        assert_int_equal(container_record_create(root, a2, &err), 0);
        _cleanup_container_record_ struct container_record *b2 = sample("beta");
        assert_int_equal(container_record_create(root, b2, &err), -EEXIST);
        berth_error_free(steal_pointer(&err));
        /* Renaming to its own name is refused, as Docker, and changes nothing. */
        assert_int_equal(container_record_rename(root, a->id, "beta", &err), -EINVAL);
        berth_error_free(steal_pointer(&err));
        assert_int_equal(container_record_lookup(root, "beta", id, &err), 1);
        assert_string_equal(id, a->id);
        /* Removed: the name is free again. */
        assert_int_equal(container_record_remove(root, a->id, &err), 0);
        assert_int_equal(container_record_lookup(root, "beta", id, &err), 0);
        assert_int_equal(container_record_create(root, b2, &err), 0);
        /* An entry for a container that is gone (a crash between the
         * record and the index) frees its name. */
        _cleanup_free_ char *names = xasprintf("%s/container-names", root);
        _cleanup_free_ char *stale = xasprintf("%s/gamma", names);
        assert_int_equal(symlink(a->id, stale), 0);
        assert_int_equal(container_record_lookup(root, "gamma", id, &err), 0);
        _cleanup_container_record_ struct container_record *g = sample("gamma");
        assert_int_equal(container_record_create(root, g, &err), 0);
        assert_int_equal(container_record_lookup(root, "gamma", id, &err), 1);
        assert_string_equal(id, g->id);
        /* What is no name finds nothing, even where the index has a
         * symlink of that shape. */
        assert_int_equal(container_record_lookup(root, "../container-names/gamma", id, &err), 0);
        /* A store from before the index: lookups read the records, the
         * next create builds it, conflicts included. */
        assert_int_equal(util_path_remove_tree(AT_FDCWD, names, &err), 0);
        assert_int_equal(container_record_lookup(root, "alpha", id, &err), 1);
        assert_string_equal(id, a2->id);
        _cleanup_container_record_ struct container_record *dup = sample("gamma");
        assert_int_equal(container_record_create(root, dup, &err), -EEXIST);
        berth_error_free(steal_pointer(&err));
        _cleanup_container_record_ struct container_record *d = sample("delta");
        assert_int_equal(container_record_create(root, d, &err), 0);
        _cleanup_free_ char *entry = xasprintf("%s/alpha", names);
        char target[65] = "";
        assert_int_equal(readlink(entry, target, 64), 64);
        assert_string_equal(target, a2->id);
        rm_root(root);
}

/* Many processes allocating at once get distinct names and IDs. */
static void test_concurrent_create(void **state)
{
        _cleanup_free_ char *root = tmp_root();
        enum { N = 16 };
        for (int i = 0; i < N; i++) {
                pid_t p = fork();
                assert_true(p >= 0);
                if (p == 0) {
                        struct berth_error *err = NULL;
                        struct container_record *r = sample(NULL);
                        _exit(container_record_create(root, r, &err) == 0 ? 0 : 1);
                }
        }
        for (int i = 0; i < N; i++) {
                int st;
                assert_true(wait(&st) > 0);
                assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_strv_ char **ids = NULL;
        assert_int_equal(container_record_list(root, &ids, &err), 0);
        assert_int_equal(strv_len(ids), N);
        char *names[N];
        for (int i = 0; i < N; i++) {
                struct container_record *r = NULL;
                assert_int_equal(container_record_load(root, ids[i], &r, &err), 1);
                names[i] = xstrdup(r->name);
                container_record_free(r);
                for (int j = 0; j < i; j++)
                        assert_string_not_equal(names[i], names[j]);
        }
        for (int i = 0; i < N; i++)
                free(names[i]);
        rm_root(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_names_and_time),
            cmocka_unit_test(test_time_format), cmocka_unit_test(test_create_lookup_rename_remove),
            cmocka_unit_test(test_name_index),  cmocka_unit_test(test_concurrent_create),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
