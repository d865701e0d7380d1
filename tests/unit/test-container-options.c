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
#include <sys/resource.h>
#include <unistd.h>

#include "container/options.h"
#include "container/parse.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

/* Set one flag and return the error text ("" on success). */
static char *set1(struct container_options *o, const char *flag, const char *value)
{
        _cleanup_error_ struct berth_error *err = NULL;
        if (container_options_set(o, flag, value, &err) == 0) {
                assert_null(err);
                return xstrdup("");
        }
        assert_non_null(err);
        return berth_error_text(err);
}

static void expect_ok(struct container_options *o, const char *flag, const char *value)
{
        _cleanup_free_ char *e = set1(o, flag, value);
        assert_string_equal(e, "");
}

static void expect_err(const char *flag, const char *value, const char *msg)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        _cleanup_free_ char *e = set1(o, flag, value);
        assert_string_equal(e, msg);
        assert_null(strchr(e, '\n'));
}

static int64_t size_of(const char *s)
{
        int64_t v = -42;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(container_parse_size(s, &v, &err), 0);
        return v;
}

static void test_sizes(void **state)
{
        assert_int_equal(size_of("512m"), 512LL << 20);
        assert_int_equal(size_of("512M"), 512LL << 20);
        assert_int_equal(size_of("1g"), 1LL << 30);
        assert_int_equal(size_of("1G"), 1LL << 30);
        assert_int_equal(size_of("100k"), 100 * 1024);
        assert_int_equal(size_of("1.5g"), 3LL << 29);
        assert_int_equal(size_of("10KiB"), 10 * 1024);
        assert_int_equal(size_of("10kb"), 10 * 1024);
        assert_int_equal(size_of("10 MB"), 10LL << 20);
        assert_int_equal(size_of("1024"), 1024);
        assert_int_equal(size_of("64b"), 64);
        assert_int_equal(size_of("2t"), 2LL << 40);
        assert_int_equal(size_of("1p"), 1LL << 50);
        assert_int_equal(size_of("0"), 0);

        expect_err("memory", "12x",
                   "invalid argument \"12x\" for \"--memory\" flag: invalid suffix: 'x'");
        expect_err("m", "1gb5",
                   "invalid argument \"1gb5\" for \"--memory\" flag: strconv.ParseFloat: parsing "
                   "\"1gb5\": invalid syntax");
        expect_err("memory", "abc",
                   "invalid argument \"abc\" for \"--memory\" flag: invalid size: 'abc'");
        expect_err("memory", "-1",
                   "invalid argument \"-1\" for \"--memory\" flag: invalid size: '-1'");
        expect_err("memory", "1kibb",
                   "invalid argument \"1kibb\" for \"--memory\" flag: invalid suffix: 'kibb'");
        expect_err("memory", "1bk",
                   "invalid argument \"1bk\" for \"--memory\" flag: invalid suffix: 'bk'");
        expect_err("memory", "1mx",
                   "invalid argument \"1mx\" for \"--memory\" flag: invalid suffix: 'mx'");
        expect_err("memory", "", "invalid argument \"\" for \"--memory\" flag: invalid size: ''");

        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "memory", "256m");
        expect_ok(o, "memory-swap", "-1");
        assert_int_equal(o->memory, 256LL << 20);
        assert_int_equal(o->memory_swap, -1);
        expect_ok(o, "memory-swap", "1g");
        assert_int_equal(o->memory_swap, 1LL << 30);
        expect_err("memory-swap", "-2",
                   "invalid argument \"-2\" for \"--memory-swap\" flag: invalid size: '-2'");
}

static void test_cpus(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "cpus", "1.5");
        assert_int_equal(o->nano_cpus, 1500000000);
        expect_ok(o, "cpus", "0.01");
        assert_int_equal(o->nano_cpus, 10000000);
        expect_ok(o, "cpus", "2");
        assert_int_equal(o->nano_cpus, 2000000000);
        expect_ok(o, "cpus", ".5");
        assert_int_equal(o->nano_cpus, 500000000);
        expect_ok(o, "cpus", "0.1234567890");
        assert_int_equal(o->nano_cpus, 123456789);
        expect_err("cpus", "1.5x",
                   "invalid argument \"1.5x\" for \"--cpus\" flag: failed to parse 1.5x as a "
                   "rational number");
        expect_err("cpus", "0.0000000001",
                   "invalid argument \"0.0000000001\" for \"--cpus\" flag: value is too precise");
        expect_err("cpus", "",
                   "invalid argument \"\" for \"--cpus\" flag: failed to parse  as a "
                   "rational number");
        expect_err("cpus", "-1",
                   "invalid argument \"-1\" for \"--cpus\" flag: CPUs can not be negative");

        expect_ok(o, "cpu-shares", "512");
        assert_int_equal(o->cpu_shares, 512);
        expect_err("cpu-shares", "x",
                   "invalid argument \"x\" for \"--cpu-shares\" flag: strconv.ParseInt: parsing "
                   "\"x\": invalid syntax");
        expect_ok(o, "cpuset-cpus", "0-1,3");
        assert_string_equal(o->cpuset_cpus, "0-1,3");
        expect_err("cpuset-cpus", "1-0",
                   "invalid argument \"1-0\" for \"--cpuset-cpus\" flag: invalid value 1-0 for "
                   "cpuset cpus");
        expect_err("cpuset-cpus", "a",
                   "invalid argument \"a\" for \"--cpuset-cpus\" flag: invalid value a for cpuset "
                   "cpus");
        expect_err("cpuset-cpus", "0,,1",
                   "invalid argument \"0,,1\" for \"--cpuset-cpus\" flag: invalid value 0,,1 for "
                   "cpuset cpus");
        expect_ok(o, "pids-limit", "100");
        assert_true(o->pids_limit_set);
        assert_int_equal(o->pids_limit, 100);
        expect_err("pids-limit", "1e3",
                   "invalid argument \"1e3\" for \"--pids-limit\" flag: strconv.ParseInt: parsing "
                   "\"1e3\": invalid syntax");
        expect_err("pids-limit", "99999999999999999999",
                   "invalid argument \"99999999999999999999\" for \"--pids-limit\" flag: "
                   "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
}

