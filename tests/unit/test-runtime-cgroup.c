/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of runtime/cgroup*: linux.resources parsing, the
 * conversions to cgroup v2 values, cgroupsPath checks, layout detection
 * from mountinfo text, save/load, and the eBPF device program (run here in
 * a small interpreter, since devices is a v1 controller on the test host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

static struct runtime_resources *parse_ok(const char *text)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_resources *r = NULL;
        assert_int_equal(util_json_load_string(text, strlen(text), "test", &j, &err), 0);
        int rc = runtime_resources_parse(j, &r, &err);
        if (rc < 0)
                fail_msg("unexpected error: %s", err->msg);
        return r;
}

/* Parsing fails, with a one-line message containing `needle`. */
static void parse_bad(const char *text, const char *needle)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_resources *r = NULL;
        assert_int_equal(util_json_load_string(text, strlen(text), "test", &j, &err), 0);
        assert_int_equal(runtime_resources_parse(j, &r, &err), -EINVAL);
        assert_null(r);
        assert_non_null(err);
        if (strstr(err->msg, needle) == NULL)
                fail_msg("error `%s` lacks `%s`", err->msg, needle);
        assert_null(strchr(err->msg, '\n'));
}

static void test_parse_full(void **state)
{
        struct runtime_resources *r = parse_ok(
            "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,"
            "\"swappiness\":10,\"disableOOMKiller\":true},"
            "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\","
            "\"mems\":\"0\",\"realtimeRuntime\":0,\"burst\":20000,\"idle\":0},"
            "\"pids\":{\"limit\":32},\"blockIO\":{\"weight\":500},"
            "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
            "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rw\"}],"
            "\"unified\":{\"memory.high\":\"50000000\",\"io.max\":\"8:0 rbps=1000\"}}");
        assert_int_equal(r->memory_limit, 67108864);
        assert_int_equal(r->memory_reservation, 33554432);
        assert_int_equal(r->memory_swap, 134217728);
        assert_int_equal(r->memory_swappiness, 10);
        assert_true(r->disable_oom_killer);
        assert_int_equal(r->cpu_shares, 512);
        assert_int_equal(r->cpu_quota, 50000);
        assert_int_equal(r->cpu_period, 100000);
        assert_int_equal(r->cpu_realtime_runtime, -1);
        assert_int_equal(r->cpu_realtime_period, -1);
        assert_int_equal(r->cpu_burst, 20000);
        assert_int_equal(r->cpu_idle, 0);
        assert_string_equal(r->cpu_cpus, "0-1");
        assert_string_equal(r->cpu_mems, "0");
        assert_int_equal(r->pids_limit, 32);
        assert_int_equal(r->blkio_weight, 500);
        /* Two given, then runc's default set. */
        assert_true(r->n_devices > 2);
        assert_false(r->devices[0].allow);
        assert_int_equal(r->devices[0].type, 'a');
        assert_int_equal(r->devices[0].major, -1);
        assert_string_equal(r->devices[0].access, "rwm");
        assert_true(r->devices[1].allow);
        assert_int_equal(r->devices[1].type, 'c');
        assert_int_equal(r->devices[1].major, 10);
        assert_int_equal(r->devices[1].minor, 229);
        assert_string_equal(r->devices[1].access, "rw");
        bool null_dev = false;
        for (size_t i = 2; i < r->n_devices; i++)
                null_dev |= r->devices[i].allow && r->devices[i].type == 'c' &&
                            r->devices[i].major == 1 && r->devices[i].minor == 3;
        assert_true(null_dev);
        assert_string_equal(r->unified_keys[0], "memory.high");
        assert_string_equal(r->unified_values[0], "50000000");
        assert_string_equal(r->unified_keys[1], "io.max");
        assert_null(r->unified_keys[2]);
        runtime_resources_free(r);
}

