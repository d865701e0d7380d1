/* SPDX-License-Identifier: Apache-2.0 */
/* BuildKit's S-expression dump of the syntax tree (its Node.Dump()). */
#include <string.h>

#include "build/dockerfile.h"
#include "build/text.h"

static void dump(struct build_buf *b, const struct build_instruction *in)
{
        build_buf_putc(b, '(');
        for (const char *p = in->name; *p; p++)
                build_buf_putc(b, (*p >= 'A' && *p <= 'Z') ? (char)(*p | 0x20) : *p);
        if (in->n_flags > 0) {
                build_buf_puts(b, " [");
                for (size_t i = 0; i < in->n_flags; i++) {
                        if (i > 0)
                                build_buf_putc(b, ' ');
                        build_text_quote(b, in->flags[i], strlen(in->flags[i]));
                }
                build_buf_putc(b, ']');
        }
        if (in->sub != NULL) {
                build_buf_putc(b, ' ');
                dump(b, in->sub);
        }
        for (size_t i = 0; i < in->n_args; i++) {
                build_buf_putc(b, ' ');
                build_text_quote(b, in->args[i], in->arg_lens[i]);
        }
        build_buf_putc(b, ')');
}

char *build_instruction_dump(const struct build_instruction *in)
{
        struct build_buf b = {0};
        dump(&b, in);
        return build_buf_steal(&b);
}

char *build_dockerfile_dump(const struct build_dockerfile *df)
{
        struct build_buf b = {0};
        for (size_t i = 0; i < df->n_instrs; i++) {
                dump(&b, &df->instrs[i]);
                build_buf_putc(&b, '\n');
        }
        return build_buf_steal(&b);
}
