/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/config.h"
#include "runtime/mount-plan.h"
#include "util/cleanup.h"
#include "util/json.h"

#define FIXTURES BERTH_SRCDIR "/../shared/fixtures/specs/oci-schemas/runtime-spec/test/config"

static struct runtime_config *parse_text(const char *text, struct berth_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        if (util_json_load_string(text, strlen(text), "config.json", &j, err) < 0)
                return NULL;
        struct runtime_config *c = NULL;
        if (runtime_config_parse(j, "config.json", &c, err) < 0)
                return NULL;
        return c;
}

static struct runtime_config *parse_ok(const char *text)
{
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_config *c = parse_text(text, &err);
        if (c == NULL)
                fail_msg("parse failed: %s", err->msg);
        return c;
}

/* The document must fail with exactly this message. */
static void parse_bad(const char *text, const char *msg)
{
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_config *c = parse_text(text, &err);
        if (c != NULL) {
                runtime_config_free(c);
                fail_msg("parsed, expected `%s`", msg);
        }
        assert_non_null(err);
        if (strcmp(err->msg, msg) != 0)
                fail_msg("got `%s`, expected `%s`", err->msg, msg);
}

static struct runtime_config *load_fixture(const char *path, struct berth_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        if (util_json_load_file(AT_FDCWD, path, &j, err) < 0)
                return NULL;
        struct runtime_config *c = NULL;
        if (runtime_config_parse(j, "config.json", &c, err) < 0)
                return NULL;
        return c;
}

static void test_good_fixtures(void **state)
{
        _cleanup_closedir_ DIR *d = opendir(FIXTURES "/good");
        if (d == NULL)
                skip();
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d)) != NULL) {
                if (strstr(e->d_name, ".json") == NULL)
                        continue;
                _cleanup_free_ char *p = xasprintf(FIXTURES "/good/%s", e->d_name);
                _cleanup_error_ struct berth_error *err = NULL;
                struct runtime_config *c = load_fixture(p, &err);
                if (c == NULL)
                        fail_msg("%s: %s", e->d_name, err->msg);
                runtime_config_free(c);
                n++;
        }
        assert_true(n >= 5);
}

static void test_bad_fixture_invalid_json(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        assert_null(load_fixture(FIXTURES "/bad/invalid-json.json", &err));
        assert_non_null(strstr(err->msg, "invalid JSON"));
}

static void test_spec_example_fields(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_config_ struct runtime_config *c =
            load_fixture(FIXTURES "/good/spec-example.json", &err);
        if (c == NULL)
                fail_msg("%s", err ? err->msg : "?");
        assert_string_equal(c->hostname, "slartibartfast");
        assert_string_equal(c->root_path, "rootfs");
        assert_int_equal(c->n_mounts, 7);
        assert_string_equal(c->mounts[0].destination, "/proc");
        for (int k = 0; k < RUNTIME_NS_KINDS; k++) {
                assert_true(c->ns[k].enabled);
                assert_null(c->ns[k].path);
        }
        assert_int_equal(c->n_uid_mappings, 1);
        assert_int_equal(c->uid_mappings[0].host_id, 1000);
        assert_int_equal(c->uid_mappings[0].size, 32000);
        assert_int_equal(c->n_devices, 2);
        assert_string_equal(c->devices[0].path, "/dev/fuse");
        assert_int_equal(c->devices[0].type, 'c');
        assert_int_equal(c->devices[0].major, 10);
        assert_int_equal(c->devices[0].minor, 229);
        assert_int_equal(c->devices[0].mode, 0666);
        assert_int_equal(c->devices[1].type, 'b');
        assert_int_equal(c->devices[1].mode, 0660);
        assert_int_equal(c->rootfs_propagation, MS_SLAVE);
        assert_string_equal(c->cgroups_path, "/myRuntime/myContainer");
        assert_int_equal(strv_len(c->masked_paths), 4);
        assert_int_equal(strv_len(c->sysctl_keys), 2);
        assert_non_null(c->hooks);
        assert_non_null(c->resources);
        assert_non_null(c->seccomp);
        const struct runtime_process *p = c->process;
        assert_int_equal(p->uid, 1);
        assert_int_equal(p->gid, 1);
        assert_int_equal(p->n_additional_gids, 2);
        assert_int_equal(p->additional_gids[1], 6);
        assert_true(p->has_caps);
        assert_int_equal(p->caps.bounding, (1ULL << 29) | (1ULL << 5) | (1ULL << 10));
        assert_int_equal(p->n_rlimits, 2);
        assert_int_equal(p->rlimits[0].resource, RLIMIT_CORE);
        assert_int_equal(p->rlimits[1].hard, 1024);
        assert_false(p->has_oom_score_adj);
}

static const char *const minimal_head =
    "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}";