static void test_parse_unset(void **state)
{
        /* null, {} and the "unset" spellings (0, -1) all give unset. */
        const char *texts[] = {"{}", "{\"memory\":null}",
                               "{\"memory\":{\"limit\":-1,\"swap\":0},\"pids\":{\"limit\":0},"
                               "\"cpu\":{\"quota\":-1,\"shares\":0},\"devices\":[]}"};
        for (size_t i = 0; i < 3; i++) {
                struct runtime_resources *r = parse_ok(texts[i]);
                assert_int_equal(r->memory_limit, -1);
                assert_int_equal(r->memory_swap, -1);
                assert_int_equal(r->memory_swappiness, -1);
                assert_int_equal(r->pids_limit, -1);
                assert_int_equal(r->cpu_quota, -1);
                assert_int_equal(r->cpu_shares, -1);
                assert_int_equal(r->n_devices, 0);
                assert_null(r->unified_keys);
                assert_null(r->cpu_cpus);
                runtime_resources_free(r);
        }
        runtime_resources_free(NULL);
        _cleanup_error_ struct berth_error *err = NULL;
        struct runtime_resources *r = NULL;
        assert_int_equal(runtime_resources_parse(NULL, &r, &err), 0);
        assert_int_equal(r->memory_limit, -1);
        runtime_resources_free(r);
}

static void test_parse_bad(void **state)
{
        parse_bad("[]", "linux.resources: expected an object");
        parse_bad("{\"memory\":{\"limit\":-5}}", "linux.resources.memory.limit: must be >= -1");
        parse_bad("{\"memory\":{\"limit\":\"1g\"}}", "memory.limit: expected an integer");
        parse_bad("{\"memory\":{\"limit\":100,\"swap\":50}}", "must not be below memory.limit");
        parse_bad("{\"memory\":{\"swappiness\":101}}", "swappiness: must be 0..100");
        parse_bad("{\"memory\":{\"disableOOMKiller\":1}}", "expected a boolean");
        parse_bad("{\"cpu\":{\"shares\":-2}}", "cpu.shares: must be >= 0");
        parse_bad("{\"cpu\":{\"period\":10}}", "cpu.period: must be 1000..1000000");
        parse_bad("{\"cpu\":{\"quota\":10}}", "cpu.quota: must be >= 1000");
        parse_bad("{\"cpu\":{\"idle\":2}}", "cpu.idle: must be 0 or 1");
        parse_bad("{\"cpu\":{\"burst\":-1}}", "cpu.burst: must be >= 0");
        parse_bad("{\"cpu\":{\"cpus\":\"0\\n1\"}}", "cpu.cpus: not a list");
        parse_bad("{\"cpu\":{\"mems\":\"0; x\"}}", "cpu.mems");
        parse_bad("{\"pids\":{\"limit\":-3}}", "pids.limit: must be >= -1");
        parse_bad("{\"blockIO\":{\"weight\":5}}", "blockIO.weight: must be 10..1000");
        parse_bad("{\"devices\":[{\"type\":\"c\"}]}", "devices[0].allow: missing");
        parse_bad("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}", "devices[0].type: `x`");
        parse_bad("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}", "devices[0].access");
        parse_bad("{\"devices\":[{\"allow\":true,\"major\":-7}]}", "devices[0].major");
        parse_bad("{\"devices\":[7]}", "devices[0]: expected an object");
        parse_bad("{\"unified\":{\"foo.bar\":\"1\"}}", "unified: unknown key `foo.bar`");
        parse_bad("{\"unified\":{\"memorymax\":\"1\"}}", "unknown key `memorymax`");
        parse_bad("{\"unified\":{\"memory.max/../../x\":\"1\"}}", "unknown key");
        parse_bad("{\"unified\":{\"cgroup.procs\":\"1\"}}", "`cgroup.procs` is managed");
        parse_bad("{\"unified\":{\"memory.max\":1}}", "unified.memory.max: expected a string");
        parse_bad("{\"unified\":{\"memory.max\":\"1\\n2\"}}", "a newline");
}

