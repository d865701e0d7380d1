/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

/*
 * The profile is parsed into plain values first and loaded later, in the
 * container's init, where an error is expensive to report.  Everything a
 * profile can get wrong is therefore caught here, at parse time.
 */

struct named {
        const char *name;
        uint32_t value;
};

/* SCMP_ACT_ERRNO and SCMP_ACT_TRACE take their code later; 0 here. */
static const struct named actions[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
};

static const struct named ops[] = {
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    {"SCMP_CMP_NE", SCMP_CMP_NE},
};

static const struct named archs[] = {
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
};

enum { FLAG_TSYNC, FLAG_LOG, FLAG_SPEC_ALLOW };
static const struct named flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", FLAG_SPEC_ALLOW},
};

const char *const runtime_seccomp_action_names[] = {
    "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
    "SCMP_ACT_TRACE",        "SCMP_ACT_TRAP",        NULL,
};
const char *const runtime_seccomp_op_names[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};
const char *const runtime_seccomp_arch_names[] = {
    "SCMP_ARCH_AARCH64",   "SCMP_ARCH_ARM",      "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_PPC",      "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_RISCV64",  "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",
    "SCMP_ARCH_X32",       "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",   NULL,
};
const char *const runtime_seccomp_flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    NULL,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const struct named *table, size_t n, const char *name, uint32_t *out)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i].name, name) == 0) {
                        *out = table[i].value;
                        return 1;
                }
        return 0;
}

/* name + optional errnoRet -> a complete SCMP_ACT_* value. */
static int parse_action(const char *name, bool has_ret, int64_t ret, const char *what,
                        uint32_t *out, struct berth_error **err)
{
        uint32_t a;
        if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
                return berth_err(err, ENOTSUP, "%s: SCMP_ACT_NOTIFY is not supported by berth",
                                 what);
        if (!lookup(actions, N(actions), name, &a))
                return berth_err(err, EINVAL, "%s: unknown seccomp action `%s`", what, name);
        bool takes_ret = a == SCMP_ACT_ERRNO(0) || a == SCMP_ACT_TRACE(0);
        if (has_ret && !takes_ret)
                return berth_err(err, EINVAL,
                                 "%s: errnoRet is only valid with SCMP_ACT_ERRNO or "
                                 "SCMP_ACT_TRACE, not `%s`",
                                 what, name);
        if (has_ret && (ret < 0 || ret > 0xffff))
                return berth_err(err, ERANGE, "%s: errnoRet %lld out of range", what,
                                 (long long)ret);
        if (takes_ret)
                /* runc's default for both is EPERM. */
                a |= (uint32_t)(has_ret ? ret : EPERM);
        *out = a;
        return 0;
}

static void syscall_clear(struct runtime_seccomp_syscall *sc)
{
        strv_free(sc->names);
        free(sc->nrs);
        free(sc->args);
}

void runtime_seccomp_free(struct runtime_seccomp *s)
{
        if (s == NULL)
                return;
        for (size_t i = 0; i < s->n_syscalls; i++)
                syscall_clear(&s->syscalls[i]);
        free(s->syscalls);
        free(s->archs);
        free(s);
}

void runtime_seccomp_freep(struct runtime_seccomp **s)
{
        runtime_seccomp_free(*s);
}

static int parse_arg(json_t *j, const char *what, struct runtime_seccomp_arg *out,
                     struct berth_error **err)
{
        int64_t index, value, value_two = 0;
        const char *op;
        int r;
        uint32_t opv;

