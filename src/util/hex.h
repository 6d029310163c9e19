/* Hexadecimal digits, and the hex SHA-256 digest several layers print. */
#ifndef SAVEALIFE_UTIL_HEX_H
#define SAVEALIFE_UTIL_HEX_H

#include <stddef.h>

/* Hex digits of a SHA-256 digest, without the NUL. */
#define HEX_SHA256_LEN 64

/* Writes the 2n lower-case hex digits of bin[0..n) and a NUL into out (2n + 1 bytes). */
void hex_encode(const void *bin, size_t n, char *out);

/* The value of one hex digit of either case, or -1. */
int hex_value(int c);

/* Decodes the 2n lower-case hex digits of s into out[0..n). Returns 0, or -1 if any is not one. */
int hex_decode_lower(const char *s, size_t n, unsigned char *out);

/* The lower-case hex SHA-256 of data[0..len) and a NUL into out. Returns 0, or -1 (data NULL
 * with len > 0, or OpenSSL failed). */
int hex_sha256(const void *data, size_t len, char out[HEX_SHA256_LEN + 1]);

#endif
