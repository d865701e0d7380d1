/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_BUILD_EXPAND_H
#define BERTH_BUILD_EXPAND_H

#include <stdbool.h>

#include "util/error.h"

/*
 * Word and variable expansion as the Dockerfile reference defines it:
 * $v, ${v}, ${v:-w}, ${v-w}, ${v:+w}, ${v+w}, ${v:?msg}, ${v?msg}, the
 * glob forms ${v#p} ${v##p} ${v%p} ${v%%p} ${v/p/r} ${v//p/r}, the escape
 * character, single quotes (literal) and double quotes (only $, the escape
 * character and " are special).  This is not a shell: there is no
 * command substitution, globbing or arithmetic, and positional and special
 * parameters ($1, $@, $?...) are always unset.
 *
 * The environment is a "NAME=value" vector; when a name appears more than
 * once the last entry wins, as with ENV.
 */

struct build_expand_opts {
        char escape;      /* '\\' (the default when 0) or '`' */
        bool raw_quotes;  /* keep quote characters in the result */
        bool raw_escapes; /* keep escape characters in the result */
        bool skip_unset;  /* leave references to unset variables as written */
        /* Called for every plain $v or ${v} whose variable is unset (the
         * forms with a default or an error message do not count). */
        void (*on_unset)(void *data, const char *name);
        /* Called for every variable looked up, set or not. */
        void (*on_use)(void *data, const char *name);
        void *data;
};

/* Expand word into one string (quotes removed, no splitting). */
int build_expand_word(const char *word, char *const *env, const struct build_expand_opts *opts,
                      char **out, struct berth_error **err);

/* Expand word and split the result into words at unquoted whitespace that
 * came from the text or from unquoted expansions; a NULL-terminated vector. */
int build_expand_words(const char *word, char *const *env, const struct build_expand_opts *opts,
                       char ***out, struct berth_error **err);

/* Look name up in env (last entry wins); 1 set (with *value), 0 unset. */
int build_env_lookup(char *const *env, const char *name, const char **value);

#endif