static void test_parse_blkio_hugepages(void **state)
{
        struct runtime_resources *r =
            parse_ok("{\"blockIO\":{\"weight\":10,\"weightDevice\":[{\"major\":8,\"minor\":0,"
                     "\"weight\":300}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
                     "\"rate\":1048576},{\"major\":8,\"minor\":16,\"rate\":0}],"
                     "\"throttleWriteIOPSDevice\":[{\"major\":254,\"minor\":1,\"rate\":100}]},"
                     "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304},"
                     "{\"pageSize\":\"1GB\",\"limit\":0}]}");
        assert_int_equal(r->blkio_weight, 10);
        assert_int_equal(r->n_blkio_weight_device, 1);
        assert_int_equal(r->blkio_weight_device[0].major, 8);
        assert_int_equal(r->blkio_weight_device[0].value, 300);
        assert_int_equal(r->n_blkio_throttle[RUNTIME_THROTTLE_READ_BPS], 2);
        assert_int_equal(r->blkio_throttle[RUNTIME_THROTTLE_READ_BPS][0].value, 1048576);
        assert_int_equal(r->blkio_throttle[RUNTIME_THROTTLE_READ_BPS][1].minor, 16);
        assert_int_equal(r->blkio_throttle[RUNTIME_THROTTLE_READ_BPS][1].value, 0);
        assert_int_equal(r->n_blkio_throttle[RUNTIME_THROTTLE_WRITE_BPS], 0);
        assert_int_equal(r->n_blkio_throttle[RUNTIME_THROTTLE_WRITE_IOPS], 1);
        assert_int_equal(r->blkio_throttle[RUNTIME_THROTTLE_WRITE_IOPS][0].major, 254);
        assert_int_equal(r->n_hugepage_limits, 2);
        assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
        assert_int_equal(r->hugepage_limits[0].limit, 4194304);
        assert_string_equal(r->hugepage_limits[1].page_size, "1GB");
        assert_int_equal(r->hugepage_limits[1].limit, 0);
        runtime_resources_free(r);

        parse_bad("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":2}]}}",
                  "weightDevice[0].weight: must be >= 10");
        parse_bad("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"rate\":1}]}}",
                  "throttleReadBpsDevice[0]: major, minor and rate are required");
        parse_bad("{\"blockIO\":{\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,"
                  "\"rate\":-1}]}}",
                  "throttleWriteBpsDevice[0].rate: must be >= 0");
        parse_bad("{\"hugepageLimits\":[{\"pageSize\":\"../2MB\",\"limit\":1}]}",
                  "hugepageLimits[0].pageSize: expected a size like");
        parse_bad("{\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]}",
                  "hugepageLimits[0].limit: missing");
}

static void test_conversions(void **state)
{
        assert_int_equal(cgroup_shares_to_weight(2), 1);
        assert_int_equal(cgroup_shares_to_weight(1024), 39);
        assert_int_equal(cgroup_shares_to_weight(262144), 10000);
        /* Out of the v1 range: clamped as the v1 kernel does. */
        assert_int_equal(cgroup_shares_to_weight(1), 1);
        assert_int_equal(cgroup_shares_to_weight(1 << 30), 10000);

        assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
        assert_int_equal(cgroup_blkio_to_io_weight(500), 4950);
        assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);

        _cleanup_error_ struct berth_error *err = NULL;
        int64_t swap = 0;
        assert_int_equal(cgroup_swap_to_v2(100 << 20, 300 << 20, &swap, &err), 0);
        assert_int_equal(swap, 200 << 20);
        assert_int_equal(cgroup_swap_to_v2(100, 100, &swap, &err), 0);
        assert_int_equal(swap, 0);
        assert_int_equal(cgroup_swap_to_v2(100, -1, &swap, &err), 0);
        assert_int_equal(swap, -1);
        assert_int_equal(cgroup_swap_to_v2(-1, 100, &swap, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "memory.limit is not"));
}

static void test_cgroup_path(void **state)
{
        const char *good[][2] = {{"/berth/abc", "/berth/abc"},
                                 {"//a//b/", "/a/b"},
                                 {"rel/x", "/rel/x"},
                                 {"/a/.hidden/b..c", "/a/.hidden/b..c"}};
        for (size_t i = 0; i < 4; i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                _cleanup_free_ char *out = NULL;
                assert_int_equal(cgroup_path_normalize(good[i][0], &out, &err), 0);
                assert_string_equal(out, good[i][1]);
        }
        const char *bad[] = {"/a/../b", "..", "/a/./b", "/", "", "/a\nb", "sys:docker:x"};
        for (size_t i = 0; i < 7; i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                _cleanup_free_ char *out = NULL;
                assert_int_equal(cgroup_path_normalize(bad[i], &out, &err), -EINVAL);
                assert_null(out);
                assert_non_null(strstr(err->msg, "cgroupsPath"));
        }
}

