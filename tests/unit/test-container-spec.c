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
#include <unistd.h>

#include "container/options.h"
#include "container/spec.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

/*
 * Spec generation against golden documents in tests/unit/golden/.  Run with
 * BERTH_UPDATE_GOLDEN=1 to rewrite them after an intended change, then
 * review the diff.  linux.seccomp is checked by its own tests below, not
 * in the goldens (it is long and the same in most of them).
 */

#define ID "4f3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee"

static char *rootfs;
static int rootfd = -1;

static void write_file(const char *rel, const char *content)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_close_ int dfd = util_path_mkdir_in_root(rootfd, "/etc", 0755, &err);
        assert_true(dfd >= 0);
        assert_int_equal(util_file_write_atomic(rootfd, rel, content, strlen(content), 0644, &err),
                         0);
}

static int setup(void **state)
{
        rootfs = xstrdup("/tmp/berth-unit-rootfs-XXXXXX");
        assert_non_null(mkdtemp(rootfs));
        rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(rootfd >= 0);
        write_file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                 "# a comment\n"
                                 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                 "www:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                                 "app:x:1000:1000::/home/app:/bin/sh\n");
        write_file("etc/group", "root:x:0:\n"
                                "daemon:x:1:\n"
                                "tty:x:5:\n"
                                "www-data:x:33:\n"
                                "audio:x:29:app,www\n"
                                "video:x:44:app\n"
                                "app:x:1000:\n");
        return 0;
}

static int teardown(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        close(rootfd);
        assert_int_equal(util_path_remove_tree(AT_FDCWD, rootfs, &err), 0);
        free(rootfs);
        return 0;
}

/* Options from "flag", "value" pairs (NULL value for a bool), then the
 * command after "--". */
static struct container_options *opts_from(const char *const *args)
{
        struct container_options *o = container_options_new();
        size_t i = 0;
        for (; args != NULL && args[i] != NULL && strcmp(args[i], "--") != 0; i += 2) {
                _cleanup_error_ struct berth_error *err = NULL;
                bool b = container_options_flag_is_bool(args[i]);
                if (container_options_set(o, args[i], b ? NULL : args[i + 1], &err) < 0)
                        fail_msg("flag %s: %s", args[i], err->msg);
                if (b)
                        i--;
        }
        if (args != NULL && args[i] != NULL)
                for (i++; args[i] != NULL; i++)
                        strv_append(&o->cmd, args[i]);
        return o;
}

struct fixture {
        const struct image_config *img;
        const char *const *args;
        const char *netns_path;
        bool cgroupns;
        bool no_files;
};

static int generate(const struct fixture *f, json_t **out, struct berth_error **err)
{
        _cleanup_container_options_ struct container_options *o = opts_from(f->args);
        if (container_options_validate(o, err) < 0)
                return -1;
        _cleanup_strv_ char **env = NULL;
        if (container_options_env(o, NULL, &env, err) < 0)
                return -1;
        struct container_volume_list vols = {0};
        container_volumes_plan(f->img, o, &vols);
        for (size_t i = 0; i < vols.n; i++)
                vols.v[i].host_path =
                    vols.v[i].name ? xasprintf("/var/lib/berth/volumes/%s/_data", vols.v[i].name)
                                   : xasprintf("/var/lib/berth/volumes/anon%zu/_data", i);
        _cleanup_free_ char *hostname = container_hostname(o, ID, "otherhost");
        struct container_spec_input in = {
            .img = f->img,
            .opts = o,
            .env = env,
            .id = ID,
            .rootfs_path = "/var/lib/berth/containers/" ID "/rootfs",
            .rootfd = rootfd,
            .hostname = hostname,
            .hostname_path = f->no_files ? NULL : "/var/lib/berth/containers/" ID "/hostname",
            .hosts_path = f->no_files ? NULL : "/var/lib/berth/containers/" ID "/hosts",
            .resolv_conf_path = f->no_files ? NULL : "/var/lib/berth/containers/" ID "/resolv.conf",
            .netns_path = f->netns_path,
            .init_path = "/usr/libexec/berth/berth-init",
            .volumes = &vols,
            .cgroups_path = "berth-" ID,
            .cgroupns = f->cgroupns,
            .arch = "amd64",
        };
        int r = container_spec_generate(&in, out, err);
        container_volume_list_clear(&vols);
        return r;
}

static void check_golden(const char *name, const struct fixture *f)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        if (generate(f, &spec, &err) < 0)
                fail_msg("%s: %s", name, err->msg);
        /* Checked by the seccomp tests; present whenever it should be. */
        json_t *linux_ = json_object_get(spec, "linux");
        json_t *sc = json_object_get(linux_, "seccomp");
        if (sc != NULL)
                json_object_set_new(linux_, "seccomp", json_string("<default profile>"));

        _cleanup_free_ char *path = xasprintf("%s/tests/unit/golden/%s.json", BERTH_SRCDIR, name);
        _cleanup_free_ char *got = json_dumps(spec, JSON_INDENT(2));
        if (getenv("BERTH_UPDATE_GOLDEN") != NULL) {
                FILE *fp = fopen(path, "w");
                assert_non_null(fp);
                fprintf(fp, "%s\n", got);
                fclose(fp);
                return;
        }
        _cleanup_json_ json_t *want = NULL;
        if (util_json_load_file(AT_FDCWD, path, &want, &err) < 0)
                fail_msg("%s: %s", name, err->msg);
        if (!json_equal(spec, want)) {
                _cleanup_free_ char *w = json_dumps(want, JSON_INDENT(2));
                print_error("golden %s differs\n--- want\n%s\n--- got\n%s\n", name, w, got);
                fail();
        }
}

