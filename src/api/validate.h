/* Input validation as data: a route lists its body fields in a table of {name, check,
 * required}; validate_object runs the table, reports every failing field, and refuses fields
 * the table does not name. The checks themselves are exposed for query parameters and path
 * segments, and for the unit tests. */
#ifndef SAVEALIFE_API_VALIDATE_H
#define SAVEALIFE_API_VALIDATE_H

#include <stddef.h>

#include <json-c/json.h>

#include "http/request.h"
#include "http/response.h"
#include "repo/repo.h"

#define VALIDATE_EMAIL_MAX 254   /* bytes, whole address */
#define VALIDATE_LOCAL_MAX 64    /* bytes before the '@' */
#define VALIDATE_LABEL_MAX 63    /* bytes in one domain label (DNS) */
#define VALIDATE_TEXT_MAX 100    /* characters (code points) of a name or city */
#define VALIDATE_KEYWORDS_MAX 20 /* keywords of a company */
#define VALIDATE_KEYWORD_MAX 50  /* characters of one keyword */
#define VALIDATE_LIMIT_DEFAULT 20
#define VALIDATE_LIMIT_MAX 100
#define VALIDATE_MSG_MAX 160

/* Checks one JSON value; on failure writes a message for the errors list into msg and
 * returns -1, else 0. */
typedef int (*validate_fn)(json_object *value, char *msg, size_t msglen);

struct validate_field {
    const char *name;
    validate_fn check;
    int required;
};

/* Free text (names, cities, keywords) as stored: valid UTF-8 with no control (C0, DEL, C1),
 * format (bidi overrides, zero-width characters, BOM), line or paragraph separator or
 * noncharacter code point; normalised to NFC, Unicode white space trimmed at both ends, then
 * 1..max_chars code points with at least one visible. len counts bytes (the text may hold a
 * NUL, which is refused). Returns 0 with *out (malloc'd, NUL-terminated, *outlen bytes), -1
 * with a message for the errors list, or -2 when out of memory. */
int validate_text_normalize(const char *s, size_t len, size_t max_chars, char **out, size_t *outlen,
                            char *msg, size_t msglen);

/* Text already in its stored form (what validate_text_normalize makes of it is itself): ids
 * and query values that name stored text. 0, or -1 with a message. */
int validate_text(const char *s, size_t len, size_t max_chars, char *msg, size_t msglen);

/* An email address: local@domain as the module describes, at most 254 bytes. */
int validate_email_text(const char *s, size_t len, char *msg, size_t msglen);

/* One of A+ A- B+ B- AB+ AB- O+ O-. */
int validate_blood_type_text(const char *s);

/* Lower-cases the ASCII letters of s in place (emails and company ids; other characters are
 * kept as they are). */
void validate_ascii_lower(char *s);

/* The validate_fn checks. Names and keywords are free text: the check puts the stored form
 * (validate_text_normalize) in the value's place. */
/* A string that is an email address. */
int validate_email(json_object *value, char *msg, size_t msglen);
/* A string of 1..100 characters (names, cities). */
int validate_name(json_object *value, char *msg, size_t msglen);
/* One of the eight blood types. */
int validate_blood_type(json_object *value, char *msg, size_t msglen);
/* An array of at most 20 keywords of 1..50 characters. */
int validate_keywords(json_object *value, char *msg, size_t msglen);
/* A field that may not be sent (a key, which a change cannot touch). */
int validate_immutable(json_object *value, char *msg, size_t msglen);

/* Appends {"field","message"} to *errors (created when NULL). Returns 0 or -1 (memory). */
int validate_error_add(json_object **errors, const char *field, const char *message);

/* Runs the table over obj: a top level that is not an object is one error on "body"; a
 * missing required field, a failing check and a field not in the table each add one. Returns
 * the number of errors added to *errors, or -1 when out of memory. */
int validate_object(json_object *obj, const struct validate_field *fields, size_t n,
                    json_object **errors);

/* How the validate_*_or_reply functions, which answer the request themselves when its input
 * fails, end: VALIDATE_OK (go on) or VALIDATE_ANSWERED (resp holds the 400/422/500 to send). */
typedef enum { VALIDATE_OK = 0, VALIDATE_ANSWERED } validate_status;

/* The request's JSON body, parsed strictly (http_body_parse_json: 400 when empty, malformed or not
 * UTF-8) and checked against the table (422 with every error). *out is a new reference. */
validate_status validate_body_or_reply(const struct http_request *req,
                                       const struct validate_field *fields, size_t n,
                                       json_object **out, struct http_response *resp);

/* The limit query parameter: absent is 20; else 1..100 in decimal digits only, or 422 on
 * "limit". */
validate_status validate_limit_or_reply(const struct http_request *req, int *limit,
                                        struct http_response *resp);

/* If-Match: absent (*present = 0), "*", or a comma-separated list of entity tags. Strong tags
 * holding a version number go to match->versions; weak tags (W/"...") and other opaque tags
 * are well-formed but can never match (strong comparison). Anything else, "*" in a list, or
 * more than REPO_MATCH_MAX version tags is a 400. */
validate_status validate_if_match_or_reply(const struct http_request *req, struct repo_match *match,
                                           int *present, struct http_response *resp);

/* A 422 problem document with one error. */
void validate_reply_one(struct http_response *resp, const struct http_request *req,
                        const char *field, const char *message);

#endif
