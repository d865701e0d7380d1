/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "image/config.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define MANIFESTS BERTH_FIXTURES "/specs/manifests"
#define LAYOUTS   BERTH_FIXTURES "/images/oci-layouts"

static char *slurp(const char *path, size_t *len)
{
        char *buf = NULL;
        struct berth_error *err = NULL;
        if (util_file_read(AT_FDCWD, path, &buf, len, &err) < 0)
                fail_msg("%s: %s", path, err->msg);
        return buf;
}

/* Parse a fixture; returns the manifest or NULL with *msg set. */
static struct image_manifest *parse(const char *name, const char *declared, char **msg)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", MANIFESTS, name) < 0)
                abort();
        size_t len = 0;
        _cleanup_free_ char *buf = slurp(path, &len);
        struct image_manifest *m = NULL;
        struct berth_error *err = NULL;
        *msg = NULL;
        if (image_manifest_parse(buf, len, declared, &m, &err) < 0) {
                *msg = strdup(err->msg);
                berth_error_free(err);
                return NULL;
        }
        return m;
}

static void test_docker_schema2(void **state)
{
        char *msg;
        struct image_manifest *m = parse("v2s2.manifest.json", NULL, &msg);
        assert_non_null(m);
        assert_int_equal(m->kind, IMAGE_KIND_MANIFEST);
        assert_string_equal(m->media_type, IMAGE_MT_DOCKER_MANIFEST);
        assert_string_equal(
            m->config.digest,
            "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7");
        assert_int_equal(m->config.size, 7023);
        assert_int_equal(m->n_layers, 3);
        assert_string_equal(
            m->layers[2].digest,
            "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736");
        assert_int_equal(m->layers[2].size, 73109);
        image_manifest_free(m);

        /* Without a mediaType the shape decides; the descriptor's type is
         * then the one that applies. */
        m = parse("v2s2nomime.manifest.json", NULL, &msg);
        assert_non_null(m);
        assert_string_equal(m->media_type, IMAGE_MT_OCI_MANIFEST);
        assert_int_equal(m->n_layers, 0);
        image_manifest_free(m);
        m = parse("v2s2nomime.manifest.json", IMAGE_MT_DOCKER_MANIFEST, &msg);
        assert_non_null(m);
        assert_string_equal(m->media_type, IMAGE_MT_DOCKER_MANIFEST);
        image_manifest_free(m);

        /* A descriptor that disagrees with the document is refused. */
        assert_null(parse("v2s2.manifest.json", IMAGE_MT_OCI_MANIFEST, &msg));
        assert_non_null(strstr(msg, "does not match"));
        free(msg);
}

static void test_indexes(void **state)
{
        char *msg;
        const char *names[] = {"ociv1.image.index.json",
                               "ociv1nomime.image.index.json",
                               "oci1index.json",
                               "schema2list-variants.json",
                               "v2list.everything.json",
                               "oci1.index.everything.json",
                               "oci1.index.zstd-selection2.json"};
        const size_t counts[] = {2, 2, 3, 4, 1, 1, 10};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                struct image_manifest *m = parse(names[i], NULL, &msg);
                if (m == NULL)
                        fail_msg("%s: %s", names[i], msg);
                assert_int_equal(m->kind, IMAGE_KIND_INDEX);
                assert_int_equal(m->n_manifests, counts[i]);
                image_manifest_free(m);
        }
        struct image_manifest *m = parse("v2list.everything.json", NULL, &msg);
        assert_string_equal(m->media_type, IMAGE_MT_DOCKER_LIST);
        assert_string_equal(m->manifests[0].platform->os, "b");
        assert_string_equal(m->manifests[0].platform->architecture, "a");
        assert_string_equal(m->manifests[0].platform->variant, "e");
        image_manifest_free(m);
}

