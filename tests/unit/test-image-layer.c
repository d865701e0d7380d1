/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "image/digest.h"
#include "image/layer-private.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* ---- helpers ---- */

static char *tmpdir(void)
{
        char *t = xstrdup("/tmp/berth-unit-layer.XXXXXX");
        assert_non_null(mkdtemp(t));
        return t;
}

/* Each test gets a fresh temp dir, removed even when the test fails. */
static int setup_tmp(void **state)
{
        *state = tmpdir();
        return 0;
}

static int teardown_tmp(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        int r = util_path_remove_tree(AT_FDCWD, *state, &err);
        free(*state);
        return r;
}

static void rmrf(const char *path)
{
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_remove_tree(AT_FDCWD, path, &err), 0);
}

static int open_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void put_file(const char *path, const char *data, mode_t mode)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(util_write_all(fd, data, strlen(data)), 0);
        assert_int_equal(fchmod(fd, mode), 0);
}

struct tar_ent {
        const char *name;
        mode_t type; /* AE_IF*; 0 for a hard link */
        const char *data_or_link;
        mode_t perm;
};

/* A tar of the given entries, written with libarchive (pax). */
static void make_tar(const char *path, const struct tar_ent *ents, size_t n)
{
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, ents[i].name);
                archive_entry_set_perm(e, ents[i].perm ? ents[i].perm : 0644);
                archive_entry_set_mtime(e, 1600000000, 0);
                if (ents[i].type == 0) {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, ents[i].data_or_link);
                } else {
                        archive_entry_set_filetype(e, ents[i].type);
                        if (ents[i].type == AE_IFLNK)
                                archive_entry_set_symlink(e, ents[i].data_or_link);
                        if (ents[i].type == AE_IFREG)
                                archive_entry_set_size(
                                    e, ents[i].data_or_link ? strlen(ents[i].data_or_link) : 0);
                }
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (ents[i].type == AE_IFREG && ents[i].data_or_link)
                        archive_write_data(a, ents[i].data_or_link, strlen(ents[i].data_or_link));
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
}

struct progress_log {
        uint64_t last;
        int calls;
        bool monotonic;
};

static void on_progress(uint64_t bytes, void *data)
{
        struct progress_log *p = data;
        if (bytes < p->last)
                p->monotonic = false;
        p->last = bytes;
        p->calls++;
}

static int apply_file(const char *tar, const char *dest, enum image_whiteout_mode mode,
                      struct image_layer_stats *st, char **msg)
{
        _cleanup_close_ int in = open(tar, O_RDONLY | O_CLOEXEC);
        assert_true(in >= 0);
        _cleanup_close_ int d = open_dir(dest);
        struct progress_log prog = {.monotonic = true};
        struct image_layer_apply_opts opts = {
            .whiteouts = mode, .progress = on_progress, .progress_data = &prog};
        struct image_layer_stats scratch;
        _cleanup_error_ struct berth_error *err = NULL;
        int r = image_layer_apply(in, d, &opts, st ? st : &scratch, &err);
        if (r < 0) {
                assert_non_null(err);
                if (msg != NULL)
                        *msg = berth_error_text(err);
        } else {
                assert_null(err);
                /* Progress went up to the whole compressed input. */
                struct stat in_st;
                assert_int_equal(fstat(in, &in_st), 0);
                assert_true(prog.monotonic);
                assert_true(prog.calls > 0);
                assert_int_equal(prog.last, (uint64_t)in_st.st_size);
        }
        return r;
}

static void diff_dir(const char *src, const char *tar, int64_t epoch, struct image_layer_stats *st)
{
        _cleanup_close_ int s = open_dir(src);
        _cleanup_close_ int out = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(out >= 0);
        struct image_layer_diff_opts opts = {.source_date_epoch = epoch};
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(image_layer_diff(s, out, &opts, st, &err), 0);
}