        if (!json_is_object(j))
                return berth_err(err, EINVAL, "%s: expected an object", what);
        r = util_json_int(j, "index", what, &index, err);
        if (r < 0)
                return r;
        if (r == 0)
                return berth_err(err, EINVAL, "%s: index is required", what);
        if (index < 0 || index > 5)
                return berth_err(err, EINVAL, "%s: index %lld out of range 0-5", what,
                                 (long long)index);
        r = util_json_int(j, "value", what, &value, err);
        if (r < 0)
                return r;
        if (r == 0)
                return berth_err(err, EINVAL, "%s: value is required", what);
        if (util_json_int(j, "valueTwo", what, &value_two, err) < 0)
                return berth_err_ret(*err);
        r = util_json_string(j, "op", what, &op, err);
        if (r < 0)
                return r;
        if (r == 0)
                return berth_err(err, EINVAL, "%s: op is required", what);
        if (!lookup(ops, N(ops), op, &opv))
                return berth_err(err, EINVAL, "%s: unknown seccomp operator `%s`", what, op);

        /* JSON (jansson) integers are signed 64-bit: a negative value is
         * taken as its two's complement, so -1 matches 0xffffffffffffffff. */
        out->index = (unsigned int)index;
        out->value = (uint64_t)value;
        out->value_two = (uint64_t)value_two;
        out->op = (int)opv;
        return 0;
}

static int parse_syscall(json_t *j, size_t i, struct runtime_seccomp_syscall *sc,
                         struct berth_error **err)
{
        _cleanup_free_ char *what = xasprintf("linux.seccomp.syscalls[%zu]", i);
        _cleanup_strv_ char **names = NULL;
        const char *action;
        int64_t ret = 0;
        json_t *args = NULL;
        int r, has_ret;

        if (!json_is_object(j))
                return berth_err(err, EINVAL, "%s: expected an object", what);
        r = util_json_strv(j, "names", what, &names, err);
        if (r < 0)
                return r;
        if (r == 0 || names[0] == NULL)
                return berth_err(err, EINVAL, "%s: names must list at least one syscall", what);
        r = util_json_string(j, "action", what, &action, err);
        if (r < 0)
                return r;
        if (r == 0)
                return berth_err(err, EINVAL, "%s: action is required", what);
        has_ret = util_json_int(j, "errnoRet", what, &ret, err);
        if (has_ret < 0)
                return has_ret;
        if (parse_action(action, has_ret, ret, what, &sc->action, err) < 0)
                return berth_err_ret(*err);

        if (util_json_array(j, "args", what, &args, err) < 0)
                return berth_err_ret(*err);
        if (args != NULL && json_array_size(args) > 0) {
                sc->n_args = json_array_size(args);
                sc->args = xcalloc(sc->n_args, sizeof(*sc->args));
                for (size_t k = 0; k < sc->n_args; k++) {
                        _cleanup_free_ char *w = xasprintf("%s.args[%zu]", what, k);
                        if (parse_arg(json_array_get(args, k), w, &sc->args[k], err) < 0)
                                return berth_err_ret(*err);
                }
        }

        /* As runc: a name this libseccomp does not know is skipped, so one
         * profile serves kernels and libraries of different ages. */
        size_t n = strv_len(names);
        sc->nrs = xcalloc(n, sizeof(*sc->nrs));
        for (size_t k = 0; k < n; k++) {
                int nr = seccomp_syscall_resolve_name(names[k]);
                if (nr == __NR_SCMP_ERROR) {
                        log_debug("seccomp: skipping unknown syscall `%s`", names[k]);
                        continue;
                }
                sc->nrs[sc->n_nrs++] = nr;
                strv_append(&sc->names, names[k]);
        }
        return 0;
}

