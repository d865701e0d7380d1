/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "container/fs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* `diff` on plain directories standing in for an overlay's upper and lower
 * dirs.  Whiteouts (0:0 character devices) and opaque dirs (trusted.*
 * xattrs) need root; those parts run only as root (make check is). */

static char *tmpdir(void)
{
        char *d = xstrdup("/tmp/berth-unit-fs-XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static void rmtree(char *d)
{
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(util_path_remove_tree(AT_FDCWD, d, &err), 0);
        free(d);
}

static void mk(const char *root, const char *rel, char type)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        _cleanup_error_ struct berth_error *err = NULL;
        if (type == 'd') {
                assert_int_equal(util_path_mkdir_p(p, 0755, &err), 0);
        } else if (type == 'f') {
                int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                assert_true(fd >= 0);
                close(fd);
        } else if (type == 'w') {
                assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
        } else if (type == 'l') {
                assert_int_equal(symlink("/", p), 0);
        }
}

static char *render(const struct container_change_list *l)
{
        size_t len = 1;
        for (size_t i = 0; i < l->n; i++)
                len += strlen(l->v[i].path) + 4;
        char *s = xcalloc(1, len);
        for (size_t i = 0; i < l->n; i++) {
                size_t at = strlen(s);
                s[at] = l->v[i].kind;
                s[at + 1] = ' ';
                memcpy(s + at + 2, l->v[i].path, strlen(l->v[i].path));
                s[at + 2 + strlen(l->v[i].path)] = '\n';
        }
        return s;
}

static void test_changes(void **state)
{
        bool root = geteuid() == 0;
        char *upper = tmpdir(), *low1 = tmpdir(), *low2 = tmpdir();
        /* low2 is the base layer, low1 above it (lowers go top first). */
        mk(low2, "a", 'd');
        mk(low2, "a/keep", 'f');
        mk(low2, "a/gone", 'f');
        mk(low2, "b", 'f');
        mk(low2, "hidden", 'f');
        mk(low2, "link", 'l');
        if (root)
                mk(low1, "hidden", 'w'); /* deleted by the upper image layer */
        mk(upper, "a", 'd');
        mk(upper, "a/new", 'f');
        if (root)
                mk(upper, "a/gone", 'w');
        mk(upper, "b", 'f');
        mk(upper, "c", 'd');
        mk(upper, "c/inside", 'f');
        mk(upper, "hidden", 'f');
        /* a dir where the image has a symlink to /: never followed */
        mk(upper, "link", 'd');
        mk(upper, "link/etc", 'f');

        char *lowers[] = {low1, low2, NULL};
        _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY);
        struct container_change_list l;
        _cleanup_error_ struct berth_error *err = NULL;
        assert_int_equal(container_changes_compute(ufd, lowers, &l, &err), 0);
        _cleanup_free_ char *got = render(&l);
        const char *want = root ? "C /a\nD /a/gone\nA /a/new\nC /b\nA /c\nA /c/inside\n"
                                  "A /hidden\nC /link\nA /link/etc\n"
                                : "C /a\nA /a/new\nC /b\nA /c\nA /c/inside\nC /hidden\n"
                                  "C /link\nA /link/etc\n";
        assert_string_equal(got, want);
        container_change_list_clear(&l);

        /* An opaque dir hides the lower's content: what is in it is new. */
        if (root) {
                _cleanup_free_ char *a = xasprintf("%s/a", upper);
                assert_int_equal(setxattr(a, "trusted.overlay.opaque", "y", 1, 0), 0);
                mk(upper, "a/keep", 'f');
                assert_int_equal(container_changes_compute(ufd, lowers, &l, &err), 0);
                _cleanup_free_ char *got2 = render(&l);
                assert_non_null(strstr(got2, "C /a\nD /a/gone\nA /a/keep\nA /a/new\n"));
                container_change_list_clear(&l);
        }
        rmtree(upper);
        rmtree(low1);
        rmtree(low2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_changes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
