/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Dockerfile parser against BuildKit's own cases
 * (shared/fixtures/dockerfile-parser: each Dockerfile must dump to exactly
 * its `result`; each negative case must fail), the official images'
 * Dockerfiles (must parse), and the syntax those cases do not reach:
 * heredocs, directives, ONBUILD, flags, errors, and the checker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build/build.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#ifndef BERTH_FIXTURES
#error "BERTH_FIXTURES must name shared/fixtures"
#endif

/* ---- fixture cases, one test each ---- */

static void test_positive_case(void **state)
{
        const char *dir = *state;
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_dockerfile_ struct build_dockerfile *df = NULL;
        _cleanup_free_ char *path = xasprintf("%s/Dockerfile", dir);
        _cleanup_free_ char *result_path = xasprintf("%s/result", dir);
        if (build_dockerfile_parse_file(AT_FDCWD, path, "Dockerfile", 0, &df, &err) < 0)
                fail_msg("%s: %s", path, err->msg);
        _cleanup_free_ char *want = NULL;
        size_t len;
        if (util_file_read(AT_FDCWD, result_path, &want, &len, &err) < 0)
                fail_msg("%s: %s", result_path, err->msg);
        _cleanup_free_ char *got = build_dockerfile_dump(df);
        if (strcmp(got, want) != 0)
                fail_msg("%s: the dump differs from `result`:\n--- got\n%s--- want\n%s", dir, got,
                         want);
}

static void test_negative_case(void **state)
{
        const char *dir = *state;
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_dockerfile_ struct build_dockerfile *df = NULL;
        _cleanup_free_ char *path = xasprintf("%s/Dockerfile", dir);
        if (build_dockerfile_parse_file(AT_FDCWD, path, "Dockerfile", 0, &df, &err) == 0)
                fail_msg("%s parsed, but it must fail", path);
        /* The error names the file and a line. */
        assert_non_null(err);
        assert_true(strncmp(err->msg, "Dockerfile:", 11) == 0);
        assert_true(err->msg[11] >= '1' && err->msg[11] <= '9');
}

static void test_real_case(void **state)
{
        const char *path = *state;
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_dockerfile_ struct build_dockerfile *df = NULL;
        if (build_dockerfile_parse_file(AT_FDCWD, path, path, 0, &df, &err) < 0)
                fail_msg("%s", err->msg);
        assert_true(df->n_instrs > 0);
        assert_int_equal(df->instrs[0].kind, BUILD_INSTR_FROM);
}

static void test_fixtures_missing(void **state)
{
        fail_msg("%s", (const char *)*state);
}

struct tests {
        struct CMUnitTest *v;
        size_t n;
};

static void add_test(struct tests *t, char *name, CMUnitTestFunction fn, void *state)
{
        t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
        t->v[t->n++] = (struct CMUnitTest){.name = name, .test_func = fn, .initial_state = state};
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case directories under dir, sorted; NULL when dir is missing. */
static char **case_dirs(const char *dir)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (d == NULL)
                return NULL;
        char **v = NULL;
        for (struct dirent *de; (de = readdir(d)) != NULL;)
                if (de->d_name[0] != '.')
                        strv_append(&v, de->d_name);
        if (v != NULL)
                qsort(v, strv_len(v), sizeof(char *), by_name);
        return v;
}

static size_t add_dir_cases(struct tests *t, const char *sub, const char *label,
                            CMUnitTestFunction fn)
{
        _cleanup_free_ char *dir = xasprintf("%s/dockerfile-parser/%s", BERTH_FIXTURES, sub);
        _cleanup_strv_ char **names = case_dirs(dir);
        size_t n = 0;
        for (size_t i = 0; names != NULL && names[i] != NULL; i++, n++)
                add_test(t, xasprintf("%s: %s", label, names[i]), fn,
                         xasprintf("%s/%s", dir, names[i]));
        return n;
}

static void walk_real(struct tests *t, const char *dir, size_t *n)
{
        _cleanup_strv_ char **names = case_dirs(dir);
        for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
                char *path = xasprintf("%s/%s", dir, names[i]);
                struct stat st;
                if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                        walk_real(t, path, n);
                        free(path);
                } else if (strncmp(names[i], "Dockerfile", 10) == 0) {
                        add_test(t,
                                 xasprintf("real: %s", path + strlen(BERTH_FIXTURES) +
                                                           strlen("/dockerfiles-real/")),
                                 test_real_case, path);
                        (*n)++;
                } else {
                        free(path);
                }
        }
}