/* `sha256sum FILE`, as the digest string. */
static void sha256sum(const char *file, char out[IMAGE_DIGEST_LEN])
{
        _cleanup_free_ char *cmd = xasprintf("sha256sum '%s'", file);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char hex[65] = {0};
        assert_int_equal(fscanf(p, "%64s", hex), 1);
        pclose(p);
        snprintf(out, IMAGE_DIGEST_LEN, "sha256:%s", hex);
}

/* The names in a tar, in order, joined by spaces. */
static char *tar_names(const char *tar)
{
        struct archive *a = archive_read_new();
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_filename(a, tar, 65536), ARCHIVE_OK);
        char *out = xstrdup("");
        struct archive_entry *e;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                char *n = xasprintf("%s%s%s", out, *out ? " " : "", archive_entry_pathname(e));
                free(out);
                out = n;
        }
        archive_read_free(a);
        return out;
}

static char *read_all(const char *path)
{
        char *buf = NULL;
        size_t len;
        _cleanup_error_ struct berth_error *err = NULL;
        if (util_file_read(AT_FDCWD, path, &buf, &len, &err) < 0)
                return NULL;
        return buf;
}

/* ---- cases ---- */

static void test_path_clean(void **state)
{
        static const char *cases[][2] = {
            {"a/b", "a/b"}, {"./a/./b/", "a/b"}, {"/abs/path", "abs/path"}, {"a/../b", "b"},
            {"./", ""},     {"a//b", "a/b"},     {"a/b/../../c", "c"},      {"//x", "x"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = NULL;
                assert_int_equal(layer_path_clean(cases[i][0], &out), 0);
                assert_string_equal(out, cases[i][1]);
                free(out);
        }
        char *out = NULL;
        assert_int_equal(layer_path_clean("../x", &out), -1);
        assert_int_equal(layer_path_clean("a/../../x", &out), -1);
        assert_int_equal(layer_path_clean("/..", &out), -1);
        assert_null(out);
}

static void test_set(void **state)
{
        _cleanup_layer_set_ struct layer_set *s = layer_set_new();
        for (int i = 0; i < 1000; i++) {
                char k[32];
                snprintf(k, sizeof(k), "k%d", i);
                assert_true(layer_set_add(s, k, i % 2 ? "odd" : NULL));
        }
        assert_false(layer_set_add(s, "k7", NULL));
        assert_int_equal(layer_set_count(s), 1000);
        assert_true(layer_set_contains(s, "k999"));
        assert_false(layer_set_contains(s, "k1000"));
        assert_string_equal(layer_set_get(s, "k7"), "odd");
        assert_null(layer_set_get(s, "k8"));
}

/* Compare two trees: types, modes, sizes, contents, link targets, mtimes,
 * user xattrs, and which names share an inode. */
static void compare_trees(const char *a, const char *b, const char *rel)
{
        _cleanup_free_ char *pa = xasprintf("%s/%s", a, rel);
        _cleanup_free_ char *pb = xasprintf("%s/%s", b, rel);
        struct stat sa, sb;
        assert_int_equal(lstat(pa, &sa), 0);
        if (lstat(pb, &sb) != 0)
                fail_msg("missing %s", pb);
        if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
                fail_msg("type of %s", rel);
        if (!S_ISLNK(sa.st_mode) && sa.st_mode != sb.st_mode)
                fail_msg("mode of %s: %o vs %o", rel, sa.st_mode, sb.st_mode);
        if (*rel && sa.st_mtim.tv_sec != sb.st_mtim.tv_sec)
                fail_msg("mtime of %s", rel);
        if (*rel && sa.st_nlink != sb.st_nlink && !S_ISDIR(sa.st_mode))
                fail_msg("link count of %s", rel);
        char va[256], vb[256];
        ssize_t la = lgetxattr(pa, "user.test", va, sizeof(va));
        ssize_t lb = lgetxattr(pb, "user.test", vb, sizeof(vb));
        if (la != lb || (la > 0 && memcmp(va, vb, (size_t)la) != 0))
                fail_msg("xattr of %s", rel);
        if (S_ISREG(sa.st_mode)) {
                assert_int_equal(sa.st_size, sb.st_size);
                _cleanup_free_ char *ca = read_all(pa);
                _cleanup_free_ char *cb = read_all(pb);
                assert_memory_equal(ca, cb, (size_t)sa.st_size);
        } else if (S_ISLNK(sa.st_mode)) {
                char ta[4096], tb[4096];
                ssize_t na = readlink(pa, ta, sizeof(ta));
                ssize_t nb = readlink(pb, tb, sizeof(tb));
                assert_true(na > 0 && na == nb);
                assert_memory_equal(ta, tb, (size_t)na);
        } else if (S_ISDIR(sa.st_mode)) {
                _cleanup_closedir_ DIR *d = opendir(pa);
                struct dirent *de;
                int n = 0;
                while ((de = readdir(d)) != NULL) {
                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                continue;
                        _cleanup_free_ char *sub =
                            *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
                        compare_trees(a, b, sub);
                        n++;
                }
                _cleanup_closedir_ DIR *db = opendir(pb);
                int m = 0;
                while ((de = readdir(db)) != NULL)
                        m++;
                assert_int_equal(m - 2, n);
        }
}

static const char long_name[] =
    "a-directory-name-that-is-well-over-one-hundred-characters-long-so-ustar-cannot-"
    "hold-it-in-its-name-field";

/* A tree with one of everything a non-root user can make. */
static void make_tree(const char *root)
{
        _cleanup_free_ char *p = NULL;
        char path[1024];
        snprintf(path, sizeof(path), "%s/dir/sub", root);
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_mkdir_p(path, 0755, &err), 0);
        snprintf(path, sizeof(path), "%s/dir/file.txt", root);
        put_file(path, "hello\n", 0644);
        snprintf(path, sizeof(path), "%s/dir/sub/exec", root);
        put_file(path, "#!/bin/sh\n", 04755);
        snprintf(path, sizeof(path), "%s/dir/sub/sticky", root);
        assert_int_equal(mkdir(path, 01777), 0);
        assert_int_equal(chmod(path, 01777), 0);
        snprintf(path, sizeof(path), "%s/top", root);
        put_file(path, "top\n", 0600);
        assert_int_equal(setxattr(path, "user.test", "value", 5, 0) == 0 || errno == ENOTSUP, 1);
        snprintf(path, sizeof(path), "%s/hard", root);
        _cleanup_free_ char *top = xasprintf("%s/top", root);
        assert_int_equal(link(top, path), 0);
        snprintf(path, sizeof(path), "%s/link", root);
        assert_int_equal(symlink("dir/file.txt", path), 0);
        snprintf(path, sizeof(path), "%s/dangling", root);
        assert_int_equal(symlink("/nowhere/at/all", path), 0);
        snprintf(path, sizeof(path), "%s/fifo", root);
        assert_int_equal(mkfifo(path, 0640), 0);
        assert_int_equal(chmod(path, 0640), 0);
        /* Long names and a long link target: PAX (or GNU) records. */
        snprintf(path, sizeof(path), "%s/%s", root, long_name);
        assert_int_equal(mkdir(path, 0750), 0);
        assert_int_equal(chmod(path, 0750), 0);
        snprintf(path, sizeof(path), "%s/%s/%s.txt", root, long_name, long_name);
        put_file(path, "long\n", 0644);
        snprintf(path, sizeof(path), "%s/longlink", root);
        _cleanup_free_ char *target = xasprintf("%s/%s/%s.txt", long_name, long_name, long_name);
        assert_int_equal(symlink(target, path), 0);
        snprintf(path, sizeof(path), "%s/utf8-\xc3\xa9t\xc3\xa9", root);
        put_file(path, "utf8\n", 0644);
        /* A big file, written in several chunks. */
        snprintf(path, sizeof(path), "%s/big", root);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        _cleanup_free_ char *buf = xmalloc(3 * 1024 * 1024 + 7);
        for (size_t i = 0; i < 3 * 1024 * 1024 + 7; i++)
                buf[i] = (char)(i * 7 + i / 4096);
        assert_int_equal(util_write_all(fd, buf, 3 * 1024 * 1024 + 7), 0);
        /* Directory times last: making children changed them. */
        struct timespec ts[2] = {{1500000000, 0}, {1500000000, 123456789}};
        const char *dirs[] = {"dir/sub/sticky", "dir/sub", "dir", long_name};
        for (size_t i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
                assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
        }
}

