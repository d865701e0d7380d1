/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "cli/image.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int system_df(const struct cli_global *g, struct berth_error **err)
{
        struct storage_df df;
        if (storage_df_get(g->root, &df, err) < 0)
                return CLI_EXIT_FAILURE;
        struct cli_table *t = cli_table_new(5);
        const char *hdr[] = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};
        cli_table_add(t, hdr);
        _cleanup_free_ char *total = xasprintf("%zu", df.images);
        _cleanup_free_ char *active = xasprintf("%zu", df.images_active);
        _cleanup_free_ char *size = cli_human_size(df.images_size);
        _cleanup_free_ char *rs = cli_human_size(df.images_reclaimable);
        _cleanup_free_ char *recl =
            xasprintf("%s (%d%%)", rs,
                      df.images_size ? (int)(100 * df.images_reclaimable / df.images_size) : 0);
        const char *images[] = {"Images", total, active, size, recl};
        cli_table_add(t, images);
        _cleanup_free_ char *ctotal = xasprintf("%zu", df.containers);
        const char *containers[] = {"Containers", ctotal, "0", "0B", "0B"};
        cli_table_add(t, containers);
        const char *volumes[] = {"Local Volumes", "0", "0", "0B", "0B"};
        cli_table_add(t, volumes);
        const char *cache[] = {"Build Cache", "0", "0", "0B", "0B"};
        cli_table_add(t, cache);
        cli_table_print(t, stdout);
        cli_table_free(t);
        return 0;
}

int cli_cmd_system(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        if (argc >= 2 && strcmp(argv[1], "df") == 0)
                return system_df(g, err);
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
                puts("Usage: berth system COMMAND\n\nCommands:\n  df         Show disk usage");
                return 0;
        }
        return cli_usage_error(err, "system", "unknown or missing command (known: df)");
}
