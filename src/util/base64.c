/* OpenSSL's EVP_EncodeBlock and EVP_DecodeBlock do the work. EVP_DecodeBlock is lenient (it
 * trims white space, ignores padding and unused bits), so a decode is accepted only when
 * encoding its bytes again gives the very text decoded: one text for one byte string, and a
 * changed character always changes the bytes. */
#include "util/base64.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Longest input either way: EVP's lengths are int. */
#define BASE64_TEXT_MAX ((size_t)INT_MAX / 4 * 3)

char *
base64_encode(const void *bin, size_t n)
{
    char *out;

    if (n > BASE64_TEXT_MAX / 4 * 3)
        return NULL;
    out = malloc((n + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    /* Writes the NUL itself. */
    EVP_EncodeBlock((unsigned char *)out, bin != NULL ? bin : (const void *)"", (int)n);
    return out;
}

int
base64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
    unsigned char *buf = NULL;
    char *again = NULL;
    size_t pad = 0, n;
    int rc = BASE64_INVALID;

    *out = NULL;
    *outlen = 0;
    if (len % 4 != 0 || len > BASE64_TEXT_MAX)
        return BASE64_INVALID;
    if (len > 0 && s[len - 1] == '=')
        pad++;
    if (len > 1 && s[len - 2] == '=')
        pad++;
    if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
        return BASE64_NOMEM;
    if (len > 0 && EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len) != (int)(len / 4 * 3))
        goto out;
    n = len / 4 * 3 - pad;
    if ((again = base64_encode(buf, n)) == NULL) {
        rc = BASE64_NOMEM;
        goto out;
    }
    if (strlen(again) != len || memcmp(again, s, len) != 0)
        goto out;
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    buf = NULL;
    rc = BASE64_OK;
out:
    free(again);
    free(buf);
    return rc;
}

char *
base64_url_encode(const void *bin, size_t n)
{
    char *out = base64_encode(bin, n);
    size_t len;

    if (out == NULL)
        return NULL;
    for (len = 0; out[len] != '\0' && out[len] != '='; len++) {
        if (out[len] == '+')
            out[len] = '-';
        else if (out[len] == '/')
            out[len] = '_';
    }
    out[len] = '\0';
    return out;
}

int
base64_url_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
    char *std;
    size_t i, padded;
    int rc;

    *out = NULL;
    *outlen = 0;
    /* One character more than a multiple of four holds fewer than 8 bits: no byte string. */
    if (len % 4 == 1 || len > BASE64_TEXT_MAX - 3)
        return BASE64_INVALID;
    padded = (len + 3) / 4 * 4;
    if ((std = malloc(padded + 1)) == NULL)
        return BASE64_NOMEM;
    for (i = 0; i < len; i++) {
        char c = s[i];

        /* The standard alphabet's two and padding are not base64url's. */
        if (c == '+' || c == '/' || c == '=') {
            free(std);
            return BASE64_INVALID;
        }
        std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    for (; i < padded; i++)
        std[i] = '=';
    std[padded] = '\0';
    rc = base64_decode(std, padded, out, outlen);
    free(std);
    return rc;
}
