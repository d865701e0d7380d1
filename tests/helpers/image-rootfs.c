/* SPDX-License-Identifier: Apache-2.0 */
/* image-rootfs ROOT IMAGE: print what storage_image_rootfs_get gives the
 * container engine (ID, Cmd, Env, lower dirs top first), for tests. */
#include <stdio.h>

#include "storage/image.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: image-rootfs ROOT IMAGE\n");
                return 2;
        }
        struct berth_error *err = NULL;
        struct storage_image_rootfs *rf = NULL;
        int r = storage_image_rootfs_get(argv[1], argv[2], &rf, &err);
        if (r < 0) {
                berth_error_print(err, "image-rootfs");
                berth_error_free(err);
                return 1;
        }
        if (r == 0) {
                fprintf(stderr, "image-rootfs: no such image\n");
                return 1;
        }
        printf("id %s\n", rf->id);
        for (char **c = rf->config->cmd; c && *c; c++)
                printf("cmd %s\n", *c);
        for (char **e = rf->config->env; e && *e; e++)
                printf("env %s\n", *e);
        for (char **l = rf->lowerdirs; *l; l++)
                printf("lower %s\n", *l);
        storage_image_rootfs_free(rf);
        return 0;
}
