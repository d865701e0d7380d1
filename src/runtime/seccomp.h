/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* linux.seccomp of the OCI config, parsed and checked up front so that a
 * bad profile fails `create` before any namespace exists.  Actions, ops and
 * architectures are stored already translated to libseccomp's values, so
 * loading cannot fail on anything the parser could have caught. */

struct runtime_seccomp_arg {
        unsigned int index; /* 0..5 */
        uint64_t value, value_two;
        int op; /* enum scmp_compare */
};

/* One entry of syscalls[]: the names that libseccomp knows (unknown ones
 * are dropped at parse time, as runc does), one action, and the argument
 * conditions that all must hold. */
struct runtime_seccomp_syscall {
        char **names; /* NULL-terminated, resolvable names only */
        int *nrs;     /* native syscall numbers, parallel to names */
        size_t n_nrs;
        uint32_t action; /* SCMP_ACT_* value, errno/trace code included */
        struct runtime_seccomp_arg *args;
        size_t n_args;
};

struct runtime_seccomp {
        uint32_t default_action; /* SCMP_ACT_* value */
        uint32_t *archs;         /* SCMP_ARCH_* tokens */
        size_t n_archs;
        bool flag_tsync, flag_log, flag_spec_allow;
        struct runtime_seccomp_syscall *syscalls;
        size_t n_syscalls;
};

/* seccomp NULL or JSON null: *out = NULL and 0 (no filter).  Argument
 * values are JSON integers, so at most INT64_MAX; a negative one is taken
 * as its 64-bit two's complement (-1 = 0xffffffffffffffff).  Rejects with a
 * one-line error: unknown actions, operators, architectures or flags, an
 * argument index above 5, errnoRet on an action other than ERRNO/TRACE, and
 * what berth does not implement (SCMP_ACT_NOTIFY, listenerPath). */
int runtime_seccomp_parse(json_t *seccomp, struct runtime_seccomp **out, struct berth_error **err);
void runtime_seccomp_free(struct runtime_seccomp *s);
void runtime_seccomp_freep(struct runtime_seccomp **s);
#define _cleanup_seccomp_ __attribute__((cleanup(runtime_seccomp_freep)))

/*
 * Compile the profile to a BPF program (libseccomp does the work, and
 * allocates: do it in the runtime before clone), then install it in the
 * container's init with runtime_seccomp_bpf_load, one system call.
 * s NULL gives *out NULL, and loading NULL is a no-op.
 *
 * Loading does NOT set no_new_privs (that follows
 * process.noNewPrivileges and is the caller's job): without it the caller
 * needs CAP_SYS_ADMIN, and the kernel says EACCES.  So, as runc: with
 * noNewPrivileges, set it and load last, after dropping capabilities (the
 * profile then needs to allow only execve and what follows); without,
 * load before the capabilities are dropped.  Flags (TSYNC, LOG,
 * SPEC_ALLOW) are passed to seccomp(2).
 */
struct runtime_seccomp_bpf;
int runtime_seccomp_compile(const struct runtime_seccomp *s, struct runtime_seccomp_bpf **out,
                            struct berth_error **err);
/*
 * As runtime_seccomp_compile, through a cache of compiled programs in
 * cache_dir (made if missing; NULL: no cache).  libseccomp takes several
 * milliseconds over Docker's default profile, which every container
 * brings again.  An entry is keyed by everything the program is built
 * from (the parsed profile, the native architecture and libseccomp's
 * version), holds that key in full and a checksum, and is used only when
 * both match: anything else, or a cache that can't be read or written, is
 * compiled as if there were none.  Entries are written atomically,
 * without fsync: a torn one fails its checksum.
 */
int runtime_seccomp_compile_cached(const struct runtime_seccomp *s, const char *cache_dir,
                                   struct runtime_seccomp_bpf **out, struct berth_error **err);
int runtime_seccomp_bpf_load(const struct runtime_seccomp_bpf *bpf, struct berth_error **err);
/* Number of BPF instructions (0 for NULL). */
size_t runtime_seccomp_bpf_len(const struct runtime_seccomp_bpf *bpf);
void runtime_seccomp_bpf_free(struct runtime_seccomp_bpf *bpf);
void runtime_seccomp_bpf_freep(struct runtime_seccomp_bpf **bpf);
#define _cleanup_seccomp_bpf_ __attribute__((cleanup(runtime_seccomp_bpf_freep)))

/* Both steps at once in the calling process (libseccomp allocates: not
 * for a child of a multithreaded parent).  s NULL is a no-op. */
int runtime_seccomp_load(const struct runtime_seccomp *s, struct berth_error **err);

/* The names accepted in profiles (NULL-terminated), for `features`. */
extern const char *const runtime_seccomp_action_names[];
extern const char *const runtime_seccomp_op_names[];
extern const char *const runtime_seccomp_arch_names[];
extern const char *const runtime_seccomp_flag_names[];

#endif