int runtime_seccomp_parse(json_t *seccomp, struct runtime_seccomp **out, struct berth_error **err)
{
        _cleanup_seccomp_ struct runtime_seccomp *s = NULL;
        _cleanup_strv_ char **arch_names = NULL, **flag_names = NULL;
        const char *what = "linux.seccomp", *def, *listener = NULL;
        json_t *syscalls = NULL;
        int64_t ret = 0;
        int r, has_ret;

        *out = NULL;
        if (seccomp == NULL || json_is_null(seccomp))
                return 0;
        if (!json_is_object(seccomp))
                return berth_err(err, EINVAL, "%s: expected an object", what);

        s = xcalloc(1, sizeof(*s));
        r = util_json_string(seccomp, "defaultAction", what, &def, err);
        if (r < 0)
                return r;
        if (r == 0)
                return berth_err(err, EINVAL, "%s: defaultAction is required", what);
        has_ret = util_json_int(seccomp, "defaultErrnoRet", what, &ret, err);
        if (has_ret < 0)
                return has_ret;
        if (parse_action(def, has_ret, ret, "linux.seccomp.defaultAction", &s->default_action,
                         err) < 0)
                return berth_err_ret(*err);

        if (util_json_string(seccomp, "listenerPath", what, &listener, err) < 0)
                return berth_err_ret(*err);
        if (listener != NULL && listener[0] != '\0')
                return berth_err(err, ENOTSUP,
                                 "%s: listenerPath (seccomp notify) is not supported by berth",
                                 what);

        if (util_json_strv(seccomp, "architectures", what, &arch_names, err) < 0)
                return berth_err_ret(*err);
        s->n_archs = strv_len(arch_names);
        s->archs = xcalloc(s->n_archs + 1, sizeof(*s->archs));
        for (size_t i = 0; i < s->n_archs; i++)
                if (!lookup(archs, N(archs), arch_names[i], &s->archs[i]))
                        return berth_err(err, EINVAL, "%s: unknown architecture `%s`", what,
                                         arch_names[i]);

        if (util_json_strv(seccomp, "flags", what, &flag_names, err) < 0)
                return berth_err_ret(*err);
        for (size_t i = 0; flag_names != NULL && flag_names[i] != NULL; i++) {
                uint32_t f;
                if (!lookup(flags, N(flags), flag_names[i], &f))
                        return berth_err(err, EINVAL, "%s: unsupported seccomp flag `%s`", what,
                                         flag_names[i]);
                s->flag_tsync |= f == FLAG_TSYNC;
                s->flag_log |= f == FLAG_LOG;
                s->flag_spec_allow |= f == FLAG_SPEC_ALLOW;
        }

        if (util_json_array(seccomp, "syscalls", what, &syscalls, err) < 0)
                return berth_err_ret(*err);
        if (syscalls != NULL) {
                size_t n = json_array_size(syscalls);
                s->syscalls = xcalloc(n + 1, sizeof(*s->syscalls));
                for (size_t i = 0; i < n; i++) {
                        /* Counted before parsing so a half-parsed entry is freed. */
                        s->n_syscalls++;
                        if (parse_syscall(json_array_get(syscalls, i), i, &s->syscalls[i], err) < 0)
                                return berth_err_ret(*err);
                }
        }
        *out = steal_pointer(&s);
        return 0;
}

static void release_ctx(scmp_filter_ctx *ctx)
{
        if (*ctx != NULL)
                seccomp_release(*ctx);
}

static bool indexes_distinct(const struct runtime_seccomp_syscall *sc)
{
        for (size_t i = 0; i < sc->n_args; i++)
                for (size_t k = i + 1; k < sc->n_args; k++)
                        if (sc->args[i].index == sc->args[k].index)
                                return false;
        return true;
}

static struct scmp_arg_cmp to_cmp(const struct runtime_seccomp_arg *a)
{
        return (struct scmp_arg_cmp){
            .arg = a->index,
            .op = (enum scmp_compare)a->op,
            .datum_a = a->value,
            .datum_b = a->value_two,
        };
}

static int add_rules(scmp_filter_ctx ctx, const struct runtime_seccomp_syscall *sc,
                     struct berth_error **err)
{
        struct scmp_arg_cmp cmp[6];
        bool together = indexes_distinct(sc);
        int r;

