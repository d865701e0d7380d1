/* SPDX-License-Identifier: Apache-2.0 */
/* ADD's URLs: which sources are fetched, and the name a fetched file gets
 * (BuildKit's: the last element of the URL's decoded path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>

#include "build/build-private.h"

static void check_name(const char *url, const char *want)
{
        char *got = build_url_file_name(url);
        assert_string_equal(got, want);
        free(got);
}

static void test_file_name(void **state)
{
        check_name("http://example.test/files/data.txt", "data.txt");
        check_name("https://example.test/a/b/c.tar.gz", "c.tar.gz");
        check_name("http://example.test/data.txt?v=1#frag", "data.txt");
        check_name("http://example.test/a%20b.txt", "a b.txt");
        check_name("http://example.test/dir/", "dir");
        check_name("http://example.test:8080/x", "x");
        check_name("http://example.test", "__unnamed__");
        check_name("http://example.test/", "__unnamed__");
        check_name("http://example.test/..", "__unnamed__");
        check_name("http://example.test/a/%2e%2e", "__unnamed__");
}

static void test_is_url(void **state)
{
        assert_true(build_is_url("http://h/x"));
        assert_true(build_is_url("https://h/x"));
        assert_false(build_is_url("ftp://h/x"));
        assert_false(build_is_url("git@h:x/y.git"));
        assert_false(build_is_url("http.txt"));
        assert_false(build_is_url("dir/http://x"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_file_name),
            cmocka_unit_test(test_is_url),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
