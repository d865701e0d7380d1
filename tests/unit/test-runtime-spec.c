/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/json.h"

/*
 * tests/unit/golden/ holds what Debian 12's runc 1.1.5 printed for `runc
 * spec`, `runc spec --rootless` (run as root, so the id maps say 0) and
 * `runc features`.  berth's defaults are runc's, with two deliberate
 * differences that the tests spell out: hostname, and no ambient set.
 */

#ifndef BERTH_SRCDIR
#define BERTH_SRCDIR "."
#endif

static json_t *golden(const char *name)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *path = xasprintf("%s/tests/unit/golden/%s", BERTH_SRCDIR, name);
        json_t *j = NULL;
        if (util_json_load_file(AT_FDCWD, path, &j, &err) < 0)
                fail_msg("loading %s: %s", path, err->msg);
        return j;
}

/* Walk a "/"-separated path of object keys. */
static json_t *at(json_t *j, const char *path)
{
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *key = strtok_r(copy, "/", &save); key != NULL && j != NULL;
             key = strtok_r(NULL, "/", &save))
                j = json_object_get(j, key);
        return j;
}

static void expect_same(json_t *ours, json_t *runc, const char *path)
{
        json_t *a = at(ours, path), *b = at(runc, path);
        if (b == NULL)
                fail_msg("golden has no %s", path);
        if (a == NULL || !json_equal(a, b)) {
                char *x = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
                char *y = json_dumps(b, JSON_COMPACT);
                fail_msg("%s differs from runc's:\n  berth: %s\n  runc:  %s", path,
                         x != NULL ? x : "(missing)", y);
        }
}

static const char *const fields[] = {
    "ociVersion",
    "process/terminal",
    "process/user",
    "process/args",
    "process/env",
    "process/cwd",
    "process/capabilities/bounding",
    "process/capabilities/effective",
    "process/capabilities/permitted",
    "process/rlimits",
    "process/noNewPrivileges",
    "root",
    "mounts",
    "linux/namespaces",
    "linux/maskedPaths",
    "linux/readonlyPaths",
    NULL,
};

static void compare_with_runc(json_t *ours, json_t *runc)
{
        for (const char *const *f = fields; *f != NULL; f++)
                expect_same(ours, runc, *f);

        /* The deliberate differences; with them applied the documents are
         * equal as a whole, so nothing else differs. */
        assert_string_equal(json_string_value(at(ours, "hostname")), "berth");
        assert_string_equal(json_string_value(at(runc, "hostname")), "runc");
        assert_null(at(ours, "process/capabilities/ambient"));
        assert_non_null(at(runc, "process/capabilities/ambient"));
        assert_null(at(ours, "process/capabilities/inheritable"));
        json_object_set_new(runc, "hostname", json_string("berth"));
        json_object_del(at(runc, "process/capabilities"), "ambient");
        if (!json_equal(ours, runc)) {
                char *x = json_dumps(ours, JSON_INDENT(1));
                fail_msg("spec differs from runc's beyond the known differences:\n%s", x);
        }

        /* Key order too, so a diff against `runc spec` reads cleanly. */
        _cleanup_free_ char *a = json_dumps(ours, JSON_COMPACT);
        _cleanup_free_ char *b = json_dumps(runc, JSON_COMPACT);
        assert_string_equal(a, b);
}

static void test_spec_default(void **state)
{
        _cleanup_json_ json_t *ours = runtime_spec_default(false);
        _cleanup_json_ json_t *runc = golden("runc-spec.json");
        expect_same(ours, runc, "linux/resources");
        compare_with_runc(ours, runc);
}

static void set_host_id(json_t *maps, unsigned int id)
{
        assert_int_equal(json_array_size(maps), 1);
        json_object_set_new(json_array_get(maps, 0), "hostID", json_integer(id));
}

static void test_spec_rootless(void **state)
{
        _cleanup_json_ json_t *ours = runtime_spec_default(true);
        _cleanup_json_ json_t *runc = golden("runc-spec-rootless.json");

        /* The maps name the caller: the golden file was made as root. */
        assert_int_equal(json_integer_value(json_object_get(
                             json_array_get(at(ours, "linux/uidMappings"), 0), "hostID")),
                         geteuid());
        assert_int_equal(json_integer_value(json_object_get(
                             json_array_get(at(ours, "linux/gidMappings"), 0), "hostID")),
                         getegid());
        set_host_id(at(runc, "linux/uidMappings"), geteuid());
        set_host_id(at(runc, "linux/gidMappings"), getegid());
        expect_same(ours, runc, "linux/uidMappings");
        expect_same(ours, runc, "linux/gidMappings");
        assert_null(at(ours, "linux/resources"));
        compare_with_runc(ours, runc);
}