static void test_signals(void **state)
{
        static const struct {
                const char *in;
                int sig;
        } ok[] = {
            {"SIGTERM", SIGTERM}, {"TERM", SIGTERM},      {"term", SIGTERM},
            {"sigterm", SIGTERM}, {"15", SIGTERM},        {"9", SIGKILL},
            {"SIGUSR1", SIGUSR1}, {"HUP", SIGHUP},        {"RTMIN", 34},
            {"RTMIN+3", 37},      {"SIGRTMAX-1", 63},     {"RTMAX", 64},
            {"64", 64},           {"SIGWINCH", SIGWINCH},
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                int sig = 0;
                _cleanup_error_ struct berth_error *err = NULL;
                assert_int_equal(container_parse_signal(ok[i].in, &sig, &err), 0);
                assert_int_equal(sig, ok[i].sig);
        }
        const char *bad[] = {"0",        "65",      "-1",      "SIGFOO", "",
                             "RTMIN+16", "RTMAX+1", "RTMIN-1", "SIG"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int sig = 0;
                _cleanup_error_ struct berth_error *err = NULL;
                assert_true(container_parse_signal(bad[i], &sig, &err) < 0);
        }
        expect_err(
            "stop-signal", "SIGFOO",
            "invalid argument \"SIGFOO\" for \"--stop-signal\" flag: Invalid signal: SIGFOO");
        assert_string_equal(container_signal_name(SIGKILL), "KILL");

        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "stop-signal", "SIGQUIT");
        assert_int_equal(o->stop_signal, SIGQUIT);
        expect_ok(o, "stop-timeout", "30");
        assert_true(o->stop_timeout_set);
        assert_int_equal(o->stop_timeout, 30);
        expect_err("stop-timeout", "ten",
                   "invalid argument \"ten\" for \"--stop-timeout\" flag: strconv.ParseInt: "
                   "parsing \"ten\": invalid syntax");
}