        for (size_t i = 0; i < sc->n_nrs; i++) {
                if (sc->n_args == 0) {
                        r = seccomp_rule_add_array(ctx, sc->action, sc->nrs[i], 0, NULL);
                } else if (together) {
                        /* Distinct indexes, at most 6 (checked at parse): one rule whose
                         * conditions must all hold. */
                        for (size_t k = 0; k < sc->n_args; k++)
                                cmp[k] = to_cmp(&sc->args[k]);
                        r = seccomp_rule_add_array(ctx, sc->action, sc->nrs[i],
                                                   (unsigned int)sc->n_args, cmp);
                } else {
                        /* libseccomp refuses two conditions on one argument in a
                         * rule; like runc, each condition becomes its own rule, so
                         * they combine with OR. */
                        r = 0;
                        for (size_t k = 0; k < sc->n_args && r == 0; k++) {
                                cmp[0] = to_cmp(&sc->args[k]);
                                r = seccomp_rule_add_array(ctx, sc->action, sc->nrs[i], 1, cmp);
                        }
                }
                if (r < 0)
                        return berth_err(err, -r, "adding seccomp rule for `%s`", sc->names[i]);
        }
        return 0;
}

/* The filter as libseccomp builds it, from the parsed profile. */
static int build_ctx(const struct runtime_seccomp *s, scmp_filter_ctx *out,
                     struct berth_error **err)
{
        __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
        int r;

        ctx = seccomp_init(s->default_action);
        if (ctx == NULL)
                return berth_err(err, EINVAL, "initializing seccomp filter");

        /* Flags go to seccomp(2) directly (see runtime_seccomp_bpf_load);
         * here only what shapes the program matters. */
        for (size_t i = 0; i < s->n_archs; i++) {
                r = seccomp_arch_add(ctx, s->archs[i]);
                /* The native architecture is already in a new filter. */
                if (r < 0 && r != -EEXIST)
                        return berth_err(err, -r, "adding seccomp architecture %#x", s->archs[i]);
        }

        for (size_t i = 0; i < s->n_syscalls; i++) {
                const struct runtime_seccomp_syscall *sc = &s->syscalls[i];
                /* libseccomp rejects a rule that repeats the default action;
                 * it would change nothing anyway. */
                if (sc->action == s->default_action) {
                        log_debug("seccomp: syscalls[%zu] repeats the default action, skipped", i);
                        continue;
                }
                if (add_rules(ctx, sc, err) < 0)
                        return berth_err_ret(*err);
        }
        *out = steal_pointer(&ctx);
        return 0;
}

struct runtime_seccomp_bpf {
        struct sock_filter *insns;
        unsigned short len;
        unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
};

void runtime_seccomp_bpf_free(struct runtime_seccomp_bpf *bpf)
{
        if (bpf == NULL)
                return;
        free(bpf->insns);
        free(bpf);
}

void runtime_seccomp_bpf_freep(struct runtime_seccomp_bpf **bpf)
{
        runtime_seccomp_bpf_free(*bpf);
}

static unsigned int flags_of(const struct runtime_seccomp *s)
{
        return (s->flag_tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0) |
               (s->flag_log ? SECCOMP_FILTER_FLAG_LOG : 0) |
               (s->flag_spec_allow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0);
}

int runtime_seccomp_compile(const struct runtime_seccomp *s, struct runtime_seccomp_bpf **out,
                            struct berth_error **err)
{
        __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
        _cleanup_seccomp_bpf_ struct runtime_seccomp_bpf *bpf = NULL;
        _cleanup_close_ int fd = -1;
        off_t size;
        int r;

        *out = NULL;
        if (s == NULL)
                return 0;
        if (build_ctx(s, &ctx, err) < 0)
                return berth_err_ret(*err);