static void test_round_trip(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *src = xasprintf("%s/src", t);
        _cleanup_free_ char *dst = xasprintf("%s/dst", t);
        _cleanup_free_ char *tar = xasprintf("%s/layer.tar", t);
        _cleanup_free_ char *tar2 = xasprintf("%s/again.tar", t);
        assert_int_equal(mkdir(src, 0755), 0);
        assert_int_equal(mkdir(dst, 0755), 0);
        make_tree(src);

        struct image_layer_stats d1, a1, d2;
        diff_dir(src, tar, -1, &d1);
        char sum[IMAGE_DIGEST_LEN];
        sha256sum(tar, sum);
        assert_string_equal(d1.diff_id, sum);
        struct stat st;
        assert_int_equal(stat(tar, &st), 0);
        assert_int_equal((uint64_t)st.st_size, d1.size);

        assert_int_equal(apply_file(tar, dst, IMAGE_WHITEOUT_APPLY, &a1, NULL), 0);
        assert_string_equal(a1.diff_id, d1.diff_id);
        assert_int_equal(a1.size, d1.size);
        assert_int_equal(a1.entries, d1.entries);
        compare_trees(src, dst, "");

        /* Hard links are written once, then as links. */
        _cleanup_free_ char *names = tar_names(tar);
        assert_non_null(strstr(names, "hard "));

        /* Reproducible: the applied copy diffs to the same bytes. */
        diff_dir(dst, tar2, -1, &d2);
        assert_string_equal(d2.diff_id, d1.diff_id);
}

