/* SPDX-License-Identifier: Apache-2.0 */
/* Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program,
 * assembled here from the rules and attached with bpf(2). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/*
 * The program sees struct bpf_cgroup_dev_ctx in r1: access_type (device
 * type in the low 16 bits, BPF_DEVCG_ACC_* bits in the high 16), major,
 * minor.  It loads them into w3 (type), w4 (access), w5 (major), w6
 * (minor), then tests the rules from the last to the first: the first rule
 * that matches decides (r0 = 1 allow, 0 deny).  That is the state the v1
 * list reaches when the rules are written in order.  A request no rule
 * matches is allowed, as in a fresh v1 cgroup.
 *
 * An allow rule matches when it covers every access asked for; a deny rule
 * when it covers any of them.
 */

struct prog {
        struct bpf_insn *insns;
        size_t len;
};

static size_t emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        p->insns = xrealloc(p->insns, (p->len + 1) * sizeof(*p->insns));
        p->insns[p->len] =
            (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
        return p->len++;
}

static int32_t access_bits(const char *access)
{
        int32_t bits = 0;
        bits |= strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0;
        bits |= strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0;
        bits |= strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0;
        return bits;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* Returns false when the rule matches every request: nothing after it can
 * run (and the verifier refuses unreachable instructions). */
static bool emit_rule(struct prog *p, const struct runtime_device_rule *r)
{
        size_t jumps[8], nj = 0;
        int32_t acc = access_bits(r->access);

        if (r->type != 'a')
                jumps[nj++] = emit(p, BPF_JMP32 | BPF_JNE | BPF_K, 3, 0, 0,
                                   r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
        if (acc != ACC_ALL) {
                emit(p, BPF_ALU | BPF_MOV | BPF_X, 7, 4, 0, 0);
                if (r->allow) {
                        /* Anything asked beyond the rule: not this rule. */
                        emit(p, BPF_ALU | BPF_AND | BPF_K, 7, 0, 0, ~acc & ACC_ALL);
                        jumps[nj++] = emit(p, BPF_JMP32 | BPF_JNE | BPF_K, 7, 0, 0, 0);
                } else {
                        emit(p, BPF_ALU | BPF_AND | BPF_K, 7, 0, 0, acc);
                        jumps[nj++] = emit(p, BPF_JMP32 | BPF_JEQ | BPF_K, 7, 0, 0, 0);
                }
        }
        if (r->major >= 0)
                jumps[nj++] = emit(p, BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)r->major);
        if (r->minor >= 0)
                jumps[nj++] = emit(p, BPF_JMP32 | BPF_JNE | BPF_K, 6, 0, 0, (int32_t)r->minor);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        /* Each failed test jumps to the next rule, i.e. here. */
        for (size_t i = 0; i < nj; i++)
                p->insns[jumps[i]].off = (int16_t)(p->len - jumps[i] - 1);
        return nj > 0;
}

void cgroup_devices_program(const struct runtime_device_rule *rules, size_t n,
                            struct bpf_insn **out, size_t *len)
{
        struct prog p = {0};
        emit(&p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0); /* access_type */
        emit(&p, BPF_ALU | BPF_MOV | BPF_X, 3, 2, 0, 0);
        emit(&p, BPF_ALU | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
        emit(&p, BPF_ALU | BPF_MOV | BPF_X, 4, 2, 0, 0);
        emit(&p, BPF_ALU | BPF_RSH | BPF_K, 4, 0, 0, 16);
        emit(&p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 4, 0); /* major */
        emit(&p, BPF_LDX | BPF_MEM | BPF_W, 6, 1, 8, 0); /* minor */
        for (size_t i = n; i > 0; i--)
                if (rules[i - 1].access[0] != '\0' && !emit_rule(&p, &rules[i - 1]))
                        goto done;
        emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
        emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
done:
        *out = p.insns;
        *len = p.len;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The ids of the device programs attached to cgfd now. */
static int query(int cgfd, uint32_t *ids, uint32_t *n)
{
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.query.target_fd = (uint32_t)cgfd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uint64_t)(uintptr_t)ids;
        a.query.prog_cnt = *n;
        if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
                return -errno;
        *n = a.query.prog_cnt;
        return 0;
}

int cgroup_v2_devices_apply(const char *dir, const struct runtime_device_rule *rules, size_t n,
                            struct berth_error **err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_free_ char *log = xcalloc(1, 65536);
        size_t len;
        uint32_t old[64], n_old = 64;
        union bpf_attr a;

        cgroup_devices_program(rules, n, &insns, &len);
        _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                return berth_err(err, errno, "opening cgroup `%s`", dir);
        if (query(cgfd, old, &n_old) < 0)
                n_old = 0;

        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        a.insns = (uint64_t)(uintptr_t)insns;
        a.insn_cnt = (uint32_t)len;
        a.license = (uint64_t)(uintptr_t) "Apache-2.0";
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = 65536;
        a.log_level = 1;
        _cleanup_close_ int progfd = sys_bpf(BPF_PROG_LOAD, &a);
        if (progfd < 0) {
                int e = errno;
                log[strcspn(log, "\n")] = '\0';
                return berth_err(err, e, "loading the device rules as eBPF (%zu rules): %.200s", n,
                                 log);
        }

        /* Attach the new program before detaching the old ones, so that
         * there is no instant with no rules at all. */
        memset(&a, 0, sizeof(a));
        a.target_fd = (uint32_t)cgfd;
        a.attach_bpf_fd = (uint32_t)progfd;
        a.attach_type = BPF_CGROUP_DEVICE;
        a.attach_flags = BPF_F_ALLOW_MULTI;
        if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
                return berth_err(err, errno, "attaching the device program to `%s`", dir);
        for (uint32_t i = 0; i < n_old; i++) {
                memset(&a, 0, sizeof(a));
                a.prog_id = old[i];
                _cleanup_close_ int oldfd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
                if (oldfd < 0)
                        continue;
                memset(&a, 0, sizeof(a));
                a.target_fd = (uint32_t)cgfd;
                a.attach_bpf_fd = (uint32_t)oldfd;
                a.attach_type = BPF_CGROUP_DEVICE;
                if (sys_bpf(BPF_PROG_DETACH, &a) < 0)
                        return berth_err(err, errno, "detaching the old device program of `%s`",
                                         dir);
        }
        return 0;
}