static void select_case(const char *file, const char *platform, const char *prefix)
{
        char *msg;
        struct image_manifest *m = parse(file, NULL, &msg);
        assert_non_null(m);
        struct image_platform want = {0};
        struct berth_error *err = NULL;
        if (platform == NULL)
                image_platform_default(&want);
        else
                assert_int_equal(image_platform_parse(platform, &want, &err), 0);
        const struct image_descriptor *d = NULL;
        int r = image_manifest_select(m, &want, &d);
        if (prefix == NULL) {
                assert_int_equal(r, 0);
        } else {
                assert_int_equal(r, 1);
                if (strncmp(d->digest + 7, prefix, strlen(prefix)) != 0)
                        fail_msg("%s %s: picked %s, expected %s", file, platform, d->digest,
                                 prefix);
        }
        image_platform_clear(&want);
        image_manifest_free(m);
}

static void test_platform_selection(void **state)
{
        select_case("ociv1.image.index.json", NULL, "5b0bcabd");
        select_case("ociv1.image.index.json", "linux/ppc64le", "e692418e");
        select_case("ociv1.image.index.json", "linux/s390x", NULL);
        select_case("oci1index.json", "linux/arm64", "615e8db5");
        select_case("oci1index.json", "linux/arm64/v8", "615e8db5");
        select_case("schema2list-variants.json", "linux/amd64", "59eec883");
        select_case("schema2list-variants.json", "linux/arm/v6", "f365626a");
        /* arm without a variant means v7, which the variant-less entry is */
        select_case("schema2list-variants.json", "linux/arm", "c84b0a3a");
        select_case("schema2list-variants.json", "linux/arm/v7", "c84b0a3a");
        select_case("oci1.index.zstd-selection2.json", "linux/amd64", "aaaaaaaa");
        select_case("oci1.index.zstd-selection2.json", "linux/aarch64", "1c98002b");
        /* no platform at all: the platform-less entries are the fallback */
        select_case("oci1.index.zstd-selection2.json", "windows/amd64", "c76757bb");
}

static void test_platform_parse(void **state)
{
        struct image_platform p = {0};
        struct berth_error *err = NULL;
        assert_int_equal(image_platform_parse("linux/x86_64", &p, &err), 0);
        assert_string_equal(p.architecture, "amd64");
        assert_null(p.variant);
        image_platform_clear(&p);
        assert_int_equal(image_platform_parse("linux/arm64/v8", &p, &err), 0);
        assert_string_equal(p.variant, "v8");
        image_platform_clear(&p);
        const char *bad[] = {"linux", "linux/", "/amd64", "linux/arm/v7/x", "linux/arm/"};
        for (size_t i = 0; i < 5; i++) {
                assert_true(image_platform_parse(bad[i], &p, &err) < 0);
                assert_non_null(strstr(err->msg, "invalid platform"));
                berth_error_freep(&err);
        }
}

