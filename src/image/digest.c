/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "image/digest.h"
#include "util/xalloc.h"

struct image_digester {
        EVP_MD_CTX *ctx;
};

struct image_digester *image_digester_new(void)
{
        struct image_digester *d = xcalloc(1, sizeof(*d));
        d->ctx = EVP_MD_CTX_new();
        if (d->ctx == NULL || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
                fputs("berth: cannot initialise SHA-256\n", stderr);
                abort();
        }
        return d;
}

void image_digester_update(struct image_digester *d, const void *buf, size_t len)
{
        EVP_DigestUpdate(d->ctx, buf, len);
}

void image_digester_final(struct image_digester *d, char out[IMAGE_DIGEST_LEN])
{
        unsigned char md[32];
        unsigned int n = 0;
        static const char hex[] = "0123456789abcdef";
        EVP_DigestFinal_ex(d->ctx, md, &n);
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < 32; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[8 + 2 * i] = hex[md[i] & 0xf];
        }
        out[71] = '\0';
}

void image_digester_free(struct image_digester *d)
{
        if (d == NULL)
                return;
        EVP_MD_CTX_free(d->ctx);
        free(d);
}

void image_digester_freep(struct image_digester **d)
{
        image_digester_free(*d);
        *d = NULL;
}

void image_digest_buffer(const void *buf, size_t len, char out[IMAGE_DIGEST_LEN])
{
        struct image_digester *d = image_digester_new();
        image_digester_update(d, buf, len);
        image_digester_final(d, out);
        image_digester_free(d);
}

int image_digest_validate(const char *digest, struct berth_error **err)
{
        const char *colon = strchr(digest, ':');
        if (colon == NULL)
                return berth_err(err, EINVAL, "invalid digest `%s`: no algorithm", digest);
        if ((size_t)(colon - digest) != 6 || strncmp(digest, "sha256", 6) != 0)
                return berth_err(err, ENOTSUP, "unsupported digest algorithm in `%s`", digest);
        const char *hexpart = colon + 1;
        if (strlen(hexpart) != 64 || strspn(hexpart, "0123456789abcdef") != 64)
                return berth_err(err, EINVAL,
                                 "invalid digest `%s`: expected 64 lowercase hex digits", digest);
        return 0;
}
