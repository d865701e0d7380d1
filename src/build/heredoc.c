/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Heredocs: which words of a RUN/COPY/ADD line open one (<<EOF, <<-EOF,
 * <<"EOF", 3<<EOF, several per line) and whether their content expands.
 */
#include <stdlib.h>
#include <string.h>

#include "build/expand.h"
#include "build/parse.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static size_t count_quotes(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += *s == '\'' || *s == '"';
        return n;
}

/* 1 and *out filled when word is a heredoc opener, 0 when not, -1 on a
 * lexing error in its delimiter. */
static int parse_opener(const char *word, struct build_heredoc *out, char **msg)
{
        const char *p = word;
        unsigned fd = 0;
        while (*p >= '0' && *p <= '9')
                fd = fd * 10 + (unsigned)(*p++ - '0');
        if (p[0] != '<' || p[1] != '<')
                return 0;
        p += 2;
        bool chomp = *p == '-';
        if (chomp)
                p++;
        if (*p == '\0' || strchr(p, '<') != NULL)
                return 0;

        /* The delimiter is one word after quote removal.  Lexed with and
         * without keeping the quotes: if the counts of quote characters
         * differ, part of it was quoted, and then the content is taken
         * literally, as a shell does. */
        struct build_expand_opts opts = {.escape = '\\', .skip_unset = true};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_strv_ char **words = NULL, **raw = NULL;
        if (build_expand_words(p, NULL, &opts, &words, &err) < 0) {
                *msg = xstrdup(err->msg);
                return -1;
        }
        if (strv_len(words) != 1)
                return 0;
        opts.raw_quotes = true;
        if (build_expand_words(p, NULL, &opts, &raw, &err) < 0) {
                *msg = xstrdup(err->msg);
                return -1;
        }
        if (strv_len(raw) != 1) {
                *msg = xasprintf("internal lexing of heredoc produced inconsistent results: %s", p);
                return -1;
        }
        out->name = xstrdup(words[0]);
        out->expand = count_quotes(words[0]) == count_quotes(raw[0]);
        out->chomp = chomp;
        out->fd = fd;
        return 1;
}

int build_heredocs_from_line(const char *line, struct build_heredoc **out, char **msg)
{
        *out = NULL;
        if (strstr(line, "<<") == NULL)
                return 0;
        /* Split the line as a shell would see its words, keeping quotes and
         * escapes so that "<<EOF" in quotes is no opener; a line that does
         * not lex (an open quote) has none. */
        struct build_expand_opts opts = {.escape = '\\', .raw_quotes = true, .raw_escapes = true};
        _cleanup_error_ struct berth_error *err = NULL;
        _cleanup_strv_ char **words = NULL;
        if (build_expand_words(line, NULL, &opts, &words, &err) < 0)
                return 0;
        struct build_heredoc *docs = NULL;
        int n = 0;
        for (size_t i = 0; words[i] != NULL; i++) {
                struct build_heredoc h = {0};
                int r = parse_opener(words[i], &h, msg);
                if (r < 0) {
                        for (int j = 0; j < n; j++)
                                free(docs[j].name);
                        free(docs);
                        return -1;
                }
                if (r == 0)
                        continue;
                docs = xrealloc(docs, (size_t)(n + 1) * sizeof(*docs));
                docs[n++] = h;
        }
        *out = docs;
        return n;
}