/* ---- hand-written cases ---- */

static struct build_dockerfile *parse_ok(const char *text, unsigned flags)
{
        _cleanup_error_ struct berth_error *err = NULL;
        struct build_dockerfile *df = NULL;
        if (build_dockerfile_parse("Dockerfile", text, strlen(text), flags, &df, &err) < 0)
                fail_msg("%s", err->msg);
        return df;
}

static void expect_dump(const char *text, const char *want)
{
        _cleanup_dockerfile_ struct build_dockerfile *df = parse_ok(text, 0);
        _cleanup_free_ char *got = build_dockerfile_dump(df);
        if (strcmp(got, want) != 0)
                fail_msg("got:\n%swant:\n%s", got, want);
}

static void expect_error(const char *text, unsigned flags, const char *want)
{
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_dockerfile_ struct build_dockerfile *df = NULL;
        if (build_dockerfile_parse("Dockerfile", text, strlen(text), flags, &df, &err) == 0)
                fail_msg("parsed, expected `%s`", want);
        if (strcmp(err->msg, want) != 0)
                fail_msg("error `%s`, expected `%s`", err->msg, want);
}

static void test_heredocs(void **state)
{
        _cleanup_dockerfile_ struct build_dockerfile *df = parse_ok("FROM alpine:3.20\n"
                                                                    "RUN <<EOF\n"
                                                                    "echo $HOME\n"
                                                                    "  kept as is\n"
                                                                    "EOF\n"
                                                                    "RUN <<-\"END\" sh\n"
                                                                    "\techo '$HOME'\n"
                                                                    "\tEND\n"
                                                                    "COPY <<one 3<<'two' /dest/\n"
                                                                    "1\n"
                                                                    "one\n"
                                                                    "2\n"
                                                                    "two\n"
                                                                    "RUN [\"echo\", \"<<EOF\"]\n"
                                                                    "RUN echo \"<<EOF\" <<X\n"
                                                                    "X\n",
                                                                    0);
        assert_int_equal(df->n_instrs, 6);
        const struct build_instruction *in = &df->instrs[1];
        assert_int_equal(in->n_heredocs, 1);
        assert_string_equal(in->heredocs[0].name, "EOF");
        assert_string_equal(in->heredocs[0].content, "echo $HOME\n  kept as is\n");
        assert_true(in->heredocs[0].expand);
        assert_false(in->heredocs[0].chomp);
        assert_int_equal(in->start_line, 2);
        assert_int_equal(in->end_line, 5);
        assert_string_equal(in->args[0], "<<EOF");

        in = &df->instrs[2];
        assert_int_equal(in->n_heredocs, 1);
        assert_string_equal(in->heredocs[0].name, "END");
        assert_true(in->heredocs[0].chomp);
        assert_false(in->heredocs[0].expand); /* quoted: taken literally */
        assert_string_equal(in->heredocs[0].content, "echo '$HOME'\n");

        in = &df->instrs[3];
        assert_int_equal(in->kind, BUILD_INSTR_COPY);
        assert_int_equal(in->n_heredocs, 2);
        assert_string_equal(in->heredocs[0].name, "one");
        assert_string_equal(in->heredocs[0].content, "1\n");
        assert_string_equal(in->heredocs[1].name, "two");
        assert_int_equal(in->heredocs[1].fd, 3);
        assert_false(in->heredocs[1].expand);
        assert_string_equal(in->heredocs[1].content, "2\n");

        /* Exec form and quoted "<<EOF" open nothing. */
        assert_int_equal(df->instrs[4].n_heredocs, 0);
        assert_int_equal(df->instrs[5].n_heredocs, 1);
        assert_string_equal(df->instrs[5].heredocs[0].name, "X");
        assert_string_equal(df->instrs[5].heredocs[0].content, "");

        /* ONBUILD of a RUN takes them too. */
        _cleanup_dockerfile_ struct build_dockerfile *df2 =
            parse_ok("FROM a:1\nONBUILD RUN <<EOF\nx\nEOF\n", 0);
        assert_int_equal(df2->instrs[1].n_heredocs, 1);
        assert_string_equal(df2->instrs[1].heredocs[0].content, "x\n");

        expect_error("FROM a:1\nRUN <<EOF\necho\n", 0,
                     "Dockerfile:2: unterminated heredoc: no line `EOF` after line 2");
}