static void test_volumes(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "v", "/host/data:/data");
        expect_ok(o, "volume", "/etc/conf:/conf:ro");
        expect_ok(o, "v", "myvol:/var/lib/db");
        expect_ok(o, "v", "/anon");
        expect_ok(o, "v", "cache:/cache:ro,nocopy");
        expect_ok(o, "v", "/src:/src:rw,rshared,z");
        assert_int_equal(o->n_mounts, 6);

        struct container_mount *m = o->mounts;
        assert_int_equal(m[0].type, CONTAINER_MOUNT_BIND);
        assert_string_equal(m[0].source, "/host/data");
        assert_string_equal(m[0].target, "/data");
        assert_false(m[0].readonly);
        assert_true(m[0].from_volume_flag);
        assert_int_equal(m[1].type, CONTAINER_MOUNT_BIND);
        assert_true(m[1].readonly);
        assert_int_equal(m[2].type, CONTAINER_MOUNT_VOLUME);
        assert_string_equal(m[2].source, "myvol");
        assert_int_equal(m[3].type, CONTAINER_MOUNT_VOLUME);
        assert_null(m[3].source);
        assert_string_equal(m[3].target, "/anon");
        assert_true(m[4].readonly);
        assert_true(m[4].nocopy);
        assert_string_equal(m[5].propagation, "rshared");
        assert_string_equal(m[5].relabel, "z");
        assert_false(m[5].readonly);

        expect_err("v", "./data:/data",
                   "invalid argument \"./data:/data\" for \"--volume\" flag: create ./data: "
                   "\"./data\" includes invalid characters for a local volume name, only "
                   "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                   "directory, use absolute path");
        expect_err("v", "data/sub:/data",
                   "invalid argument \"data/sub:/data\" for \"--volume\" flag: create data/sub: "
                   "\"data/sub\" includes invalid characters for a local volume name, only "
                   "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                   "directory, use absolute path");
        expect_err("v", "x:/data",
                   "invalid argument \"x:/data\" for \"--volume\" flag: create x: \"x\" includes "
                   "invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" "
                   "are allowed. If you intended to pass a host directory, use absolute path");
        expect_err("v", "/a:/b:bogus",
                   "invalid argument \"/a:/b:bogus\" for \"--volume\" flag: invalid mode: bogus");
        expect_err("v", "/a:/b:ro,rw",
                   "invalid argument \"/a:/b:ro,rw\" for \"--volume\" flag: invalid mode: ro,rw");
        expect_err("v", "/data:ro",
                   "invalid argument \"/data:ro\" for \"--volume\" flag: invalid volume "
                   "specification: '/data:ro'");
        expect_err("v", "/a:/b:ro:x",
                   "invalid argument \"/a:/b:ro:x\" for \"--volume\" flag: invalid volume "
                   "specification: '/a:/b:ro:x'");
        expect_err("v", ":/b",
                   "invalid argument \":/b\" for \"--volume\" flag: invalid volume specification: "
                   "':/b'");
        expect_err("v", "/a:relative",
                   "invalid argument \"/a:relative\" for \"--volume\" flag: invalid mount config "
                   "for type \"bind\": invalid mount path: 'relative' mount path must be absolute");
        expect_err("v", "data",
                   "invalid argument \"data\" for \"--volume\" flag: invalid mount config for type "
                   "\"volume\": invalid mount path: 'data' mount path must be absolute");
        expect_err("v", "/a:/",
                   "invalid argument \"/a:/\" for \"--volume\" flag: invalid "
                   "specification: destination can't be '/'");
        expect_err("v", "/a:/b:nocopy",
                   "invalid argument \"/a:/b:nocopy\" for \"--volume\" flag: invalid mount config "
                   "for type \"bind\": field VolumeOptions must not be specified");
        expect_err("v", "vol:/b:rshared",
                   "invalid argument \"vol:/b:rshared\" for \"--volume\" flag: invalid mount "
                   "config for type \"volume\": field BindOptions must not be specified");

        /* Paths are stored cleaned, as Docker stores them. */
        _cleanup_container_options_ struct container_options *c = container_options_new();
        expect_ok(c, "v", "/host//dir/:/data/./x/../");
        expect_ok(c, "mount", "type=tmpfs,dst=/run/");
        expect_ok(c, "tmpfs", "//cache/");
        assert_string_equal(c->mounts[0].source, "/host/dir");
        assert_string_equal(c->mounts[0].target, "/data");
        assert_string_equal(c->mounts[1].target, "/run");
        assert_string_equal(c->mounts[2].target, "/cache");
        expect_err("v", "/a:/./",
                   "invalid argument \"/a:/./\" for \"--volume\" flag: invalid "
                   "specification: destination can't be '/'");
        expect_err("tmpfs", "/x/..",
                   "invalid argument \"/x/..\" for \"--tmpfs\" flag: invalid "
                   "specification: destination can't be '/'");

        assert_true(container_volume_name_valid("my_vol.1-a"));
        assert_false(container_volume_name_valid("a"));
        assert_false(container_volume_name_valid("_a"));
        assert_false(container_volume_name_valid("a b"));
}

static void test_mounts(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "mount", "type=bind,source=/tmp,target=/t,readonly,bind-propagation=rslave");
        expect_ok(o, "mount", "type=volume,src=v1,dst=/v,volume-opt=type=nfs,volume-opt=o=addr=1");
        expect_ok(o, "mount", "type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1770");
        expect_ok(o, "mount", "target=/anon");
        expect_ok(o, "mount", "type=bind,src=/tmp,dst=/t2,ro=false,bind-nonrecursive");
        expect_ok(o, "mount", "\"type=volume\",\"target=/a,b\",volume-nocopy=true");
        expect_ok(o, "mount", "Type=TMPFS,Target=/up,RO=1");
        assert_int_equal(o->n_mounts, 7);
        struct container_mount *m = o->mounts;
        assert_int_equal(m[0].type, CONTAINER_MOUNT_BIND);
        assert_string_equal(m[0].source, "/tmp");
        assert_true(m[0].readonly);
        assert_false(m[0].from_volume_flag);
        assert_string_equal(m[0].propagation, "rslave");
        assert_int_equal(m[1].type, CONTAINER_MOUNT_VOLUME);
        assert_string_equal(m[1].source, "v1");
        assert_string_equal(m[1].volume_opts[0], "type=nfs");
        assert_string_equal(m[1].volume_opts[1], "o=addr=1");
        assert_int_equal(m[2].type, CONTAINER_MOUNT_TMPFS);
        assert_int_equal(m[2].tmpfs_size, 64LL << 20);
        assert_int_equal(m[2].tmpfs_mode, 01770);
        assert_int_equal(m[3].type, CONTAINER_MOUNT_VOLUME);
        assert_null(m[3].source);
        assert_false(m[4].readonly);
        assert_true(m[4].nonrecursive);
        assert_string_equal(m[5].target, "/a,b");
        assert_true(m[5].nocopy);
        assert_int_equal(m[6].type, CONTAINER_MOUNT_TMPFS);
        assert_true(m[6].readonly);

        expect_err("mount", "type=bind,target=/x",
                   "invalid argument \"type=bind,target=/x\" for \"--mount\" flag: invalid mount "
                   "config for type \"bind\": field Source must not be empty");
        expect_err("mount", "type=bind,source=/x",
                   "invalid argument \"type=bind,source=/x\" for \"--mount\" flag: target is "
                   "required");
        expect_err("mount", "type=foo,target=/x",
                   "invalid argument \"type=foo,target=/x\" for \"--mount\" flag: invalid mount "
                   "config for type \"foo\": mount type unknown");
        expect_err("mount", "type=bind,src=/a,target=/x,bogus=1",
                   "invalid argument \"type=bind,src=/a,target=/x,bogus=1\" for \"--mount\" flag: "
                   "unexpected key 'bogus' in 'bogus=1'");
        expect_err("mount", "type=bind,src=/a,target",
                   "invalid argument \"type=bind,src=/a,target\" for \"--mount\" flag: invalid "
                   "field 'target' must be a key=value pair");
        expect_err("mount", "type=bind,src=/a,dst=/b,readonly=maybe",
                   "invalid argument \"type=bind,src=/a,dst=/b,readonly=maybe\" for \"--mount\" "
                   "flag: invalid value for readonly: maybe");
        expect_err("mount", "type=tmpfs,dst=/b,tmpfs-size=1x",
                   "invalid argument \"type=tmpfs,dst=/b,tmpfs-size=1x\" for \"--mount\" flag: "
                   "invalid value for tmpfs-size: 1x");
        expect_err("mount", "type=tmpfs,dst=/b,tmpfs-mode=9",
                   "invalid argument \"type=tmpfs,dst=/b,tmpfs-mode=9\" for \"--mount\" flag: "
                   "invalid value for tmpfs-mode: 9");
        expect_err("mount", "type=bind,src=/a,dst=/b,tmpfs-size=1m",
                   "invalid argument \"type=bind,src=/a,dst=/b,tmpfs-size=1m\" for \"--mount\" "
                   "flag: cannot mix 'tmpfs-*' options with mount type 'bind'");
        expect_err("mount", "type=volume,dst=/b,bind-propagation=shared",
                   "invalid argument \"type=volume,dst=/b,bind-propagation=shared\" for "
                   "\"--mount\" flag: cannot mix 'bind-*' options with mount type 'volume'");
        expect_err("mount", "type=tmpfs,dst=/b,volume-nocopy",
                   "invalid argument \"type=tmpfs,dst=/b,volume-nocopy\" for \"--mount\" flag: "
                   "cannot mix 'volume-*' options with mount type 'tmpfs'");
        expect_err("mount", "type=tmpfs,src=/a,dst=/b",
                   "invalid argument \"type=tmpfs,src=/a,dst=/b\" for \"--mount\" flag: invalid "
                   "mount config for type \"tmpfs\": field Source must not be specified");
        expect_err("mount", "type=bind,src=rel,dst=/b",
                   "invalid argument \"type=bind,src=rel,dst=/b\" for \"--mount\" flag: invalid "
                   "mount config for type \"bind\": invalid mount path: 'rel' mount path must be "
                   "absolute");
        expect_err("mount", "type=bind,src=/a,dst=/b,bind-propagation=weird",
                   "invalid argument \"type=bind,src=/a,dst=/b,bind-propagation=weird\" for "
                   "\"--mount\" flag: invalid mount config for type \"bind\": invalid propagation "
                   "mode: weird");
        expect_err("mount", "type=volume,src=../x,dst=/b",
                   "invalid argument \"type=volume,src=../x,dst=/b\" for \"--mount\" flag: create "
                   "../x: \"../x\" includes invalid characters for a local volume name, only "
                   "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                   "directory, use absolute path");
        expect_err("mount", "\"type=bind",
                   "invalid argument \"\"type=bind\" for \"--mount\" flag: parse error on line 1, "
                   "column 11: extraneous or missing \" in quoted-field");

        /* --tmpfs */
        expect_ok(o, "tmpfs", "/cache");
        expect_ok(o, "tmpfs", "/scratch:rw,size=64m,mode=1777,uid=1000");
        assert_int_equal(o->mounts[7].type, CONTAINER_MOUNT_TMPFS);
        assert_null(o->mounts[7].tmpfs_data);
        assert_string_equal(o->mounts[8].tmpfs_data, "rw,size=64m,mode=1777,uid=1000");
        expect_err("tmpfs", "/x:bogus",
                   "invalid argument \"/x:bogus\" for \"--tmpfs\" flag: invalid tmpfs option "
                   "[\"bogus\"]");
        expect_err("tmpfs", "rel",
                   "invalid argument \"rel\" for \"--tmpfs\" flag: invalid mount config for type "
                   "\"tmpfs\": invalid mount path: 'rel' mount path must be absolute");
}

static void test_path_clean(void **state)
{
        static const char *const cases[][2] = {
            {"/data/", "/data"},
            {"/", "/"},
            {"//a//b/", "/a/b"},
            {"/a/./b/../c", "/a/c"},
            {"/..", "/"},
            {"/../a", "/a"},
            {"a/../..", ".."},
            {"a/b/../../../c", "../c"},
            {"", "."},
            {"./a", "a"},
            {"/a/..", "/"},
            {"..a/b", "..a/b"},
            {"../../x/..", "../.."},
            {"/a/b/c/../../d", "/a/d"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *c = container_path_clean(cases[i][0]);
                assert_string_equal(c, cases[i][1]);
        }
}

static void test_ulimits(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "ulimit", "nofile=1024:2048");
        expect_ok(o, "ulimit", "nproc=512");
        expect_ok(o, "ulimit", "core=-1");
        expect_ok(o, "ulimit", "stack=8192:-1");
        expect_ok(o, "ulimit", "nofile=4096");
        assert_int_equal(o->n_ulimits, 4);
        assert_string_equal(o->ulimits[0].name, "nofile");
        assert_int_equal(o->ulimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(o->ulimits[0].soft, 4096);
        assert_int_equal(o->ulimits[0].hard, 4096);
        assert_int_equal(o->ulimits[1].resource, RLIMIT_NPROC);
        assert_int_equal(o->ulimits[1].hard, 512);
        assert_int_equal(o->ulimits[2].soft, -1);
        assert_int_equal(o->ulimits[2].hard, -1);
        assert_int_equal(o->ulimits[3].soft, 8192);
        assert_int_equal(o->ulimits[3].hard, -1);

        expect_err("ulimit", "nofile",
                   "invalid argument \"nofile\" for \"--ulimit\" flag: invalid "
                   "ulimit argument: nofile");
        expect_err(
            "ulimit", "files=1",
            "invalid argument \"files=1\" for \"--ulimit\" flag: invalid ulimit type: files");
        expect_err("ulimit", "nofile=2048:1024",
                   "invalid argument \"nofile=2048:1024\" for \"--ulimit\" flag: ulimit soft "
                   "limit must be less than or equal to hard limit: 2048 > 1024");
        expect_err("ulimit", "nofile=1:2:3",
                   "invalid argument \"nofile=1:2:3\" for \"--ulimit\" flag: too many limit value "
                   "arguments - 1:2:3, can only have up to two, `soft[:hard]`");
        expect_err("ulimit", "nofile=x",
                   "invalid argument \"nofile=x\" for \"--ulimit\" flag: strconv.ParseInt: parsing "
                   "\"x\": invalid syntax");
        expect_err(
            "ulimit", "NOFILE=1",
            "invalid argument \"NOFILE=1\" for \"--ulimit\" flag: invalid ulimit type: NOFILE");
}

static void test_restart(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "restart", "on-failure:5");
        assert_int_equal(o->restart, CONTAINER_RESTART_ON_FAILURE);
        assert_int_equal(o->restart_max_retries, 5);
        expect_ok(o, "restart", "on-failure");
        assert_int_equal(o->restart_max_retries, 0);
        expect_ok(o, "restart", "always");
        assert_int_equal(o->restart, CONTAINER_RESTART_ALWAYS);
        expect_ok(o, "restart", "unless-stopped");
        assert_int_equal(o->restart, CONTAINER_RESTART_UNLESS_STOPPED);
        expect_ok(o, "restart", "no");
        assert_int_equal(o->restart, CONTAINER_RESTART_NO);

        expect_err("restart", "sometimes",
                   "invalid argument \"sometimes\" for \"--restart\" flag: invalid restart policy: "
                   "unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
                   "'unless-stopped'");
        expect_err("restart", "always:3",
                   "invalid argument \"always:3\" for \"--restart\" flag: invalid restart policy: "
                   "maximum retry count can only be used with 'on-failure'");
        expect_err("restart", "on-failure:x",
                   "invalid argument \"on-failure:x\" for \"--restart\" flag: invalid restart "
                   "policy format: maximum retry count must be an integer");
        expect_err("restart", "on-failure:-1",
                   "invalid argument \"on-failure:-1\" for \"--restart\" flag: invalid restart "
                   "policy: maximum retry count cannot be negative");
        expect_err("restart", ":3",
                   "invalid argument \":3\" for \"--restart\" flag: invalid restart policy format: "
                   "no policy provided before colon");
}

static void test_caps_security(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "cap-add", "net_admin");
        expect_ok(o, "cap-add", "CAP_SYS_TIME");
        expect_ok(o, "cap-add", "Sys_Ptrace");
        expect_ok(o, "cap-drop", "all");
        assert_string_equal(o->cap_add[0], "CAP_NET_ADMIN");
        assert_string_equal(o->cap_add[1], "CAP_SYS_TIME");
        assert_string_equal(o->cap_add[2], "CAP_SYS_PTRACE");
        assert_string_equal(o->cap_drop[0], "ALL");
        expect_err("cap-add", "foo",
                   "invalid argument \"foo\" for \"--cap-add\" flag: unknown capability: "
                   "\"CAP_FOO\"");

        expect_ok(o, "security-opt", "no-new-privileges");
        assert_true(o->no_new_privileges);
        expect_ok(o, "security-opt", "no-new-privileges:false");
        assert_false(o->no_new_privileges);
        expect_ok(o, "security-opt", "no-new-privileges=true");
        assert_true(o->no_new_privileges);
        expect_ok(o, "security-opt", "seccomp=unconfined");
        assert_true(o->seccomp_unconfined);
        expect_ok(o, "security-opt", "seccomp=/etc/profile.json");
        assert_false(o->seccomp_unconfined);
        assert_string_equal(o->seccomp_profile, "/etc/profile.json");
        expect_ok(o, "security-opt", "label=disable");
        expect_err("security-opt", "no-new-privileges=maybe",
                   "invalid argument \"no-new-privileges=maybe\" for \"--security-opt\" flag: "
                   "invalid --security-opt 2: \"no-new-privileges=maybe\"");
        expect_err("security-opt", "bogus=1",
                   "invalid argument \"bogus=1\" for \"--security-opt\" flag: invalid "
                   "--security-opt 1: \"bogus=1\"");
        expect_err("security-opt", "bogus",
                   "invalid argument \"bogus\" for \"--security-opt\" flag: Invalid "
                   "--security-opt: \"bogus\"");
}