static void test_systemd_path(void **state)
{
        const char *good[][2] = {
            {"kubepods-burstable-pod12.slice:cri-containerd:abc",
             "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/"
             "cri-containerd-abc.scope"},
            {"system.slice:docker:f00", "/system.slice/docker-f00.scope"},
            {":berth:x", "/system.slice/berth-x.scope"},
            {"-.slice::x", "/x.scope"},
            {"user.slice::x", "/user.slice/x.scope"}};
        for (size_t i = 0; i < 5; i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                _cleanup_free_ char *out = NULL;
                assert_int_equal(cgroup_path_from_systemd(good[i][0], &out, &err), 0);
                assert_string_equal(out, good[i][1]);
        }
        const char *bad[] = {"a.slice:b",     "a.slice:b:c:d",  "a:p:n",          "a.slice:p:..",
                             "a.slice:p:x/y", "../a.slice:p:n", "a--b.slice:p:n", "-a.slice:p:n",
                             "a-.slice:p:n",  "a.slice:p/q:n"};
        for (size_t i = 0; i < 10; i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                _cleanup_free_ char *out = NULL;
                assert_int_equal(cgroup_path_from_systemd(bad[i], &out, &err), -EINVAL);
                assert_null(out);
                assert_non_null(strstr(err->msg, "cgroupsPath"));
        }
}

static const char hybrid_mountinfo[] =
    "23 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/x,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    /* Elsewhere, or the same hierarchy again: ignored. */
    "50 1 0:32 / /mnt/memory rw - cgroup cgroup rw,memory\n"
    "51 31 0:32 / /sys/fs/cgroup/memory2 rw - cgroup cgroup rw,memory\n";

static void test_layout(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        enum cgroup_layout l;
        struct cgroup_mount *m;
        size_t n;

        assert_int_equal(cgroup_layout_parse(hybrid_mountinfo, &l, &m, &n, &err), 0);
        assert_int_equal(l, CGROUP_LAYOUT_HYBRID);
        assert_int_equal(n, 5);
        assert_string_equal(m[0].name, "cpu");
        assert_string_equal(m[0].mount, "/sys/fs/cgroup/cpu");
        assert_string_equal(m[3].name, "name=systemd");
        assert_string_equal(m[4].name, "");
        assert_true(m[4].v2);
        assert_string_equal(m[4].mount, "/sys/fs/cgroup/unified");
        cgroup_mounts_free(m, n);

        const char *v2 = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        assert_int_equal(cgroup_layout_parse(v2, &l, &m, &n, &err), 0);
        assert_int_equal(l, CGROUP_LAYOUT_V2);
        assert_int_equal(n, 1);
        assert_string_equal(m[0].mount, "/sys/fs/cgroup");
        cgroup_mounts_free(m, n);

        const char *v1 = "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
                         "rw,cpu,cpuacct\n"
                         "33 31 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
        assert_int_equal(cgroup_layout_parse(v1, &l, &m, &n, &err), 0);
        assert_int_equal(l, CGROUP_LAYOUT_V1);
        assert_int_equal(n, 2);
        assert_string_equal(m[0].name, "cpu,cpuacct");
        assert_string_equal(m[0].mount, "/sys/fs/cgroup/cpu,cpuacct");
        cgroup_mounts_free(m, n);

        /* v2 at the root wins over a stray v1 mount beside it. */
        const char *v2_stray = "29 23 0:40 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
                               "rw,name=systemd\n"
                               "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assert_int_equal(cgroup_layout_parse(v2_stray, &l, &m, &n, &err), 0);
        assert_int_equal(l, CGROUP_LAYOUT_V2);
        assert_int_equal(n, 1);
        assert_true(m[0].v2);
        assert_string_equal(m[0].mount, "/sys/fs/cgroup");
        cgroup_mounts_free(m, n);

        /* systemd's "hybrid" with only name=systemd in v1. */
        const char *sd_hybrid = "29 23 0:40 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
                                "rw,xattr,name=systemd\n"
                                "30 23 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        assert_int_equal(cgroup_layout_parse(sd_hybrid, &l, &m, &n, &err), 0);
        assert_int_equal(l, CGROUP_LAYOUT_HYBRID);
        assert_int_equal(n, 2);
        cgroup_mounts_free(m, n);
        assert_int_equal(
            cgroup_layout_parse("1 0 0:1 / / rw - ext4 /dev/sda rw\n", &l, &m, &n, &err), -ENOENT);
        assert_non_null(strstr(err->msg, "no cgroup hierarchy"));
}

