/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_BUILD_TEXT_H
#define BERTH_BUILD_TEXT_H

/*
 * Private to build/: a growable string and the handful of Unicode
 * predicates the Dockerfile grammar is defined with.  BuildKit's parser is
 * written in Go, and where its behaviour depends on Go's notion of a space
 * or a printable rune we follow Go's definition, not the C locale's.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct build_buf {
        char *data;
        size_t len, cap;
};

void build_buf_put(struct build_buf *b, const char *s, size_t n);
void build_buf_puts(struct build_buf *b, const char *s);
void build_buf_putc(struct build_buf *b, char c);
void build_buf_printf(struct build_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The content as a NUL-terminated string (never NULL); b is left empty. */
char *build_buf_steal(struct build_buf *b);
void build_buf_free(struct build_buf *b);

/* Decode the rune at s (n > 0 bytes available); returns its width.  An
 * invalid byte decodes as U+FFFD of width 1, as Go does. */
size_t build_text_rune(const char *s, size_t n, uint32_t *r);

bool build_text_is_space(uint32_t r); /* Go's unicode.IsSpace */
bool build_text_is_alnum(uint32_t r); /* unicode.IsLetter || unicode.IsDigit */
bool build_text_is_digit(uint32_t r); /* unicode.IsDigit (ASCII and C.UTF-8 digits) */
bool build_text_is_print(uint32_t r); /* strconv.IsPrint, approximated through C.UTF-8 */

/* Append s[0..n) the way Go's strconv.Quote prints it, quotes included. */
void build_text_quote(struct build_buf *b, const char *s, size_t n);

/* Bounds of s[0..n) without leading/trailing unicode.IsSpace runes. */
void build_text_trim(const char *s, size_t n, size_t *start, size_t *end);
/* BuildKit's reWhitespace: [\t\v\f\r ] */
bool build_text_is_hspace(char c);

#endif