static char *busybox_cmd[] = {"sh", NULL};
static char *busybox_env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                              NULL};
static const struct image_config busybox = {
    .env = busybox_env,
    .cmd = busybox_cmd,
};

static char *nginx_ep[] = {"/docker-entrypoint.sh", NULL};
static char *nginx_cmd[] = {"nginx", "-g", "daemon off;", NULL};
static char *nginx_env[] = {"PATH=/usr/local/nginx/bin:/usr/bin:/bin", "NGINX_VERSION=1.25.3",
                            "MODE=prod", "HOME=/var/www", NULL};
static char *nginx_vols[] = {"/var/cache/nginx", "/var/log/nginx/", NULL};
static const struct image_config nginx = {
    .user = "www",
    .env = nginx_env,
    .entrypoint = nginx_ep,
    .cmd = nginx_cmd,
    .working_dir = "/srv",
    .volumes = nginx_vols,
    .stop_signal = "SIGQUIT",
};

static void test_golden_default(void **state)
{
        check_golden("default", &(struct fixture){.img = &busybox});
}

static void test_golden_no_image(void **state)
{
        const char *args[] = {"--", "/bin/true", NULL};
        check_golden("no-image-config", &(struct fixture){.args = args, .no_files = true});
}

static void test_golden_entrypoint_cmd(void **state)
{
        /* Image entrypoint kept, args replace Cmd, -e overrides/unsets, -t. */
        const char *args[] = {"e",  "MODE=dev", "e",        "EXTRA=1", "e",  "NGINX_VERSION",
                              "t",  "i",        "hostname", "web",     "--", "nginx",
                              "-t", NULL};
        check_golden("entrypoint-cmd", &(struct fixture){.img = &nginx, .args = args});
}

static void test_golden_entrypoint_override(void **state)
{
        /* --entrypoint drops the image's Cmd too. */
        const char *args[] = {"entrypoint", "/bin/echo", "user", "app", "w", "/tmp", NULL};
        check_golden("entrypoint-override", &(struct fixture){.img = &nginx, .args = args});
        const char *args2[] = {"entrypoint", "/bin/echo", "--", "hello", "world", NULL};
        check_golden("entrypoint-override-args", &(struct fixture){.img = &nginx, .args = args2});
        /* --entrypoint "" clears it: the arguments are the whole command. */
        const char *args3[] = {"entrypoint", "",   "user", "1234:5678", "--",
                               "/bin/sh",    "-c", "id",   NULL};
        check_golden("entrypoint-empty", &(struct fixture){.img = &nginx, .args = args3});
}

static void test_golden_privileged(void **state)
{
        const char *args[] = {"privileged", "cap-drop", "ALL", "--", "sh", NULL};
        check_golden("privileged", &(struct fixture){.img = &busybox, .args = args});
}

static void test_golden_caps(void **state)
{
        const char *args[] = {"cap-drop", "ALL",       "cap-add", "net_bind_service",
                              "cap-add",  "CAP_CHOWN", NULL};
        check_golden("caps-drop-all", &(struct fixture){.img = &busybox, .args = args});
        const char *args2[] = {"cap-add",  "sys_admin", "cap-add", "NET_ADMIN", "cap-drop", "mknod",
                               "cap-drop", "NET_RAW",   "cap-add", "chown",     NULL};
        check_golden("caps-add-drop", &(struct fixture){.img = &busybox, .args = args2});
        const char *args3[] = {"cap-add", "all", "cap-drop", "sys_admin", NULL};
        check_golden("caps-add-all", &(struct fixture){.img = &busybox, .args = args3});
}

static void test_golden_resources(void **state)
{
        const char *args[] = {"memory",     "512m",    "cpus",         "0.5",
                              "cpu-shares", "512",     "cpuset-cpus",  "0",
                              "pids-limit", "100",     "ulimit",       "nofile=1024:2048",
                              "ulimit",     "core=-1", "security-opt", "no-new-privileges",
                              NULL};
        check_golden("resources", &(struct fixture){.img = &busybox, .args = args});
        const char *args2[] = {"memory", "1g", "memory-swap", "-1", "pids-limit", "-1", NULL};
        check_golden("resources-swap-unlimited", &(struct fixture){.img = &busybox, .args = args2});
        const char *args3[] = {"memory", "64m", "memory-swap", "128m", NULL};
        check_golden("resources-swap", &(struct fixture){.img = &busybox, .args = args3});
}

static void test_golden_mounts(void **state)
{
        const char *args[] = {"v",         "/tmp:/data/host:ro",
                              "v",         "dbdata:/var/lib/db",
                              "v",         "/anon",
                              "mount",     "type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=1777",
                              "tmpfs",     "/scratch:rw,size=1g",
                              "mount",     "type=bind,src=/tmp,dst=/data,bind-propagation=rslave",
                              "mount",     "type=tmpfs,dst=/var/log/nginx,ro",
                              "v",         "/tmp:/dev/shm",
                              "read-only", NULL};
        check_golden("mounts", &(struct fixture){.img = &nginx, .args = args});
        /* A user /dev replaces Docker's /dev and everything it mounts under
         * it; a user /etc/hosts replaces the generated one. */
        const char *args2[] = {"v", "/tmp:/dev", "v", "/tmp/hosts:/etc/hosts", NULL};
        check_golden("mounts-dev", &(struct fixture){.img = &busybox, .args = args2});
}

