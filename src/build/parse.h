/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_BUILD_PARSE_H
#define BERTH_BUILD_PARSE_H

/* Private to build/: the pieces of the Dockerfile parser. */

#include <stdbool.h>

#include "build/dockerfile.h"

/*
 * One logical line (continuations joined) to an instruction: the name, the
 * flags, then the arguments as the instruction's own grammar splits them.
 * On a syntax error returns -1 with *msg set (no file or line in it).
 */
int build_instruction_parse_line(const char *line, char escape, bool lenient,
                                 struct build_instruction *in, char **msg);
void build_instruction_clear(struct build_instruction *in);

/* Whether the instruction takes heredocs (RUN, COPY, ADD, or ONBUILD of
 * one of them, in shell form). */
bool build_instruction_takes_heredocs(const struct build_instruction *in);

/* The heredoc openers (<<EOF, <<-"EOF", 3<<EOF...) in a logical line, in
 * order, content not yet read.  Returns their number (*out may be NULL when
 * 0) or -1 with *msg set. */
int build_heredocs_from_line(const char *line, struct build_heredoc **out, char **msg);

/* build_instruction_validate's rules, the message without file or line. */
int build_instruction_check(const struct build_instruction *in, char **msg);

/* A closest instruction name for "did you mean", or NULL. */
const char *build_instr_suggest(const char *name);

#endif