static void test_misc_flags(void **state)
{
        _cleanup_container_options_ struct container_options *o = container_options_new();
        assert_true(o->sig_proxy);
        expect_ok(o, "t", NULL);
        expect_ok(o, "interactive", "true");
        expect_ok(o, "sig-proxy", "false");
        expect_ok(o, "rm", NULL);
        expect_ok(o, "read-only", "1");
        assert_true(o->tty);
        assert_true(o->interactive);
        assert_false(o->sig_proxy);
        assert_true(o->rm);
        assert_true(o->read_only);
        expect_err("tty", "yes",
                   "invalid argument \"yes\" for \"--tty\" flag: strconv.ParseBool: "
                   "parsing \"yes\": invalid syntax");
        assert_true(container_options_flag_is_bool("privileged"));
        assert_false(container_options_flag_is_bool("memory"));

        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(container_options_set(o, "bogus", "1", &err), -ENOENT);
        _cleanup_free_ char *t = berth_error_text(err);
        assert_string_equal(t, "unknown flag: --bogus: No such file or directory");

        expect_ok(o, "network", "none");
        assert_int_equal(o->network, CONTAINER_NETWORK_NONE);
        expect_ok(o, "net", "host");
        assert_int_equal(o->network, CONTAINER_NETWORK_HOST);
        expect_ok(o, "network", "container:web");
        assert_int_equal(o->network, CONTAINER_NETWORK_CONTAINER);
        assert_string_equal(o->network_name, "web");
        expect_ok(o, "network", "mynet");
        assert_int_equal(o->network, CONTAINER_NETWORK_NAMED);
        expect_ok(o, "network", "bridge");
        assert_int_equal(o->network, CONTAINER_NETWORK_BRIDGE);
        assert_null(o->network_name);
        expect_err("network", "container:",
                   "invalid argument \"container:\" for \"--network\" flag: invalid container "
                   "format container:<name|id>");

        expect_ok(o, "label", "a=1");
        expect_ok(o, "l", "b");
        expect_ok(o, "label", "a=2");
        assert_int_equal(strv_len(o->labels), 2);
        assert_string_equal(o->labels[0], "a=2");
        assert_string_equal(o->labels[1], "b=");
        expect_err("label", "=x",
                   "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': "
                   "empty name");
        expect_err("env", "=x",
                   "invalid argument \"=x\" for \"--env\" flag: invalid environment "
                   "variable: =x");

        expect_ok(o, "uidmap", "0:100000:65536");
        expect_ok(o, "gidmap", "0:100000:65536");
        assert_int_equal(o->n_uidmap, 1);
        assert_int_equal(o->uidmap[0].host_id, 100000);
        assert_int_equal(o->gidmap[0].size, 65536);
        expect_err("uidmap", "0:100000",
                   "invalid argument \"0:100000\" for \"--uidmap\" flag: invalid ID mapping "
                   "'0:100000': want CONTAINER_ID:HOST_ID:SIZE");
        expect_err("uidmap", "0:x:1",
                   "invalid argument \"0:x:1\" for \"--uidmap\" flag: invalid ID mapping '0:x:1': "
                   "want CONTAINER_ID:HOST_ID:SIZE");
        expect_err("uidmap", "0:1:0",
                   "invalid argument \"0:1:0\" for \"--uidmap\" flag: invalid ID mapping '0:1:0': "
                   "want CONTAINER_ID:HOST_ID:SIZE");
        expect_ok(o, "userns", "host");
        assert_int_equal(o->userns, CONTAINER_USERNS_HOST);
        expect_err("userns", "keep-id",
                   "invalid argument \"keep-id\" for \"--userns\" flag: valid modes are \"host\", "
                   "\"auto\" and \"private\"");
        expect_err("name", NULL, "flag needs an argument: --name");
}

