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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

static void test_error_chain(void **state)
{
        struct berth_error *err = NULL;
        assert_int_equal(berth_err(&err, ENOENT, "mounting `%s`", "/data"), -ENOENT);
        /* The first error wins. */
        assert_int_equal(berth_err(&err, EPERM, "later"), -EPERM);
        assert_int_equal(berth_err_wrap(&err, "creating container %s", "web"), -ENOENT);
        char *text = berth_error_text(err);
        assert_string_equal(text,
                            "creating container web: mounting `/data`: No such file or directory");
        free(text);
        berth_error_free(err);

        err = NULL;
        assert_int_equal(berth_err(&err, 0, "bad name"), -EINVAL);
        text = berth_error_text(err);
        assert_string_equal(text, "bad name");
        free(text);
        berth_error_free(err);
}

static char *make_tmpdir(void)
{
        char *d = xstrdup("/tmp/berth-unit-XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static void remove_tmpdir(char *d)
{
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_remove_tree(AT_FDCWD, d, &err), 0);
        free(d);
}

static void test_atomic_write(void **state)
{
        char *d = make_tmpdir();
        _cleanup_close_ int dfd = open(d, O_RDONLY | O_DIRECTORY);
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_file_write_atomic(dfd, "f", "one", 3, 0600, &err), 0);
        assert_int_equal(util_file_write_atomic(dfd, "f", "second", 6, 0640, &err), 0);
        _cleanup_free_ char *text = NULL;
        size_t len;
        assert_int_equal(util_file_read(dfd, "f", &text, &len, &err), 0);
        assert_int_equal(len, 6);
        assert_string_equal(text, "second");
        struct stat st;
        assert_int_equal(fstatat(dfd, "f", &st, 0), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        /* No temp file is left beside it. */
        _cleanup_closedir_ DIR *dir = opendir(d);
        int n = 0;
        for (struct dirent *de; (de = readdir(dir)) != NULL;)
                n += de->d_name[0] != '.';
        assert_int_equal(n, 1);
        remove_tmpdir(d);
}

/* A hostile tree: an absolute symlink, a ".." symlink and a magic link must
 * all stay inside the root. */
static void test_open_in_root(void **state)
{
        char *d = make_tmpdir();
        _cleanup_close_ int root = open(d, O_RDONLY | O_DIRECTORY);
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(mkdirat(root, "etc", 0755), 0);
        _cleanup_close_ int f = openat(root, "etc/passwd", O_WRONLY | O_CREAT, 0644);
        assert_true(f >= 0);
        assert_int_equal(write(f, "inside\n", 7), 7);
        assert_int_equal(symlinkat("/etc/passwd", root, "abs"), 0);
        assert_int_equal(symlinkat("../../../../etc/passwd", root, "up"), 0);
        assert_int_equal(symlinkat("/proc/self/root/etc/passwd", root, "magic"), 0);

        const char *names[] = {"abs", "up", "/../../etc/passwd"};
        for (size_t i = 0; i < 3; i++) {
                _cleanup_close_ int fd = util_path_open_in_root(root, names[i], O_RDONLY, 0, &err);
                assert_true(fd >= 0);
                char buf[16] = {0};
                assert_int_equal(read(fd, buf, sizeof(buf) - 1), 7);
                assert_string_equal(buf, "inside\n");
        }
        /* /proc/self/root inside the root does not exist, and magic links
         * would be refused even if it did. */
        assert_true(util_path_open_in_root(root, "magic", O_RDONLY, 0, &err) < 0);
        assert_non_null(err);

        /* mkdir through a symlink that points "outside" stays inside. */
        assert_int_equal(symlinkat("../../..", root, "esc"), 0);
        berth_error_freep(&err);
        _cleanup_close_ int made = util_path_mkdir_in_root(root, "esc/a/b", 0755, &err);
        assert_true(made >= 0);
        struct stat st;
        assert_int_equal(fstatat(root, "a/b", &st, 0), 0);
        assert_true(S_ISDIR(st.st_mode));
        remove_tmpdir(d);
}

static void test_remove_tree(void **state)
{
        char *d = make_tmpdir();
        _cleanup_close_ int root = open(d, O_RDONLY | O_DIRECTORY);
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_close_ int sub = util_path_mkdir_in_root(root, "x/y/z", 0755, &err);
        assert_true(sub >= 0);
        /* A symlink to a directory outside must be removed, not followed. */
        char *outside = make_tmpdir();
        _cleanup_free_ char *keep = xasprintf("%s/keep", outside);
        close(open(keep, O_WRONLY | O_CREAT, 0644));
        assert_int_equal(symlinkat(outside, root, "x/link"), 0);
        assert_int_equal(util_path_remove_tree(root, "x", &err), 0);
        assert_false(util_path_exists(keep) == false);
        assert_int_equal(faccessat(root, "x", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(util_path_remove_tree(root, "missing", &err), 0);
        remove_tmpdir(outside);
        remove_tmpdir(d);
}

static void test_lock(void **state)
{
        char *d = make_tmpdir();
        _cleanup_free_ char *path = xasprintf("%s/lock", d);
        _cleanup_error_ struct berth_error *err = NULL;
        int a = util_lock_acquire(path, LOCK_EX, &err);
        assert_true(a >= 0);
        /* flock locks belong to the open file description: a second open
         * in the same process conflicts just as another process would. */
        assert_int_equal(util_lock_acquire(path, LOCK_EX | LOCK_NB, &err), -EWOULDBLOCK);
        berth_error_freep(&err);
        close(a);
        int b = util_lock_acquire(path, LOCK_SH | LOCK_NB, &err);
        assert_true(b >= 0);
        close(b);
        remove_tmpdir(d);
}

static void test_json_getters(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *j = NULL;
        const char *doc =
            "{\"s\":\"v\",\"i\":7,\"b\":true,\"a\":[\"x\",\"y\"],\"bad\":[1],\"n\":null}";
        assert_int_equal(util_json_load_string(doc, strlen(doc), "doc", &j, &err), 0);
        const char *s;
        int64_t i;
        bool b;
        _cleanup_strv_ char **v = NULL;
        assert_int_equal(util_json_string(j, "s", "s", &s, &err), 1);
        assert_string_equal(s, "v");
        assert_int_equal(util_json_int(j, "i", "i", &i, &err), 1);
        assert_int_equal(i, 7);
        assert_int_equal(util_json_bool(j, "b", "b", &b, &err), 1);
        assert_true(b);
        assert_int_equal(util_json_strv(j, "a", "a", &v, &err), 1);
        assert_int_equal(strv_len(v), 2);
        assert_int_equal(util_json_string(j, "missing", "m", &s, &err), 0);
        assert_int_equal(util_json_string(j, "n", "n", &s, &err), 0);
        assert_null(err);
        assert_true(util_json_strv(j, "bad", "process.args", &v, &err) < 0);
        assert_string_equal(err->msg, "process.args: expected an array of strings");
        berth_error_freep(&err);
        assert_true(util_json_load_string("{\"a\":1,\"a\":2}", 13, "dup", &j, &err) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_error_chain),  cmocka_unit_test(test_atomic_write),
            cmocka_unit_test(test_open_in_root), cmocka_unit_test(test_remove_tree),
            cmocka_unit_test(test_lock),         cmocka_unit_test(test_json_getters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
