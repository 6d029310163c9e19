/* Admin tokens: the service keeps only SHA-256 digests (a file, one lower-case hex digest a
 * line; blank lines and lines starting with '#' ignored) and compares in constant time. */
#ifndef SAVEALIFE_AUTH_H
#define SAVEALIFE_AUTH_H

#include <stddef.h>

#define AUTH_DIGEST_HEX 65 /* 64 hex digits and a NUL */

struct auth;

/* Loads the digests in path. A missing file gives an empty set (every admin request is
 * refused) and a warning in errbuf with return 1; an unreadable file or a malformed line
 * returns -1 with a message naming the file and line; 0 otherwise. */
int auth_load(const char *path, struct auth **out, char *errbuf, size_t errlen);

/* Frees what auth_load made; NULL is allowed. */
void auth_free(struct auth *auth);

/* Whether an Authorization header value carries "Bearer <token>" (scheme case-insensitive)
 * whose digest is in the set. Every stored digest is compared, each in constant time. */
int auth_check(const struct auth *auth, const char *authorization);

/* The lower-case hex SHA-256 of a token. Returns 0 or -1. */
int auth_hash_token(const char *token, size_t len, char hex[AUTH_DIGEST_HEX]);

/* How many digests are loaded. */
size_t auth_count(const struct auth *auth);

#endif