static void test_save_load(void **state)
{
        _cleanup_error_ struct berth_error *err = NULL;
        const char *text =
            "{\"layout\":\"hybrid\",\"hierarchies\":["
            "{\"name\":\"memory\",\"mount\":\"/sys/fs/cgroup/memory\",\"path\":\"/berth/c1\","
            "\"v2\":false},"
            "{\"name\":\"\",\"mount\":\"/sys/fs/cgroup/unified\",\"path\":\"/berth/c1\","
            "\"v2\":true}]}";
        _cleanup_json_ json_t *j = NULL, *again = NULL;
        _cleanup_cgroup_ struct runtime_cgroup *cg = NULL;
        assert_int_equal(util_json_load_string(text, strlen(text), "t", &j, &err), 0);
        assert_int_equal(runtime_cgroup_load(j, &cg, &err), 0);
        again = runtime_cgroup_save(cg);
        assert_true(json_equal(j, again));

        struct runtime_cgroup_mount *m;
        size_t n;
        assert_int_equal(runtime_cgroup_mounts(cg, &m, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(m[0].name, "memory");
        assert_string_equal(m[0].host_dir, "/sys/fs/cgroup/memory/berth/c1");
        assert_string_equal(m[1].name, "");
        assert_string_equal(m[1].host_dir, "/sys/fs/cgroup/unified/berth/c1");
        runtime_cgroup_mounts_free(m, n);

        const char *bad[] = {
            "{}", "{\"layout\":\"v3\",\"hierarchies\":[]}",
            "{\"layout\":\"v2\",\"hierarchies\":[{\"name\":\"\",\"mount\":\"/sys/fs/cgroup\","
            "\"path\":\"/a/../../etc\",\"v2\":true}]}",
            "{\"layout\":\"v2\",\"hierarchies\":[{\"name\":\"\",\"mount\":\"rel\","
            "\"path\":\"/a\",\"v2\":true}]}"};
        for (size_t i = 0; i < 4; i++) {
                _cleanup_error_ struct berth_error *e = NULL;
                _cleanup_json_ json_t *b = NULL;
                struct runtime_cgroup *x = NULL;
                assert_int_equal(util_json_load_string(bad[i], strlen(bad[i]), "t", &b, &e), 0);
                assert_int_equal(runtime_cgroup_load(b, &x, &e), -EINVAL);
                assert_null(x);
                assert_non_null(strstr(e->msg, "saved cgroup"));
        }
}

/* A tiny interpreter for exactly the instructions the generator emits;
 * anything else fails the test, as would a read of an unset register or
 * a backward jump (the verifier's own rules). */
static int run_bpf(const struct bpf_insn *p, size_t len, int type, int acc, uint32_t major,
                   uint32_t minor)
{
        uint32_t ctx[3] = {(uint32_t)type | ((uint32_t)acc << 16), major, minor};
        uint64_t r[11] = {0};
        unsigned set = 1u << 1;
        for (size_t pc = 0; pc < len; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint8_t cls = BPF_CLASS(i->code);
                bool reads_src = i->code == (BPF_ALU | BPF_MOV | BPF_X) ||
                                 i->code == (BPF_LDX | BPF_MEM | BPF_W);
                bool reads_dst = cls == BPF_JMP32 || i->code == (BPF_ALU | BPF_AND | BPF_K) ||
                                 i->code == (BPF_ALU | BPF_RSH | BPF_K);
                if ((reads_src && !(set & (1u << i->src_reg))) ||
                    (reads_dst && !(set & (1u << i->dst_reg))))
                        fail_msg("insn %zu reads an unset register", pc);
                assert_true(i->off >= 0);
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        assert_int_equal(i->src_reg, 1);
                        assert_true(i->off % 4 == 0 && i->off <= 8);
                        r[i->dst_reg] = ctx[i->off / 4];
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                        r[i->dst_reg] = (uint32_t)r[i->src_reg];
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
                        break;
                case BPF_JMP32 | BPF_JNE | BPF_K:
                        if ((uint32_t)r[i->dst_reg] != (uint32_t)i->imm)
                                pc += i->off;
                        break;
                case BPF_JMP32 | BPF_JEQ | BPF_K:
                        if ((uint32_t)r[i->dst_reg] == (uint32_t)i->imm)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_EXIT:
                        if (!(set & 1u))
                                fail_msg("exit with r0 unset");
                        return (int)r[0];
                default:
                        fail_msg("unexpected opcode 0x%02x at %zu", i->code, pc);
                }
                if (cls == BPF_LDX || cls == BPF_ALU || cls == BPF_ALU64)
                        set |= 1u << i->dst_reg;
        }
        fail_msg("fell off the end of the program");
        return -1;
}

#define R  BPF_DEVCG_ACC_READ
#define Wr BPF_DEVCG_ACC_WRITE
#define M  BPF_DEVCG_ACC_MKNOD
#define C  BPF_DEVCG_DEV_CHAR
#define B  BPF_DEVCG_DEV_BLOCK

static void test_device_program(void **state)
{
        struct runtime_device_rule rules[] = {
            {false, 'a', -1, -1, "rwm"}, /* deny all */
            {true, 'c', 1, 3, "rwm"},    /* /dev/null */
            {true, 'c', 136, -1, "rwm"}, /* every pts */
            {true, 'c', 1, 5, "r"},      /* /dev/zero, read only */
            {true, 'a', 10, -1, "rwm"},  /* major 10 of either type */
            {false, 'c', 1, 3, "w"},     /* then no writes to /dev/null */
            {true, 'b', -1, -1, "m"},    /* mknod of any block device */
        };
        struct bpf_insn *p;
        size_t len;
        cgroup_devices_program(rules, 7, &p, &len);

        /* Structure: the context loads first, every jump forward and
         * inside the program; the leading "deny all", tested last, ends it
         * (anything after it would be unreachable, which the verifier
         * refuses). */
        assert_int_equal(p[0].code, BPF_LDX | BPF_MEM | BPF_W);
        assert_int_equal(p[len - 1].code, BPF_JMP | BPF_EXIT);
        assert_int_equal(p[len - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
        assert_int_equal(p[len - 2].imm, 0);
        for (size_t i = 0; i < len; i++)
                if (BPF_CLASS(p[i].code) == BPF_JMP32)
                        assert_true(i + 1 + p[i].off < len);

        assert_int_equal(run_bpf(p, len, C, R, 1, 3), 1);
        assert_int_equal(run_bpf(p, len, C, R | M, 1, 3), 1);
        assert_int_equal(run_bpf(p, len, C, Wr, 1, 3), 0);
        assert_int_equal(run_bpf(p, len, C, R | Wr, 1, 3), 0);
        assert_int_equal(run_bpf(p, len, C, R | Wr, 136, 7), 1);
        assert_int_equal(run_bpf(p, len, C, R, 1, 5), 1);
        assert_int_equal(run_bpf(p, len, C, R | Wr, 1, 5), 0);
        assert_int_equal(run_bpf(p, len, C, R, 1, 8), 0);
        assert_int_equal(run_bpf(p, len, B, R, 8, 0), 0);
        assert_int_equal(run_bpf(p, len, B, M, 8, 0), 1);
        assert_int_equal(run_bpf(p, len, B, R | Wr, 10, 1), 1);
        assert_int_equal(run_bpf(p, len, C, R | Wr, 10, 200), 1);
        assert_int_equal(run_bpf(p, len, C, R, 0xffffffffu, 3), 0);
        free(p);

        /* No rules: everything allowed, in two instructions after the loads. */
        cgroup_devices_program(NULL, 0, &p, &len);
        assert_int_equal(len, 9);
        assert_int_equal(run_bpf(p, len, B, R | Wr | M, 8, 0), 1);
        free(p);

        /* Parsed rules: deny all plus runc's defaults. */
        struct runtime_resources *r =
            parse_ok("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
        cgroup_devices_program(r->devices, r->n_devices, &p, &len);
        assert_int_equal(run_bpf(p, len, C, R | Wr, 1, 3), 1);
        assert_int_equal(run_bpf(p, len, C, R | Wr, 5, 2), 1);
        assert_int_equal(run_bpf(p, len, C, M, 4, 64), 1);
        assert_int_equal(run_bpf(p, len, C, R, 4, 64), 0);
        assert_int_equal(run_bpf(p, len, B, R, 8, 0), 0);
        free(p);
        runtime_resources_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_full),
            cmocka_unit_test(test_parse_unset),
            cmocka_unit_test(test_parse_bad),
            cmocka_unit_test(test_conversions),
            cmocka_unit_test(test_parse_blkio_hugepages),
            cmocka_unit_test(test_cgroup_path),
            cmocka_unit_test(test_systemd_path),
            cmocka_unit_test(test_layout),
            cmocka_unit_test(test_save_load),
            cmocka_unit_test(test_device_program),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