static void test_refused(void **state)
{
        struct {
                const char *file, *needle;
        } cases[] = {
            {"v2s1-unsigned.manifest.json", "schema 1"},
            {"v2s1-invalid-signatures.manifest.json", "schema 1"},
            {"unknown-version.manifest.json", "schemaVersion 99999"},
            {"non-json.manifest.json", "not valid JSON"},
            {"schema2-to-schema1-by-docker.json", "not valid JSON"},
            {"ociv1.artifact.json", "config: no digest"},
            {"ociv1nomime.artifact.json", "config: no digest"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *msg = NULL;
                struct image_manifest *m = parse(cases[i].file, NULL, &msg);
                if (m != NULL)
                        fail_msg("%s should be refused", cases[i].file);
                if (strstr(msg, cases[i].needle) == NULL)
                        fail_msg("%s: `%s` lacks `%s`", cases[i].file, msg, cases[i].needle);
                assert_null(strchr(msg, '\n'));
                free(msg);
        }
        /* unknown media types, and artifacts whose config isn't an image */
        const char *unknown = "{\"schemaVersion\":2,\"mediaType\":\"application/x-nope\"}";
        struct image_manifest *m = NULL;
        struct berth_error *err = NULL;
        assert_true(image_manifest_parse(unknown, strlen(unknown), NULL, &m, &err) < 0);
        assert_non_null(strstr(err->msg, "unsupported manifest media type `application/x-nope`"));
        berth_error_freep(&err);
        const char *artifact =
            "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/x-cfg\",\"digest\":"
            "\"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7\","
            "\"size\":1},\"layers\":[]}";
        assert_true(image_manifest_parse(artifact, strlen(artifact), NULL, &m, &err) < 0);
        assert_non_null(strstr(err->msg, "not a container image"));
        berth_error_freep(&err);
        const char *badlayer =
            "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" IMAGE_MT_OCI_CONFIG "\",\"digest\":"
            "\"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7\","
            "\"size\":1},\"layers\":[{\"mediaType\":\"application/x-weird\",\"digest\":"
            "\"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7\","
            "\"size\":1}]}";
        assert_true(image_manifest_parse(badlayer, strlen(badlayer), NULL, &m, &err) < 0);
        assert_non_null(strstr(err->msg, "unsupported media type `application/x-weird`"));
        berth_error_freep(&err);
}

static void test_config(void **state)
{
        size_t len = 0;
        _cleanup_free_ char *buf =
            slurp(LAYOUTS "/trivy-hello-world-amd64-2020.oci/blobs/sha256/"
                          "b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604",
                  &len);
        struct image_config *c = NULL;
        struct berth_error *err = NULL;
        assert_int_equal(image_config_parse(buf, len, &c, &err), 0);
        assert_string_equal(c->architecture, "amd64");
        assert_string_equal(c->os, "linux");
        assert_string_equal(c->cmd[0], "/hello");
        assert_null(c->cmd[1]);
        assert_null(c->entrypoint);
        assert_string_equal(c->env[0],
                            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assert_int_equal(c->n_history, 2);
        assert_false(c->history[0].empty_layer);
        assert_true(c->history[1].empty_layer);
        assert_int_equal(c->n_diff_ids, 1);
        assert_string_equal(
            c->diff_ids[0],
            "sha256:9c27e219663c25e0f28493790cc0b88bc973ba3b1686355f221c38a36978ac63");
        image_config_free(c);

        const char *full =
            "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\",\"config\":{"
            "\"User\":\"nobody\",\"WorkingDir\":\"/srv\",\"Entrypoint\":[\"/bin/app\"],"
            "\"Cmd\":[],\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},\"Volumes\":{\"/data\":{}},"
            "\"StopSignal\":\"SIGQUIT\",\"Labels\":{\"a\":\"1\",\"b\":\"2\"},"
            "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":30000000000,"
            "\"Retries\":3}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
        assert_int_equal(image_config_parse(full, strlen(full), &c, &err), 0);
        assert_string_equal(c->user, "nobody");
        assert_string_equal(c->working_dir, "/srv");
        assert_string_equal(c->entrypoint[0], "/bin/app");
        assert_non_null(c->cmd);
        assert_null(c->cmd[0]);
        assert_string_equal(c->exposed_ports[0], "80/tcp");
        assert_string_equal(c->exposed_ports[1], "53/udp");
        assert_string_equal(c->volumes[0], "/data");
        assert_string_equal(c->stop_signal, "SIGQUIT");
        assert_string_equal(image_config_label(c, "b"), "2");
        assert_null(image_config_label(c, "c"));
        assert_string_equal(c->healthcheck->test[0], "CMD-SHELL");
        assert_int_equal(c->healthcheck->interval_ns, 30000000000LL);
        assert_int_equal(c->healthcheck->retries, 3);
        assert_string_equal(c->variant, "v8");
        image_config_free(c);

        const char *bad[][2] = {
            {"[]", "not a JSON object"},
            {"{\"os\":\"linux\"}", "no rootfs"},
            {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:1\"]}}", "diff_ids[0]"},
            {"{\"config\":{\"Env\":\"x\"},\"rootfs\":{\"type\":\"layers\"}}", "config.Env"},
        };
        for (size_t i = 0; i < 4; i++) {
                assert_true(image_config_parse(bad[i][0], strlen(bad[i][0]), &c, &err) < 0);
                if (strstr(err->msg, bad[i][1]) == NULL)
                        fail_msg("`%s`: `%s` lacks `%s`", bad[i][0], err->msg, bad[i][1]);
                berth_error_freep(&err);
        }
}

static void test_chain_ids(void **state)
{
        char ids[3][IMAGE_DIGEST_LEN], chain[3][IMAGE_DIGEST_LEN];
        for (int i = 0; i < 3; i++) {
                memcpy(ids[i], "sha256:", 7);
                memset(ids[i] + 7, '1' + i, 64);
                ids[i][71] = '\0';
        }
        image_chain_ids(ids, 3, chain);
        assert_string_equal(chain[0], ids[0]);
        /* sha256("sha256:11..1 sha256:22..2"), as the OCI spec defines */
        assert_string_equal(
            chain[1], "sha256:9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5");
        assert_string_equal(
            chain[2], "sha256:50127c0d6b338be78246434b4bce23ecf75e505158ea0bbd15effeb162fbf3ec");
}

static struct image_config *config_of(const char *json)
{
        struct image_config *c = NULL;
        struct berth_error *err = NULL;
        if (image_config_parse(json, strlen(json), &c, &err) < 0)
                fail_msg("%s: %s", json, err->msg);
        return c;
}

#define D1 "\"sha256:1111111111111111111111111111111111111111111111111111111111111111\""
#define D2 "\"sha256:2222222222222222222222222222222222222222222222222222222222222222\""
#define H1 "{\"created\":\"2026-01-01T00:00:00Z\",\"created_by\":\"ADD a /\"}"
#define H2 "{\"created_by\":\"CMD [\\\"sh\\\"]\",\"empty_layer\":true}"
#define H3 "{\"created_by\":\"RUN b\"}"

static void test_lineage(void **state)
{
        struct image_config *c[7] = {
            /* 0: one layer */
            config_of("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" D1 "]},"
                      "\"history\":[" H1 "]}"),
            /* 1: 0 plus a metadata-only step */
            config_of("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" D1 "]},"
                      "\"history\":[" H1 "," H2 "]}"),
            /* 2: 1 plus a layer */
            config_of("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" D1 "," D2 "]},"
                      "\"history\":[" H1 "," H2 "," H3 "]}"),
            /* 3: the same layers as 2 but another history: not related */
            config_of("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" D1 "," D2 "]},"
                      "\"history\":[" H3 "," H3 "," H3 "]}"),
            /* 4: the same as 0 (another config): no one's parent or child */
            config_of("{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
                      "[" D1 "]},\"history\":[" H1 "]}"),
            /* 5: nothing at all: no one's parent */
            config_of("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"),
            NULL, /* an image that can't be read */
        };
        assert_true(image_config_extends(c[1], c[0]));
        assert_true(image_config_extends(c[2], c[0]));
        assert_true(image_config_extends(c[2], c[1]));
        assert_false(image_config_extends(c[0], c[1]));
        assert_false(image_config_extends(c[3], c[0]));
        assert_false(image_config_extends(c[4], c[0]));
        assert_false(image_config_extends(c[0], c[4]));
        assert_false(image_config_extends(c[0], c[5]));
        assert_false(image_config_extends(c[0], c[0]));
        assert_false(image_config_extends(c[0], NULL));
        ssize_t parent[7];
        image_config_parents(c, 7, parent);
        /* the closest: 2's parent is 1, not 0 */
        assert_int_equal(parent[0], -1);
        assert_int_equal(parent[1], 0);
        assert_int_equal(parent[2], 1);
        assert_int_equal(parent[3], -1);
        assert_int_equal(parent[4], -1);
        assert_int_equal(parent[5], -1);
        assert_int_equal(parent[6], -1);
        for (size_t i = 0; i < 7; i++)
                image_config_free(c[i]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_docker_schema2),
            cmocka_unit_test(test_indexes),
            cmocka_unit_test(test_platform_selection),
            cmocka_unit_test(test_platform_parse),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_config),
            cmocka_unit_test(test_chain_ids),
            cmocka_unit_test(test_lineage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