static void test_golden_network(void **state)
{
        const char *args[] = {"network", "host", "uidmap", "0:100000:65536", NULL};
        check_golden("network-host-userns", &(struct fixture){.img = &busybox, .args = args});
        const char *args2[] = {"network", "container:web", "init", NULL};
        check_golden("network-container-init", &(struct fixture){.img = &nginx,
                                                                 .args = args2,
                                                                 .netns_path = "/proc/4242/ns/net",
                                                                 .cgroupns = true});
        const char *args3[] = {"network",       "none",          "uidmap",
                               "0:100000:1000", "gidmap",        "0:200000:1000",
                               "gidmap",        "1000:300000:1", NULL};
        check_golden("network-none-idmaps", &(struct fixture){.img = &busybox, .args = args3});
}

static void test_golden_seccomp_unconfined(void **state)
{
        const char *args[] = {"security-opt", "seccomp=unconfined", "user", "app:video", NULL};
        check_golden("seccomp-unconfined", &(struct fixture){.img = &busybox, .args = args});
}

static void expect_generate_error(const struct fixture *f, const char *msg)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        assert_true(generate(f, &spec, &err) < 0);
        assert_null(spec);
        _cleanup_free_ char *t = berth_error_text(err);
        assert_string_equal(t, msg);
}

