/* Pagination cursors. The document is {"l":listing,"k":key,"d":digest}, compact JSON, in
 * base64url without padding. The digest (SHA-256 of the listing, a NUL byte and the key's
 * JSON text, first 16 bytes in lower-case hex) catches a cursor altered by accident; it is
 * not a secret, so decode also checks the key's shape strictly, since a client can forge a
 * document with a matching digest. */
#include "repo/cursor.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ddb/marshal.h"

#define CURSOR_DIGEST_BYTES 16
#define CURSOR_DIGEST_HEX (CURSOR_DIGEST_BYTES * 2)
/* Longest key string accepted from a cursor; DynamoDB's own key limits are 2048 (hash) and
 * 1024 (range) bytes. */
#define CURSOR_VALUE_MAX 2048
/* A cursor document is three members deep at most: {"k":{"name":{"S":...}}}. */
#define CURSOR_JSON_DEPTH 4

static const char cursor_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The digest of listing and key text, as CURSOR_DIGEST_HEX hex digits and a NUL. */
static int
cursor_digest(const char *listing, const char *key_text, char hex[CURSOR_DIGEST_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int rc = -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL)
        return -1;
    /* The NUL keeps "ab"+"c" and "a"+"bc" apart. */
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, listing, strlen(listing) + 1) != 1 ||
        EVP_DigestUpdate(ctx, key_text, strlen(key_text)) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < CURSOR_DIGEST_BYTES)
        goto out;
    for (size_t i = 0; i < CURSOR_DIGEST_BYTES; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }
    hex[CURSOR_DIGEST_HEX] = '\0';
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

