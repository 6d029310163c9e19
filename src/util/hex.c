#include "util/hex.h"

#include <openssl/evp.h>

static const char hex_digits[] = "0123456789abcdef";

void
hex_encode(const void *bin, size_t n, char *out)
{
    const unsigned char *b = bin;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[b[i] >> 4];
        out[2 * i + 1] = hex_digits[b[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

int
hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
hex_decode_lower(const char *s, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = (unsigned char)s[2 * i], lo = (unsigned char)s[2 * i + 1];

        /* Upper case is refused: what we decode is what hex_encode (or sha256sum) wrote. */
        if (hi >= 'A' && hi <= 'F')
            return -1;
        if (lo >= 'A' && lo <= 'F')
            return -1;
        hi = hex_value(hi);
        lo = hex_value(lo);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int
hex_sha256(const void *data, size_t len, char out[HEX_SHA256_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (data == NULL && len > 0)
        return -1;
    if (EVP_Digest(data != NULL ? data : "", len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen * 2 != HEX_SHA256_LEN)
        return -1;
    hex_encode(md, mdlen, out);
    return 0;
}
