/* SPDX-License-Identifier: Apache-2.0 */
/* The CLI's Go-template subset and list formatting (cli/format.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char doc[] =
    "{\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0},"
    "\"Args\":[\"-c\",\"sleep 1\"],\"Empty\":[],"
    "\"Labels\":{\"b\":\"2\",\"a\":\"1\"},"
    "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"v1\"},{\"Type\":\"bind\",\"Source\":\"/x\"}]}";

static void expect(const char *tmpl, const char *want)
{
        _cleanup_json_ json_t *o = json_loads(doc, 0, NULL);
        assert_non_null(o);
        _cleanup_free_ char *got = cli_template_expand(tmpl, o);
        if (strcmp(got, want) != 0)
                fail_msg("%s: got \"%s\", want \"%s\"", tmpl, got, want);
}

static void test_fields(void **state)
{
        expect("{{.Name}}", "/web");
        expect("{{ .State.Status }} {{.State.Running}} {{.State.ExitCode}}", "running true 0");
        expect("{{.Nope}}|{{.State.Nope}}", "<no value>|<no value>");
        expect("{{.Args}} {{.Labels}}", "[-c sleep 1] map[a:1 b:2]");
        expect("{{json .Args}} {{json .Nope}}", "[\"-c\",\"sleep 1\"] null");
        expect("a\\tb\\nc", "a\tb\nc");
        expect("no action", "no action");
}

static void test_functions(void **state)
{
        expect("{{index .Labels \"a\"}} {{index .Args 1}}", "1 sleep 1");
        expect("{{(index .Mounts 1).Source}}", "/x");
        expect("{{index .Mounts 0 | json}}", "{\"Type\":\"volume\",\"Name\":\"v1\"}");
        expect("{{len .Args}} {{len .Labels}} {{len .Empty}}", "2 2 0");
        expect("{{join .Args \",\"}}", "-c,sleep 1");
        expect("{{.State.Status | upper}} {{lower \"AbC\"}}", "RUNNING abc");
        expect("{{eq .State.Status \"running\"}} {{ne .State.ExitCode 0}}", "true false");
        expect("{{eq .Name \"/x\" \"/web\"}} {{not .State.Running}}", "true false");
        /* Docker's {{.Label "k"}}: a map and a key. */
        expect("{{.Labels \"b\"}}|{{.Labels \"z\"}}", "2|");
}

static void test_control(void **state)
{
        expect("{{if .State.Running}}up{{else}}down{{end}}", "up");
        expect("{{if .Empty}}x{{else}}empty{{end}}", "empty");
        expect("{{if eq .State.Status \"exited\"}}x{{end}}.", ".");
        expect("{{range .Args}}[{{.}}]{{end}}", "[-c][sleep 1]");
        expect("{{range .Labels}}{{.}}{{end}}", "12");
        expect("{{range .Empty}}x{{else}}none{{end}}", "none");
        expect(
            "{{range .Mounts}}{{if eq .Type \"bind\"}}{{.Source}}{{else}}{{.Name}}{{end}};{{end}}",
            "v1;/x;");
        /* A branch not taken is still parsed to its end. */
        expect("{{if .Nope}}{{range .Args}}{{.}}{{end}}{{end}}after", "after");
        expect("{{- .Name -}}  !  {{- .Name}}", "/web!/web");
}

static void test_check(void **state)
{
        static const char *const good[] = {"plain",
                                           "{{.Name}}",
                                           "{{if .A}}x{{else}}y{{end}}",
                                           "{{range .Args}}{{.}}{{end}}",
                                           "{{\"a)b\"}}",
                                           "{{(index .Mounts 0).Name}}",
                                           "table {{.Name}}\t"};
        static const char *const bad[] = {
            "{{",     "{{.Name",          "{{end}}",       "{{else}}",
            "{{if}}", "{{range .Args}}x", "{{(index .A}}", "{{\"open}}"};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                if (cli_template_check(good[i], &err) != 0)
                        fail_msg("%s: %s", good[i], err->msg);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_error_ struct berth_error *err = NULL;
                if (cli_template_check(bad[i], &err) >= 0)
                        fail_msg("%s: accepted", bad[i]);
                assert_non_null(strstr(err->msg, "template parsing error"));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields),
            cmocka_unit_test(test_functions),
            cmocka_unit_test(test_control),
            cmocka_unit_test(test_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
