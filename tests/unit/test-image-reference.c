/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "util/cleanup.h"

/* input, then the normalized full string (NULL: must be refused) */
static const char *const cases[][2] = {
    {"busybox", "docker.io/library/busybox:latest"},
    {"busybox:1.36", "docker.io/library/busybox:1.36"},
    {"library/busybox", "docker.io/library/busybox:latest"},
    {"docker.io/busybox", "docker.io/library/busybox:latest"},
    {"index.docker.io/library/busybox", "docker.io/library/busybox:latest"},
    {"user/app:v1.2.3", "docker.io/user/app:v1.2.3"},
    {"localhost/app", "localhost/app:latest"},
    {"localhost:5000/app:dev", "localhost:5000/app:dev"},
    {"registry.example.com:5000/team/app/sub:tag_1",
     "registry.example.com:5000/team/app/sub:tag_1"},
    {"[::1]:5000/app", "[::1]:5000/app:latest"},
    {"Example.com/app", "Example.com/app:latest"},
    {"quay.io/a__b/c.d-e---f:x", "quay.io/a__b/c.d-e---f:x"},
    {"busybox@sha256:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998",
     "docker.io/library/"
     "busybox@sha256:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998"},
    {"busybox:1.38@sha256:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998",
     "docker.io/library/"
     "busybox:1.38@sha256:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998"},
    {"", NULL},
    {"Busybox", NULL},
    {"user/App", NULL},
    {"busybox:", NULL},
    {":tag", NULL},
    {"busybox:-bad", NULL},
    {"a..b", NULL},
    {"a/", NULL},
    {"/a", NULL},
    {"a//b", NULL},
    {"-a", NULL},
    {"a-", NULL},
    {"a___b", NULL},
    {"host:port/app", NULL},
    {"busybox@sha256:abc", NULL},
    {"busybox@md5:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998", NULL},
    {"a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998", NULL},
    {"white space", NULL},
};

static void test_parse(void **state)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct image_reference *ref = NULL;
                struct berth_error *err = NULL;
                int r = image_reference_parse(cases[i][0], &ref, &err);
                if (cases[i][1] == NULL) {
                        if (r >= 0)
                                fail_msg("`%s` should be refused", cases[i][0]);
                        assert_non_null(err);
                        assert_non_null(strstr(err->msg, "invalid"));
                        berth_error_free(err);
                        continue;
                }
                if (r < 0)
                        fail_msg("`%s`: %s", cases[i][0], err->msg);
                char *s = image_reference_string(ref);
                assert_string_equal(s, cases[i][1]);
                free(s);
                image_reference_free(ref);
        }
}

static void test_long_name(void **state)
{
        char name[300];
        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        struct image_reference *ref = NULL;
        struct berth_error *err = NULL;
        assert_true(image_reference_parse(name, &ref, &err) < 0);
        assert_non_null(strstr(err->msg, "255"));
        berth_error_free(err);
}

static void test_uppercase_message(void **state)
{
        struct image_reference *ref = NULL;
        struct berth_error *err = NULL;
        assert_true(image_reference_parse("user/MyApp", &ref, &err) < 0);
        assert_string_equal(err->msg,
                            "invalid reference format: repository name (user/MyApp) must be "
                            "lowercase");
        berth_error_free(err);
}

static void test_parts_and_familiar(void **state)
{
        struct image_reference *ref = NULL;
        struct berth_error *err = NULL;
        assert_int_equal(image_reference_parse("localhost:5000/a/b:c", &ref, &err), 0);
        assert_string_equal(ref->domain, "localhost:5000");
        assert_string_equal(ref->path, "a/b");
        assert_string_equal(ref->tag, "c");
        assert_null(ref->digest);
        char *n = image_reference_name(ref);
        assert_string_equal(n, "localhost:5000/a/b");
        free(n);
        image_reference_free(ref);

        const char *fam[][2] = {
            {"docker.io/library/busybox:latest", "busybox:latest"},
            {"docker.io/user/app:1", "user/app:1"},
            {"docker.io/library/a/b:1", "library/a/b:1"},
            {"quay.io/x/y:z", "quay.io/x/y:z"},
        };
        for (size_t i = 0; i < 4; i++) {
                char *f = image_reference_familiar_name(fam[i][0]);
                assert_string_equal(f, fam[i][1]);
                free(f);
        }
}

static void test_id_prefix(void **state)
{
        assert_true(image_reference_is_id_prefix("654fc8fd836e"));
        assert_true(image_reference_is_id_prefix("sha256:654f"));
        assert_false(image_reference_is_id_prefix("busybox"));
        assert_false(image_reference_is_id_prefix(""));
        assert_false(image_reference_is_id_prefix("654FC8"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_long_name),
            cmocka_unit_test(test_uppercase_message),
            cmocka_unit_test(test_parts_and_familiar),
            cmocka_unit_test(test_id_prefix),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
