/* SPDX-License-Identifier: Apache-2.0 */
/* top and stats. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/container.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

int cli_cmd_top(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        if (argc < 2)
                return cli_usage_error(err, "top", "requires at least 1 argument");
        if (strcmp(argv[1], "--help") == 0) {
                puts("Usage: berth top CONTAINER [ps OPTIONS]");
                return 0;
        }
        /* ps's options come after the container; none before it. */
        if (argv[1][0] == '-')
                return cli_usage_error(err, "top", "unknown flag: %s", argv[1]);
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

/* Docker's default stats table, and its column titles. */
#define STATS_ROW                                                                                  \
        "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}"  \
        "\t"                                                                                       \
        "{{.PIDs}}"

static json_t *stats_headers(void)
{
        static const char *const h[][2] = {
            {"BlockIO", "BLOCK I/O"}, {"CPUPerc", "CPU %"}, {"Container", "CONTAINER"},
            {"ID", "CONTAINER ID"},   {"MemPerc", "MEM %"}, {"MemUsage", "MEM USAGE / LIMIT"},
            {"Name", "NAME"},         {"NetIO", "NET I/O"}, {"PIDs", "PIDS"},
        };
        json_t *o = json_object();
        for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
                json_object_set_new(o, h[i][0], json_string(h[i][1]));
        return o;
}

/* One row of Docker's stats, with its field names (the table's columns
 * and what --format sees). */
static json_t *stats_json(const char *id, int id_len, const struct container_record *r,
                          const struct container_stats *s, double cpu_pct, uint64_t host_mem)
{
        uint64_t limit = s->memory_limit ? s->memory_limit : host_mem;
        _cleanup_free_ char *usage = cli_bytes_size((int64_t)s->memory_usage);
        _cleanup_free_ char *lim = cli_bytes_size((int64_t)limit);
        _cleanup_free_ char *rx = cli_human_size((int64_t)s->net_rx_bytes);
        _cleanup_free_ char *tx = cli_human_size((int64_t)s->net_tx_bytes);
        _cleanup_free_ char *rd = cli_human_size((int64_t)s->io_read_bytes);
        _cleanup_free_ char *wr = cli_human_size((int64_t)s->io_write_bytes);
        json_t *o = json_object();
        json_object_set_new(o, "BlockIO", json_sprintf("%s / %s", rd, wr));
        json_object_set_new(o, "CPUPerc", json_sprintf("%.2f%%", cpu_pct));
        json_object_set_new(o, "Container", json_sprintf("%.*s", id_len, id));
        json_object_set_new(o, "ID", json_sprintf("%.*s", id_len, id));
        json_object_set_new(
            o, "MemPerc",
            json_sprintf("%.2f%%", limit ? 100.0 * (double)s->memory_usage / (double)limit : 0.0));
        json_object_set_new(o, "MemUsage", json_sprintf("%s / %s", usage, lim));
        json_object_set_new(o, "Name", json_string(r->name));
        json_object_set_new(o, "NetIO", json_sprintf("%s / %s", rx, tx));
        json_object_set_new(o, "PIDs", json_sprintf("%llu", (unsigned long long)s->pids));
        return o;
}

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct stats_row {
        struct container_record *r;
        struct container_stats first, last;
        bool ok;
};

int cli_cmd_stats(const struct cli_global *g, int argc, char **argv, struct berth_error **err)
{
        static const struct option opts[] = {
            {"no-stream", no_argument, NULL, 'n'},    {"all", no_argument, NULL, 'a'},
            {"format", required_argument, NULL, 'F'}, {"no-trunc", no_argument, NULL, 'T'},
            {"help", no_argument, NULL, 'H'},         {0}};
        int c;
        bool all = false, stream = true;
        int id_len = 12;
        const char *format = NULL;
        while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
                if (c == 'a')
                        all = true;
                else if (c == 'T')
                        id_len = 64;
                else if (c == 'F') {
                        format = optarg;
                        if (cli_template_check(format, err) < 0)
                                return CLI_EXIT_FAILURE;
                } else if (c == 'H') {
                        puts("Usage: berth stats [--no-stream] [-a] [--no-trunc] [--format "
                             "json|table|TEMPLATE] "
                             "[CONTAINER...]");
                        return 0;
                } else if (c == 'n') {
                        stream = false;
                } else {
                        return CLI_EXIT_FAILURE;
                }
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
        /* Docker's CPU % is the usage between two samples over the time
         * between them (100% is one CPU); the first two are taken a short
         * while apart. */
        size_t n = strv_len(ids);
        struct stats_row *rows = xcalloc(n + 1, sizeof(*rows));
        int status = 0;
        bool any = false;
        uint64_t t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
                _cleanup_error_ struct berth_error *one = NULL;
                if (container_inspect(&e, ids[i], &rows[i].r, &one) <= 0)
                        continue;
                bool up = rows[i].r->state.status == CONTAINER_RUNNING ||
                          rows[i].r->state.status == CONTAINER_PAUSED;
                if (!up && optind >= argc && !all)
                        continue;
                if (container_stats_get(&e, ids[i], &rows[i].first, &one) < 0) {
                        berth_error_print(one, "berth");
                        status = 1;
                        continue;
                }
                rows[i].ok = any = true;
        }
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        uint64_t host_mem = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
        _cleanup_json_ json_t *headers = stats_headers();
        /* Streaming, a table a second (the screen cleared first on a
         * terminal, as Docker's) until interrupted. */
        bool clear = stream && isatty(STDOUT_FILENO);
        for (long pause_ms = 250;; pause_ms = 1000) {
                struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
                if (any || stream)
                        nanosleep(&pause, NULL);
                uint64_t t1 = now_ns(), dt = t1 - t0;
                t0 = t1;
                if (clear)
                        fputs("\033[2J\033[H", stdout);
                struct cli_list_format *f = cli_list_format_new(format, STATS_ROW, headers);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_error_ struct berth_error *one = NULL;
                        if (!rows[i].ok)
                                continue;
                        if (container_stats_get(&e, ids[i], &rows[i].last, &one) < 0)
                                rows[i].last = rows[i].first;
                        uint64_t used = rows[i].last.cpu_usage_ns > rows[i].first.cpu_usage_ns
                                            ? rows[i].last.cpu_usage_ns - rows[i].first.cpu_usage_ns
                                            : 0;
                        double cpu = dt ? 100.0 * (double)used / (double)dt : 0.0;
                        _cleanup_json_ json_t *o =
                            stats_json(ids[i], id_len, rows[i].r, &rows[i].last, cpu, host_mem);
                        cli_list_format_row(f, o);
                        rows[i].first = rows[i].last;
                }
                cli_list_format_end(f);
                fflush(stdout);
                if (!stream)
                        break;
        }
        for (size_t i = 0; i < n; i++)
                container_record_free(rows[i].r);
        free(rows);
        return status;
}