static const char *
cursor_key_text(json_object *key)
{
    return json_object_to_json_string_ext(key,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* base64url of len bytes, no padding, into a new string. */
static char *
cursor_b64_encode(const unsigned char *in, size_t len)
{
    size_t outlen = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
    char *out = malloc(outlen + 1);
    size_t o = 0, i = 0;

    if (out == NULL)
        return NULL;
    for (; i + 3 <= len; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
        out[o++] = cursor_b64[v >> 18 & 63];
        out[o++] = cursor_b64[v >> 12 & 63];
        out[o++] = cursor_b64[v >> 6 & 63];
        out[o++] = cursor_b64[v & 63];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;
        out[o++] = cursor_b64[v >> 18 & 63];
        out[o++] = cursor_b64[v >> 12 & 63];
    } else if (len - i == 2) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
        out[o++] = cursor_b64[v >> 18 & 63];
        out[o++] = cursor_b64[v >> 12 & 63];
        out[o++] = cursor_b64[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int
cursor_b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes canonical base64url without padding: only the 64 characters, a length that is not
 * 1 mod 4, and zero bits after the last byte, so one text stands for one byte string (a
 * changed character always changes the bytes). *out is a new buffer, NUL-terminated. */
static int
cursor_b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
    unsigned char *buf;
    size_t o = 0;
    unsigned long acc = 0;
    int bits = 0;

    *out = NULL;
    if (len % 4 == 1)
        return -1;
    buf = malloc(len / 4 * 3 + 3);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = cursor_b64_value(in[i]);
        if (v < 0)
            goto fail;
        acc = (acc << 6 | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    if ((acc & ((1UL << bits) - 1)) != 0)
        goto fail;
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return 0;
fail:
    free(buf);
    return -1;
}

int
cursor_encode(const char *listing, json_object *key, char **out)
{
    char digest[CURSOR_DIGEST_HEX + 1];
    json_object *doc = NULL;
    const char *key_text, *text;
    int rc = -1;

    if (out == NULL)
        return -1;
    *out = NULL;
    if (listing == NULL || key == NULL || !json_object_is_type(key, json_type_object))
        return -1;
    if ((key_text = cursor_key_text(key)) == NULL || cursor_digest(listing, key_text, digest) != 0)
        return -1;
    if ((doc = json_object_new_object()) == NULL)
        return -1;
    json_object *l = json_object_new_string(listing);
    if (l == NULL || json_object_object_add(doc, "l", l) != 0) {
        json_object_put(l);
        goto out;
    }
    json_object *k = json_object_get(key);
    if (json_object_object_add(doc, "k", k) != 0) {
        json_object_put(k);
        goto out;
    }
    json_object *d = json_object_new_string(digest);
    if (d == NULL || json_object_object_add(doc, "d", d) != 0) {
        json_object_put(d);
        goto out;
    }
    if ((text = cursor_key_text(doc)) == NULL)
        goto out;
    *out = cursor_b64_encode((const unsigned char *)text, strlen(text));
    if (*out == NULL)
        goto out;
    /* Decode would refuse it: better no cursor than one that fails the next request. */
    if (strlen(*out) > CURSOR_MAX) {
        free(*out);
        *out = NULL;
        goto out;
    }
    rc = 0;
out:
    json_object_put(doc);
    return rc;
}

/* Member name of obj as a value of type t, or NULL. */
static json_object *
cursor_member(json_object *obj, const char *name, json_type t)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(obj, name, &v) || v == NULL || !json_object_is_type(v, t))
        return NULL;
    return v;
}

/* One attribute value from a cursor: exactly {"<type>": "<text>"} with text of the type. */
static int
cursor_check_value(json_object *av, const char *type)
{
    json_object *v;

    if (av == NULL || !json_object_is_type(av, json_type_object) ||
        json_object_object_length(av) != 1 ||
        (v = cursor_member(av, type, json_type_string)) == NULL)
        return -1;
    size_t len = (size_t)json_object_get_string_len(v);
    const char *s = json_object_get_string(v);
    /* Key attributes are never empty, and an embedded NUL is no key we wrote. */
    if (len == 0 || len > CURSOR_VALUE_MAX || strlen(s) != len)
        return -1;
    if (strcmp(type, "S") == 0)
        return 0;
    if (strcmp(type, "N") == 0)
        return marshal_number_valid(s) ? 0 : -1;
    return -1;
}

static int
cursor_check_key(json_object *key, const struct cursor_attr *attrs, size_t nattrs)
{
    if (key == NULL || !json_object_is_type(key, json_type_object) ||
        (size_t)json_object_object_length(key) != nattrs)
        return -1;
    for (size_t i = 0; i < nattrs; i++) {
        json_object *av = NULL;
        if (attrs[i].name == NULL || attrs[i].type == NULL ||
            !json_object_object_get_ex(key, attrs[i].name, &av) ||
            cursor_check_value(av, attrs[i].type) != 0)
            return -1;
    }
    return 0;
}

int
cursor_decode(const char *listing, const char *cursor, const struct cursor_attr *attrs,
              size_t nattrs, json_object **key)
{
    char digest[CURSOR_DIGEST_HEX + 1];
    unsigned char *bytes = NULL;
    size_t len, nbytes = 0;
    json_tokener *tok = NULL;
    json_object *doc = NULL, *l, *k, *d;
    const char *key_text;
    int rc = -1;

    if (key == NULL)
        return -1;
    *key = NULL;
    if (listing == NULL || cursor == NULL || attrs == NULL || nattrs == 0)
        return -1;
    len = strnlen(cursor, CURSOR_MAX + 1);
    if (len == 0 || len > CURSOR_MAX)
        return -1;
    if (cursor_b64_decode(cursor, len, &bytes, &nbytes) != 0)
        return -1;
    /* A NUL inside would end the text json-c sees early. */
    if (strlen((const char *)bytes) != nbytes)
        goto out;
    if ((tok = json_tokener_new_ex(CURSOR_JSON_DEPTH)) == NULL)
        goto out;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    doc = json_tokener_parse_ex(tok, (const char *)bytes, (int)nbytes);
    if (doc == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != nbytes)
        goto out;
    if (!json_object_is_type(doc, json_type_object) || json_object_object_length(doc) != 3 ||
        (l = cursor_member(doc, "l", json_type_string)) == NULL ||
        (k = cursor_member(doc, "k", json_type_object)) == NULL ||
        (d = cursor_member(doc, "d", json_type_string)) == NULL)
        goto out;
    if ((size_t)json_object_get_string_len(l) != strlen(listing) ||
        strcmp(json_object_get_string(l), listing) != 0)
        goto out;
    if (cursor_check_key(k, attrs, nattrs) != 0)
        goto out;
    if ((key_text = cursor_key_text(k)) == NULL || cursor_digest(listing, key_text, digest) != 0)
        goto out;
    if (json_object_get_string_len(d) != CURSOR_DIGEST_HEX ||
        strcmp(json_object_get_string(d), digest) != 0)
        goto out;
    *key = json_object_get(k);
    rc = 0;
out:
    json_object_put(doc);
    if (tok != NULL)
        json_tokener_free(tok);
    free(bytes);
    return rc;
}