static void test_sorted_and_clamped(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *src = xasprintf("%s/src", t);
        _cleanup_free_ char *tar = xasprintf("%s/layer.tar", t);
        _cleanup_free_ char *dst = xasprintf("%s/dst", t);
        assert_int_equal(mkdir(src, 0755), 0);
        assert_int_equal(mkdir(dst, 0755), 0);
        const char *names[] = {"b", "a-c", "a/z", "a/b", "C"};
        for (size_t i = 0; i < 5; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", src, names[i]);
                if (strcmp(names[i], "a/z") == 0) {
                        _cleanup_free_ char *a = xasprintf("%s/a", src);
                        mkdir(a, 0755);
                }
                put_file(p, names[i], 0644);
        }
        struct image_layer_stats st;
        diff_dir(src, tar, 1000, &st);
        _cleanup_free_ char *listing = tar_names(tar);
        /* Per directory, bytewise; parents before children. */
        assert_string_equal(listing, "C a/ a/b a/z a-c b");
        assert_int_equal(st.entries, 6);
        assert_int_equal(apply_file(tar, dst, IMAGE_WHITEOUT_OVERLAY, NULL, NULL), 0);
        _cleanup_free_ char *b = xasprintf("%s/b", dst);
        struct stat sb;
        assert_int_equal(stat(b, &sb), 0);
        assert_int_equal(sb.st_mtim.tv_sec, 1000);
}

