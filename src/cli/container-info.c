/* SPDX-License-Identifier: Apache-2.0 */
/* top and stats. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/container.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int cli_cmd_top(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        if (argc < 2)
                return cli_usage_error(err, "top", "requires at least 1 argument");
        if (strcmp(argv[1], "--help") == 0) {
                puts("Usage: berth top CONTAINER [ps OPTIONS]");
                return 0;
        }
        struct container_engine e;
        cli_engine(g, &e);
        char id[65];
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (cli_container_id(&e, argv[1], id, err) < 0 ||
            container_pids(&e, id, &pids, &n, err) < 0)
                return 1;
        /* Docker runs the host's ps and keeps the container's rows; ps -p
         * with the pids gives the same rows directly. */
        size_t cap = n * 12 + 2;
        _cleanup_free_ char *list = xcalloc(cap, 1);
        size_t off = 0;
        for (size_t i = 0; i < n; i++)
                off += snprintf(list + off, cap - off, "%s%d", i ? "," : "", pids[i]);
        char *args[64] = {"ps"};
        int k = 1;
        if (argc > 2) {
                for (int i = 2; i < argc && k < 60; i++)
                        args[k++] = argv[i];
        } else {
                args[k++] = "-f";
        }
        args[k++] = "-p";
        args[k++] = n ? list : "0";
        args[k] = NULL;
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) {
                berth_err(err, errno, "fork");
                return 1;
        }
        if (child == 0) {
                execvp("ps", args);
                _exit(127);
        }
        int st;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) {
                berth_err(err, 0, "top: running ps failed (is procps installed?)");
                return 1;
        }
        return 0;
}

static void stats_row(struct cli_table *t, const char *id, const struct container_record *r,
                      const struct container_stats *s)
{
        _cleanup_free_ char *shortid = xstrndup(id, 12);
        _cleanup_free_ char *usage = cli_human_size((int64_t)s->memory_usage);
        _cleanup_free_ char *limit = cli_human_size((int64_t)s->memory_limit);
        _cleanup_free_ char *mem = xasprintf("%s / %s", usage, s->memory_limit ? limit : "--");
        _cleanup_free_ char *pct = xasprintf(
            "%.2f%%",
            s->memory_limit ? 100.0 * (double)s->memory_usage / (double)s->memory_limit : 0.0);
        _cleanup_free_ char *cpu = xasprintf("%.2fs", (double)s->cpu_usage_ns / 1e9);
        _cleanup_free_ char *pids = xasprintf("%llu", (unsigned long long)s->pids);
        const char *row[] = {shortid, r->name, cpu, mem, pct, pids};
        cli_table_add(t, row);
}

int cli_cmd_stats(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {{"no-stream", no_argument, NULL, 'n'},
                                             {"all", no_argument, NULL, 'a'},
                                             {"help", no_argument, NULL, 'H'},
                                             {0}};
        int c;
        bool all = false;
        while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
                if (c == 'a')
                        all = true;
                else if (c == 'H') {
                        puts("Usage: berth stats --no-stream [-a] [CONTAINER...]");
                        return 0;
                } else if (c != 'n')
                        return cli_usage_error(err, "stats", "unknown flag");
        }
        struct container_engine e;
        cli_engine(g, &e);
        _cleanup_strv_ char **ids = NULL;
        if (optind < argc) {
                ids = xcalloc(1, sizeof(char *));
                for (int i = optind; i < argc; i++) {
                        char id[65];
                        if (cli_container_id(&e, argv[i], id, err) < 0)
                                return 1;
                        strv_append(&ids, id);
                }
        } else if (container_record_list(e.root, &ids, err) < 0) {
                return 1;
        }
        struct cli_table *t = cli_table_new(6);
        const char *hdr[] = {"CONTAINER ID",      "NAME",  "CPU TIME",
                             "MEM USAGE / LIMIT", "MEM %", "PIDS"};
        cli_table_add(t, hdr);
        int status = 0;
        for (char **id = ids; *id; id++) {
                _cleanup_container_record_ struct container_record *r = NULL;
                _cleanup_error_ struct berth_error *one = NULL;
                if (container_inspect(&e, *id, &r, &one) <= 0)
                        continue;
                bool up =
                    r->state.status == CONTAINER_RUNNING || r->state.status == CONTAINER_PAUSED;
                if (!up && optind >= argc && !all)
                        continue;
                struct container_stats s;
                if (container_stats_get(&e, *id, &s, &one) < 0) {
                        berth_error_print(one, "berth");
                        status = 1;
                        continue;
                }
                stats_row(t, *id, r, &s);
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
        return status;
}
