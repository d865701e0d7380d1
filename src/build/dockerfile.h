/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_BUILD_DOCKERFILE_H
#define BERTH_BUILD_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/*
 * A Dockerfile as a typed syntax tree, the way BuildKit's parser reads it:
 * parser directives at the top (escape; syntax and check accepted and kept),
 * comments, line continuations (comments and blank lines inside one are
 * skipped), case-insensitive instruction names, flags (--from=, --mount=...
 * kept as written), exec (JSON) form with the fallback to shell form when
 * the JSON is invalid, and heredocs for RUN, COPY and ADD.
 *
 * The arguments of each instruction are kept exactly as BuildKit's parser
 * produces them (its node chain), unexpanded:
 *   FROM, EXPOSE, ADD/COPY/VOLUME (shell form)  whitespace-split words
 *   RUN, CMD, ENTRYPOINT, SHELL (shell form)     one string: the rest of the line
 *   any of those in JSON form (json == true)     the array's strings
 *   ENV, LABEL                                   triples: key, value, "=" (key=value
 *                                                form, value still quoted) or "" (the
 *                                                old `ENV key value` form)
 *   ARG                                          words: "name" or "name=default"
 *   MAINTAINER, USER, WORKDIR, STOPSIGNAL        one string
 *   HEALTHCHECK                                  [type ("CMD"/"NONE"), then as CMD]
 *   ONBUILD                                      none; the trigger is in `sub`
 */

enum build_instr {
        BUILD_INSTR_UNKNOWN = 0,
        BUILD_INSTR_ADD,
        BUILD_INSTR_ARG,
        BUILD_INSTR_CMD,
        BUILD_INSTR_COPY,
        BUILD_INSTR_ENTRYPOINT,
        BUILD_INSTR_ENV,
        BUILD_INSTR_EXPOSE,
        BUILD_INSTR_FROM,
        BUILD_INSTR_HEALTHCHECK,
        BUILD_INSTR_LABEL,
        BUILD_INSTR_MAINTAINER,
        BUILD_INSTR_ONBUILD,
        BUILD_INSTR_RUN,
        BUILD_INSTR_SHELL,
        BUILD_INSTR_STOPSIGNAL,
        BUILD_INSTR_USER,
        BUILD_INSTR_VOLUME,
        BUILD_INSTR_WORKDIR,
        BUILD_INSTR_COUNT,
};

/* "FROM" for BUILD_INSTR_FROM; NULL for UNKNOWN. */
const char *build_instr_name(enum build_instr kind);
/* Case-insensitive; BUILD_INSTR_UNKNOWN when name is no instruction. */
enum build_instr build_instr_lookup(const char *name);

/*
 * Whether the builder expands ARG/ENV variables in an instruction's
 * arguments and flags (the reference's list: ADD COPY ENV EXPOSE FROM LABEL
 * STOPSIGNAL USER VOLUME WORKDIR, and ARG's default values as BuildKit
 * does; ONBUILD triggers expand as their own instruction when they run).
 * RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK are left to the shell.
 */
bool build_instr_expands(enum build_instr kind);

struct build_heredoc {
        char *name;    /* the delimiter, quotes removed */
        char *content; /* the lines up to the delimiter, each ending in "\n";
                          with <<- their leading tabs are already removed */
        unsigned fd;   /* N of N<<EOF; 0 when not given */
        bool expand;   /* false when any part of the delimiter was quoted */
        bool chomp;    /* <<- */
};

struct build_instruction {
        enum build_instr kind;
        char *name;     /* as written, e.g. "from" or "FROM" */
        char *original; /* the logical line, continuations joined */
        char **flags;   /* "--from=build", as written; NULL-terminated */
        size_t n_flags;
        char **args;      /* see above; NULL-terminated */
        size_t *arg_lens; /* byte lengths: a JSON string may hold "\u0000" */
        size_t n_args;
        bool json;                     /* exec (JSON) form */
        bool json_fallback;            /* began with "[" but was no valid JSON array, so it
                                          was taken as shell form */
        struct build_instruction *sub; /* ONBUILD's trigger, or NULL */
        struct build_heredoc *heredocs;
        size_t n_heredocs;
        int start_line, end_line; /* 1-based, in the file */
};

struct build_warning {
        int line;
        char *msg;
};

struct build_dockerfile {
        char *file;   /* the name used in messages */
        char escape;  /* '\\' or '`' */
        char *syntax; /* the syntax directive, or NULL */
        char *check;  /* the check directive, or NULL */
        struct build_instruction *instrs;
        size_t n_instrs;
        /* Parser warnings (an empty line inside a continuation). */
        struct build_warning *warnings;
        size_t n_warnings;
};

enum {
        /* Keep unknown instructions (kind UNKNOWN) instead of failing. */
        BUILD_PARSE_LENIENT = 1 << 0,
};

/*
 * Parse text[0..len).  file names the Dockerfile in errors, which read
 * "FILE:LINE: message" (e.g. "Dockerfile:7: unknown instruction: FOO").
 */
int build_dockerfile_parse(const char *file, const char *text, size_t len, unsigned flags,
                           struct build_dockerfile **out, struct berth_error **err);
/* Read and parse path (relative to dirfd); file names it in errors. */
int build_dockerfile_parse_file(int dirfd, const char *path, const char *file, unsigned flags,
                                struct build_dockerfile **out, struct berth_error **err);

void build_dockerfile_free(struct build_dockerfile *df);
void build_dockerfile_freep(struct build_dockerfile **df);
#define _cleanup_dockerfile_ __attribute__((cleanup(build_dockerfile_freep)))

/*
 * What the builder refuses before running anything, beyond the syntax (the
 * parser accepts these, as BuildKit's does): unknown instructions, flags
 * an instruction does not take or that lack a value, argument counts
 * (COPY needs a destination, WORKDIR exactly one path...), HEALTHCHECK's
 * type, durations and retries, SHELL outside JSON form, bad stage names.
 * Errors read "FILE:LINE: message".
 */
int build_instruction_validate(const struct build_dockerfile *df,
                               const struct build_instruction *in, struct berth_error **err);

/* The value of --name=value in in->flags (the last one given): 1 found
 * (*value is NULL for a bare --name), 0 not given. */
int build_flag_get(const struct build_instruction *in, const char *name, const char **value);

/*
 * BuildKit's dump of the syntax tree (Node.Dump), one line per instruction:
 * `(copy ["--user=me"] "foo" "/tmp/")`, each string quoted as Go's
 * strconv.Quote does.  The dockerfile form ends with one newline.
 */
char *build_dockerfile_dump(const struct build_dockerfile *df);
char *build_instruction_dump(const struct build_instruction *in);

/*
 * Likely mistakes found without building: unknown instructions, variables
 * used but never set, bad JSON that fell back to shell form, ARGs never
 * used, FROM without a tag, empty continuation lines, everything
 * build_instruction_validate refuses, instructions before the first FROM,
 * duplicate stage names, and a CMD/ENTRYPOINT/HEALTHCHECK that a later one
 * in the same stage overrides.  Parse with
 * BUILD_PARSE_LENIENT first so unknown instructions reach the check.
 * Returns the number of findings (sorted by line); *out holds them.
 */
int build_dockerfile_check(const struct build_dockerfile *df, struct build_warning **out,
                           size_t *n_out);
void build_warnings_free(struct build_warning *w, size_t n);

#endif
