/* Base64 (RFC 4648) through OpenSSL, each text in its one canonical form. */
#ifndef SAVEALIFE_UTIL_BASE64_H
#define SAVEALIFE_UTIL_BASE64_H

#include <stddef.h>

/* Return values of the decoders. */
#define BASE64_OK 0
#define BASE64_INVALID (-1) /* not the canonical encoding of any bytes */
#define BASE64_NOMEM (-2)

/* Padded standard base64 (section 4) of bin[0..n), a new NUL-terminated string or NULL. */
char *base64_encode(const void *bin, size_t n);

/* Decodes padded standard base64 in its canonical form (the alphabet, padding only at the
 * end, unused bits zero, no white space): *out is a new buffer of *outlen bytes and a NUL.
 * BASE64_OK, BASE64_INVALID or BASE64_NOMEM. */
int base64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen);

/* base64url (section 5) without padding of bin[0..n), a new NUL-terminated string or NULL. */
char *base64_url_encode(const void *bin, size_t n);

/* Decodes base64url without padding in its canonical form, as base64_decode. */
int base64_url_decode(const char *s, size_t len, unsigned char **out, size_t *outlen);

#endif