        /* libseccomp 2.5 exports only to an fd: a memfd keeps it in memory. */
        fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "creating a memfd for the seccomp filter");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return berth_err(err, -r, "generating the seccomp filter");
        size = lseek(fd, 0, SEEK_END);
        if (size < 0)
                return berth_err(err, errno, "sizing the seccomp filter");
        if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0)
                return berth_err(err, EINVAL, "seccomp filter of %lld bytes is malformed",
                                 (long long)size);
        size_t n = (size_t)size / sizeof(struct sock_filter);
        if (n > BPF_MAXINSNS)
                return berth_err(err, E2BIG,
                                 "seccomp filter of %zu instructions exceeds the kernel's %d", n,
                                 BPF_MAXINSNS);

        bpf = xcalloc(1, sizeof(*bpf));
        bpf->insns = xmalloc((size_t)size);
        bpf->len = (unsigned short)n;
        if (pread(fd, bpf->insns, (size_t)size, 0) != size)
                return berth_err(err, errno ? errno : EIO, "reading the seccomp filter back");
        bpf->flags = flags_of(s);
        *out = steal_pointer(&bpf);
        return 0;
}

/* ---- the cache ---- */

struct key {
        unsigned char *buf;
        size_t len, cap;
};

static void key_add(struct key *k, const void *p, size_t n)
{
        if (k->len + n > k->cap) {
                k->cap = (k->len + n) * 2;
                k->buf = xrealloc(k->buf, k->cap);
        }
        memcpy(k->buf + k->len, p, n);
        k->len += n;
}

static void key_u64(struct key *k, uint64_t v)
{
        key_add(k, &v, sizeof(v));
}

/* Everything build_ctx and libseccomp make the program from, in order.
 * The flags are not: they go to seccomp(2) beside the program. */
static void make_key(const struct runtime_seccomp *s, struct key *k)
{
        const struct scmp_version *v = seccomp_version();
        key_add(k, "berth-seccomp-1", 16);
        key_u64(k, v ? v->major : 0);
        key_u64(k, v ? v->minor : 0);
        key_u64(k, v ? v->micro : 0);
        key_u64(k, seccomp_arch_native());
        key_u64(k, s->default_action);
        key_u64(k, s->n_archs);
        for (size_t i = 0; i < s->n_archs; i++)
                key_u64(k, s->archs[i]);
        key_u64(k, s->n_syscalls);
        for (size_t i = 0; i < s->n_syscalls; i++) {
                const struct runtime_seccomp_syscall *sc = &s->syscalls[i];
                key_u64(k, sc->action);
                key_u64(k, sc->n_nrs);
                for (size_t j = 0; j < sc->n_nrs; j++)
                        key_u64(k, (uint64_t)(int64_t)sc->nrs[j]);
                key_u64(k, sc->n_args);
                for (size_t j = 0; j < sc->n_args; j++) {
                        key_u64(k, sc->args[j].index);
                        key_u64(k, sc->args[j].value);
                        key_u64(k, sc->args[j].value_two);
                        key_u64(k, (uint64_t)sc->args[j].op);
                }
        }
}

/* FNV-1a: names the entry and checks it; the key itself, compared in
 * full, is what makes a hit. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
        const unsigned char *b = p;
        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * 0x100000001b3ULL;
        return h;
}

#define FNV_BASIS 0xcbf29ce484222325ULL

/* An entry: this header, the key, then the instructions. */
struct entry_header {
        char magic[8];
        uint32_t key_len, n_insns;
        uint64_t sum; /* fnv1a over key and instructions */
};

static const char entry_magic[8] = "BSECBPF1";