static char *doc(const char *rest)
{
        return xasprintf("%s, %s}", minimal_head, rest);
}

#define PROC_OK "\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"]}"

static void test_bad_documents(void **state)
{
        static const struct {
                const char *rest, *msg;
        } cases[] = {
            {"\"process\": {\"cwd\": \"/\", \"args\": \"sh\"}",
             "config.json: process.args: expected an array of strings"},
            {"\"process\": {\"cwd\": \"/\", \"args\": []}",
             "config.json: process.args: expected a non-empty array of strings"},
            {"\"process\": {\"cwd\": \"relative\", \"args\": [\"sh\"]}",
             "config.json: process.cwd: expected an absolute path"},
            {"\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"env\": [\"NOEQUALS\"]}",
             "config.json: process.env: expected KEY=VALUE, got `NOEQUALS`"},
            {"\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"consoleSize\": {\"height\": "
             "\"x\"}}",
             "config.json: process.consoleSize.height: expected an unsigned 32-bit integer"},
            {"\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"user\": {\"uid\": -1}}",
             "config.json: process.user.uid: expected an unsigned 32-bit integer"},
            {"\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"capabilities\": "
             "{\"bounding\": [\"CAP_NOPE\"]}}",
             "config.json: process.capabilities.bounding: unknown capability `CAP_NOPE`"},
            {"\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"rlimits\": "
             "[{\"type\": \"RLIMIT_BOGUS\", \"soft\": 1, \"hard\": 1}]}",
             "config.json: process.rlimits[0]: unknown rlimit type `RLIMIT_BOGUS`"},
            {"\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"oomScoreAdj\": 5000}",
             "config.json: process.oomScoreAdj: expected -1000..1000"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"bogus\"}]}",
             "config.json: linux.namespaces[0]: unknown namespace type `bogus`"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]}",
             "config.json: linux.namespaces[1]: duplicate namespace type `pid`"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"net\", \"path\": \"x\"}]}",
             "config.json: linux.namespaces[0]: unknown namespace type `net`"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": \"rel\"}]}",
             "config.json: linux.namespaces[0]: path must be absolute"},
            {"\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
             "config.json: linux.uidMappings: id mappings need a user namespace"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": "
             "[{\"containerID\": 0, \"hostID\": 1}]}",
             "config.json: linux.uidMappings[0]: expected containerID, hostID and size"},
            {"\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"q\"}]}",
             "config.json: linux.devices[0]: expected `type` c, b, u or p"},
            {"\"linux\": {\"rootfsPropagation\": \"sideways\"}",
             "config.json: linux.rootfsPropagation: unknown propagation `sideways`"},
            {"\"linux\": {\"sysctl\": {\"a.b\": 1}}",
             "config.json: linux.sysctl: expected string values"},
            /* Keys the container's namespaces don't cover would change the
             * host's settings. */
            {"\"linux\": {\"sysctl\": {\"kernel.shm_rmid_forced\": \"1\"}}",
             "config.json: linux.sysctl: `kernel.shm_rmid_forced` needs its own ipc namespace, "
             "else it "
             "would change the host's"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": "
             "{\"net/ipv4/ip_forward\": \"1\"}}",
             "config.json: linux.sysctl: `net/ipv4/ip_forward` needs its own net namespace, else "
             "it would "
             "change the host's"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}, {\"type\": \"network\"}, "
             "{\"type\": \"uts\"}], \"sysctl\": {\"vm.swappiness\": \"1\"}}",
             "config.json: linux.sysctl: `vm.swappiness` is not namespaced: setting it would "
             "change the host"},
            {"\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": "
             "{\"kernel.shm_rmid_forcedX\": \"1\"}}",
             "config.json: linux.sysctl: `kernel.shm_rmid_forcedX` is not namespaced: setting it "
             "would change the host"},
            {"\"linux\": {\"timeOffsets\": {\"realtime\": {\"secs\": 1}}}",
             "config.json: linux.timeOffsets: unknown clock `realtime`"},
            {"\"mounts\": [{\"type\": \"tmpfs\"}]",
             "config.json: mounts[0]: expected an absolute `destination`"},
            {"\"mounts\": {}", "config.json: mounts: expected an array"},
            {"\"hostname\": \"h\", \"linux\": {}",
             "config.json: hostname: setting it needs a new uts namespace"},
            {"\"annotations\": {\"k\": 1}", "config.json: annotations: expected string values"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *text = doc(cases[i].rest);
                parse_bad(text, cases[i].msg);
        }
        parse_bad("[]", "config.json: expected a JSON object");
        parse_bad("{\"root\": {\"path\": \"r\"}}", "config.json: ociVersion: missing");
}

