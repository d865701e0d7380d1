/* SPDX-License-Identifier: Apache-2.0 */
/* .dockerignore matching (Docker's patternmatcher rules) and context path
 * cleaning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "build/builder.h"
#include "util/cleanup.h"

static bool ignores(const char *patterns, const char *path)
{
        struct build_ignore *ig = NULL;
        struct berth_error *err = NULL;
        assert_int_equal(build_ignore_parse(patterns, &ig, &err), 0);
        bool r = build_ignore_match(ig, path);
        build_ignore_free(ig);
        return r;
}

static void test_star_stays_in_one_element(void **state)
{
        assert_true(ignores("*.go", "a.go"));
        assert_false(ignores("*.go", "src/a.go"));
        assert_true(ignores("src/*.go", "src/a.go"));
        assert_false(ignores("src/*.go", "src/deep/a.go"));
        assert_true(ignores("?.txt", "a.txt"));
        assert_false(ignores("?.txt", "ab.txt"));
        assert_true(ignores("[a-c].txt", "b.txt"));
        assert_false(ignores("[a-c].txt", "d.txt"));
        assert_true(ignores("[^a-c].txt", "d.txt"));
        assert_true(ignores("\\*.txt", "*.txt"));
        assert_false(ignores("\\*.txt", "a.txt"));
}

static void test_double_star(void **state)
{
        assert_true(ignores("**/*.go", "a.go"));
        assert_true(ignores("**/*.go", "src/a.go"));
        assert_true(ignores("**/*.go", "src/deep/er/a.go"));
        assert_false(ignores("**/*.go", "src/a.goo"));
        assert_true(ignores("a/**", "a/b"));
        assert_true(ignores("a/**", "a/b/c"));
        assert_true(ignores("a/**/z", "a/z"));
        assert_true(ignores("a/**/z", "a/b/c/z"));
        assert_false(ignores("a/**/z", "b/z"));
        assert_true(ignores("**", "anything/at/all"));
}

static void test_parent_directories(void **state)
{
        assert_true(ignores("docs", "docs"));
        assert_true(ignores("docs", "docs/a/b.md"));
        assert_false(ignores("docs", "docsx/a"));
        assert_true(ignores("*/tmp", "x/tmp/y"));
}

static void test_exceptions_and_order(void **state)
{
        const char *p = "*.md\n!README.md\n";
        assert_true(ignores(p, "CHANGES.md"));
        assert_false(ignores(p, "README.md"));
        /* the last matching line wins */
        assert_true(ignores("*.md\n!README.md\nREADME*\n", "README.md"));
        /* an exception inside an excluded directory */
        p = "logs\n!logs/keep.log\n";
        assert_true(ignores(p, "logs/a.log"));
        assert_false(ignores(p, "logs/keep.log"));
        assert_true(ignores(p, "logs"));
}

static void test_cleaning_comments_blanks(void **state)
{
        const char *p = "# a comment\n\n   \n/abs\n./dot\n  spaced  \nx/../y\n";
        assert_true(ignores(p, "abs"));
        assert_true(ignores(p, "dot"));
        assert_true(ignores(p, "spaced"));
        assert_true(ignores(p, "y"));
        assert_false(ignores(p, "x"));
        assert_false(ignores(p, "# a comment"));
        /* a pattern climbing out of the context matches nothing */
        assert_false(ignores("../x\n", "x"));
        assert_false(build_ignore_match(NULL, "anything"));
}

static void check_clean(const char *in, const char *want)
{
        char *out = NULL;
        if (want == NULL) {
                assert_int_equal(build_path_clean(in, &out), -1);
                return;
        }
        assert_int_equal(build_path_clean(in, &out), 0);
        assert_string_equal(out, want);
        free(out);
}

static void test_path_clean(void **state)
{
        check_clean("a/b", "a/b");
        check_clean("./a//b/", "a/b");
        check_clean("/a/../b", "b");
        check_clean(".", "");
        check_clean("a/..", "");
        check_clean("..", NULL);
        check_clean("../x", NULL);
        check_clean("a/../../x", NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_star_stays_in_one_element),
            cmocka_unit_test(test_double_star),
            cmocka_unit_test(test_parent_directories),
            cmocka_unit_test(test_exceptions_and_order),
            cmocka_unit_test(test_cleaning_comments_blanks),
            cmocka_unit_test(test_path_clean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
