/* SPDX-License-Identifier: Apache-2.0 */
/* Small pieces the lifecycle needs around the spec: --userns=auto's range
 * from /etc/subuid, the working directory, labels. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "container/parse.h"
#include "container/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int container_subid_lookup(const char *content, const char *user, uint32_t uid,
                           struct container_idmap *out)
{
        _cleanup_free_ char *copy = xstrdup(content != NULL ? content : "");
        _cleanup_free_ char *uid_s = xasprintf("%u", uid);
        char *p = copy;
        for (char *line = strsep(&p, "\n"); line != NULL; line = strsep(&p, "\n")) {
                char *f[3] = {0}, *q = line;
                size_t n = 0;
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                for (char *c = strsep(&q, ":"); c != NULL && n < 3; c = strsep(&q, ":"))
                        f[n++] = c;
                int64_t start, count;
                if (n != 3 || q != NULL || container_parse_int64(f[1], &start, NULL) < 0 ||
                    container_parse_int64(f[2], &count, NULL) < 0 || start < 0 || count <= 0 ||
                    start + count > (int64_t)UINT32_MAX + 1)
                        continue;
                if (strcmp(f[0], uid_s) != 0 && (user == NULL || strcmp(f[0], user) != 0))
                        continue;
                /* Container ids 0..65535 are what an image's files use; a
                 * larger range would only waste the host's. */
                *out = (struct container_idmap){
                    .container_id = 0,
                    .host_id = (uint32_t)start,
                    .size = (uint32_t)(count > 65536 ? 65536 : count),
                };
                return 1;
        }
        return 0;
}

int container_workdir_ensure(int rootfd, const char *cwd, struct berth_error **err)
{
        /* Docker creates a missing working directory; inside the rootfs,
         * so that a symlink in the image can't point the mkdir outside. */
        int fd = util_path_mkdir_in_root(rootfd, cwd, 0755, err);
        if (fd < 0)
                return berth_err_wrap(err, "creating the working directory %s", cwd);
        close(fd);
        return 0;
}

char **container_labels(const struct image_config *img, const struct container_options *o)
{
        _cleanup_strv_ char **base = xcalloc(1, sizeof(char *));
        for (size_t i = 0; img != NULL && i < img->n_labels; i++) {
                _cleanup_free_ char *kv =
                    xasprintf("%s=%s", img->labels[i].key,
                              img->labels[i].value != NULL ? img->labels[i].value : "");
                strv_append(&base, kv);
        }
        return container_env_merge(base, o->labels);
}