#define CAP(x)                                                                                     \
        {                                                                                          \
#x, x                                                                              \
        }
static const struct {
        const char *name;
        int value;
} kernel_caps[] = {
    CAP(CAP_CHOWN),
    CAP(CAP_DAC_OVERRIDE),
    CAP(CAP_DAC_READ_SEARCH),
    CAP(CAP_FOWNER),
    CAP(CAP_FSETID),
    CAP(CAP_KILL),
    CAP(CAP_SETGID),
    CAP(CAP_SETUID),
    CAP(CAP_SETPCAP),
    CAP(CAP_LINUX_IMMUTABLE),
    CAP(CAP_NET_BIND_SERVICE),
    CAP(CAP_NET_BROADCAST),
    CAP(CAP_NET_ADMIN),
    CAP(CAP_NET_RAW),
    CAP(CAP_IPC_LOCK),
    CAP(CAP_IPC_OWNER),
    CAP(CAP_SYS_MODULE),
    CAP(CAP_SYS_RAWIO),
    CAP(CAP_SYS_CHROOT),
    CAP(CAP_SYS_PTRACE),
    CAP(CAP_SYS_PACCT),
    CAP(CAP_SYS_ADMIN),
    CAP(CAP_SYS_BOOT),
    CAP(CAP_SYS_NICE),
    CAP(CAP_SYS_RESOURCE),
    CAP(CAP_SYS_TIME),
    CAP(CAP_SYS_TTY_CONFIG),
    CAP(CAP_MKNOD),
    CAP(CAP_LEASE),
    CAP(CAP_AUDIT_WRITE),
    CAP(CAP_AUDIT_CONTROL),
    CAP(CAP_SETFCAP),
    CAP(CAP_MAC_OVERRIDE),
    CAP(CAP_MAC_ADMIN),
    CAP(CAP_SYSLOG),
    CAP(CAP_WAKE_ALARM),
    CAP(CAP_BLOCK_SUSPEND),
    CAP(CAP_AUDIT_READ),
    CAP(CAP_PERFMON),
    CAP(CAP_BPF),
    CAP(CAP_CHECKPOINT_RESTORE),
};

static void test_cap_names(void **state)
{
        size_t n = sizeof(kernel_caps) / sizeof(kernel_caps[0]);
        assert_int_equal(n, RUNTIME_CAP_LAST + 1);
        assert_int_equal(CAP_LAST_CAP, RUNTIME_CAP_LAST);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(runtime_cap_from_name(kernel_caps[i].name), kernel_caps[i].value);
                assert_string_equal(runtime_cap_name(kernel_caps[i].value), kernel_caps[i].name);
        }
        assert_null(runtime_cap_names[RUNTIME_CAP_LAST + 1]);
        assert_int_equal(runtime_cap_from_name("CAP_NOPE"), -1);
        assert_int_equal(runtime_cap_from_name("cap_chown"), -1);
        assert_int_equal(runtime_cap_from_name("SYS_ADMIN"), -1);
        assert_int_equal(runtime_cap_from_name(""), -1);
        assert_int_equal(runtime_cap_from_name(NULL), -1);
        assert_null(runtime_cap_name(-1));
        assert_null(runtime_cap_name(RUNTIME_CAP_LAST + 1));
}