static struct runtime_seccomp_bpf *cache_read(int dirfd, const char *name, const struct key *k)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (util_file_read(dirfd, name, &buf, &len, &scratch) < 0)
                return NULL;
        struct entry_header h;
        if (len < sizeof(h))
                return NULL;
        memcpy(&h, buf, sizeof(h));
        size_t body = len - sizeof(h);
        if (memcmp(h.magic, entry_magic, sizeof(h.magic)) != 0 || h.key_len != k->len ||
            body < k->len || memcmp(buf + sizeof(h), k->buf, k->len) != 0)
                return NULL;
        size_t insns_len = body - k->len;
        if (insns_len == 0 || insns_len % sizeof(struct sock_filter) != 0 ||
            insns_len / sizeof(struct sock_filter) != h.n_insns || h.n_insns > BPF_MAXINSNS ||
            fnv1a(FNV_BASIS, buf + sizeof(h), body) != h.sum)
                return NULL;
        struct runtime_seccomp_bpf *bpf = xcalloc(1, sizeof(*bpf));
        bpf->insns = xmalloc(insns_len);
        memcpy(bpf->insns, buf + sizeof(h) + k->len, insns_len);
        bpf->len = (unsigned short)h.n_insns;
        return bpf;
}

static void cache_write(int dirfd, const char *name, const struct key *k,
                        const struct runtime_seccomp_bpf *bpf)
{
        size_t insns_len = bpf->len * sizeof(struct sock_filter);
        struct entry_header h = {.key_len = (uint32_t)k->len, .n_insns = bpf->len};
        memcpy(h.magic, entry_magic, sizeof(h.magic));
        h.sum = fnv1a(fnv1a(FNV_BASIS, k->buf, k->len), bpf->insns, insns_len);
        size_t len = sizeof(h) + k->len + insns_len;
        _cleanup_free_ char *buf = xmalloc(len);
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), k->buf, k->len);
        memcpy(buf + sizeof(h) + k->len, bpf->insns, insns_len);
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (util_file_write(dirfd, name, buf, len, 0600, 0, &scratch) < 0)
                log_debug("seccomp cache: %s", scratch->msg);
}

int runtime_seccomp_compile_cached(const struct runtime_seccomp *s, const char *cache_dir,
                                   struct runtime_seccomp_bpf **out, struct berth_error **err)
{
        *out = NULL;
        if (s == NULL)
                return 0;
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_close_ int dirfd = -1;
        if (cache_dir != NULL && util_path_mkdir_p(cache_dir, 0700, &scratch) == 0)
                dirfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return runtime_seccomp_compile(s, out, err);
        struct key k = {0};
        make_key(s, &k);
        char name[32];
        snprintf(name, sizeof(name), "%016llx.bpf",
                 (unsigned long long)fnv1a(FNV_BASIS, k.buf, k.len));
        struct runtime_seccomp_bpf *bpf = cache_read(dirfd, name, &k);
        if (bpf == NULL && runtime_seccomp_compile(s, &bpf, err) == 0)
                cache_write(dirfd, name, &k, bpf);
        free(k.buf);
        if (bpf == NULL)
                return berth_err_ret(*err);
        bpf->flags = flags_of(s);
        *out = bpf;
        return 0;
}

size_t runtime_seccomp_bpf_len(const struct runtime_seccomp_bpf *bpf)
{
        return bpf != NULL ? bpf->len : 0;
}

int runtime_seccomp_bpf_load(const struct runtime_seccomp_bpf *bpf, struct berth_error **err)
{
        long r;

        if (bpf == NULL)
                return 0;
        struct sock_fprog prog = {.len = bpf->len, .filter = bpf->insns};
        /* One system call, no allocation: safe in a child after clone. */
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, bpf->flags, &prog);
        if (r < 0)
                return berth_err(err, errno, "loading seccomp filter");
        if (r > 0)
                /* TSYNC: the id of a thread that could not be synchronized. */
                return berth_err(err, EBUSY, "loading seccomp filter: thread %ld would not sync",
                                 r);
        return 0;
}

int runtime_seccomp_load(const struct runtime_seccomp *s, struct berth_error **err)
{
        _cleanup_seccomp_bpf_ struct runtime_seccomp_bpf *bpf = NULL;

        if (runtime_seccomp_compile(s, &bpf, err) < 0)
                return berth_err_ret(*err);
        return runtime_seccomp_bpf_load(bpf, err);
}