static char *validate(struct container_options *o)
{
        _cleanup_error_ struct berth_error *err = NULL;
        if (container_options_validate(o, &err) == 0)
                return xstrdup("");
        return berth_error_text(err);
}

#define EXPECT_INVALID(setup, msg)                                                                 \
        do {                                                                                       \
                _cleanup_container_options_ struct container_options *o = container_options_new(); \
                setup;                                                                             \
                _cleanup_free_ char *e = validate(o);                                              \
                assert_string_equal(e, msg);                                                       \
        } while (0)

static void test_validate(void **state)
{
        EXPECT_INVALID(expect_ok(o, "name", "web-1"), "");
        EXPECT_INVALID(expect_ok(o, "name", "/web"), "");
        EXPECT_INVALID(expect_ok(o, "name", "we b"),
                       "Invalid container name (we b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        EXPECT_INVALID(expect_ok(o, "name", "-x"),
                       "Invalid container name (-x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        EXPECT_INVALID(expect_ok(o, "memory", "1m"), "Minimum memory limit allowed is 6MB");
        EXPECT_INVALID(expect_ok(o, "memory-swap", "1g"),
                       "You should always set the Memory limit when using Memoryswap limit, see "
                       "usage");
        EXPECT_INVALID(expect_ok(o, "memory-swap", "-1"), "");
        EXPECT_INVALID((expect_ok(o, "memory", "1g"), expect_ok(o, "memory-swap", "512m")),
                       "Minimum memoryswap limit should be larger than memory limit, see usage");
        EXPECT_INVALID((expect_ok(o, "rm", NULL), expect_ok(o, "restart", "always")),
                       "conflicting options: cannot specify both --restart and --rm");
        EXPECT_INVALID((expect_ok(o, "rm", NULL), expect_ok(o, "restart", "no")), "");
        EXPECT_INVALID((expect_ok(o, "hostname", "h"), expect_ok(o, "network", "container:x")),
                       "conflicting options: hostname and the network mode");
        EXPECT_INVALID(expect_ok(o, "w", "rel/dir"),
                       "the working directory 'rel/dir' is invalid, it needs to be an absolute "
                       "path");
        EXPECT_INVALID((expect_ok(o, "v", "/a:/data"), expect_ok(o, "tmpfs", "/data")),
                       "Duplicate mount point: /data");
        EXPECT_INVALID(expect_ok(o, "mount", "type=bind,src=/nonexistent-berth-xyz,dst=/x"),
                       "invalid mount config for type \"bind\": bind source path does not exist: "
                       "/nonexistent-berth-xyz");
        /* -v creates a missing host directory later, so it validates. */
        EXPECT_INVALID(expect_ok(o, "v", "/nonexistent-berth-xyz:/x"), "");
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        _cleanup_free_ char *range = xasprintf(
            "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available", n, n);
        EXPECT_INVALID(expect_ok(o, "cpus", "0.001"), range);
        EXPECT_INVALID(expect_ok(o, "cpus", "100000"), range);
        EXPECT_INVALID(expect_ok(o, "cpus", "0.01"), "");
        EXPECT_INVALID(expect_ok(o, "cpuset-cpus", "0"), "");
        {
                _cleanup_container_options_ struct container_options *o = container_options_new();
                expect_ok(o, "cpuset-cpus", "0,4000");
                _cleanup_free_ char *e = validate(o);
                assert_non_null(strstr(e, "Requested CPUs are not available - requested 0,4000, "
                                          "available: 0"));
        }
        EXPECT_INVALID((expect_ok(o, "userns", "host"), expect_ok(o, "uidmap", "0:1:1")),
                       "--userns=host and --uidmap/--gidmap are mutually exclusive");
}

static const char *fake_env(const char *k)
{
        if (strcmp(k, "FROM_HOST") == 0)
                return "hostval";
        return NULL;
}

static void test_env(void **state)
{
        char path[] = "/tmp/berth-envfile-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char *content = "\xef\xbb\xbf# a comment\n"
                              "A=1\n"
                              "\n"
                              "   B=two words  \n"
                              "FROM_HOST\n"
                              "MISSING\n"
                              "C=x=y\r\n"
                              "  # indented comment\n"
                              "EMPTY=\n";
        assert_int_equal(util_write_all(fd, content, strlen(content)), 0);
        close(fd);

        _cleanup_container_options_ struct container_options *o = container_options_new();
        expect_ok(o, "env-file", path);
        expect_ok(o, "e", "A=override");
        expect_ok(o, "e", "FROM_HOST");
        expect_ok(o, "e", "UNSET_ME");
        _cleanup_strv_ char **env = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(container_options_env(o, fake_env, &env, &err), 0);
        const char *want[] = {"A=1",    "B=two words  ", "FROM_HOST=hostval", "C=x=y",
                              "EMPTY=", "A=override",    "FROM_HOST=hostval", "UNSET_ME",
                              NULL};
        for (size_t i = 0; want[i] != NULL; i++) {
                assert_non_null(env[i]);
                assert_string_equal(env[i], want[i]);
        }
        assert_null(env[8]);

        _cleanup_strv_ char **bad = NULL;
        assert_true(container_env_file_parse("BAD KEY=1\n", "f", fake_env, &bad, &err) < 0);
        _cleanup_free_ char *t = berth_error_text(err);
        assert_string_equal(t, "poorly formatted environment: variable 'BAD KEY' contains "
                               "whitespaces");
        berth_error_free(err);
        err = NULL;
        assert_true(container_env_file_parse("=1\n", "f", fake_env, &bad, &err) < 0);
        _cleanup_free_ char *t2 = berth_error_text(err);
        assert_string_equal(t2, "poorly formatted environment: no variable name on line '=1'");
        berth_error_free(err);
        err = NULL;

        unlink(path);
        assert_true(container_options_env(o, fake_env, &bad, &err) < 0);
        _cleanup_free_ char *t3 = berth_error_text(err);
        assert_non_null(strstr(t3, "reading env file"));
        assert_non_null(strstr(t3, "No such file or directory"));
}

static struct container_options *opts_of(const char *const *args)
{
        struct container_options *o = container_options_new();
        for (size_t i = 0; args[i] != NULL; i++) {
                bool b = container_options_flag_is_bool(args[i]);
                expect_ok(o, args[i], b ? NULL : args[i + 1]);
                if (!b)
                        i++;
        }
        return o;
}

static void test_json_roundtrip(void **state)
{
        const char *args[] = {"name",
                              "web",
                              "hostname",
                              "h1",
                              "user",
                              "app:video",
                              "w",
                              "/srv",
                              "e",
                              "A=1",
                              "e",
                              "UNSET",
                              "entrypoint",
                              "",
                              "t",
                              "i",
                              "d",
                              "label",
                              "k=v",
                              "v",
                              "/tmp:/data:ro,z,rshared",
                              "v",
                              "vol:/vol:nocopy",
                              "v",
                              "/anon",
                              "mount",
                              "type=bind,src=/tmp,dst=/b,bind-propagation=rslave,bind-nonrecursive",
                              "mount",
                              "type=volume,src=v2,dst=/v2,volume-opt=type=nfs,volume-nocopy",
                              "mount",
                              "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=700,ro",
                              "tmpfs",
                              "/run:size=64m",
                              "read-only",
                              "memory",
                              "64m",
                              "memory-swap",
                              "-1",
                              "cpus",
                              "0.5",
                              "cpu-shares",
                              "100",
                              "cpuset-cpus",
                              "0",
                              "pids-limit",
                              "10",
                              "cap-add",
                              "net_admin",
                              "cap-drop",
                              "mknod",
                              "privileged",
                              "security-opt",
                              "seccomp=/p.json",
                              "security-opt",
                              "no-new-privileges",
                              "ulimit",
                              "nofile=10:20",
                              "init",
                              "network",
                              "container:db",
                              "stop-signal",
                              "QUIT",
                              "stop-timeout",
                              "7",
                              "restart",
                              "on-failure:3",
                              "uidmap",
                              "0:1000:10",
                              "gidmap",
                              "0:2000:10",
                              NULL};
        _cleanup_container_options_ struct container_options *o = opts_of(args);
        _cleanup_json_ json_t *j = container_options_to_json(o, NULL);
        _cleanup_container_options_ struct container_options *back = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        if (container_options_from_json(j, &back, &err) < 0)
                fail_msg("%s", err->msg);
        _cleanup_json_ json_t *j2 = container_options_to_json(back, NULL);
        if (!json_equal(j, j2)) {
                _cleanup_free_ char *a = json_dumps(j, JSON_INDENT(1));
                _cleanup_free_ char *b = json_dumps(j2, JSON_INDENT(1));
                fprintf(stderr, "round trip differs:\n%s\n---\n%s\n", a, b);
                fail();
        }
        json_t *h = json_object_get(j, "HostConfig");
        _cleanup_free_ char *binds = json_dumps(json_object_get(h, "Binds"), JSON_COMPACT);
        assert_string_equal(binds, "[\"/tmp:/data:ro,z,rshared\",\"vol:/vol:nocopy\"]");
        _cleanup_free_ char *ep = json_dumps(json_object_get(j, "Entrypoint"), JSON_COMPACT);
        assert_string_equal(ep, "[\"\"]");
        _cleanup_free_ char *vols = json_dumps(json_object_get(j, "Volumes"), JSON_COMPACT);
        assert_string_equal(vols, "{\"/anon\":{}}");
        _cleanup_free_ char *rp = json_dumps(json_object_get(h, "RestartPolicy"), JSON_COMPACT);
        assert_string_equal(rp, "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}");
        assert_string_equal(json_string_value(json_object_get(j, "StopSignal")), "SIGQUIT");
        assert_string_equal(json_string_value(json_object_get(h, "NetworkMode")), "container:db");
        _cleanup_free_ char *t = json_dumps(json_object_get(h, "Tmpfs"), JSON_COMPACT);
        assert_string_equal(t, "{\"/run\":\"size=64m\"}");
        assert_int_equal(json_integer_value(json_object_get(h, "NanoCpus")), 500000000);
        assert_true(back->entrypoint_set);
        assert_int_equal(strv_len(back->entrypoint), 0);
        assert_int_equal(back->n_mounts, o->n_mounts);
        assert_true(back->detach);
}

static void test_json_api_body(void **state)
{
        const char *body =
            "{\"Hostname\":\"\",\"User\":\"\",\"Env\":[\"A=1\"],\"Cmd\":\"echo hi\","
            "\"Image\":\"busybox\",\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Labels\":{\"a\":\"b\"},"
            "\"Volumes\":{\"/anon\":{}},\"StopSignal\":\"SIGQUIT\",\"Tty\":true,"
            "\"OpenStdin\":true,\"HostConfig\":{\"Binds\":[\"/tmp:/data:ro\"],\"Mounts\":"
            "[{\"Type\":\"tmpfs\",\"Target\":\"/run/\",\"TmpfsOptions\":{\"SizeBytes\":1048576}}],"
            "\"Memory\":67108864,\"MemorySwap\":-1,\"NanoCpus\":500000000,\"PidsLimit\":null,"
            "\"CapAdd\":[\"NET_ADMIN\"],\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":"
            "\\\"SCMP_ACT_ALLOW\\\"}\"],\"NetworkMode\":\"default\",\"RestartPolicy\":"
            "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},\"Ulimits\":[{\"Name\":"
            "\"nofile\",\"Soft\":10,\"Hard\":20}],\"AutoRemove\":false,\"Init\":null}}";
        _cleanup_json_ json_t *j = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_json_load_string(body, strlen(body), "body", &j, &err), 0);
        _cleanup_container_options_ struct container_options *o = NULL;
        if (container_options_from_json(j, &o, &err) < 0)
                fail_msg("%s", err->msg);
        assert_string_equal(o->cmd[0], "echo hi");
        assert_null(o->cmd[1]);
        assert_true(o->entrypoint_set);
        assert_string_equal(o->entrypoint[1], "-c");
        assert_string_equal(o->labels[0], "a=b");
        assert_true(o->tty);
        assert_true(o->interactive);
        assert_int_equal(o->stop_signal, SIGQUIT);
        assert_int_equal(o->n_mounts, 3);
        assert_int_equal(o->mounts[0].type, CONTAINER_MOUNT_VOLUME); /* Volumes first */
        assert_int_equal(o->mounts[1].type, CONTAINER_MOUNT_BIND);
        assert_true(o->mounts[1].readonly);
        assert_string_equal(o->mounts[2].target, "/run");
        assert_int_equal(o->mounts[2].tmpfs_size, 1048576);
        assert_int_equal(o->memory, 64 << 20);
        assert_int_equal(o->memory_swap, -1);
        assert_false(o->pids_limit_set);
        assert_string_equal(o->cap_add[0], "CAP_NET_ADMIN");
        assert_string_equal(o->seccomp_profile, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
        assert_int_equal(o->network, CONTAINER_NETWORK_DEFAULT);
        assert_int_equal(o->restart, CONTAINER_RESTART_ON_FAILURE);
        assert_int_equal(o->restart_max_retries, 3);
        assert_int_equal(o->ulimits[0].hard, 20);
        assert_false(o->init);
}

static void expect_json_err(const char *body, const char *msg)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_json_load_string(body, strlen(body), "body", &j, &err), 0);
        _cleanup_container_options_ struct container_options *o = NULL;
        assert_true(container_options_from_json(j, &o, &err) < 0);
        assert_null(o);
        _cleanup_free_ char *t = berth_error_text(err);
        assert_string_equal(t, msg);
}

