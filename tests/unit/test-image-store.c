/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char *make_root(void)
{
        char tmpl[] = "/tmp/berth-unit-store.XXXXXX";
        if (mkdtemp(tmpl) == NULL)
                abort();
        return strdup(tmpl);
}

static void drop_root(char *root)
{
        struct berth_error *err = NULL;
        util_path_remove_tree(AT_FDCWD, root, &err);
        berth_error_free(err);
        free(root);
}

static size_t count_dir(const char *root, const char *sub)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", root, sub);
        DIR *d = opendir(path);
        if (d == NULL)
                return 0;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

static void test_blob_verify(void **state)
{
        char *root = make_root();
        struct image_store *s = NULL;
        struct image_txn *t = NULL;
        struct berth_error *err = NULL;
        assert_int_equal(image_store_open(root, true, &s, &err), 0);
        assert_int_equal(image_txn_begin(s, &t, &err), 0);

        char d[IMAGE_DIGEST_LEN];
        const char *hello = "hello";
        /* sha256("hello") */
        const char *good =
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        const char *bad = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        assert_true(image_txn_blob_put_buffer(t, hello, 5, bad, d, &err) < 0);
        assert_non_null(strstr(err->msg, "digest mismatch"));
        berth_error_freep(&err);

        /* a stream: wrong size, then wrong digest, then right */
        int p[2];
        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], hello, 5), 5);
        close(p[1]);
        assert_true(image_txn_blob_put_fd(t, p[0], good, 4, d, &err) < 0);
        assert_non_null(strstr(err->msg, "size mismatch"));
        berth_error_freep(&err);
        close(p[0]);
        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], hello, 5), 5);
        close(p[1]);
        assert_true(image_txn_blob_put_fd(t, p[0], bad, 5, d, &err) < 0);
        berth_error_freep(&err);
        close(p[0]);

        assert_int_equal(image_txn_blob_put_buffer(t, hello, 5, good, d, &err), 0);
        assert_string_equal(d, good);
        /* staged, not yet visible */
        assert_int_equal(image_blob_stat(s, good, NULL), 0);
        assert_int_equal(image_txn_blob_has(t, good), 1);
        assert_int_equal(image_txn_commit(t, NULL, &err), 0);
        image_txn_free(t);
        int64_t size = 0;
        assert_int_equal(image_blob_stat(s, good, &size), 1);
        assert_int_equal(size, 5);
        assert_int_equal(count_dir(root, "blobs/sha256"), 1);
        assert_int_equal(count_dir(root, "staging"), 0);

        /* a transaction dropped without commit leaves nothing */
        assert_int_equal(image_txn_begin(s, &t, &err), 0);
        assert_int_equal(image_txn_blob_put_buffer(t, "x", 1, NULL, d, &err), 0);
        image_txn_free(t);
        assert_int_equal(count_dir(root, "blobs/sha256"), 1);
        assert_int_equal(count_dir(root, "staging"), 0);

        char *buf = NULL;
        size_t len = 0;
        assert_int_equal(image_blob_read(s, good, &buf, &len, &err), 0);
        assert_int_equal(len, 5);
        free(buf);
        image_store_free(s);
        drop_root(root);
}

static void test_staging_cleaned(void **state)
{
        char *root = make_root();
        char path[512];
        struct image_store *s = NULL;
        struct berth_error *err = NULL;
        assert_int_equal(image_store_open(root, true, &s, &err), 0);
        image_store_free(s);
        /* what a killed writer leaves behind */
        snprintf(path, sizeof(path), "%s/staging/123-dead/blobs", root);
        assert_int_equal(util_path_mkdir_p(path, 0700, &err), 0);
        assert_int_equal(count_dir(root, "staging"), 1);
        assert_int_equal(image_store_open(root, false, &s, &err), 0);
        image_store_free(s);
        assert_int_equal(count_dir(root, "staging"), 0);
        drop_root(root);
}

static const char *const ID1 =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
static const char *const ID2 =
    "sha256:1122222222222222222222222222222222222222222222222222222222222222";
static const char *const M1 =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *const M2 =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void test_db(void **state)
{
        char *root = make_root();
        struct image_store *s = NULL;
        struct image_db *db = NULL;
        struct berth_error *err = NULL;
        assert_int_equal(image_store_open(root, true, &s, &err), 0);
        assert_int_equal(image_db_load(s, &db, &err), 0);
        assert_int_equal(db->n_images, 0);
        image_db_add(db, ID1, M1, 100);
        image_db_add(db, ID2, M2, 200);
        image_db_tag(db, "docker.io/library/busybox:latest", M1);
        image_db_tag(db, "docker.io/library/busybox:old", M1);
        image_db_tag(db, "localhost:5000/x:1", M2);
        assert_int_equal(image_db_save(s, db, &err), 0);
        image_db_free(db);
        assert_int_equal(image_db_load(s, &db, &err), 0);
        assert_int_equal(db->n_images, 2);
        assert_int_equal(db->n_tags, 3);

        struct image_record *r = NULL;
        char *matched = NULL;
        assert_int_equal(image_db_resolve(db, "busybox", &r, &matched, &err), 1);
        assert_string_equal(r->id, ID1);
        assert_string_equal(matched, "docker.io/library/busybox:latest");
        free(matched);
        assert_int_equal(image_db_resolve(db, "localhost:5000/x:1", &r, &matched, &err), 1);
        assert_string_equal(r->id, ID2);
        free(matched);
        assert_int_equal(
            image_db_resolve(
                db,
                "busybox@"
                "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                &r, &matched, &err),
            1);
        assert_string_equal(r->id, ID1);
        free(matched);
        /* ID prefixes: unique ones resolve, shared ones are ambiguous */
        assert_int_equal(image_db_resolve(db, "1122", &r, &matched, &err), 1);
        assert_string_equal(r->id, ID2);
        assert_null(matched);
        assert_int_equal(image_db_resolve(db, ID1, &r, &matched, &err), 1);
        assert_string_equal(r->id, ID1);
        assert_true(image_db_resolve(db, "11", &r, &matched, &err) < 0);
        assert_non_null(strstr(err->msg, "ambiguous"));
        berth_error_freep(&err);
        assert_int_equal(image_db_resolve(db, "nothere", &r, &matched, &err), 0);
        assert_true(image_db_resolve(db, "Bad_Name", &r, &matched, &err) < 0);
        berth_error_freep(&err);

        size_t n = 0;
        const char **tags = image_db_tags_of(db, image_db_find_id(db, ID1), &n);
        assert_int_equal(n, 2);
        assert_string_equal(tags[0], "docker.io/library/busybox:latest");
        free(tags);
        /* moving a tag */
        image_db_tag(db, "docker.io/library/busybox:old", M2);
        tags = image_db_tags_of(db, image_db_find_id(db, ID1), &n);
        assert_int_equal(n, 1);
        free(tags);
        image_db_remove(db, ID2);
        assert_int_equal(db->n_images, 1);
        assert_int_equal(db->n_tags, 1);
        image_db_free(db);
        image_store_free(s);
        drop_root(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_blob_verify),
            cmocka_unit_test(test_staging_cleaned),
            cmocka_unit_test(test_db),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
