/* The client's JSON body, parsed by the standards: strict JSON (RFC 8259) in valid UTF-8, and
 * I-JSON (RFC 7493): one value and nothing after it (a NUL byte included), no member name
 * twice, no lone surrogate escape, no \u0000 in any string. json-c alone is more lenient and
 * clamps integers beyond 64 bits: here every number keeps its exact text (what it prints),
 * which the layers below store as it was sent. */
#ifndef SAVEALIFE_HTTP_BODY_H
#define SAVEALIFE_HTTP_BODY_H

#include <stddef.h>

#include <json-c/json.h>

typedef enum {
    HTTP_BODY_OK = 0,
    HTTP_BODY_INVALID, /* not such JSON: 400, why says what */
    HTTP_BODY_NOMEM,   /* an allocation failed: 500 */
} http_body_status;

/* Parses text[0..len) into *out, a new reference (NULL for the literal null). On a failure
 * why (whylen bytes; NULL allowed) says why, as "invalid JSON: bytes after the value". */
http_body_status http_body_parse_json(const char *text, size_t len, json_object **out, char *why,
                                      size_t whylen);

#endif