static void test_json_bad(void **state)
{
        expect_json_err("[]", "container config: expected a JSON object");
        expect_json_err("{\"HostConfig\":{\"Memory\":\"1g\"}}",
                        "Memory: expected an integer: Invalid argument");
        expect_json_err("{\"HostConfig\":{\"Binds\":[\"./x:/y\"]}}",
                        "invalid argument \"./x:/y\" for \"--volume\" flag: create ./x: \"./x\" "
                        "includes invalid characters for a local volume name, only "
                        "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                        "directory, use absolute path");
        expect_json_err("{\"HostConfig\":{\"Mounts\":[{\"Type\":\"nfs\",\"Target\":\"/x\"}]}}",
                        "invalid mount config for type \"nfs\": mount type unknown");
        expect_json_err("{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Target\":\"/x\"}]}}",
                        "invalid mount config for type \"bind\": field Source must not be empty");
        expect_json_err("{\"HostConfig\":{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/x\","
                        "\"BindOptions\":{}}]}}",
                        "HostConfig.Mounts[0]: options that don't match the type tmpfs");
        expect_json_err("{\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\","
                        "\"MaximumRetryCount\":2}}}",
                        "invalid argument \"always:2\" for \"--restart\" flag: invalid restart "
                        "policy: maximum retry count can only be used with 'on-failure'");
        expect_json_err("{\"Labels\":{\"a\":1}}", "Labels.a: expected a string");
        expect_json_err("{\"Cmd\":[1]}", "Cmd: expected an array of strings: Invalid argument");
        expect_json_err("{\"HostConfig\":{\"MemorySwap\":-5}}",
                        "HostConfig: negative Memory, MemorySwap or NanoCpus");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sizes),          cmocka_unit_test(test_cpus),
            cmocka_unit_test(test_signals),        cmocka_unit_test(test_volumes),
            cmocka_unit_test(test_mounts),         cmocka_unit_test(test_path_clean),
            cmocka_unit_test(test_ulimits),        cmocka_unit_test(test_restart),
            cmocka_unit_test(test_caps_security),  cmocka_unit_test(test_misc_flags),
            cmocka_unit_test(test_validate),       cmocka_unit_test(test_env),
            cmocka_unit_test(test_json_roundtrip), cmocka_unit_test(test_json_api_body),
            cmocka_unit_test(test_json_bad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