static void test_process_and_linux(void **state)
{
        _cleanup_free_ char *text = doc(
            "\"process\": {\"cwd\": \"/w\", \"args\": [\"a\", \"b\"], \"env\": [\"A=1\"],"
            " \"terminal\": true, \"consoleSize\": {\"height\": 33, \"width\": 101},"
            " \"noNewPrivileges\": true,"
            " \"user\": {\"uid\": 5, \"gid\": 6, \"umask\": 18},"
            " \"capabilities\": {\"ambient\": [\"cap_net_raw\"], \"effective\": [\"CAP_CHOWN\"]}},"
            " \"hostname\": \"h\","
            " \"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"network\", "
            "\"path\": \"/proc/1/ns/net\"}], \"rootfsPropagation\": \"rshared\","
            " \"timeOffsets\": {\"monotonic\": {\"secs\": 7, \"nanosecs\": 9}},"
            " \"readonlyPaths\": [\"/proc/sys\"]},"
            " \"annotations\": {\"x\": \"y\"}");
        _cleanup_config_ struct runtime_config *c = parse_ok(text);
        const struct runtime_process *p = c->process;
        assert_string_equal(p->cwd, "/w");
        assert_int_equal(strv_len(p->args), 2);
        assert_true(p->terminal);
        assert_int_equal(p->console_rows, 33);
        assert_int_equal(p->console_cols, 101);
        assert_true(p->no_new_privileges);
        assert_true(p->has_umask);
        assert_int_equal(p->umask, 022);
        assert_int_equal(p->uid, 5);
        assert_int_equal(p->caps.ambient, 1ULL << 13);
        assert_int_equal(p->caps.effective, 1ULL << 0);
        assert_int_equal(p->caps.bounding, 0);
        assert_true(c->ns[RUNTIME_NS_UTS].enabled);
        assert_false(c->ns[RUNTIME_NS_PID].enabled);
        assert_string_equal(c->ns[RUNTIME_NS_NET].path, "/proc/1/ns/net");
        assert_int_equal(c->rootfs_propagation, MS_SHARED | MS_REC);
        assert_true(c->has_time_offsets);
        assert_int_equal(c->monotonic_secs, 7);
        assert_int_equal(c->monotonic_nsecs, 9);
        assert_string_equal(c->annotation_keys[0], "x");
        assert_string_equal(c->annotation_values[0], "y");
        assert_int_equal(runtime_ns_flag(RUNTIME_NS_NET), CLONE_NEWNET);
        assert_string_equal(runtime_ns_proc_name(RUNTIME_NS_MOUNT), "mnt");
}

/* RLIM_INFINITY written as the uint64 the spec allows: jansson alone
 * rejects it; runtime_json_load_file takes it, and nothing else changes. */
