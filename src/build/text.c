/* SPDX-License-Identifier: Apache-2.0 */
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "build/text.h"
#include "util/xalloc.h"

static void reserve(struct build_buf *b, size_t extra)
{
        if (b->len + extra + 1 <= b->cap)
                return;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + extra + 1)
                cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
}

void build_buf_put(struct build_buf *b, const char *s, size_t n)
{
        reserve(b, n);
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void build_buf_puts(struct build_buf *b, const char *s)
{
        build_buf_put(b, s, strlen(s));
}

void build_buf_putc(struct build_buf *b, char c)
{
        build_buf_put(b, &c, 1);
}

void build_buf_printf(struct build_buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = xvasprintf(fmt, ap);
        va_end(ap);
        build_buf_puts(b, s);
        free(s);
}

char *build_buf_steal(struct build_buf *b)
{
        char *s = b->data ? b->data : xstrdup("");
        b->data = NULL;
        b->len = b->cap = 0;
        return s;
}

void build_buf_free(struct build_buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

size_t build_text_rune(const char *str, size_t n, uint32_t *r)
{
        const unsigned char *s = (const unsigned char *)str;
        unsigned c = s[0];
        size_t w;
        uint32_t v, min;
        if (c < 0x80) {
                *r = c;
                return 1;
        } else if ((c & 0xe0) == 0xc0) {
                w = 2, v = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
                w = 3, v = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
                w = 4, v = c & 0x07, min = 0x10000;
        } else {
                goto bad;
        }
        if (w > n)
                goto bad;
        for (size_t i = 1; i < w; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        goto bad;
                v = (v << 6) | (s[i] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                goto bad;
        *r = v;
        return w;
bad:
        *r = 0xfffd;
        return 1;
}

bool build_text_is_space(uint32_t r)
{
        switch (r) {
        case '\t':
        case '\n':
        case '\v':
        case '\f':
        case '\r':
        case ' ':
        case 0x85:
        case 0xa0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202f:
        case 0x205f:
        case 0x3000:
                return true;
        }
        return r >= 0x2000 && r <= 0x200a;
}

bool build_text_is_hspace(char c)
{
        return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

void build_text_trim(const char *s, size_t n, size_t *start, size_t *end)
{
        size_t i = 0, j = n;
        while (i < j) {
                uint32_t r;
                size_t w = build_text_rune(s + i, j - i, &r);
                if (!build_text_is_space(r))
                        break;
                i += w;
        }
        /* Walk back over whole runes: find each rune's start byte. */
        while (j > i) {
                size_t k = j - 1;
                while (k > i && ((unsigned char)s[k] & 0xc0) == 0x80 && j - k < 4)
                        k--;
                uint32_t r;
                size_t w = build_text_rune(s + k, j - k, &r);
                if (k + w != j) {
                        /* Not a well-formed rune ending at j: a lone byte. */
                        break;
                }
                if (!build_text_is_space(r))
                        break;
                j = k;
        }
        *start = i;
        *end = j;
}

/* A thread-safe C.UTF-8 locale for the w* classifiers; the process locale
 * is left alone (library code must not call setlocale). */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void init_utf8_locale(void)
{
        utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t get_utf8_locale(void)
{
        pthread_once(&utf8_once, init_utf8_locale);
        return utf8_locale;
}

bool build_text_is_digit(uint32_t r)
{
        if (r < 0x80)
                return r >= '0' && r <= '9';
        locale_t l = get_utf8_locale();
        return l != (locale_t)0 && iswdigit_l((wint_t)r, l);
}

bool build_text_is_alnum(uint32_t r)
{
        if (r < 0x80)
                return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
        locale_t l = get_utf8_locale();
        return l != (locale_t)0 && iswalnum_l((wint_t)r, l);
}

/* Go's IsPrint excludes every space but U+0020, format characters and
 * private use; glibc's print class includes some of those. */
static bool go_excluded(uint32_t r)
{
        if (build_text_is_space(r) || r == 0x00ad || r == 0x061c || r == 0x06dd || r == 0x070f ||
            r == 0x180e || r == 0xfeff || r == 0x08e2)
                return true;
        if ((r >= 0x0600 && r <= 0x0605) || (r >= 0x200b && r <= 0x200f) ||
            (r >= 0x202a && r <= 0x202e) || (r >= 0x2060 && r <= 0x206f) ||
            (r >= 0xfff9 && r <= 0xfffb) || (r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000 ||
            (r >= 0xe0000 && r <= 0xe007f))
                return true;
        return false;
}

bool build_text_is_print(uint32_t r)
{
        if (r < 0x80)
                return r >= 0x20 && r < 0x7f;
        if (r < 0xa0 || go_excluded(r))
                return false;
        locale_t l = get_utf8_locale();
        if (l == (locale_t)0)
                return true;
        return iswprint_l((wint_t)r, l);
}

void build_text_quote(struct build_buf *b, const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        build_buf_putc(b, '"');
        for (size_t i = 0; i < n;) {
                uint32_t r;
                size_t w = build_text_rune(s + i, n - i, &r);
                if (r == 0xfffd && w == 1) {
                        unsigned char c = (unsigned char)s[i];
                        /* A valid encoding of U+FFFD is 3 bytes; width 1 is a bad byte. */
                        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                        build_buf_put(b, esc, 4);
                        i += w;
                        continue;
                }
                if (r == '"' || r == '\\') {
                        build_buf_putc(b, '\\');
                        build_buf_putc(b, (char)r);
                } else if (build_text_is_print(r)) {
                        build_buf_put(b, s + i, w);
                } else {
                        switch (r) {
                        case '\a':
                                build_buf_puts(b, "\\a");
                                break;
                        case '\b':
                                build_buf_puts(b, "\\b");
                                break;
                        case '\f':
                                build_buf_puts(b, "\\f");
                                break;
                        case '\n':
                                build_buf_puts(b, "\\n");
                                break;
                        case '\r':
                                build_buf_puts(b, "\\r");
                                break;
                        case '\t':
                                build_buf_puts(b, "\\t");
                                break;
                        case '\v':
                                build_buf_puts(b, "\\v");
                                break;
                        default:
                                if (r < 0x80)
                                        build_buf_printf(b, "\\x%02x", r);
                                else if (r < 0x10000)
                                        build_buf_printf(b, "\\u%04x", r);
                                else
                                        build_buf_printf(b, "\\U%08x", r);
                        }
                }
                i += w;
        }
        build_buf_putc(b, '"');
}
