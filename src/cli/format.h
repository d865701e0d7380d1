/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CLI_FORMAT_H
#define BERTH_CLI_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "util/error.h"

/* Output helpers shared by the commands, matching Docker's formatting. */

/* "4.26MB", "10.2kB", "0B" (decimal units, 3 significant digits). */
char *cli_human_size(int64_t bytes);
/* "64MiB", "1.953GiB" (Docker's units.BytesSize: binary, 4 digits). */
char *cli_bytes_size(int64_t bytes);
/* "2 years ago", "About an hour ago" (Docker's units.HumanDuration). */
char *cli_human_ago(time_t t);
/* "2024-09-26 21:31:42 +0000 UTC" */
char *cli_time_string(time_t t);

/* s cut to at most max display columns, ending in "…" when cut. */
char *cli_truncate(const char *s, size_t max);
/* Display columns of a UTF-8 string. */
size_t cli_width(const char *s);

/* A table like Docker's tabwriter (min width 10, padding 3). */
struct cli_table;
struct cli_table *cli_table_new(size_t ncols);
/* Adds one row; takes ncols strings (copied). */
void cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(struct cli_table *t, FILE *out);
void cli_table_free(struct cli_table *t);

/* Expand a Go-template-like string against obj: {{.A.B}}, {{json .A}},
 * and the escapes \t and \n.  Strings print raw, other values as JSON. */
char *cli_template_expand(const char *tmpl, json_t *obj);
/* inspect's output: each document through format, or without one, all of
 * them as one indented JSON array. */
void cli_inspect_print(json_t *docs, const char *format);
/* Whether tmpl is well formed (closed actions, quotes and parentheses,
 * each if/range with its end), as Go's parser would see it. */
int cli_template_check(const char *tmpl, struct berth_error **err);

/*
 * Docker's --format for a list: "json" (one object a line), "table
 * [TEMPLATE]" (a header row, then the rows, cells split at tabs and
 * aligned as a table; default_row without a TEMPLATE, and for a NULL
 * format), or a plain TEMPLATE a line.  headers maps each field to its
 * column title; the header row is the template expanded against it.
 */
struct cli_list_format;
struct cli_list_format *cli_list_format_new(const char *format, const char *default_row,
                                            json_t *headers);
void cli_list_format_row(struct cli_list_format *f, json_t *obj);
/* Whether rows go out as JSON (a template may see more than JSON shows). */
bool cli_list_format_is_json(const struct cli_list_format *f);
/* Prints the table, if any, and frees f. */
void cli_list_format_end(struct cli_list_format *f);

/* Progress lines go to stdout only when it is a terminal. */
bool cli_progress_enabled(void);
void cli_progress_line(const char *what, const char *digest, int64_t size, void *data);

#endif