static void test_errors(void **state)
{
        expect_generate_error(&(struct fixture){0}, "generating the spec: no command specified");
        const char *a1[] = {"entrypoint", "", NULL};
        expect_generate_error(&(struct fixture){.img = &nginx, .args = a1},
                              "generating the spec: no command specified");
        const char *a2[] = {"user", "nobody", NULL};
        expect_generate_error(&(struct fixture){.img = &busybox, .args = a2},
                              "generating the spec: unable to find user nobody: no matching "
                              "entries in passwd file");
        const char *a3[] = {"user", "app:wheel", NULL};
        expect_generate_error(&(struct fixture){.img = &busybox, .args = a3},
                              "generating the spec: unable to find group wheel: no matching "
                              "entries in group file");
        const char *a4[] = {"network", "container:web", NULL};
        expect_generate_error(&(struct fixture){.img = &busybox, .args = a4},
                              "generating the spec: --network container:web: no network "
                              "namespace path given");
        const char *a5[] = {"security-opt", "seccomp=/nonexistent/profile.json", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        assert_true(generate(&(struct fixture){.img = &busybox, .args = a5}, &spec, &err) < 0);
        assert_int_equal(err->code, ENOENT);
        assert_non_null(strstr(err->msg, "seccomp profile /nonexistent/profile.json"));
}

static void user_is(const char *spec, uint32_t uid, uint32_t gid, const char *home,
                    const uint32_t *sgids, size_t n)
{
        _cleanup_error_ struct berth_error *err = NULL;
        struct container_user u;
        if (container_user_resolve(rootfd, spec, &u, &err) < 0)
                fail_msg("%s: %s", spec, err->msg);
        assert_int_equal(u.uid, uid);
        assert_int_equal(u.gid, gid);
        assert_string_equal(u.home, home);
        assert_int_equal(u.n_additional_gids, n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(u.additional_gids[i], sgids[i]);
        container_user_clear(&u);
}

static void test_users(void **state)
{
        static const uint32_t app_groups[] = {29, 44};
        static const uint32_t www_groups[] = {29};
        user_is("", 0, 0, "/root", NULL, 0);
        user_is("root", 0, 0, "/root", NULL, 0);
        user_is("app", 1000, 1000, "/home/app", app_groups, 2);
        user_is("1000", 1000, 1000, "/home/app", app_groups, 2);
        user_is("www", 33, 33, "/var/www", www_groups, 1);
        /* An explicit group: no supplementary groups (GetExecUser). */
        user_is("app:video", 1000, 44, "/home/app", NULL, 0);
        user_is("app:5", 1000, 5, "/home/app", NULL, 0);
        user_is("app:777", 1000, 777, "/home/app", NULL, 0);
        /* Numeric ids need no entry. */
        user_is("4242", 4242, 0, "/", NULL, 0);
        user_is("4242:4343", 4242, 4343, "/", NULL, 0);
        user_is("4242:tty", 4242, 5, "/", NULL, 0);

        _cleanup_error_ struct berth_error *err = NULL;
        struct container_user u;
        assert_true(container_user_resolve(rootfd, "-5", &u, &err) < 0);
        assert_string_equal(err->msg, "uids and gids must be in range 0-2147483647");

        /* Without /etc/passwd and /etc/group: ids work, names don't. */
        char empty[] = "/tmp/berth-unit-empty-XXXXXX";
        assert_non_null(mkdtemp(empty));
        _cleanup_close_ int efd = open(empty, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        berth_error_free(err);
        err = NULL;
        assert_int_equal(container_user_resolve(efd, "1:2", &u, &err), 0);
        assert_int_equal(u.uid, 1);
        assert_int_equal(u.gid, 2);
        container_user_clear(&u);
        assert_int_equal(container_user_resolve(efd, "", &u, &err), 0);
        assert_int_equal(u.uid, 0);
        container_user_clear(&u);
        assert_true(container_user_resolve(efd, "root", &u, &err) < 0);
        assert_string_equal(err->msg,
                            "unable to find user root: no matching entries in passwd file");

        /* /etc/passwd a symlink to the host's: resolved inside the rootfs,
         * so it finds nothing instead of the host's users. */
        berth_error_free(err);
        err = NULL;
        assert_int_equal(mkdirat(efd, "etc", 0755), 0);
        assert_int_equal(mkdirat(efd, "data", 0755), 0);
        int pfd = openat(efd, "data/passwd", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(pfd >= 0);
        assert_int_equal(util_write_all(pfd, "root:x:0:0::/inside:/bin/sh\n", 28), 0);
        close(pfd);
        assert_int_equal(symlinkat("../../../../../../../data/passwd", efd, "etc/passwd"), 0);
        assert_int_equal(container_user_resolve(efd, "root", &u, &err), 0);
        assert_string_equal(u.home, "/inside");
        container_user_clear(&u);
        /* A symlink loop is a file that can't be opened: names fail. */
        assert_int_equal(unlinkat(efd, "etc/passwd", 0), 0);
        assert_int_equal(symlinkat("/etc/passwd", efd, "etc/passwd"), 0);
        assert_true(container_user_resolve(efd, "root", &u, &err) < 0);
        assert_string_equal(err->msg,
                            "unable to find user root: no matching entries in passwd file");
        /* A FIFO is refused rather than blocking the caller. */
        berth_error_free(err);
        err = NULL;
        assert_int_equal(mkfifoat(efd, "etc/group", 0644), 0);
        assert_true(container_user_resolve(efd, "0:wheel", &u, &err) < 0);
        assert_string_equal(err->msg, "/etc/group in the rootfs is not a regular file");
        assert_int_equal(util_path_remove_tree(AT_FDCWD, empty, &err), 0);
}

static void strv_is(char **got, const char *const *want)
{
        size_t i = 0;
        for (; want[i] != NULL; i++) {
                assert_non_null(got[i]);
                assert_string_equal(got[i], want[i]);
        }
        assert_null(got[i]);
}

static void test_env_merge(void **state)
{
        char *const defaults[] = {"A=1", "B=2", "C=3", NULL};
        char *const overrides[] = {"B=two", "D=4", "A", "NOPE", "D=four", NULL};
        _cleanup_strv_ char **m = container_env_merge(defaults, overrides);
        strv_is(m, (const char *const[]){"B=two", "C=3", "D=four", NULL});

        /* PATH default, HOSTNAME, TERM with -t; the image's PATH wins. */
        char *const user[] = {"X=1", "HOSTNAME=custom", NULL};
        _cleanup_strv_ char **e = container_spec_env(NULL, user, "abc", true);
        strv_is(e, (const char *const[]){
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "HOSTNAME=custom", "TERM=xterm", "X=1", NULL});
        char *img_env[] = {"PATH=/opt/bin", "TERM=vt100", NULL};
        struct image_config img = {.env = img_env};
        _cleanup_strv_ char **e2 = container_spec_env(&img, NULL, "abc", true);
        strv_is(e2, (const char *const[]){"PATH=/opt/bin", "HOSTNAME=abc", "TERM=vt100", NULL});
}

static void test_args(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_strv_ char **a = NULL;
        assert_int_equal(container_spec_args(&nginx, o, &a, &err), 0);
        strv_is(a,
                (const char *const[]){"/docker-entrypoint.sh", "nginx", "-g", "daemon off;", NULL});
        /* No entrypoint in the image: the args replace Cmd entirely. */
        strv_append(&o->cmd, "ls");
        _cleanup_strv_ char **b = NULL;
        assert_int_equal(container_spec_args(&busybox, o, &b, &err), 0);
        strv_is(b, (const char *const[]){"ls", NULL});
}

static void test_hostname_and_signal(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        _cleanup_free_ char *h1 = container_hostname(o, ID, NULL);
        assert_string_equal(h1, "4f3c2b1a09e8");
        o->network = CONTAINER_NETWORK_CONTAINER;
        _cleanup_free_ char *h2 = container_hostname(o, ID, "webhost");
        assert_string_equal(h2, "webhost");
        o->hostname = xstrdup("mine");
        _cleanup_free_ char *h3 = container_hostname(o, ID, "webhost");
        assert_string_equal(h3, "mine");

        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(container_stop_signal(NULL, o, &err), SIGTERM);
        assert_int_equal(container_stop_signal(&nginx, o, &err), SIGQUIT);
        o->stop_signal = SIGUSR2;
        assert_int_equal(container_stop_signal(&nginx, o, &err), SIGUSR2);
        o->stop_signal = 0;
        struct image_config bad = {.stop_signal = "SIGNOPE"};
        assert_true(container_stop_signal(&bad, o, &err) < 0);
        assert_string_equal(err->msg, "image StopSignal: Invalid signal: SIGNOPE");
}

static void test_files(void **state)
{
        _cleanup_free_ char *h = container_hostname_content("abc");
        assert_string_equal(h, "abc\n");
        _cleanup_free_ char *hosts = container_hosts_content("4f3c2b1a09e8", "web", NULL);
        assert_string_equal(hosts, "127.0.0.1\tlocalhost\n"
                                   "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                   "fe00::0\tip6-localnet\n"
                                   "ff00::0\tip6-mcastprefix\n"
                                   "ff02::1\tip6-allnodes\n"
                                   "ff02::2\tip6-allrouters\n"
                                   "127.0.0.1\t4f3c2b1a09e8 web\n");
        _cleanup_free_ char *hosts2 = container_hosts_content("web", "web", "172.17.0.2");
        assert_non_null(strstr(hosts2, "\n172.17.0.2\tweb\n"));

        _cleanup_free_ char *r1 = container_resolv_conf_content("# generated\n"
                                                                "nameserver 127.0.0.53\n"
                                                                "nameserver 10.0.0.1\n"
                                                                "nameserver ::1\n"
                                                                "nameserver fd00::1\n"
                                                                "search example.com\n"
                                                                "options edns0 trust-ad\n",
                                                                false);
        assert_string_equal(r1, "# generated\nnameserver 10.0.0.1\nsearch example.com\n"
                                "options edns0 trust-ad\n");
        _cleanup_free_ char *r2 =
            container_resolv_conf_content("nameserver 127.0.0.1\nsearch lan\n", false);
        assert_string_equal(r2, "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        _cleanup_free_ char *r3 =
            container_resolv_conf_content("nameserver\t127.1.2.3\nnameserver fd00::1", true);
        assert_string_equal(r3, "nameserver fd00::1\n");
        _cleanup_free_ char *r4 = container_resolv_conf_content("", true);
        assert_string_equal(r4,
                            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
                            "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n");
        /* "127.0.0.1.example" is not an address; nameserverX not a keyword */
        _cleanup_free_ char *r5 =
            container_resolv_conf_content("nameserver 127.0.0.1.5\nnameservers 127.0.0.1\n", false);
        assert_string_equal(r5, "nameserver 127.0.0.1.5\nnameservers 127.0.0.1\n");
}

static char *read_at(int dfd, const char *name)
{
        char *buf = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_file_read(dfd, name, &buf, NULL, &err), 0);
        return buf;
}

static void test_etc_files_write(void **state)
{
        char dir[] = "/tmp/berth-unit-etc-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(mkdirat(dfd, "hostetc", 0755), 0);
        assert_int_equal(mkdirat(dfd, "bundle", 0755), 0);
        _cleanup_close_ int hfd = openat(dfd, "hostetc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int bfd = openat(dfd, "bundle", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const char *resolv = "nameserver 127.0.0.53\nnameserver 9.9.9.9\nsearch lan\n";
        const char *hosts = "127.0.0.1 localhost myhost\n";
        assert_int_equal(
            util_file_write_atomic(hfd, "resolv.conf", resolv, strlen(resolv), 0644, &err), 0);
        assert_int_equal(util_file_write_atomic(hfd, "hosts", hosts, strlen(hosts), 0644, &err), 0);
        _cleanup_free_ char *host_etc = xasprintf("%s/hostetc", dir);

        const char *a1[] = {"name", "web", NULL};
        _cleanup_container_options_ struct container_options *o = opts_from(a1);
        assert_int_equal(container_etc_files_write(bfd, o, "4f3c2b1a09e8", NULL, host_etc, &err),
                         0);
        _cleanup_free_ char *h = read_at(bfd, "hostname");
        assert_string_equal(h, "4f3c2b1a09e8\n");
        _cleanup_free_ char *r = read_at(bfd, "resolv.conf");
        assert_string_equal(r, "nameserver 9.9.9.9\nsearch lan\n");
        _cleanup_free_ char *hs = read_at(bfd, "hosts");
        assert_non_null(strstr(hs, "\n127.0.0.1\t4f3c2b1a09e8 web\n"));

        const char *a2[] = {"network", "host", NULL};
        _cleanup_container_options_ struct container_options *o2 = opts_from(a2);
        assert_int_equal(container_etc_files_write(bfd, o2, "myhost", NULL, host_etc, &err), 0);
        _cleanup_free_ char *r2 = read_at(bfd, "resolv.conf");
        assert_string_equal(r2, resolv);
        _cleanup_free_ char *hs2 = read_at(bfd, "hosts");
        assert_string_equal(hs2, hosts);

        /* Host files missing: defaults. */
        _cleanup_free_ char *nowhere = xasprintf("%s/nowhere", dir);
        assert_int_equal(container_etc_files_write(bfd, o, "h", NULL, nowhere, &err), 0);
        _cleanup_free_ char *r3 = read_at(bfd, "resolv.conf");
        assert_string_equal(r3, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        assert_int_equal(util_path_remove_tree(AT_FDCWD, dir, &err), 0);
}

/* The first rule of s that names syscall, or NULL. */
static json_t *rule_for(json_t *s, const char *syscall)
{
        size_t i, j;
        json_t *r, *n;
        json_array_foreach(json_object_get(s, "syscalls"), i, r)
        {
                json_array_foreach(json_object_get(r, "names"), j, n)
                {
                        if (strcmp(json_string_value(n), syscall) == 0)
                                return r;
                }
        }
        return NULL;
}

static json_t *seccomp_of(const char *const *args, const char *arch)
{
        _cleanup_container_options_ struct container_options *o = opts_from(args);
        _cleanup_strv_ char **env = NULL;
        struct container_spec_input in = {
            .img = &busybox,
            .opts = o,
            .id = ID,
            .rootfs_path = "/r",
            .rootfd = rootfd,
            .hostname = "h",
            .arch = arch,
        };
        _cleanup_error_ struct berth_error *err = NULL;
        json_t *spec = NULL;
        if (container_spec_generate(&in, &spec, &err) < 0)
                fail_msg("%s", err->msg);
        json_t *s = json_incref(json_object_get(json_object_get(spec, "linux"), "seccomp"));
        json_decref(spec);
        return s;
}

static const char *action(json_t *s, const char *syscall)
{
        json_t *r = rule_for(s, syscall);
        return r ? json_string_value(json_object_get(r, "action")) : "(default)";
}

static void test_seccomp_default(void **state)
{
        _cleanup_json_ json_t *s = seccomp_of(NULL, "amd64");
        assert_non_null(s);
        assert_string_equal(json_string_value(json_object_get(s, "defaultAction")),
                            "SCMP_ACT_ERRNO");
        assert_int_equal(json_integer_value(json_object_get(s, "defaultErrnoRet")), 1);
        json_t *arches = json_object_get(s, "architectures");
        assert_int_equal(json_array_size(arches), 3);
        assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
        assert_string_equal(json_string_value(json_array_get(arches, 1)), "SCMP_ARCH_X86");

        /* Ordinary syscalls allowed; the blocked ones fall to the default. */
        const char *allowed[] = {"read",   "openat",      "execve",     "clone",
                                 "chroot", "arch_prctl",  "modify_ldt", "ptrace",
                                 "socket", "personality", NULL};
        for (size_t i = 0; allowed[i] != NULL; i++)
                assert_string_equal(action(s, allowed[i]), "SCMP_ACT_ALLOW");
        const char *blocked[] = {"mount",
                                 "umount2",
                                 "unshare",
                                 "setns",
                                 "reboot",
                                 "kexec_load",
                                 "init_module",
                                 "bpf",
                                 "keyctl",
                                 "add_key",
                                 "swapon",
                                 "open_by_handle_at",
                                 "settimeofday",
                                 "acct",
                                 "userfaultfd",
                                 "io_uring_setup",
                                 "perf_event_open",
                                 "pivot_root",
                                 "process_vm_writev_not",
                                 "cacheflush",
                                 NULL};
        for (size_t i = 0; blocked[i] != NULL; i++)
                assert_string_equal(action(s, blocked[i]), "(default)");
        /* clone without namespace flags; clone3 gets ENOSYS. */
        json_t *clone = rule_for(s, "clone");
        json_t *arg = json_array_get(json_object_get(clone, "args"), 0);
        assert_int_equal(json_integer_value(json_object_get(arg, "index")), 0);
        assert_int_equal(json_integer_value(json_object_get(arg, "value")), 0x7E020000);
        assert_string_equal(json_string_value(json_object_get(arg, "op")), "SCMP_CMP_MASKED_EQ");
        json_t *clone3 = rule_for(s, "clone3");
        assert_string_equal(json_string_value(json_object_get(clone3, "action")), "SCMP_ACT_ERRNO");
        assert_int_equal(json_integer_value(json_object_get(clone3, "errnoRet")), 38);
        /* socket: anything but AF_VSOCK */
        json_t *sock = json_array_get(json_object_get(rule_for(s, "socket"), "args"), 0);
        assert_int_equal(json_integer_value(json_object_get(sock, "value")), 40);
        assert_string_equal(json_string_value(json_object_get(sock, "op")), "SCMP_CMP_NE");
        /* No conditions left in the output. */
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(s, "syscalls"), i, r)
        {
                assert_null(json_object_get(r, "includes"));
                assert_null(json_object_get(r, "excludes"));
                assert_null(json_object_get(r, "comment"));
        }
}

static void test_seccomp_caps_arch(void **state)
{
        const char *admin[] = {"cap-add",  "SYS_ADMIN",  "cap-add", "SYS_TIME",
                               "cap-drop", "SYS_CHROOT", NULL};
        _cleanup_json_ json_t *s = seccomp_of(admin, "amd64");
        assert_string_equal(action(s, "mount"), "SCMP_ACT_ALLOW");
        assert_string_equal(action(s, "setns"), "SCMP_ACT_ALLOW");
        assert_string_equal(action(s, "settimeofday"), "SCMP_ACT_ALLOW");
        assert_string_equal(action(s, "chroot"), "(default)");
        /* With CAP_SYS_ADMIN clone is unrestricted, clone3 allowed. */
        json_t *clone = rule_for(s, "clone");
        assert_null(json_object_get(clone, "args"));
        assert_string_equal(action(s, "clone3"), "SCMP_ACT_ALLOW");

        _cleanup_json_ json_t *arm = seccomp_of(NULL, "arm64");
        json_t *arches = json_object_get(arm, "architectures");
        assert_int_equal(json_array_size(arches), 2);
        assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_AARCH64");
        assert_string_equal(action(arm, "arch_prctl"), "(default)");
        assert_string_equal(action(arm, "cacheflush"), "SCMP_ACT_ALLOW");

        _cleanup_json_ json_t *s390 = seccomp_of(NULL, "s390x");
        json_t *c = rule_for(s390, "clone");
        json_t *arg = json_array_get(json_object_get(c, "args"), 0);
        assert_int_equal(json_integer_value(json_object_get(arg, "index")), 1);

        const char *priv[] = {"privileged", NULL};
        json_t *none = seccomp_of(priv, "amd64");
        assert_null(none);
        const char *unconf[] = {"security-opt", "seccomp=unconfined", NULL};
        none = seccomp_of(unconf, "amd64");
        assert_null(none);
}

static void test_seccomp_file(void **state)
{
        char path[] = "/tmp/berth-seccomp-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char *profile =
            "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
            "\"syscalls\":[{\"name\":\"mkdir\",\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
            "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_KILL\",\"includes\":{\"caps\":"
            "[\"CAP_SYS_ADMIN\"]}}]}";
        assert_int_equal(util_write_all(fd, profile, strlen(profile)), 0);
        close(fd);
        _cleanup_free_ char *opt = xasprintf("seccomp=%s", path);
        const char *args[] = {"security-opt", opt, NULL};
        _cleanup_json_ json_t *s = seccomp_of(args, "amd64");
        _cleanup_json_ json_t *want = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        const char *w = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
                        "[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"mkdir\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}";
        assert_int_equal(util_json_load_string(w, strlen(w), "want", &want, &err), 0);
        assert_true(json_equal(s, want));
        unlink(path);

        /* The profile inline, as Docker's CLI sends it over the API. */
        _cleanup_free_ char *inl = xasprintf("seccomp= %s", profile);
        const char *args2[] = {"security-opt", inl, NULL};
        _cleanup_json_ json_t *s2 = seccomp_of(args2, "amd64");
        assert_true(json_equal(s2, want));

        _cleanup_json_ json_t *bad =
            json_pack("{s:s,s:[{s:s,s:[s],s:s}]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls",
                      "name", "a", "names", "b", "action", "SCMP_ACT_ERRNO");
        json_t *out = NULL;
        assert_true(container_seccomp_from_profile(bad, NULL, "amd64", &out, &err) < 0);
        assert_string_equal(err->msg, "seccomp profile: 'name' and 'names' were specified in the "
                                      "seccomp profile, use either 'name' or 'names'");
}

static void test_caps_available(void **state)
{
        /* --privileged and --cap-add ALL give what the engine holds: a
         * capability outside its bounding set would fail the start. */
        _cleanup_strv_ char **avail = container_caps_available();
        assert_true(strv_len(avail) > 0);
        _cleanup_container_options_ struct container_options *o = container_options_new();
        o->privileged = true;
        struct container_spec_input in = {
            .img = &busybox,
            .opts = o,
            .id = ID,
            .rootfs_path = "/r",
            .rootfd = rootfd,
            .hostname = "h",
            .caps_available = avail,
        };
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        assert_int_equal(container_spec_generate(&in, &spec, &err), 0);
        json_t *bnd = json_object_get(
            json_object_get(json_object_get(spec, "process"), "capabilities"), "bounding");
        assert_int_equal(json_array_size(bnd), strv_len(avail));

        char *const few[] = {"CAP_CHOWN", "CAP_KILL", NULL};
        char *const add_all[] = {"ALL", NULL};
        char *const drop[] = {"CAP_KILL", NULL};
        o->privileged = false;
        o->cap_add = strv_dup(add_all);
        o->cap_drop = strv_dup(drop);
        in.caps_available = few;
        json_decref(spec);
        spec = NULL;
        assert_int_equal(container_spec_generate(&in, &spec, &err), 0);
        bnd = json_object_get(json_object_get(json_object_get(spec, "process"), "capabilities"),
                              "bounding");
        assert_int_equal(json_array_size(bnd), 1);
        assert_string_equal(json_string_value(json_array_get(bnd, 0)), "CAP_CHOWN");
}

static void test_privileged_devices(void **state)
{
        /* --privileged gets the host's device nodes; /dev/null is on every
         * Linux host, and nothing from /dev/pts or symlinks is listed. */
        _cleanup_container_options_ struct container_options *o = container_options_new();
        o->privileged = true;
        struct container_spec_input in = {
            .img = &busybox,
            .opts = o,
            .id = ID,
            .rootfs_path = "/r",
            .rootfd = rootfd,
            .hostname = "h",
            .host_dev_dir = "/dev",
        };
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        assert_int_equal(container_spec_generate(&in, &spec, &err), 0);
        json_t *devs = json_object_get(json_object_get(spec, "linux"), "devices");
        bool null_found = false;
        size_t i;
        json_t *d;
        json_array_foreach(devs, i, d)
        {
                const char *path = json_string_value(json_object_get(d, "path"));
                assert_true(strncmp(path, "/dev/", 5) == 0);
                assert_null(strstr(path, "/dev/pts/"));
                assert_string_not_equal(path, "/dev/console");
                if (strcmp(path, "/dev/null") == 0) {
                        null_found = true;
                        assert_string_equal(json_string_value(json_object_get(d, "type")), "c");
                        assert_int_equal(json_integer_value(json_object_get(d, "major")), 1);
                        assert_int_equal(json_integer_value(json_object_get(d, "minor")), 3);
                        assert_int_equal(json_integer_value(json_object_get(d, "fileMode")), 0666);
                }
        }
        assert_true(null_found);

        /* Not privileged: no host devices even when the directory is given. */
        o->privileged = false;
        json_decref(spec);
        spec = NULL;
        assert_int_equal(container_spec_generate(&in, &spec, &err), 0);
        assert_null(json_object_get(json_object_get(spec, "linux"), "devices"));
}

static void test_real_image_config(void **state)
{
        /* The image store's parse of the real busybox config blob. */
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        assert_int_equal(
            util_file_read(AT_FDCWD,
                           BERTH_FIXTURES
                           "/images/oci-layouts/busybox-1.38.0-musl-amd64/blobs/sha256/"
                           "654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9",
                           &buf, &len, &err),
            0);
        struct image_config *cfg = NULL;
        assert_int_equal(image_config_parse(buf, len, &cfg, &err), 0);
        const char *args[] = {"t", NULL};
        _cleanup_json_ json_t *spec = NULL;
        assert_int_equal(generate(&(struct fixture){.img = cfg, .args = args}, &spec, &err), 0);
        json_t *proc = json_object_get(spec, "process");
        _cleanup_free_ char *a = json_dumps(json_object_get(proc, "args"), JSON_COMPACT);
        assert_string_equal(a, "[\"sh\"]");
        _cleanup_free_ char *e = json_dumps(json_object_get(proc, "env"), JSON_COMPACT);
        assert_string_equal(e, "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
                               "/bin\",\"HOSTNAME=4f3c2b1a09e8\",\"TERM=xterm\",\"HOME=/root\"]");
        assert_string_equal(json_string_value(json_object_get(proc, "cwd")), "/");
        image_config_free(cfg);
}

static void test_subid_workdir_labels(void **state)
{
        const char *subuid = "# comment\n"
                             "alice:100000:65536\n"
                             "bad:line\n"
                             "1001:300000:1000\n"
                             "root:500000:200000\n";
        struct container_idmap m;
        assert_int_equal(container_subid_lookup(subuid, "alice", 1000, &m), 1);
        assert_int_equal(m.container_id, 0);
        assert_int_equal(m.host_id, 100000);
        assert_int_equal(m.size, 65536);
        assert_int_equal(container_subid_lookup(subuid, "bob", 1001, &m), 1);
        assert_int_equal(m.host_id, 300000);
        assert_int_equal(m.size, 1000);
        assert_int_equal(container_subid_lookup(subuid, "root", 0, &m), 1);
        assert_int_equal(m.size, 65536);
        assert_int_equal(container_subid_lookup(subuid, "carol", 1002, &m), 0);
        assert_int_equal(container_subid_lookup(NULL, "carol", 1002, &m), 0);

        /* --userns=auto takes the caller's ranges. */
        const char *args[] = {"userns", "auto", NULL};
        _cleanup_container_options_ struct container_options *o = opts_from(args);
        struct container_idmap u = {0, 100000, 65536}, g = {0, 200000, 65536};
        struct container_spec_input in = {
            .img = &busybox,
            .opts = o,
            .id = ID,
            .rootfs_path = "/r",
            .rootfd = rootfd,
            .hostname = "h",
            .auto_uidmap = &u,
            .n_auto_uidmap = 1,
            .auto_gidmap = &g,
            .n_auto_gidmap = 1,
        };
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        assert_int_equal(container_spec_generate(&in, &spec, &err), 0);
        json_t *gm =
            json_array_get(json_object_get(json_object_get(spec, "linux"), "gidMappings"), 0);
        assert_int_equal(json_integer_value(json_object_get(gm, "hostID")), 200000);
        in.n_auto_gidmap = 0;
        json_t *none = NULL;
        assert_true(container_spec_generate(&in, &none, &err) < 0);
        assert_string_equal(err->msg,
                            "generating the spec: --userns=auto: no subordinate id range given");
        berth_error_free(err);
        err = NULL;

        /* The working directory is made inside the rootfs, even through a
         * symlink that points at the host's root. */
        assert_int_equal(mkdirat(rootfd, "tmp", 01777), 0);
        assert_int_equal(symlinkat("/../../../../../tmp", rootfd, "escape"), 0);
        assert_int_equal(container_workdir_ensure(rootfd, "/escape/berth-wd/sub", &err), 0);
        struct stat st;
        assert_int_equal(fstatat(rootfd, "tmp/berth-wd/sub", &st, 0), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_false(util_path_exists("/tmp/berth-wd"));
        assert_int_equal(unlinkat(rootfd, "escape", 0), 0);

        /* Labels: the image's, -l replacing or adding. */
        struct image_label labels[] = {{"maintainer", "x"}, {"version", "1"}};
        struct image_config img = {.labels = labels, .n_labels = 2};
        const char *largs[] = {"label", "version=2", "label", "extra", NULL};
        _cleanup_container_options_ struct container_options *lo = opts_from(largs);
        _cleanup_strv_ char **l = container_labels(&img, lo);
        strv_is(l, (const char *const[]){"maintainer=x", "version=2", "extra=", NULL});
}

static void test_empty_user_workdir(void **state)
{
        /* -u "" and -w "" mean "not given": the image's apply. */
        const char *args[] = {"user", "", "w", "", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        assert_int_equal(generate(&(struct fixture){.img = &nginx, .args = args}, &spec, &err), 0);
        json_t *proc = json_object_get(spec, "process");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(proc, "user"), "uid")),
                         33);
        assert_string_equal(json_string_value(json_object_get(proc, "cwd")), "/srv");
}

static void test_volumes_plan(void **state)
{
        const char *args[] = {"v", "/tmp:/var/cache/nginx/", "v", "logs:/other", NULL};
        _cleanup_container_options_ struct container_options *o = opts_from(args);
        struct container_volume_list l = {0};
        container_volumes_plan(&nginx, o, &l);
        /* The named volume, then the image VOLUME the bind doesn't cover. */
        assert_int_equal(l.n, 2);
        assert_string_equal(l.v[0].name, "logs");
        assert_string_equal(l.v[0].target, "/other");
        assert_false(l.v[0].anonymous);
        assert_null(l.v[1].name);
        assert_string_equal(l.v[1].target, "/var/log/nginx");
        assert_true(l.v[1].anonymous);
        container_volume_list_clear(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_golden_default),
            cmocka_unit_test(test_golden_no_image),
            cmocka_unit_test(test_golden_entrypoint_cmd),
            cmocka_unit_test(test_golden_entrypoint_override),
            cmocka_unit_test(test_golden_privileged),
            cmocka_unit_test(test_golden_caps),
            cmocka_unit_test(test_golden_resources),
            cmocka_unit_test(test_golden_mounts),
            cmocka_unit_test(test_golden_network),
            cmocka_unit_test(test_golden_seccomp_unconfined),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_users),
            cmocka_unit_test(test_env_merge),
            cmocka_unit_test(test_args),
            cmocka_unit_test(test_hostname_and_signal),
            cmocka_unit_test(test_files),
            cmocka_unit_test(test_etc_files_write),
            cmocka_unit_test(test_seccomp_default),
            cmocka_unit_test(test_seccomp_caps_arch),
            cmocka_unit_test(test_seccomp_file),
            cmocka_unit_test(test_caps_available),
            cmocka_unit_test(test_privileged_devices),
            cmocka_unit_test(test_real_image_config),
            cmocka_unit_test(test_subid_workdir_labels),
            cmocka_unit_test(test_empty_user_workdir),
            cmocka_unit_test(test_volumes_plan),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
