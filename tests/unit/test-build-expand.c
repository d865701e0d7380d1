/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Word and variable expansion against BuildKit's own cases
 * (shared/fixtures/dockerfile-shell: envVarTest and wordsTest), one cmocka
 * test per case, plus the behaviour the builder relies on beyond them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#ifndef BERTH_FIXTURES
#error "BERTH_FIXTURES must name shared/fixtures"
#endif

struct env_case {
        int line;
        char *input, *expected; /* expected NULL: must fail */
};

struct words_case {
        int line;
        char *input;
        char **expected;
        char **env;
};

static char *trim(const char *s, size_t n)
{
        while (n > 0 && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
        return xstrndup(s, n);
}

static void test_env_case(void **state)
{
        struct env_case *c = *state;
        char *env[] = {"PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL=", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *out = NULL;
        int r = build_expand_word(c->input, env, NULL, &out, &err);
        if (c->expected == NULL) {
                if (r == 0)
                        fail_msg("envVarTest:%d: `%s` expanded to `%s`, expected an error", c->line,
                                 c->input, out);
                assert_non_null(err);
                return;
        }
        if (r < 0)
                fail_msg("envVarTest:%d: `%s`: %s", c->line, c->input, err->msg);
        if (strcmp(out, c->expected) != 0)
                fail_msg("envVarTest:%d: `%s` gave `%s`, expected `%s`", c->line, c->input, out,
                         c->expected);
}

static void test_words_case(void **state)
{
        struct words_case *c = *state;
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_strv_ char **out = NULL;
        if (build_expand_words(c->input, c->env, NULL, &out, &err) < 0) {
                /* BuildKit's test turns an error into the one word "error". */
                out = xcalloc(2, sizeof(char *));
                out[0] = xstrdup("error");
        }
        size_t n = strv_len(out), m = strv_len(c->expected);
        bool same = n == m;
        for (size_t i = 0; same && i < n; i++)
                same = strcmp(out[i], c->expected[i]) == 0;
        if (!same) {
                char got[1024] = "", want[1024] = "";
                for (size_t i = 0; i < n; i++)
                        snprintf(got + strlen(got), sizeof(got) - strlen(got), "[%s]", out[i]);
                for (size_t i = 0; i < m; i++)
                        snprintf(want + strlen(want), sizeof(want) - strlen(want), "[%s]",
                                 c->expected[i]);
                fail_msg("wordsTest:%d: `%s` gave %s, expected %s", c->line, c->input, got, want);
        }
}

static char *read_fixture(const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/dockerfile-shell/%s", BERTH_FIXTURES, name);
        FILE *f = fopen(path, "re");
        if (f == NULL)
                return NULL;
        struct {
                char *p;
                size_t n;
        } buf = {0};
        FILE *mem = open_memstream(&buf.p, &buf.n);
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
                fwrite(chunk, 1, got, mem);
        fclose(f);
        fclose(mem);
        return buf.p;
}

/* Each line of envVarTest: PLATFORM|input|expected (W lines are Windows'). */
static size_t load_env_cases(struct env_case **out)
{
        _cleanup_free_ char *text = read_fixture("envVarTest");
        if (text == NULL)
                return 0;
        struct env_case *cases = NULL;
        size_t n = 0;
        int lineno = 0;
        char *p = text;
        while (*p) {
                char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                _cleanup_free_ char *line = xstrndup(p, len);
                p += len + (nl != NULL);
                lineno++;
                _cleanup_free_ char *t = trim(line, strlen(line));
                if (t[0] == '\0' || t[0] == '#')
                        continue;
                char *a = strchr(line, '|');
                char *b = a ? strchr(a + 1, '|') : NULL;
                assert_non_null(b);
                _cleanup_free_ char *platform = trim(line, (size_t)(a - line));
                if (strcmp(platform, "W") == 0)
                        continue;
                char *c = strchr(b + 1, '|');
                cases = xrealloc(cases, (n + 1) * sizeof(*cases));
                cases[n].line = lineno;
                cases[n].input = trim(a + 1, (size_t)(b - a - 1));
                cases[n].expected = trim(b + 1, c ? (size_t)(c - b - 1) : strlen(b + 1));
                if (strcmp(cases[n].expected, "error") == 0) {
                        free(cases[n].expected);
                        cases[n].expected = NULL;
                }
                n++;
        }
        *out = cases;
        return n;
}

/* Each line of wordsTest: input|word1,word2...; "ENV k=v" adds to the
 * environment of the lines after it. */
static size_t load_words_cases(struct words_case **out)
{
        _cleanup_free_ char *text = read_fixture("wordsTest");
        if (text == NULL)
                return 0;
        struct words_case *cases = NULL;
        size_t n = 0;
        char **env = NULL;
        int lineno = 0;
        char *p = text;
        while (*p) {
                char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                _cleanup_free_ char *line = xstrndup(p, len);
                p += len + (nl != NULL);
                lineno++;
                if (line[0] == '#')
                        continue;
                if (strncmp(line, "ENV ", 4) == 0) {
                        const char *kv = line + 3;
                        while (*kv == ' ')
                                kv++;
                        strv_append(&env, kv);
                        continue;
                }
                char *bar = strchr(line, '|');
                assert_non_null(bar);
                cases = xrealloc(cases, (n + 1) * sizeof(*cases));
                cases[n].line = lineno;
                cases[n].input = trim(line, (size_t)(bar - line));
                cases[n].expected = NULL;
                /* Expected words keep their trailing blanks: they matter. */
                const char *w = bar + 1;
                while (*w == ' ')
                        w++;
                for (;;) {
                        const char *comma = strchr(w, ',');
                        size_t wl = comma ? (size_t)(comma - w) : strlen(w);
                        char *word = xstrndup(w, wl);
                        strv_append(&cases[n].expected, word);
                        free(word);
                        if (comma == NULL)
                                break;
                        w = comma + 1;
                }
                cases[n].env = strv_dup(env);
                n++;
        }
        strv_free(env);
        *out = cases;
        return n;
}

static void test_fixtures_missing(void **state)
{
        fail_msg("no cases read from %s/dockerfile-shell (are the shared fixtures there?)",
                 BERTH_FIXTURES);
}

/* Beyond the fixtures: the forms the reference lists that BuildKit's cases
 * do not cover, escapes with `, and the hooks the checker uses. */
static void expect(const char *word, const char *want)
{
        char *env[] = {"A=a", "EMPTY=", "SP=x y", "A=again", "P=/usr/local/bin/app.tar.gz", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *out = NULL;
        if (build_expand_word(word, env, NULL, &out, &err) < 0)
                fail_msg("`%s`: %s", word, err->msg);
        if (strcmp(out, want) != 0)
                fail_msg("`%s` gave `%s`, expected `%s`", word, out, want);
}

static void test_forms(void **state)
{
        expect("$A", "again"); /* the last entry wins */
        expect("${A-x}|${EMPTY-x}|${NONE-x}", "again||x");
        expect("${A:-x}|${EMPTY:-x}|${NONE:-x}", "again|x|x");
        expect("${A+x}|${EMPTY+x}|${NONE+x}", "x|x|");
        expect("${A:+x}|${EMPTY:+x}|${NONE:+x}", "x||");
        expect("${EMPTY?}", "");
        expect("\"$SP\"", "x y");
        expect("'$A'\\$A", "$A$A");
        /* The glob forms the reference lists beside them. */
        expect("${P#*/}", "usr/local/bin/app.tar.gz");
        expect("${P##*/}", "app.tar.gz");
        expect("${P%.*}", "/usr/local/bin/app.tar");
        expect("${P%%.*}", "/usr/local/bin/app");
        expect("${P#nomatch}|${NONE##*/}", "/usr/local/bin/app.tar.gz|");
        expect("${P/local/opt}", "/usr/opt/bin/app.tar.gz");
        expect("${P//a/A}|${P/a/A}|${P//zz/A}",
               "/usr/locAl/bin/App.tAr.gz|/usr/locAl/bin/app.tar.gz|"
               "/usr/local/bin/app.tar.gz");
        expect("${P//\\//:}", ":usr:local:bin:app.tar.gz");
        expect("${P/l*l/$A}", "/usr/again/bin/app.tar.gz");
        expect("${P/[ab]?p/X}", "/usr/local/bin/X.tar.gz");

        char *env[] = {"A=a", "EMPTY=", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        char *out = NULL;
        assert_true(build_expand_word("${NONE:?must be set}", env, NULL, &out, &err) < 0);
        assert_non_null(strstr(err->msg, "NONE: must be set"));
        berth_error_free(err);
        err = NULL;
        assert_true(build_expand_word("${EMPTY:?}", env, NULL, &out, &err) < 0);
        assert_non_null(strstr(err->msg, "EMPTY: is not allowed to be empty"));
}

static void test_backtick_escape(void **state)
{
        struct build_expand_opts o = {.escape = '`'};
        char *env[] = {"A=a", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *out = NULL;
        assert_int_equal(build_expand_word("`$A\\$A\"`\"\"", env, &o, &out, &err), 0);
        assert_string_equal(out, "$A\\a\"");
}

static void test_skip_unset(void **state)
{
        struct build_expand_opts o = {.skip_unset = true};
        char *env[] = {"A=a", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *out = NULL;
        assert_int_equal(build_expand_word("$A $B ${C} ${D:-x}", env, &o, &out, &err), 0);
        assert_string_equal(out, "a $B ${C} ${D:-x}");
}

struct seen {
        char unset[256];
        char used[256];
};

static void note_unset(void *data, const char *name)
{
        struct seen *s = data;
        snprintf(s->unset + strlen(s->unset), sizeof(s->unset) - strlen(s->unset), "%s,", name);
}

static void note_use(void *data, const char *name)
{
        struct seen *s = data;
        snprintf(s->used + strlen(s->used), sizeof(s->used) - strlen(s->used), "%s,", name);
}

static void test_hooks(void **state)
{
        struct seen s = {0};
        struct build_expand_opts o = {.on_unset = note_unset, .on_use = note_use, .data = &s};
        char *env[] = {"A=a", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_free_ char *out = NULL;
        assert_int_equal(build_expand_word("$A $B ${C} ${D:-x} ${E-y}", env, &o, &out, &err), 0);
        /* Only the plain forms of unset variables count as undefined. */
        assert_string_equal(s.unset, "B,C,");
        assert_string_equal(s.used, "A,B,C,D,E,");
}

static void test_words_quotes(void **state)
{
        char *env[] = {"V=1 2", NULL};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_strv_ char **out = NULL;
        assert_int_equal(build_expand_words("a=\"x y\" b=$V 'c d'", env, NULL, &out, &err), 0);
        assert_int_equal(strv_len(out), 4);
        assert_string_equal(out[0], "a=x y");
        assert_string_equal(out[1], "b=1");
        assert_string_equal(out[2], "2");
        assert_string_equal(out[3], "c d");
}

int main(void)
{
        struct env_case *ec = NULL;
        struct words_case *wc = NULL;
        size_t ne = load_env_cases(&ec), nw = load_words_cases(&wc);
        size_t n = ne + nw;
        struct CMUnitTest *tests = xcalloc(n + 7, sizeof(*tests));
        size_t t = 0;
        for (size_t i = 0; i < ne; i++)
                tests[t++] = (struct CMUnitTest){
                    .name = xasprintf("envVarTest:%d %s", ec[i].line, ec[i].input),
                    .test_func = test_env_case,
                    .initial_state = &ec[i]};
        for (size_t i = 0; i < nw; i++)
                tests[t++] = (struct CMUnitTest){
                    .name = xasprintf("wordsTest:%d %s", wc[i].line, wc[i].input),
                    .test_func = test_words_case,
                    .initial_state = &wc[i]};
        /* A missing fixture directory fails the run instead of passing
         * with nothing tested. */
        if (ne == 0 || nw == 0)
                tests[t++] = (struct CMUnitTest){.name = xstrdup("fixtures present"),
                                                 .test_func = test_fixtures_missing};
        tests[t++] = (struct CMUnitTest){.name = xstrdup("forms"), .test_func = test_forms};
        tests[t++] = (struct CMUnitTest){.name = xstrdup("backtick escape"),
                                         .test_func = test_backtick_escape};
        tests[t++] =
            (struct CMUnitTest){.name = xstrdup("skip unset"), .test_func = test_skip_unset};
        tests[t++] = (struct CMUnitTest){.name = xstrdup("hooks"), .test_func = test_hooks};
        tests[t++] = (struct CMUnitTest){.name = xstrdup("words and quotes"),
                                         .test_func = test_words_quotes};
        int failed = _cmocka_run_group_tests("build-expand", tests, t, NULL, NULL);
        for (size_t i = 0; i < t; i++)
                free((char *)tests[i].name);
        free(tests);
        for (size_t i = 0; i < ne; i++) {
                free(ec[i].input);
                free(ec[i].expected);
        }
        free(ec);
        for (size_t i = 0; i < nw; i++) {
                free(wc[i].input);
                strv_free(wc[i].expected);
                strv_free(wc[i].env);
        }
        free(wc);
        return failed;
}