static void test_directives(void **state)
{
        _cleanup_dockerfile_ struct build_dockerfile *df =
            parse_ok("\xef\xbb\xbf# syntax=docker/dockerfile:1\n"
                     "#   check = skip=all\n"
                     "# escape=`\n"
                     "FROM a:1\n"
                     "RUN echo \\\n",
                     0);
        assert_string_equal(df->syntax, "docker/dockerfile:1");
        assert_string_equal(df->check, "skip=all");
        assert_int_equal(df->escape, '`');
        /* With ` as the escape, a trailing backslash is just text. */
        assert_string_equal(df->instrs[1].args[0], "echo \\");

        /* Directives only count before anything else: later, a comment. */
        _cleanup_dockerfile_ struct build_dockerfile *df2 =
            parse_ok("FROM a:1\n# escape=`\nRUN a \\\n b\n", 0);
        assert_int_equal(df2->escape, '\\');
        assert_string_equal(df2->instrs[1].args[0], "a  b");
        _cleanup_dockerfile_ struct build_dockerfile *df3 =
            parse_ok("\n# escape=`\nFROM a:1\nRUN a \\\n b\n", 0);
        assert_int_equal(df3->escape, '\\');

        expect_error("# escape=`\n# escape=\\\nFROM a\n", 0,
                     "Dockerfile:2: only one escape parser directive can be used");
        expect_error("# escape=x\nFROM a\n", 0,
                     "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
}

static void test_continuations(void **state)
{
        _cleanup_dockerfile_ struct build_dockerfile *df = parse_ok("FROM a:1\r\n"
                                                                    "RUN one \\\r\n"
                                                                    "# a comment inside\r\n"
                                                                    "    # an indented one\r\n"
                                                                    "  two \\\r\n"
                                                                    "\r\n"
                                                                    "three\r\n"
                                                                    "run four\n",
                                                                    0);
        assert_int_equal(df->n_instrs, 3);
        assert_string_equal(df->instrs[1].args[0], "one   two three");
        assert_int_equal(df->instrs[1].start_line, 2);
        assert_int_equal(df->instrs[1].end_line, 7);
        assert_int_equal(df->instrs[2].start_line, 8);
        /* Case-insensitive names, kept as written. */
        assert_int_equal(df->instrs[2].kind, BUILD_INSTR_RUN);
        assert_string_equal(df->instrs[2].name, "run");
        /* The blank line inside the continuation is worth a warning. */
        assert_int_equal(df->n_warnings, 1);
        assert_int_equal(df->warnings[0].line, 2);
}

static void test_every_instruction(void **state)
{
        static const char text[] =
            "ARG BASE=alpine:3.20\n"
            "FROM --platform=$BUILDPLATFORM ${BASE} AS build\n"
            "MAINTAINER someone\n"
            "RUN --mount=type=cache,target=/root/.cache --network=none make\n"
            "CMD [\"sh\", \"-c\", \"x\"]\n"
            "LABEL a=b \"c d\"=e\n"
            "EXPOSE 80/tcp 53/udp\n"
            "ENV A=1 B=\"2 3\"\n"
            "ADD --checksum=sha256:0 --keep-git-dir=true https://x/y /y\n"
            "COPY --link --chown=1000:1000 --chmod=755 --from=build /a /b\n"
            "ENTRYPOINT exec app\n"
            "VOLUME [\"/data\"]\n"
            "USER 1000:1000\n"
            "WORKDIR /app\n"
            "ARG X Y=2\n"
            "ONBUILD RUN echo hi\n"
            "STOPSIGNAL SIGTERM\n"
            "HEALTHCHECK --interval=5s CMD [\"true\"]\n"
            "HEALTHCHECK NONE\n"
            "SHELL [\"/bin/bash\", \"-c\"]\n";
        expect_dump(text,
                    "(arg \"BASE=alpine:3.20\")\n"
                    "(from [\"--platform=$BUILDPLATFORM\"] \"${BASE}\" \"AS\" \"build\")\n"
                    "(maintainer \"someone\")\n"
                    "(run [\"--mount=type=cache,target=/root/.cache\" \"--network=none\"] "
                    "\"make\")\n"
                    "(cmd \"sh\" \"-c\" \"x\")\n"
                    "(label \"a\" \"b\" \"=\" \"\\\"c d\\\"\" \"e\" \"=\")\n"
                    "(expose \"80/tcp\" \"53/udp\")\n"
                    "(env \"A\" \"1\" \"=\" \"B\" \"\\\"2 3\\\"\" \"=\")\n"
                    "(add [\"--checksum=sha256:0\" \"--keep-git-dir=true\"] \"https://x/y\" "
                    "\"/y\")\n"
                    "(copy [\"--link\" \"--chown=1000:1000\" \"--chmod=755\" \"--from=build\"] "
                    "\"/a\" \"/b\")\n"
                    "(entrypoint \"exec app\")\n"
                    "(volume \"/data\")\n"
                    "(user \"1000:1000\")\n"
                    "(workdir \"/app\")\n"
                    "(arg \"X\" \"Y=2\")\n"
                    "(onbuild (run \"echo hi\"))\n"
                    "(stopsignal \"SIGTERM\")\n"
                    "(healthcheck [\"--interval=5s\"] \"CMD\" \"true\")\n"
                    "(healthcheck \"NONE\")\n"
                    "(shell \"/bin/bash\" \"-c\")\n");
        _cleanup_dockerfile_ struct build_dockerfile *df = parse_ok(text, 0);
        bool seen[BUILD_INSTR_COUNT] = {0};
        for (size_t i = 0; i < df->n_instrs; i++)
                seen[df->instrs[i].kind] = true;
        for (int k = BUILD_INSTR_UNKNOWN + 1; k < BUILD_INSTR_COUNT; k++)
                if (!seen[k])
                        fail_msg("%s not parsed", build_instr_name((enum build_instr)k));
        assert_true(df->instrs[4].json);
        assert_false(df->instrs[10].json);
        assert_int_equal(df->instrs[15].sub->kind, BUILD_INSTR_RUN);
        assert_int_equal(build_instr_lookup("healthCheck"), BUILD_INSTR_HEALTHCHECK);
        assert_int_equal(build_instr_lookup("nope"), BUILD_INSTR_UNKNOWN);
}

static void test_expanding_table(void **state)
{
        static const enum build_instr expands[] = {
            BUILD_INSTR_ADD,    BUILD_INSTR_ARG,    BUILD_INSTR_COPY,   BUILD_INSTR_ENV,
            BUILD_INSTR_EXPOSE, BUILD_INSTR_FROM,   BUILD_INSTR_LABEL,  BUILD_INSTR_STOPSIGNAL,
            BUILD_INSTR_USER,   BUILD_INSTR_VOLUME, BUILD_INSTR_WORKDIR};
        int n = 0;
        for (int k = 0; k < BUILD_INSTR_COUNT; k++)
                n += build_instr_expands((enum build_instr)k);
        assert_int_equal(n, sizeof(expands) / sizeof(expands[0]));
        for (size_t i = 0; i < sizeof(expands) / sizeof(expands[0]); i++)
                assert_true(build_instr_expands(expands[i]));
        assert_false(build_instr_expands(BUILD_INSTR_RUN));
        assert_false(build_instr_expands(BUILD_INSTR_CMD));
}

static void test_errors(void **state)
{
        expect_error("FROM a:1\n\n# c\nFOO bar\n", 0, "Dockerfile:4: unknown instruction: FOO");
        expect_error("FROM a:1\nRUNN x\n", 0,
                     "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)");
        expect_error("FORM a:1\n", 0,
                     "Dockerfile:1: unknown instruction: FORM (did you mean FROM?)");
        expect_error("FROM a:1\nWROKDIR /x\n", 0,
                     "Dockerfile:2: unknown instruction: WROKDIR (did you mean WORKDIR?)");
        expect_error("FROM a:1\nONBUILD FOO x\n", 0, "Dockerfile:2: unknown instruction: FOO");
        expect_error("FROM a:1\nONBUILD ONBUILD RUN x\n", 0,
                     "Dockerfile:2: chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        expect_error("FROM a:1\nONBUILD FROM b\n", 0,
                     "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
        expect_error("FROM a:1\nLABEL x=1 y\n", 0,
                     "Dockerfile:2: Syntax error - can't find = in \"y\". Must be of the form: "
                     "name=value");
        expect_error("FROM a:1\nRUN [\"a\", 1]\n", 0,
                     "Dockerfile:2: when using JSON array syntax, arrays must be comprised of "
                     "strings only");
        expect_error("", 0, "Dockerfile:1: file with no instructions");
        expect_error("# just a comment\n\n", 0, "Dockerfile:2: file with no instructions");
        {
                _cleanup_error_ struct berth_error *err = NULL;
                _cleanup_dockerfile_ struct build_dockerfile *df = NULL;
                assert_true(build_dockerfile_parse("Dockerfile", "FROM a\0b\n", 9, 0, &df, &err) <
                            0);
                assert_string_equal(err->msg, "Dockerfile: contains a NUL byte: not a Dockerfile");
        }

        /* Lenient parsing keeps the unknown instruction, as BuildKit's
         * parser does. */
        _cleanup_dockerfile_ struct build_dockerfile *df =
            parse_ok("FROM a:1\nFOO bar\n", BUILD_PARSE_LENIENT);
        assert_int_equal(df->instrs[1].kind, BUILD_INSTR_UNKNOWN);
        _cleanup_free_ char *dump = build_dockerfile_dump(df);
        assert_string_equal(dump, "(from \"a:1\")\n(foo \"\")\n");
}

static void test_json(void **state)
{
        _cleanup_dockerfile_ struct build_dockerfile *df =
            parse_ok("CMD ['a', 'b']\nCMD [\"a\\u0000b\"] trailing\nCMD [\"caf\xc3\xa9\"]\n", 0);
        /* Single quotes are no JSON: shell form, which check reports. */
        assert_true(df->instrs[0].json_fallback);
        assert_false(df->instrs[0].json);
        /* Like Go's decoder: one value is read, what follows ignored, and a
         * NUL inside a string survives. */
        assert_true(df->instrs[1].json);
        assert_int_equal(df->instrs[1].arg_lens[0], 3);
        assert_memory_equal(df->instrs[1].args[0], "a\0b", 3);
        _cleanup_free_ char *dump = build_dockerfile_dump(df);
        assert_string_equal(dump,
                            "(cmd \"['a', 'b']\")\n(cmd \"a\\x00b\")\n(cmd \"caf\xc3\xa9\")\n");
}

/* ---- validation ---- */

static void expect_valid(const char *line, const char *want)
{
        _cleanup_free_ char *text = xasprintf("FROM a:1\n%s\n", line);
        _cleanup_dockerfile_ struct build_dockerfile *df = parse_ok(text, BUILD_PARSE_LENIENT);
        _cleanup_error_ struct berth_error *err = NULL;
        int r = build_instruction_validate(df, &df->instrs[1], &err);
        if (want == NULL) {
                if (r < 0)
                        fail_msg("`%s`: %s", line, err->msg);
                return;
        }
        if (r == 0)
                fail_msg("`%s` is valid, expected `%s`", line, want);
        _cleanup_free_ char *full = xasprintf("Dockerfile:2: %s", want);
        if (strcmp(err->msg, full) != 0)
                fail_msg("`%s`: `%s`, expected `%s`", line, err->msg, full);
}

static void test_validate(void **state)
{
        expect_valid("COPY --from=build --chown=1:1 --chmod=755 --link --parents a b", NULL);
        expect_valid("COPY --exclude=*.md --exclude=*.txt . /src", NULL);
        expect_valid("ADD --checksum=sha256:00 --keep-git-dir=false https://x/y /y", NULL);
        expect_valid("RUN --mount=type=cache,target=/c --mount=type=secret,id=s --network=none "
                     "--security=insecure make",
                     NULL);
        expect_valid("HEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=0 "
                     "--start-interval=500ms --retries=3 CMD true",
                     NULL);
        expect_valid("HEALTHCHECK NONE", NULL);
        expect_valid("SHELL [\"/bin/sh\", \"-c\"]", NULL);
        expect_valid("ONBUILD COPY . /app", NULL);

        expect_valid("COPY --user=me a b", "COPY: unknown flag: --user");
        expect_valid("CMD --doit [\"a\"]", "CMD: unknown flag: --doit");
        expect_valid("COPY --from a b", "COPY: missing a value on flag: --from");
        expect_valid("COPY --link=maybe a b",
                     "COPY: expecting boolean value for flag --link, not: maybe");
        expect_valid("COPY --from=a --from=b x y", "COPY: duplicate flag specified: --from");
        expect_valid("COPY onlyone", "COPY requires at least two arguments, but only one was "
                                     "provided: the destination could not be determined");
        expect_valid("WORKDIR", "WORKDIR requires exactly one argument");
        expect_valid("EXPOSE", "EXPOSE requires at least one argument");
        expect_valid("ARG", "ARG requires at least one argument");
        expect_valid("ARG =x", "ARG names can not be blank: `=x`");
        expect_valid("SHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form");
        expect_valid("VOLUME [\"\"]", "VOLUME specified can not be an empty string");
        expect_valid("HEALTHCHECK", "HEALTHCHECK requires an argument: CMD or NONE");
        expect_valid("HEALTHCHECK CONNECT TCP 7000",
                     "unknown type \"CONNECT\" in HEALTHCHECK (try CMD)");
        expect_valid("HEALTHCHECK CMD", "missing command after HEALTHCHECK CMD");
        expect_valid("HEALTHCHECK --interval=5s NONE", "HEALTHCHECK NONE takes no arguments");
        expect_valid("HEALTHCHECK --interval=5 CMD true",
                     "HEALTHCHECK: --interval: invalid duration `5`");
        expect_valid("HEALTHCHECK --timeout=10us CMD true",
                     "HEALTHCHECK: --timeout cannot be less than 1ms");
        expect_valid("HEALTHCHECK --retries=-1 CMD true",
                     "HEALTHCHECK: --retries must be a number 0 or more, not `-1`");
        expect_valid("FROM a b", "FROM requires either one or three arguments");
        expect_valid("FROM a IS b", "FROM: expected `AS` before the stage name, got `IS`");
        expect_valid("FROM a AS 1st", "invalid name for build stage: \"1st\", name can't start "
                                      "with a number or contain symbols");
        expect_valid("FRM a", "unknown instruction: FRM (did you mean FROM?)");
        expect_valid("ONBUILD ONBUILD RUN x",
                     "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        expect_valid("ONBUILD COPY x", "COPY requires at least two arguments, but only one was "
                                       "provided: the destination could not be determined");

        _cleanup_dockerfile_ struct build_dockerfile *df =
            parse_ok("FROM a:1\nCOPY --from=x --link --from=y a b\n", 0);
        const char *v = NULL;
        assert_int_equal(build_flag_get(&df->instrs[1], "from", &v), 1);
        assert_string_equal(v, "y");
        assert_int_equal(build_flag_get(&df->instrs[1], "link", &v), 1);
        assert_null(v);
        assert_int_equal(build_flag_get(&df->instrs[1], "chown", &v), 0);
}

/* ---- check ---- */

static char *check(const char *text)
{
        _cleanup_dockerfile_ struct build_dockerfile *df = parse_ok(text, BUILD_PARSE_LENIENT);
        struct build_warning *w = NULL;
        size_t n = 0;
        int r = build_dockerfile_check(df, &w, &n);
        assert_int_equal(r, (int)n);
        char *out = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char *next = xasprintf("%s%d: %s\n", out, w[i].line, w[i].msg);
                free(out);
                out = next;
        }
        build_warnings_free(w, n);
        return out;
}

static void expect_findings(const char *text, const char *want)
{
        _cleanup_free_ char *got = check(text);
        if (strcmp(got, want) != 0)
                fail_msg("got:\n%swant:\n%s", got, want);
}

static void test_check_clean(void **state)
{
        expect_findings("# syntax=docker/dockerfile:1\n"
                        "ARG VERSION=3.20\n"
                        "ARG UNSET\n"
                        "FROM --platform=$BUILDPLATFORM alpine:${VERSION} AS build\n"
                        "ARG UNSET\n"
                        "ARG TARGETARCH\n"
                        "ENV GOPATH=/go PATH=/go/bin:$PATH\n"
                        "WORKDIR $GOPATH/src\n"
                        "RUN echo ${UNSET:-none} $TARGETARCH\n"
                        "COPY --chown=${NOPE:-0} . .\n"
                        "FROM build AS final\n"
                        "WORKDIR $GOPATH\n"
                        "FROM scratch\n"
                        "COPY --from=final /go /go\n"
                        "CMD [\"/go/bin/app\"]\n",
                        "");
}

static void test_check_findings(void **state)
{
        /* A global declared twice, then brought into a stage and used. */
        expect_findings("ARG V=1\nARG V=2\nFROM alpine:$V\nARG V\nRUN echo $V\n", "");

        expect_findings("FROM alpine:3.20\nRUNN echo\n",
                        "2: unknown instruction: RUNN (did you mean RUN?)\n");
        expect_findings("FROM alpine:3.20\nWORKDIR /src/$PROJECT\nENV A=${B}x A2=$A\n",
                        "2: undefined variable `PROJECT` (never set by ARG or ENV)\n"
                        "3: undefined variable `B` (never set by ARG or ENV)\n"
                        /* All of an ENV's values expand before any is set. */
                        "3: undefined variable `A` (never set by ARG or ENV)\n");
        expect_findings("FROM alpine:3.20\nCMD ['sh', '-c', 'x']\n",
                        "2: CMD looks like exec form (JSON) but is not valid JSON, so it is run as "
                        "a shell command (JSON strings take double quotes)\n");
        expect_findings("ARG G=1\nFROM alpine:3.20\nARG LOCAL\nRUN true\n",
                        "1: ARG `G` is declared but never used (a global ARG is seen only by FROM "
                        "lines and by stages that declare it again)\n"
                        "3: ARG `LOCAL` is declared but never used\n");
        expect_findings(
            "FROM alpine\nFROM localhost:5000/x\nFROM x@sha256:00\n",
            "1: FROM alpine has no tag: the build takes whatever `latest` is at the time "
            "(pin a tag or a digest)\n"
            "2: FROM localhost:5000/x has no tag: the build takes whatever `latest` is "
            "at the time (pin a tag or a digest)\n");
        /* A global ARG is not seen in a stage unless declared there. */
        expect_findings("ARG V=1\nFROM alpine:$V\nLABEL v=$V\n",
                        "3: undefined variable `V` (never set by ARG or ENV)\n");
        expect_findings("ENV A=1\nFROM alpine:3.20\n",
                        "1: ENV before the first FROM (only ARG may come before FROM)\n");
        expect_findings("FROM alpine:3.20\nRUN a \\\n\n b\n",
                        "2: empty continuation line (a future release of the Dockerfile syntax "
                        "makes this an error)\n");
        expect_findings("FROM alpine:3.20 AS a\nCMD x\nCMD [\"y\"]\nFROM alpine:3.20 AS a\n",
                        "2: CMD is overridden by the one on line 3 (only the last CMD in a stage "
                        "takes effect)\n"
                        "4: duplicate stage name `a`\n");
        expect_findings("FROM alpine:3.20\nCOPY --chwon=1 a b\n",
                        "2: COPY: unknown flag: --chwon\n");
        expect_findings("FROM alpine:3.20\nUSER ${U\n", "2: failed to process \"${U\": syntax "
                                                        "error: missing '}'\n");
}

int main(void)
{
        struct tests t = {0};
        size_t pos = add_dir_cases(&t, "testfiles", "parse", test_positive_case);
        size_t neg = add_dir_cases(&t, "testfiles-negative", "must fail", test_negative_case);
        size_t real = 0;
        walk_real(&t, BERTH_FIXTURES "/dockerfiles-real", &real);
        /* A missing fixture directory fails the run: nothing tested is no pass. */
        if (pos == 0 || neg == 0 || real == 0)
                add_test(&t, xstrdup("fixtures present"), test_fixtures_missing,
                         xasprintf("no cases under %s (parser %zu, negative %zu, real %zu)",
                                   BERTH_FIXTURES, pos, neg, real));
        add_test(&t, xstrdup("heredocs"), test_heredocs, NULL);
        add_test(&t, xstrdup("directives"), test_directives, NULL);
        add_test(&t, xstrdup("continuations"), test_continuations, NULL);
        add_test(&t, xstrdup("every instruction"), test_every_instruction, NULL);
        add_test(&t, xstrdup("which instructions expand"), test_expanding_table, NULL);
        add_test(&t, xstrdup("errors"), test_errors, NULL);
        add_test(&t, xstrdup("json"), test_json, NULL);
        add_test(&t, xstrdup("validate"), test_validate, NULL);
        add_test(&t, xstrdup("check: a clean Dockerfile"), test_check_clean, NULL);
        add_test(&t, xstrdup("check: findings"), test_check_findings, NULL);
        int failed = _cmocka_run_group_tests("build-dockerfile", t.v, t.n, NULL, NULL);
        for (size_t i = 0; i < t.n; i++) {
                free((char *)t.v[i].name);
                free(t.v[i].initial_state);
        }
        free(t.v);
        return failed;
}
