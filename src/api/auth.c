#include "api/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/hex.h"

#define AUTH_DIGEST_LEN 32
/* A longer header is no token of ours; refusing it early bounds the hashing work. */
#define AUTH_TOKEN_MAX 4096
#define AUTH_LINE_MAX 1024

struct auth {
    unsigned char (*digests)[AUTH_DIGEST_LEN];
    size_t n;
    size_t cap;
};

static int
auth_add(struct auth *auth, const unsigned char digest[AUTH_DIGEST_LEN])
{
    if (auth->n == auth->cap) {
        size_t cap = auth->cap == 0 ? 4 : auth->cap * 2;
        void *grown = realloc(auth->digests, cap * AUTH_DIGEST_LEN);
        if (grown == NULL)
            return -1;
        auth->digests = grown;
        auth->cap = cap;
    }
    memcpy(auth->digests[auth->n], digest, AUTH_DIGEST_LEN);
    auth->n++;
    return 0;
}

/* One line without its newline: blank, a comment, or a digest with optional surrounding
 * blanks. Returns 1 for a digest (in out), 0 for a line to skip, -1 for a malformed one. */
static int
auth_parse_line(const char *line, size_t len, unsigned char out[AUTH_DIGEST_LEN], const char **why)
{
    size_t start = 0;
    size_t end = len;

    while (start < end && (line[start] == ' ' || line[start] == '\t'))
        start++;
    while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t' || line[end - 1] == '\r'))
        end--;
    if (start == end || line[start] == '#')
        return 0;
    if (end - start != AUTH_DIGEST_LEN * 2) {
        *why = "expected 64 lower-case hex digits (a SHA-256 digest)";
        return -1;
    }
    /* Lower case only: the file holds what `savealife hash-token` and sha256sum print, so an
     * upper-case digit means the line was written by something else and deserves a look. */
    if (hex_decode_lower(line + start, AUTH_DIGEST_LEN, out) != 0) {
        *why = "not lower-case hex digits";
        return -1;
    }
    return 1;
}

int
auth_load(const char *path, struct auth **out, char *errbuf, size_t errlen)
{
    struct auth *auth = NULL;
    FILE *f = NULL;
    char line[AUTH_LINE_MAX];
    unsigned char digest[AUTH_DIGEST_LEN];
    unsigned long lineno = 0;
    int rc = -1;

    *out = NULL;
    auth = calloc(1, sizeof(*auth));
    if (auth == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", path);
        goto out;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT) {
            snprintf(errbuf, errlen, "%s does not exist: every admin request will be refused",
                     path);
            *out = auth;
            auth = NULL;
            rc = 1;
            goto out;
        }
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        const char *why = NULL;

        lineno++;
        if (len > 0 && line[len - 1] == '\n') {
            len--;
        } else if (!feof(f)) {
            snprintf(errbuf, errlen, "%s:%lu: line too long", path, lineno);
            goto out;
        }
        int parsed = auth_parse_line(line, len, digest, &why);
        if (parsed < 0) {
            snprintf(errbuf, errlen, "%s:%lu: %s", path, lineno, why);
            goto out;
        }
        if (parsed == 1 && auth_add(auth, digest) != 0) {
            snprintf(errbuf, errlen, "%s: out of memory", path);
            goto out;
        }
    }
    if (ferror(f)) {
        snprintf(errbuf, errlen, "%s: read error", path);
        goto out;
    }
    *out = auth;
    auth = NULL;
    rc = 0;
out:
    OPENSSL_cleanse(digest, sizeof(digest));
    if (f != NULL)
        fclose(f);
    auth_free(auth);
    return rc;
}

void
auth_free(struct auth *auth)
{
    if (auth == NULL)
        return;
    if (auth->digests != NULL)
        OPENSSL_cleanse(auth->digests, auth->cap * AUTH_DIGEST_LEN);
    free(auth->digests);
    free(auth);
}

static int
auth_digest(const char *token, size_t len, unsigned char out[AUTH_DIGEST_LEN])
{
    unsigned int outlen = 0;

    if (EVP_Digest(token, len, out, &outlen, EVP_sha256(), NULL) != 1 || outlen != AUTH_DIGEST_LEN)
        return -1;
    return 0;
}

int
auth_hash_token(const char *token, size_t len, char hex[AUTH_DIGEST_HEX])
{
    unsigned char digest[AUTH_DIGEST_LEN];

    if (token == NULL || auth_digest(token, len, digest) != 0)
        return -1;
    hex_encode(digest, sizeof(digest), hex);
    OPENSSL_cleanse(digest, sizeof(digest));
    return 0;
}

static int
auth_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int
auth_check(const struct auth *auth, const char *authorization)
{
    static const char scheme[] = "bearer";
    unsigned char digest[AUTH_DIGEST_LEN];
    const char *p = authorization;
    size_t len;
    int found = 0;

    if (auth == NULL || authorization == NULL)
        return 0;
    while (auth_is_blank(*p))
        p++;
    /* RFC 7235: the scheme is case-insensitive, then one or more spaces, then the token. */
    for (size_t i = 0; i < sizeof(scheme) - 1; i++, p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != scheme[i])
            return 0;
    }
    if (*p != ' ')
        return 0;
    while (*p == ' ')
        p++;
    len = 0;
    while (p[len] != '\0' && len <= AUTH_TOKEN_MAX) {
        unsigned char c = (unsigned char)p[len];
        if (c <= 0x20 || c == 0x7f)
            break;
        len++;
    }
    if (len == 0 || len > AUTH_TOKEN_MAX)
        return 0;
    for (size_t i = len; p[i] != '\0'; i++) {
        if (!auth_is_blank(p[i]))
            return 0;
    }
    if (auth_digest(p, len, digest) != 0)
        return 0;
    /* Every digest is compared, so the time taken does not tell which one (if any) matched. */
    for (size_t i = 0; i < auth->n; i++)
        found |= CRYPTO_memcmp(digest, auth->digests[i], AUTH_DIGEST_LEN) == 0;
    OPENSSL_cleanse(digest, sizeof(digest));
    return found;
}

size_t
auth_count(const struct auth *auth)
{
    return auth == NULL ? 0 : auth->n;
}