static bool contains(json_t *array, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach(array, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
        return false;
}

static void test_features(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_json_ json_t *f = runtime_features();
        _cleanup_json_ json_t *runc = golden("runc-features.json");
        _cleanup_json_ json_t *back = NULL;

        /* Valid JSON that reads back the same. */
        _cleanup_free_ char *text = json_dumps(f, JSON_COMPACT);
        assert_non_null(text);
        assert_int_equal(util_json_load_string(text, strlen(text), "features", &back, &err), 0);
        assert_true(json_equal(f, back));

        assert_string_equal(json_string_value(at(f, "ociVersionMin")), "1.0.0");
        assert_string_equal(json_string_value(at(f, "ociVersionMax")), RUNTIME_OCI_VERSION);
        /* Same lists as runc's. */
        expect_same(f, runc, "hooks");
        expect_same(f, runc, "mountOptions");
        expect_same(f, runc, "linux/namespaces");
        expect_same(f, runc, "linux/capabilities");
        expect_same(f, runc, "linux/seccomp/operators");
        expect_same(f, runc, "linux/seccomp/enabled");

        /* runc's actions but NOTIFY, which berth does not do. */
        json_t *actions = at(f, "linux/seccomp/actions"), *v;
        size_t i;
        assert_false(contains(actions, "SCMP_ACT_NOTIFY"));
        json_array_foreach(at(runc, "linux/seccomp/actions"), i,
                           v) if (strcmp(json_string_value(v), "SCMP_ACT_NOTIFY") != 0)
            assert_true(contains(actions, json_string_value(v)));
        assert_int_equal(json_array_size(actions),
                         json_array_size(at(runc, "linux/seccomp/actions")) - 1);
        /* Every arch runc lists, and more (parisc, riscv64). */
        json_array_foreach(at(runc, "linux/seccomp/archs"), i, v)
            assert_true(contains(at(f, "linux/seccomp/archs"), json_string_value(v)));
        assert_true(contains(at(f, "linux/seccomp/knownFlags"), "SECCOMP_FILTER_FLAG_LOG"));

        assert_true(json_is_true(at(f, "linux/cgroup/v1")));
        assert_true(json_is_true(at(f, "linux/cgroup/v2")));
        assert_true(json_is_false(at(f, "linux/cgroup/systemd")));
        assert_true(json_is_false(at(f, "linux/cgroup/systemdUser")));
        assert_true(json_is_false(at(f, "linux/apparmor/enabled")));
        assert_true(json_is_false(at(f, "linux/selinux/enabled")));
        const char *libseccomp =
            json_string_value(at(f, "annotations/io.github.seccomp.libseccomp.version"));
        assert_non_null(libseccomp);
        assert_true(strchr(libseccomp, '.') != NULL);
        assert_string_equal(json_string_value(at(f, "annotations/org.berth.runtime.version")),
                            BERTH_VERSION);
}

/*
 * The OCI's own JSON schemas (from the shared fixtures) judge the
 * documents too, through tests/unit/oci-schema-check (Debian's
 * python3-jsonschema).  Returns the checker's exit status.
 */
#define SCHEMAS BERTH_SRCDIR "/../shared/fixtures/specs/oci-schemas/runtime-spec"

static int schema_check(const char *schema, json_t *doc)
{
        _cleanup_error_ struct berth_error *err = NULL;
        char dir[] = "/tmp/berth-schema-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *path = xasprintf("%s/doc.json", dir);
        assert_int_equal(json_dump_file(doc, path, JSON_INDENT(1)), 0);
        _cleanup_free_ char *checker = xasprintf("%s/tests/unit/oci-schema-check", BERTH_SRCDIR);
        _cleanup_free_ char *schema_path = xasprintf("%s/%s", SCHEMAS, schema);

        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                execl(checker, checker, schema_path, path, (char *)NULL);
                _exit(127);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        unlink(path);
        rmdir(dir);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void test_schemas(void **state)
{
        _cleanup_json_ json_t *spec = runtime_spec_default(false);
        _cleanup_json_ json_t *rootless = runtime_spec_default(true);
        _cleanup_json_ json_t *features = runtime_features();

        assert_int_equal(schema_check("config-schema.json", spec), 0);
        assert_int_equal(schema_check("config-schema.json", rootless), 0);
        assert_int_equal(schema_check("features-schema.json", features), 0);

        /* The checker is not vacuous: a broken document fails. */
        json_object_set_new(spec, "mounts", json_string("not a list"));
        assert_int_equal(schema_check("config-schema.json", spec), 1);
        json_object_del(features, "ociVersionMax");
        assert_int_equal(schema_check("features-schema.json", features), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_spec_default), cmocka_unit_test(test_spec_rootless),
            cmocka_unit_test(test_cap_names),    cmocka_unit_test(test_features),
            cmocka_unit_test(test_schemas),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
