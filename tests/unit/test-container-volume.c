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
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "container/options.h"
#include "container/spec.h"
#include "container/volume.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

/* The volume store on a temp --root, without mounts: create, inspect,
 * list, filters, remove, prune, crash leftovers, and prepare/release with
 * a plain directory standing in for the mounted rootfs. */

static char *tmpdir(void)
{
        char *d = xstrdup("/tmp/berth-unit-vol-XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static void rmtree(char *d)
{
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_remove_tree(AT_FDCWD, d, &err), 0);
        free(d);
}

static void write_file(const char *path, const char *content, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static char *read_text(const char *path)
{
        _cleanup_error_ struct berth_error *err = NULL;
        char *s = NULL;
        if (util_file_read(AT_FDCWD, path, &s, NULL, &err) < 0)
                return NULL;
        return s;
}

static void test_create_inspect(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        char *labels[] = {"a=b", "c", NULL};
        struct container_volume_create_opts o = {.name = "data", .labels = labels};
        _cleanup_volume_info_ struct container_volume_info *v = NULL;
        assert_int_equal(container_volume_create(root, &o, &v, &err), 0);
        assert_string_equal(v->name, "data");
        _cleanup_free_ char *mp = xasprintf("%s/volumes/data/_data", root);
        assert_string_equal(v->mountpoint, mp);
        struct stat st;
        assert_int_equal(stat(mp, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_false(v->anonymous);

        /* Docker's inspect shape. */
        _cleanup_json_ json_t *j = container_volume_info_json(v);
        assert_string_equal(json_string_value(json_object_get(j, "Driver")), "local");
        assert_string_equal(json_string_value(json_object_get(j, "Scope")), "local");
        assert_string_equal(json_string_value(json_object_get(j, "Mountpoint")), mp);
        json_t *l = json_object_get(j, "Labels");
        assert_string_equal(json_string_value(json_object_get(l, "a")), "b");
        assert_string_equal(json_string_value(json_object_get(l, "c")), "");
        assert_true(json_is_object(json_object_get(j, "Options")));
        const char *at = json_string_value(json_object_get(j, "CreatedAt"));
        assert_int_equal(strlen(at), 20);
        assert_int_equal(at[19], 'Z');

        /* Create is idempotent: the same volume, content untouched. */
        _cleanup_free_ char *f = xasprintf("%s/keep", mp);
        write_file(f, "x", 0644);
        struct container_volume_create_opts again = {.name = "data"};
        assert_int_equal(container_volume_create(root, &again, NULL, &err), 0);
        assert_int_equal(access(f, F_OK), 0);

        _cleanup_volume_info_ struct container_volume_info *w = NULL;
        assert_int_equal(container_volume_inspect(root, "data", &w, &err), 1);
        assert_int_equal(strv_len(w->labels), 2);
        assert_int_equal(container_volume_inspect(root, "nosuch", &w, &err), 0);
        assert_int_equal(container_volume_inspect(root, "../etc", &w, &err), 0);
        assert_null(err);
        rmtree(root);
}

static void test_create_errors(void **state)
{
        char *root = tmpdir();
        struct {
                const char *name;
                char *opts[3];
                const char *msg;
        } cases[] = {
            {"a!", {NULL}, "create a!: \"a!\" includes invalid characters for a local volume name"},
            {"x", {NULL}, "create x: \"x\" includes invalid characters"},
            {"../up", {NULL}, "create ../up: \"../up\" includes invalid characters"},
            {"v1", {"foo=bar", NULL}, "create v1: invalid option: \"foo\""},
            {"v2", {"type=tmpfs", NULL}, "create v2: missing required option: \"device\""},
            {"v3", {"o=size=1m", NULL}, "create v3: missing required option: \"device\""},
            {"v4", {"size=10m", NULL}, "create v4: quota size requested but no quota support"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                struct container_volume_create_opts o = {.name = cases[i].name,
                                                         .options = cases[i].opts};
                assert_true(container_volume_create(root, &o, NULL, &err) < 0);
                assert_non_null(strstr(err->msg, cases[i].msg));
        }
        /* Nothing was left behind. */
        struct container_volume_info_list l;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(container_volume_list(root, &l, &err), 0);
        assert_int_equal(l.n, 0);
        container_volume_info_list_clear(&l);
        _cleanup_free_ char *staging = xasprintf("%s/volumes/.staging", root);
        _cleanup_closedir_ DIR *d = opendir(staging);
        for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
                assert_true(de->d_name[0] == '.');
        rmtree(root);
}

static void test_random_name(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        struct container_volume_create_opts o = {0};
        _cleanup_volume_info_ struct container_volume_info *a = NULL, *b = NULL;
        assert_int_equal(container_volume_create(root, &o, &a, &err), 0);
        assert_int_equal(container_volume_create(root, &o, &b, &err), 0);
        assert_int_equal(strlen(a->name), 64);
        assert_int_equal(strspn(a->name, "0123456789abcdef"), 64);
        assert_string_not_equal(a->name, b->name);
        rmtree(root);
}

static void mkdirs(const char *root, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_mkdir_p(p, 0755, &err), 0);
}

static void test_list_filters(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        char *l1[] = {"env=prod", "team=a", NULL}, *l2[] = {"env=dev", NULL};
        struct container_volume_create_opts a = {.name = "web-data", .labels = l1};
        struct container_volume_create_opts b = {.name = "db", .labels = l2};
        assert_int_equal(container_volume_create(root, &b, NULL, &err), 0);
        assert_int_equal(container_volume_create(root, &a, NULL, &err), 0);
        /* db is used by an existing container. */
        mkdirs(root, "containers/c1");
        struct container_options *o = container_options_new();
        assert_int_equal(container_options_set(o, "volume", "db:/db", &err), 0);
        struct container_volume_list plan;
        container_volumes_plan(NULL, o, &plan);
        assert_int_equal(container_volumes_prepare(root, "c1", o, &plan, NULL, &err), 0);

        struct container_volume_info_list l;
        assert_int_equal(container_volume_list(root, &l, &err), 0);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.v[0]->name, "db"); /* sorted */
        assert_string_equal(l.v[0]->used_by[0], "c1");
        struct {
                char *f[3];
                bool db, web;
        } cases[] = {
            {{NULL}, true, true},
            {{"dangling=true", NULL}, false, true},
            {{"dangling=false", NULL}, true, false},
            {{"name=web", NULL}, false, true},
            {{"name=b", NULL}, true, true}, /* a substring */
            {{"name=db", "name=web", NULL}, true, true},
            {{"label=env", NULL}, true, true},
            {{"label=env=dev", NULL}, true, false},
            {{"label=env=prod", "label=team", NULL}, false, true},
            {{"label=env=dev", "label=team", NULL}, false, false},
            {{"label!=team", NULL}, true, false},
            {{"driver=local", NULL}, true, true},
            {{"driver=other", NULL}, false, false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_int_equal(container_volume_filter_check(cases[i].f, &err), 0);
                assert_int_equal(container_volume_matches(l.v[0], cases[i].f), cases[i].db);
                assert_int_equal(container_volume_matches(l.v[1], cases[i].f), cases[i].web);
        }
        char *bad[] = {"color=red", NULL}, *bad2[] = {"dangling=maybe", NULL},
             *bad3[] = {"x", NULL};
        assert_true(container_volume_filter_check(bad, &err) < 0);
        assert_string_equal(err->msg, "invalid filter 'color'");
        berth_error_freep(&err);
        assert_true(container_volume_filter_check(bad2, &err) < 0);
        berth_error_freep(&err);
        assert_true(container_volume_filter_check(bad3, &err) < 0);
        berth_error_freep(&err);
        container_volume_info_list_clear(&l);
        container_volume_list_clear(&plan);
        container_options_free(o);
        rmtree(root);
}

static void test_remove_in_use(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        struct container_volume_create_opts o = {.name = "shared"};
        assert_int_equal(container_volume_create(root, &o, NULL, &err), 0);
        mkdirs(root, "containers/aaaa");
        mkdirs(root, "containers/bbbb");
        struct container_options *opts = container_options_new();
        assert_int_equal(container_options_set(opts, "volume", "shared:/s", &err), 0);
        for (int i = 0; i < 2; i++) {
                struct container_volume_list plan;
                container_volumes_plan(NULL, opts, &plan);
                assert_int_equal(
                    container_volumes_prepare(root, i ? "bbbb" : "aaaa", opts, &plan, NULL, &err),
                    0);
                _cleanup_free_ char *mp = xasprintf("%s/volumes/shared/_data", root);
                assert_string_equal(plan.v[0].host_path, mp);
                container_volume_list_clear(&plan);
        }
        assert_true(container_volume_remove(root, "shared", false, &err) < 0);
        assert_string_equal(err->msg, "remove shared: volume is in use - [aaaa, bbbb]");
        berth_error_freep(&err);
        /* -f does not override use. */
        assert_true(container_volume_remove(root, "shared", true, &err) < 0);
        berth_error_freep(&err);

        /* A named volume outlives rm -v of both users. */
        assert_int_equal(container_volumes_release(root, "aaaa", true, &err), 0);
        assert_true(container_volume_remove(root, "shared", false, &err) < 0);
        assert_string_equal(err->msg, "remove shared: volume is in use - [bbbb]");
        berth_error_freep(&err);
        assert_int_equal(container_volumes_release(root, "bbbb", true, &err), 0);
        _cleanup_volume_info_ struct container_volume_info *v = NULL;
        assert_int_equal(container_volume_inspect(root, "shared", &v, &err), 1);
        assert_null(v->used_by[0]);

        /* A user whose container directory vanished does not count. */
        mkdirs(root, "containers/cccc");
        struct container_volume_list plan;
        container_volumes_plan(NULL, opts, &plan);
        assert_int_equal(container_volumes_prepare(root, "cccc", opts, &plan, NULL, &err), 0);
        container_volume_list_clear(&plan);
        _cleanup_free_ char *cdir = xasprintf("%s/containers/cccc", root);
        assert_int_equal(rmdir(cdir), 0);
        assert_int_equal(container_volume_remove(root, "shared", false, &err), 1);
        assert_int_equal(container_volume_inspect(root, "shared", &v, &err), 0);

        assert_true(container_volume_remove(root, "shared", false, &err) < 0);
        assert_string_equal(err->msg, "get shared: no such volume");
        berth_error_freep(&err);
        assert_int_equal(container_volume_remove(root, "shared", true, &err), 0);
        container_options_free(opts);
        rmtree(root);
}

static void test_anonymous_and_prune(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        mkdirs(root, "containers/c1");
        mkdirs(root, "containers/c2");
        struct container_options *o = container_options_new();
        assert_int_equal(container_options_set(o, "volume", "/anon", &err), 0);
        struct image_config img = {.volumes = (char *[]){"/from-image/", NULL}};
        struct container_volume_list plan;
        container_volumes_plan(&img, o, &plan);
        assert_int_equal(plan.n, 2);
        assert_int_equal(container_volumes_prepare(root, "c1", o, &plan, NULL, &err), 0);
        _cleanup_free_ char *anon1 = xstrdup(plan.v[0].name);
        _cleanup_free_ char *anon2 = xstrdup(plan.v[1].name);
        assert_int_equal(strlen(anon1), 64);
        _cleanup_volume_info_ struct container_volume_info *v = NULL;
        assert_int_equal(container_volume_inspect(root, anon2, &v, &err), 1);
        assert_true(v->anonymous);
        container_volume_list_clear(&plan);

        /* c2 keeps its anonymous volumes after rm (no -v). */
        container_volumes_plan(NULL, o, &plan);
        assert_int_equal(container_volumes_prepare(root, "c2", o, &plan, NULL, &err), 0);
        _cleanup_free_ char *anon3 = xstrdup(plan.v[0].name);
        container_volume_list_clear(&plan);
        assert_int_equal(container_volumes_release(root, "c2", false, &err), 0);
        _cleanup_free_ char *c2 = xasprintf("%s/containers/c2", root);
        assert_int_equal(rmdir(c2), 0);

        struct container_volume_create_opts named = {.name = "named"};
        assert_int_equal(container_volume_create(root, &named, NULL, &err), 0);

        /* prune: anonymous unused only; c1's are in use. */
        _cleanup_strv_ char **removed = NULL;
        long long reclaimed = -1;
        assert_int_equal(container_volume_prune(root, false, NULL, &removed, &reclaimed, &err), 0);
        assert_int_equal(strv_len(removed), 1);
        assert_string_equal(removed[0], anon3);
        assert_int_equal(reclaimed, 0);
        strv_freep(&removed);

        /* rm -v: c1's anonymous volumes go. */
        assert_int_equal(container_volumes_release(root, "c1", true, &err), 0);
        assert_int_equal(container_volume_inspect(root, anon1, &v, &err), 0);
        assert_int_equal(container_volume_inspect(root, anon2, &v, &err), 0);

        /* prune -a takes the named one too, and counts its bytes. */
        _cleanup_free_ char *f = xasprintf("%s/volumes/named/_data/f", root);
        write_file(f, "12345", 0644);
        char *lf[] = {"label=nope", NULL};
        assert_int_equal(container_volume_prune(root, true, lf, &removed, &reclaimed, &err), 0);
        assert_int_equal(strv_len(removed), 0);
        strv_freep(&removed);
        assert_int_equal(container_volume_prune(root, true, NULL, &removed, &reclaimed, &err), 0);
        assert_int_equal(strv_len(removed), 1);
        assert_int_equal(reclaimed, 5);
        container_options_free(o);
        rmtree(root);
}

/* A writer killed halfway leaves staging/trash entries: the next
 * exclusive opener removes them, and readers never see them. */
static void test_crash_leftovers(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        mkdirs(root, "volumes/.staging/half/_data");
        mkdirs(root, "volumes/.trash/gone/_data/sub");
        mkdirs(root, "volumes/nometa/_data");
        struct container_volume_info_list l;
        assert_int_equal(container_volume_list(root, &l, &err), 0);
        assert_int_equal(l.n, 0);
        container_volume_info_list_clear(&l);
        struct container_volume_create_opts o = {.name = "v1"};
        assert_int_equal(container_volume_create(root, &o, NULL, &err), 0);
        _cleanup_free_ char *s = xasprintf("%s/volumes/.staging/half", root);
        _cleanup_free_ char *t = xasprintf("%s/volumes/.trash/gone", root);
        assert_int_equal(access(s, F_OK), -1);
        assert_int_equal(access(t, F_OK), -1);
        rmtree(root);
}

/* Copy-up with a directory standing in for the rootfs. */
static void test_copy_up(void **state)
{
        char *root = tmpdir();
        char *rootfs = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        mkdirs(rootfs, "srv/data/sub");
        _cleanup_free_ char *d = xasprintf("%s/srv/data", rootfs);
        _cleanup_free_ char *f = xasprintf("%s/srv/data/sub/file", rootfs);
        _cleanup_free_ char *x = xasprintf("%s/srv/data/run.sh", rootfs);
        _cleanup_free_ char *h = xasprintf("%s/srv/data/hard", rootfs);
        _cleanup_free_ char *ln = xasprintf("%s/srv/data/link", rootfs);
        write_file(f, "hello", 0640);
        write_file(x, "#!/bin/sh", 04755);
        assert_int_equal(link(f, h), 0);
        assert_int_equal(symlink("/etc/passwd", ln), 0);
        assert_int_equal(chmod(d, 0711), 0);
        /* Owners and special files need root (make check runs as root). */
        bool root_user = geteuid() == 0;
        _cleanup_free_ char *fifo = xasprintf("%s/srv/data/fifo", rootfs);
        if (root_user) {
                assert_int_equal(lchown(f, 1000, 2000), 0);
                assert_int_equal(lchown(ln, 33, 44), 0);
                assert_int_equal(mkfifo(fifo, 0620), 0);
                assert_int_equal(chmod(fifo, 0620), 0);
                assert_int_equal(chmod(x, 04755), 0); /* chown dropped setuid */
        }
        /* user.* xattrs work on tmpfs and ext4 alike (best effort). */
        bool xattrs = setxattr(f, "user.berth", "v", 1, 0) == 0;
        /* /link-to-data: the mount target is a symlink in the image. */
        _cleanup_free_ char *sl = xasprintf("%s/link-to-data", rootfs);
        assert_int_equal(symlink("srv/data", sl), 0);

        mkdirs(root, "containers/c1");
        struct container_options *o = container_options_new();
        assert_int_equal(container_options_set(o, "volume", "vol:/srv/data", &err), 0);
        assert_int_equal(container_options_set(o, "volume", "nocopy:/srv/data/sub:nocopy", &err),
                         0);
        assert_int_equal(container_options_set(o, "volume", "viasym:/link-to-data", &err), 0);
        struct container_volume_list plan;
        container_volumes_plan(NULL, o, &plan);
        assert_int_equal(container_volumes_prepare(root, "c1", o, &plan, rootfs, &err), 0);

        _cleanup_free_ char *v = xasprintf("%s/volumes/vol/_data", root);
        struct stat st, st2;
        assert_int_equal(stat(v, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711); /* the dir's own mode */
        _cleanup_free_ char *vf = xasprintf("%s/sub/file", v);
        _cleanup_free_ char *text = read_text(vf);
        assert_string_equal(text, "hello");
        assert_int_equal(stat(vf, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_nlink, 2);
        _cleanup_free_ char *vh = xasprintf("%s/hard", v);
        assert_int_equal(stat(vh, &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);
        _cleanup_free_ char *vx = xasprintf("%s/run.sh", v);
        assert_int_equal(stat(vx, &st), 0);
        assert_int_equal(st.st_mode & 07777, 04755);
        if (root_user) {
                assert_int_equal(lstat(vf, &st), 0);
                assert_int_equal(st.st_uid, 1000);
                assert_int_equal(st.st_gid, 2000);
                _cleanup_free_ char *vlink = xasprintf("%s/link", v);
                assert_int_equal(lstat(vlink, &st), 0);
                assert_int_equal(st.st_uid, 33);
                assert_int_equal(st.st_gid, 44);
                _cleanup_free_ char *vfifo = xasprintf("%s/fifo", v);
                assert_int_equal(lstat(vfifo, &st), 0);
                assert_true(S_ISFIFO(st.st_mode));
                assert_int_equal(st.st_mode & 07777, 0620);
        }
        _cleanup_free_ char *vl = xasprintf("%s/link", v);
        char target[64] = {0};
        assert_int_equal(readlink(vl, target, sizeof(target) - 1), 11);
        assert_string_equal(target, "/etc/passwd");
        if (xattrs) {
                char val[8] = {0};
                assert_int_equal(getxattr(vf, "user.berth", val, sizeof(val)), 1);
                assert_string_equal(val, "v");
        }
        /* nocopy: left empty. */
        _cleanup_free_ char *nc = xasprintf("%s/volumes/nocopy/_data/file", root);
        assert_int_equal(access(nc, F_OK), -1);
        /* The symlinked target was resolved inside the rootfs. */
        _cleanup_free_ char *vs = xasprintf("%s/volumes/viasym/_data/sub/file", root);
        assert_int_equal(access(vs, F_OK), 0);
        container_volume_list_clear(&plan);

        /* Not empty any more: a second user gets no second copy. */
        write_file(f, "changed", 0640);
        mkdirs(root, "containers/c2");
        container_volumes_plan(NULL, o, &plan);
        assert_int_equal(container_volumes_prepare(root, "c2", o, &plan, rootfs, &err), 0);
        container_volume_list_clear(&plan);
        free(text);
        text = read_text(vf);
        assert_string_equal(text, "hello");
        container_options_free(o);
        rmtree(rootfs);
        rmtree(root);
}

/* Hostile images: a target that is a symlink to / or ../../ never copies
 * the host's files into the volume. */
static void test_copy_up_contained(void **state)
{
        char *root = tmpdir();
        char *rootfs = tmpdir();
        char *outside = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *canary = xasprintf("%s/canary", outside);
        write_file(canary, "host secret", 0600);
        _cleanup_free_ char *abs = xasprintf("%s/abs", rootfs);
        _cleanup_free_ char *rel = xasprintf("%s/rel", rootfs);
        _cleanup_free_ char *direct = xasprintf("%s/direct", rootfs);
        assert_int_equal(symlink("/", abs), 0);
        assert_int_equal(symlink("../../../../../../../../", rel), 0);
        assert_int_equal(symlink(outside, direct), 0);
        mkdirs(rootfs, "marker-dir");
        mkdirs(root, "containers/c1");
        struct container_options *o = container_options_new();
        const char *specs[] = {"va:/abs", "vr:/rel", "vd:/direct"};
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(container_options_set(o, "volume", specs[i], &err), 0);
        struct container_volume_list plan;
        container_volumes_plan(NULL, o, &plan);
        assert_int_equal(container_volumes_prepare(root, "c1", o, &plan, rootfs, &err), 0);
        container_volume_list_clear(&plan);
        /* /abs and /rel are the rootfs itself: its content, not the host's. */
        const char *vols[] = {"va", "vr"};
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *m = xasprintf("%s/volumes/%s/_data/marker-dir", root, vols[i]);
                _cleanup_free_ char *etc = xasprintf("%s/volumes/%s/_data/etc", root, vols[i]);
                assert_int_equal(access(m, F_OK), 0);
                assert_int_equal(access(etc, F_OK), -1);
        }
        /* /direct points at a host path that does not exist in the rootfs. */
        _cleanup_free_ char *dc = xasprintf("%s/volumes/vd/_data/canary", root);
        assert_int_equal(access(dc, F_OK), -1);
        container_options_free(o);
        rmtree(outside);
        rmtree(rootfs);
        rmtree(root);
}

static void test_binds(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *missing = xasprintf("%s/host/a/b", root);
        _cleanup_free_ char *spec = xasprintf("%s:/b", missing);
        struct container_options *o = container_options_new();
        assert_int_equal(container_options_set(o, "volume", spec, &err), 0);
        struct container_volume_list plan;
        container_volumes_plan(NULL, o, &plan);
        assert_int_equal(container_volumes_prepare(root, "c1", o, &plan, NULL, &err), 0);
        struct stat st;
        assert_int_equal(stat(missing, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0755);
        container_volume_list_clear(&plan);
        container_options_free(o);

        /* --mount type=bind: a missing source is an error, nothing made. */
        o = container_options_new();
        _cleanup_free_ char *gone = xasprintf("%s/nothere", root);
        _cleanup_free_ char *m = xasprintf("type=bind,source=%s,target=/x", gone);
        assert_int_equal(container_options_set(o, "mount", m, &err), 0);
        container_volumes_plan(NULL, o, &plan);
        assert_true(container_volumes_prepare(root, "c1", o, &plan, NULL, &err) < 0);
        _cleanup_free_ char *want = xasprintf(
            "invalid mount config for type \"bind\": bind source path does not exist: %s", gone);
        assert_string_equal(err->msg, want);
        berth_error_freep(&err);
        assert_int_equal(access(gone, F_OK), -1);
        container_volume_list_clear(&plan);
        container_options_free(o);

        /* A relative host path is not a bind (nor a valid volume name). */
        o = container_options_new();
        assert_true(container_options_set(o, "volume", "rel/dir:/x", &err) < 0);
        assert_non_null(strstr(err->msg, "includes invalid characters for a local volume name"));
        container_options_free(o);
        rmtree(root);
}

/* A failure midway leaves nothing: the anonymous volume made before it is
 * gone and the named one no longer lists the container. */
static void test_prepare_rollback(void **state)
{
        char *root = tmpdir();
        _cleanup_error_ struct berth_error *err = NULL;
        mkdirs(root, "containers/c1");
        struct container_options *o = container_options_new();
        assert_int_equal(container_options_set(o, "volume", "/anon", &err), 0);
        assert_int_equal(container_options_set(o, "volume", "named:/n", &err), 0);
        assert_int_equal(container_options_set(
                             o, "mount", "type=volume,source=bad,target=/b,volume-opt=x=y", &err),
                         0);
        struct container_volume_list plan;
        container_volumes_plan(NULL, o, &plan);
        assert_true(container_volumes_prepare(root, "c1", o, &plan, NULL, &err) < 0);
        assert_string_equal(err->msg, "create bad: invalid option: \"x\"");
        assert_null(plan.v[0].name);
        struct container_volume_info_list l;
        berth_error_freep(&err);
        assert_int_equal(container_volume_list(root, &l, &err), 0);
        assert_int_equal(l.n, 0); /* "named" was made here too: gone */
        container_volume_info_list_clear(&l);
        container_volume_list_clear(&plan);
        container_options_free(o);
        rmtree(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_create_inspect),    cmocka_unit_test(test_create_errors),
            cmocka_unit_test(test_random_name),       cmocka_unit_test(test_list_filters),
            cmocka_unit_test(test_remove_in_use),     cmocka_unit_test(test_anonymous_and_prune),
            cmocka_unit_test(test_crash_leftovers),   cmocka_unit_test(test_copy_up),
            cmocka_unit_test(test_copy_up_contained), cmocka_unit_test(test_binds),
            cmocka_unit_test(test_prepare_rollback),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