static void test_load_uint64(void **state)
{
        (void)state;
        char dir[] = "/tmp/berth-unit-XXXXXX";
        assert_non_null(mkdtemp(dir));
        int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        static const char text[] =
            "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
            " \"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"rlimits\": ["
            "{\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551615,"
            " \"hard\": 18446744073709551615},"
            "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 9223372036854775808, \"hard\": 1024}]},"
            " \"annotations\": {\"a\": \"18446744073709551615\","
            " \"b\": \"\\\"18446744073709551615\"}}";
        int fd = openat(dfd, "config.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_config_ struct runtime_config *c = NULL;
        if (runtime_config_load(dir, &c, &err) < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(c->process->n_rlimits, 2);
        assert_true(c->process->rlimits[0].soft == UINT64_MAX);
        assert_true(c->process->rlimits[0].hard == UINT64_MAX);
        assert_true(c->process->rlimits[1].soft == 9223372036854775808ULL);
        assert_true(c->process->rlimits[1].hard == 1024);
        /* strings are left alone */
        assert_string_equal(c->annotation_values[0], "18446744073709551615");
        assert_string_equal(c->annotation_values[1], "\"18446744073709551615");

        /* beyond uint64, and fractions, stay what they were */
        static const char big[] = "{\"a\": 99999999999999999999999}";
        fd = openat(dfd, "big.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_int_equal(write(fd, big, strlen(big)), (ssize_t)strlen(big));
        close(fd);
        _cleanup_json_ json_t *j = NULL;
        _cleanup_error_ struct berth_error *err2 = NULL;
        assert_true(runtime_json_load_file(dfd, "big.json", &j, &err2) < 0);
        assert_non_null(strstr(err2->msg, "too big integer"));
        static const char frac[] =
            "{\"a\": 1.18446744073709551615, \"b\": -18446744073709551615e0}";
        fd = openat(dfd, "frac.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_int_equal(write(fd, frac, strlen(frac)), (ssize_t)strlen(frac));
        close(fd);
        _cleanup_json_ json_t *jf = NULL;
        _cleanup_error_ struct berth_error *err3 = NULL;
        if (runtime_json_load_file(dfd, "frac.json", &jf, &err3) < 0)
                fail_msg("%s", err3->msg);
        assert_true(json_is_real(json_object_get(jf, "a")));
        assert_true(json_real_value(json_object_get(jf, "b")) < -1e19);

        unlinkat(dfd, "config.json", 0);
        unlinkat(dfd, "big.json", 0);
        unlinkat(dfd, "frac.json", 0);
        close(dfd);
        rmdir(dir);
}

static void test_cap_parse(void **state)
{
        assert_int_equal(runtime_cap_parse("CAP_SYS_ADMIN"), 21);
        assert_int_equal(runtime_cap_parse("cap_chown"), 0);
        assert_int_equal(runtime_cap_parse("SYS_ADMIN"), -1);
        assert_int_equal(runtime_cap_parse("CAP_NOPE"), -1);
}

/* The mount plan: pure data from the config. */
static void test_mount_plan(void **state)
{
        _cleanup_free_ char *text = doc(
            "\"mounts\": ["
            "{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
            "{\"destination\": \"/dev/\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
            " \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
            "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/tmp\","
            " \"options\": [\"rbind\", \"ro\", \"rslave\", \"noexec\", \"exec\"]},"
            "{\"destination\": \"/etc/hostname\", \"source\": \"/etc/hostname\","
            " \"options\": [\"bind\", \"rw\", \"nodev\"]},"
            "{\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
            " \"options\": [\"ro\", \"relatime\"]},"
            "{\"destination\": \"/rel\", \"type\": \"bind\", \"source\": \".\", "
            "\"options\": [\"bind\"]}]");
        _cleanup_config_ struct runtime_config *c = parse_ok(text);
        struct runtime_mount_plan *p = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        if (runtime_mount_plan_build(c, "/tmp", &p, &err) < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(p->n, 6);
        assert_int_equal(p->steps[0].kind, MOUNT_STEP_FS);
        assert_string_equal(p->steps[0].fstype, "proc");
        assert_int_equal(p->steps[0].flags, 0);
        assert_string_equal(p->steps[1].destination, "/dev");
        assert_int_equal(p->steps[1].flags, MS_NOSUID | MS_STRICTATIME);
        assert_string_equal(p->steps[1].data, "mode=755,size=65536k");
        assert_true(p->has_dev_mount);
        assert_false(p->dev_is_bind);
        assert_int_equal(p->steps[2].kind, MOUNT_STEP_BIND);
        assert_true(p->steps[2].recursive);
        assert_true(p->steps[2].source_is_dir);
        assert_int_equal(p->steps[2].flags, MS_RDONLY);
        assert_int_equal(p->steps[2].clear_flags, MS_NOEXEC);
        assert_int_equal(p->steps[2].propagation, MS_SLAVE | MS_REC);
        assert_null(p->steps[2].data);
        /* "bind" in the options makes a bind whatever the type says. */
        assert_int_equal(p->steps[3].kind, MOUNT_STEP_BIND);
        assert_false(p->steps[3].recursive);
        assert_false(p->steps[3].source_is_dir);
        assert_int_equal(p->steps[3].flags, MS_NODEV);
        assert_int_equal(p->steps[3].clear_flags, MS_RDONLY);
        assert_int_equal(p->steps[4].kind, MOUNT_STEP_CGROUP);
        assert_int_equal(p->steps[4].flags, MS_RDONLY | MS_RELATIME);
        /* relative bind sources are relative to the bundle */
        assert_string_equal(p->steps[5].source, "/tmp/.");
        runtime_mount_plan_free(p);
}

static void test_mount_plan_errors(void **state)
{
        static const struct {
                const char *rest, *msg;
        } cases[] = {
            {"\"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\"}]",
             "mount `/x`: a bind needs a source"},
            {"\"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": "
             "\"/no/such/dir\"}]",
             "mount `/x`: source `/no/such/dir`"},
            {"\"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/tmp\","
             " \"options\": [\"idmap\"]}]",
             "mount `/x`: mount option `idmap` is not supported"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *text = doc(cases[i].rest);
                _cleanup_config_ struct runtime_config *c = parse_ok(text);
                struct runtime_mount_plan *p = NULL;
                _cleanup_error_ struct berth_error *err = NULL;
                assert_true(runtime_mount_plan_build(c, "/b", &p, &err) < 0);
                assert_null(p);
                assert_string_equal(err->msg, cases[i].msg);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_good_fixtures),
            cmocka_unit_test(test_bad_fixture_invalid_json),
            cmocka_unit_test(test_spec_example_fields),
            cmocka_unit_test(test_bad_documents),
            cmocka_unit_test(test_process_and_linux),
            cmocka_unit_test(test_load_uint64),
            cmocka_unit_test(test_cap_parse),
            cmocka_unit_test(test_mount_plan),
            cmocka_unit_test(test_mount_plan_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