static void test_compressed(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *src = xasprintf("%s/src", t);
        _cleanup_free_ char *tar = xasprintf("%s/layer.tar", t);
        assert_int_equal(mkdir(src, 0755), 0);
        make_tree(src);
        struct image_layer_stats d;
        diff_dir(src, tar, -1, &d);
        size_t len = 0;
        _cleanup_free_ char *raw = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_file_read(AT_FDCWD, tar, &raw, &len, &err), 0);

        /* gzip, as two concatenated members (pigz and friends) */
        _cleanup_free_ char *gz = xasprintf("%s/layer.tar.gz", t);
        for (int part = 0; part < 2; part++) {
                gzFile g = gzopen(gz, part == 0 ? "wb6" : "ab6");
                assert_non_null(g);
                size_t half = len / 2;
                const char *from = part == 0 ? raw : raw + half;
                size_t n = part == 0 ? half : len - half;
                assert_int_equal(gzwrite(g, from, (unsigned)n), (int)n);
                gzclose(g);
        }
        /* zstd */
        _cleanup_free_ char *zs = xasprintf("%s/layer.tar.zst", t);
        size_t cap = ZSTD_compressBound(len);
        _cleanup_free_ char *z = xmalloc(cap);
        size_t zn = ZSTD_compress(z, cap, raw, len, 3);
        assert_false(ZSTD_isError(zn));
        _cleanup_close_ int zfd = open(zs, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_int_equal(util_write_all(zfd, z, zn), 0);

        const char *inputs[] = {gz, zs};
        for (int i = 0; i < 2; i++) {
                _cleanup_free_ char *dst = xasprintf("%s/dst%d", t, i);
                assert_int_equal(mkdir(dst, 0755), 0);
                struct image_layer_stats a;
                assert_int_equal(apply_file(inputs[i], dst, IMAGE_WHITEOUT_OVERLAY, &a, NULL), 0);
                assert_string_equal(a.diff_id, d.diff_id);
                assert_int_equal(a.size, d.size);
                compare_trees(src, dst, "");
        }

        /* Truncated and corrupt input: clean errors. */
        _cleanup_free_ char *bad = xasprintf("%s/bad.tar.gz", t);
        _cleanup_free_ char *gzraw = NULL;
        size_t gzlen;
        assert_int_equal(util_file_read(AT_FDCWD, gz, &gzraw, &gzlen, &err), 0);
        _cleanup_close_ int bfd = open(bad, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_int_equal(util_write_all(bfd, gzraw, gzlen / 3), 0);
        _cleanup_free_ char *dst = xasprintf("%s/dst-bad", t);
        assert_int_equal(mkdir(dst, 0755), 0);
        _cleanup_free_ char *msg = NULL;
        assert_true(apply_file(bad, dst, IMAGE_WHITEOUT_OVERLAY, NULL, &msg) < 0);
        assert_non_null(strstr(msg, "gzip stream is truncated"));
        free(steal_pointer(&msg));
        gzraw[gzlen / 2] ^= 0x55;
        gzraw[gzlen / 2 + 1] ^= 0x55;
        assert_int_equal(ftruncate(bfd, 0), 0);
        assert_int_equal(pwrite(bfd, gzraw, gzlen, 0), (ssize_t)gzlen);
        assert_true(apply_file(bad, dst, IMAGE_WHITEOUT_OVERLAY, NULL, &msg) < 0);
        assert_true(strstr(msg, "corrupt gzip") != NULL || strstr(msg, "gzip") != NULL);
        free(steal_pointer(&msg));
        /* A plain tar cut mid-file. */
        assert_int_equal(ftruncate(bfd, 0), 0);
        assert_int_equal(pwrite(bfd, raw, len / 2 + 100, 0), (ssize_t)(len / 2 + 100));
        assert_true(apply_file(bad, dst, IMAGE_WHITEOUT_OVERLAY, NULL, &msg) < 0);
        assert_non_null(strstr(msg, "runcated"));
}

static void test_whiteouts_overlay(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *tar = xasprintf("%s/wh.tar", t);
        _cleanup_free_ char *dst = xasprintf("%s/dst", t);
        assert_int_equal(mkdir(dst, 0755), 0);
        const struct tar_ent ents[] = {
            {".wh.gone", AE_IFREG, NULL, 0},
            {"dir/", AE_IFDIR, NULL, 0755},
            {"dir/.wh..wh..opq", AE_IFREG, NULL, 0},
            {"dir/new", AE_IFREG, "new", 0},
        };
        make_tar(tar, ents, 4);
        _cleanup_free_ char *msg = NULL;
        int r = apply_file(tar, dst, IMAGE_WHITEOUT_OVERLAY, NULL, &msg);
        if (r < 0 && geteuid() != 0 && strstr(msg, "opaque") != NULL)
                skip(); /* trusted.* xattrs need CAP_SYS_ADMIN */
        assert_int_equal(r, 0);
        _cleanup_free_ char *gone = xasprintf("%s/gone", dst);
        struct stat st;
        assert_int_equal(lstat(gone, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(0, 0));
        _cleanup_free_ char *dir = xasprintf("%s/dir", dst);
        char v[4];
        assert_int_equal(lgetxattr(dir, "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(v[0], 'y');

        /* And back: the upper dir diffs to the same whiteout entries. */
        _cleanup_free_ char *back = xasprintf("%s/back.tar", t);
        struct image_layer_stats d;
        diff_dir(dst, back, -1, &d);
        _cleanup_free_ char *names = tar_names(back);
        /* Sorted by the names in the upper dir, as Docker does. */
        assert_string_equal(names, "dir/ dir/.wh..wh..opq dir/new .wh.gone");
}

static void test_whiteouts_apply(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *tar = xasprintf("%s/wh.tar", t);
        _cleanup_free_ char *dst = xasprintf("%s/dst", t);
        char path[512];
        /* The lower layers' content. */
        const char *lower[] = {"gone", "dir/old", "dir/sub/old", "keep", "other/x"};
        snprintf(path, sizeof(path), "%s/dir/sub", dst);
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_mkdir_p(path, 0755, &err), 0);
        snprintf(path, sizeof(path), "%s/other", dst);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/gonedir/deep", dst);
        assert_int_equal(util_path_mkdir_p(path, 0755, &err), 0);
        for (size_t i = 0; i < 5; i++) {
                snprintf(path, sizeof(path), "%s/%s", dst, lower[i]);
                put_file(path, "lower", 0644);
        }
        /* This layer: new files in dir (one before the opaque marker, one
         * after), a file whiteout, a directory whiteout. */
        const struct tar_ent ents[] = {
            {".wh.gone", AE_IFREG, NULL, 0},         {".wh.gonedir", AE_IFREG, NULL, 0},
            {"dir/", AE_IFDIR, NULL, 0755},          {"dir/sub/before", AE_IFREG, "b", 0},
            {"dir/.wh..wh..opq", AE_IFREG, NULL, 0}, {"dir/after", AE_IFREG, "a", 0},
        };
        make_tar(tar, ents, 6);
        assert_int_equal(apply_file(tar, dst, IMAGE_WHITEOUT_APPLY, NULL, NULL), 0);
        const char *absent[] = {"gone",        "gonedir",  "dir/old",
                                "dir/sub/old", ".wh.gone", "dir/.wh..wh..opq"};
        for (size_t i = 0; i < 6; i++) {
                snprintf(path, sizeof(path), "%s/%s", dst, absent[i]);
                if (util_path_exists(path))
                        fail_msg("%s should be gone", absent[i]);
        }
        const char *present[] = {"keep", "other/x", "dir/sub/before", "dir/after"};
        for (size_t i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/%s", dst, present[i]);
                if (!util_path_exists(path))
                        fail_msg("%s should be there", present[i]);
        }
}

/* image-spec: whiteouts hide the lower layers only; a directory made
 * again after its whiteout replaces the lower one (opaque in overlay). */
static void test_whiteouts_same_layer(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *tar = xasprintf("%s/wh.tar", t);
        const struct tar_ent ents[] = {
            {"kept", AE_IFREG, "mine", 0}, {".wh.kept", AE_IFREG, NULL, 0},
            {".wh.d", AE_IFREG, NULL, 0},  {"d/", AE_IFDIR, NULL, 0755},
            {"d/new", AE_IFREG, "new", 0},
        };
        make_tar(tar, ents, 5);
        for (int m = 0; m < 2; m++) {
                _cleanup_free_ char *dst = xasprintf("%s/dst%d", t, m);
                char path[512];
                snprintf(path, sizeof(path), "%s/d", dst);
                _cleanup_error_ struct berth_error *err = NULL;
                assert_int_equal(util_path_mkdir_p(path, 0755, &err), 0);
                snprintf(path, sizeof(path), "%s/d/old", dst);
                put_file(path, "lower", 0644);
                _cleanup_free_ char *msg = NULL;
                int r = apply_file(tar, dst, m ? IMAGE_WHITEOUT_APPLY : IMAGE_WHITEOUT_OVERLAY,
                                   NULL, &msg);
                if (r < 0 && m == 0 && geteuid() != 0)
                        continue; /* the opaque xattr needs CAP_SYS_ADMIN */
                if (r < 0)
                        fail_msg("%s", msg);
                snprintf(path, sizeof(path), "%s/kept", dst);
                _cleanup_free_ char *kept = read_all(path);
                assert_string_equal(kept, "mine");
                snprintf(path, sizeof(path), "%s/d/new", dst);
                assert_true(util_path_exists(path));
                snprintf(path, sizeof(path), "%s/d", dst);
                char v[2];
                if (m == 0) {
                        /* overlay: the new d hides the lower one */
                        assert_int_equal(lgetxattr(path, "trusted.overlay.opaque", v, 2), 1);
                } else {
                        snprintf(path, sizeof(path), "%s/d/old", dst);
                        assert_false(util_path_exists(path));
                }
        }
}

/* Each hostile layer fails, names the entry, and writes nothing outside. */
static void test_hostile(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *outside = xasprintf("%s/outside", t);
        _cleanup_free_ char *tar = xasprintf("%s/h.tar", t);
        assert_int_equal(mkdir(outside, 0755), 0);
        _cleanup_free_ char *victim = xasprintf("%s/victim", outside);
        put_file(victim, "safe", 0644);
        struct {
                struct tar_ent ents[3];
                size_t n;
                const char *needle;
        } cases[] = {
            {{{"../escape", AE_IFREG, "x", 0}}, 1, "`../escape`: path leaves the layer root"},
            {{{"a/../../escape", AE_IFREG, "x", 0}}, 1, "`a/../../escape`"},
            {{{"link", 0, "../outside/victim", 0}}, 1, "`link`: hard link target"},
            {{{"sub/", AE_IFDIR, NULL, 0755}, {"sub/.wh..", AE_IFREG, NULL, 0}},
             2,
             "`sub/.wh..`: invalid whiteout"},
            {{{".wh.d", AE_IFREG, NULL, 0}, {"d/f", AE_IFREG, "x", 0}},
             2,
             "`d/f`: `d` was whited out"},
            {{{"evil", AE_IFLNK, "", 0}, {"evil/pwned", AE_IFREG, "x", 0}}, 2, "`evil/pwned`"},
        };
        /* The symlink case points at the canary dir, absolutely. */
        cases[5].ents[0].data_or_link = outside;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                for (int m = 0; m < 2; m++) {
                        _cleanup_free_ char *dst = xasprintf("%s/dst", t);
                        assert_int_equal(mkdir(dst, 0755), 0);
                        make_tar(tar, cases[i].ents, cases[i].n);
                        _cleanup_free_ char *msg = NULL;
                        int r =
                            apply_file(tar, dst, m ? IMAGE_WHITEOUT_APPLY : IMAGE_WHITEOUT_OVERLAY,
                                       NULL, &msg);
                        if (r >= 0)
                                fail_msg("case %zu applied", i);
                        if (strstr(msg, cases[i].needle) == NULL)
                                fail_msg("case %zu: %s", i, msg);
                        rmrf(dst);
                        /* The canary dir holds only the victim, unchanged. */
                        _cleanup_free_ char *v = read_all(victim);
                        assert_string_equal(v, "safe");
                        _cleanup_closedir_ DIR *d = opendir(outside);
                        int n = 0;
                        while (readdir(d) != NULL)
                                n++;
                        assert_int_equal(n, 3);
                        _cleanup_free_ char *esc = xasprintf("%s/escape", t);
                        assert_false(util_path_exists(esc));
                }
        }
}

/* Contained rather than refused: absolute names, a symlink replaced by a
 * file, a hard link to a symlink. */
static void test_contained(void **state)
{
        const char *t = *state;
        _cleanup_free_ char *outside = xasprintf("%s/outside", t);
        _cleanup_free_ char *tar = xasprintf("%s/h.tar", t);
        _cleanup_free_ char *dst = xasprintf("%s/dst", t);
        assert_int_equal(mkdir(outside, 0755), 0);
        assert_int_equal(mkdir(dst, 0755), 0);
        _cleanup_free_ char *victim = xasprintf("%s/victim", outside);
        put_file(victim, "safe", 0644);
        const struct tar_ent ents[] = {
            {"/abs/path", AE_IFREG, "abs", 0},
            {"evil", AE_IFLNK, victim, 0},
            {"evil", AE_IFREG, "replaced", 0},
            {"sym", AE_IFLNK, victim, 0},
            {"hard", 0, "sym", 0},
            {"hard", AE_IFREG, "pwned?", 0},
            {"outside/", AE_IFDIR, NULL, 0755},
            {"rel", AE_IFLNK, "../../../../outside", 0},
            {"rel/file", AE_IFREG, "in the root", 0},
        };
        make_tar(tar, ents, 9);
        _cleanup_free_ char *msg = NULL;
        int r = apply_file(tar, dst, IMAGE_WHITEOUT_APPLY, NULL, &msg);
        if (r < 0)
                fail_msg("%s", msg);
        _cleanup_free_ char *v = read_all(victim);
        assert_string_equal(v, "safe");
        char path[512];
        snprintf(path, sizeof(path), "%s/abs/path", dst);
        _cleanup_free_ char *abs = read_all(path);
        assert_string_equal(abs, "abs");
        snprintf(path, sizeof(path), "%s/evil", dst);
        _cleanup_free_ char *evil = read_all(path);
        assert_string_equal(evil, "replaced");
        /* "rel" resolves to the root's own /outside, made inside. */
        snprintf(path, sizeof(path), "%s/outside/file", dst);
        _cleanup_free_ char *rel = read_all(path);
        assert_string_equal(rel, "in the root");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_path_clean),
            cmocka_unit_test(test_set),
            cmocka_unit_test_setup_teardown(test_round_trip, setup_tmp, teardown_tmp),
            cmocka_unit_test_setup_teardown(test_sorted_and_clamped, setup_tmp, teardown_tmp),
            cmocka_unit_test_setup_teardown(test_compressed, setup_tmp, teardown_tmp),
            cmocka_unit_test_setup_teardown(test_whiteouts_overlay, setup_tmp, teardown_tmp),
            cmocka_unit_test_setup_teardown(test_whiteouts_apply, setup_tmp, teardown_tmp),
            cmocka_unit_test_setup_teardown(test_whiteouts_same_layer, setup_tmp, teardown_tmp),
            cmocka_unit_test_setup_teardown(test_hostile, setup_tmp, teardown_tmp),
            cmocka_unit_test_setup_teardown(test_contained, setup_tmp, teardown_tmp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
