#include "api/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "api/reply.h"
#include "http/body.h"
#include "util/utf8.h"

static int
validate_fail(char *msg, size_t msglen, const char *text)
{
    snprintf(msg, msglen, "%s", text);
    return -1;
}

/* Why one code point may not be in free text, or NULL. Controls (C0, DEL, C1), format
 * characters (bidi overrides, zero-width characters, the BOM), line and paragraph separators
 * and noncharacters change how text shows or reads without being seen in it. */
static const char *
validate_refused(ucs4_t uc)
{
    if (uc_is_general_category(uc, UC_CATEGORY_Cc))
        return "must not contain control characters";
    if (uc_is_general_category(uc, UC_CATEGORY_Cf))
        return "must not contain format characters (such as U+200B or U+202E)";
    if (uc_is_general_category(uc, UC_CATEGORY_Zl) || uc_is_general_category(uc, UC_CATEGORY_Zp))
        return "must not contain line or paragraph separators";
    if (uc_is_property_not_a_character(uc))
        return "must not contain noncharacters (such as U+FFFF)";
    return NULL;
}

int
validate_text_normalize(const char *s, size_t len, size_t max_chars, char **out, size_t *outlen,
                        char *msg, size_t msglen)
{
    const uint8_t *p = (const uint8_t *)s, *it, *start, *end, *next;
    uint8_t *nfc = NULL;
    size_t n = 0;
    ucs4_t uc;
    int visible = 0, rc = -1;
    const char *why;

    *out = NULL;
    *outlen = 0;
    if (len == 0)
        return validate_fail(msg, msglen, "must not be empty");
    if (!utf8_valid(s, len))
        return validate_fail(msg, msglen, "must be valid UTF-8");
    for (it = p; it < p + len;) {
        it += u8_mbtouc_unsafe(&uc, it, (size_t)(p + len - it));
        if ((why = validate_refused(uc)) != NULL)
            return validate_fail(msg, msglen, why);
    }
    nfc = u8_normalize(UNINORM_NFC, p, len, NULL, &n);
    if (nfc == NULL) {
        validate_fail(msg, msglen, "could not be checked (out of memory)");
        return -2;
    }
    /* Unicode white space (U+00A0, U+3000, ...) at either end is not part of the text. */
    start = nfc;
    end = nfc + n;
    while (start < end && (next = u8_next(&uc, start)) != NULL && uc_is_property_white_space(uc))
        start = next;
    while (end > start) {
        const uint8_t *prev = u8_prev(&uc, end, start);
        if (prev == NULL || !uc_is_property_white_space(uc))
            break;
        end = prev;
    }
    for (it = start; it < end && !visible;) {
        it += u8_mbtouc_unsafe(&uc, it, (size_t)(end - it));
        visible =
            !uc_is_property_white_space(uc) && !uc_is_property_default_ignorable_code_point(uc);
    }
    if (!visible) {
        validate_fail(msg, msglen, "must not be only spaces or invisible characters");
        goto done;
    }
    if (u8_mbsnlen(start, (size_t)(end - start)) > max_chars) {
        snprintf(msg, msglen, "must be at most %zu characters", max_chars);
        goto done;
    }
    if ((*out = malloc((size_t)(end - start) + 1)) == NULL) {
        validate_fail(msg, msglen, "could not be checked (out of memory)");
        rc = -2;
        goto done;
    }
    *outlen = (size_t)(end - start);
    memcpy(*out, start, *outlen);
    (*out)[*outlen] = '\0';
    rc = 0;
done:
    free(nfc);
    return rc;
}

int
validate_text(const char *s, size_t len, size_t max_chars, char *msg, size_t msglen)
{
    char *norm = NULL;
    size_t n;
    int rc = validate_text_normalize(s, len, max_chars, &norm, &n, msg, msglen);

    if (rc == 0 && (n != len || memcmp(norm, s, len) != 0))
        rc = validate_fail(msg, msglen, "must be trimmed and in Unicode NFC (as names are stored)");
    free(norm);
    return rc < 0 ? -1 : 0;
}

/* RFC 5322 atext: letters, digits and these. */
static int
validate_is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
validate_is_label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

int
validate_email_text(const char *s, size_t len, char *msg, size_t msglen)
{
    static const char shape[] = "must be an address such as name@example.org";
    const char *at = len > 0 ? memchr(s, '@', len) : NULL;

    if (len > VALIDATE_EMAIL_MAX) {
        snprintf(msg, msglen, "must be at most %d bytes", VALIDATE_EMAIL_MAX);
        return -1;
    }
    if (at == NULL)
        return validate_fail(msg, msglen, shape);

    size_t local_len = (size_t)(at - s);
    if (local_len == 0 || local_len > VALIDATE_LOCAL_MAX) {
        snprintf(msg, msglen, "the part before '@' must be 1 to %d characters", VALIDATE_LOCAL_MAX);
        return -1;
    }
    for (size_t i = 0; i < local_len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (i == 0 || i + 1 == local_len || s[i + 1] == '.')
                return validate_fail(msg, msglen,
                                     "the part before '@' must not start or end with a dot or "
                                     "hold two dots in a row");
        } else if (!validate_is_atext(c)) {
            return validate_fail(msg, msglen, shape);
        }
    }

    const char *domain = at + 1;
    size_t domain_len = len - local_len - 1;
    size_t labels = 0;
    size_t start = 0;
    for (size_t i = 0; i <= domain_len; i++) {
        if (i < domain_len && domain[i] != '.') {
            if (!validate_is_label_char((unsigned char)domain[i]))
                return validate_fail(msg, msglen, shape);
            continue;
        }
        size_t label_len = i - start;
        if (label_len == 0 || label_len > VALIDATE_LABEL_MAX || domain[start] == '-' ||
            domain[i - 1] == '-')
            return validate_fail(msg, msglen,
                                 "the domain must be labels of 1 to 63 letters, digits or '-' "
                                 "(not first or last) separated by dots");
        labels++;
        start = i + 1;
    }
    if (labels < 2)
        return validate_fail(msg, msglen, shape);
    return 0;
}

int
validate_blood_type_text(const char *s)
{
    static const char *const types[] = {"A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(s, types[i]) == 0)
            return 1;
    return 0;
}

void
validate_ascii_lower(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

int
validate_email(json_object *value, char *msg, size_t msglen)
{
    if (!json_object_is_type(value, json_type_string))
        return validate_fail(msg, msglen, "must be a string");
    return validate_email_text(json_object_get_string(value),
                               (size_t)json_object_get_string_len(value), msg, msglen);
}

/* Checks a JSON string as free text and puts its stored form (trimmed, NFC) in its place. */
static int
validate_text_value(json_object *value, size_t max_chars, char *msg, size_t msglen)
{
    char *norm = NULL;
    size_t n = 0;
    int rc;

    if (!json_object_is_type(value, json_type_string))
        return validate_fail(msg, msglen, "must be a string");
    rc = validate_text_normalize(json_object_get_string(value),
                                 (size_t)json_object_get_string_len(value), max_chars, &norm, &n,
                                 msg, msglen);
    if (rc == 0 && json_object_set_string_len(value, norm, (int)n) != 1)
        rc = validate_fail(msg, msglen, "could not be checked (out of memory)");
    free(norm);
    return rc < 0 ? -1 : 0;
}

int
validate_name(json_object *value, char *msg, size_t msglen)
{
    return validate_text_value(value, VALIDATE_TEXT_MAX, msg, msglen);
}

int
validate_blood_type(json_object *value, char *msg, size_t msglen)
{
    if (!json_object_is_type(value, json_type_string))
        return validate_fail(msg, msglen, "must be a string");
    /* strlen stops at an embedded NUL: compare lengths so "A+\u0000x" is refused. */
    if (strlen(json_object_get_string(value)) != (size_t)json_object_get_string_len(value) ||
        !validate_blood_type_text(json_object_get_string(value)))
        return validate_fail(msg, msglen, "must be one of A+ A- B+ B- AB+ AB- O+ O-");
    return 0;
}

int
validate_keywords(json_object *value, char *msg, size_t msglen)
{
    char why[VALIDATE_MSG_MAX];
    size_t n;

    if (!json_object_is_type(value, json_type_array))
        return validate_fail(msg, msglen, "must be an array of strings");
    n = json_object_array_length(value);
    if (n > VALIDATE_KEYWORDS_MAX) {
        snprintf(msg, msglen, "must hold at most %d keywords", VALIDATE_KEYWORDS_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *kw = json_object_array_get_idx(value, i);
        if (!json_object_is_type(kw, json_type_string)) {
            snprintf(msg, msglen, "keyword %zu must be a string", i + 1);
            return -1;
        }
        if (validate_text_value(kw, VALIDATE_KEYWORD_MAX, why, sizeof(why)) != 0) {
            snprintf(msg, msglen, "keyword %zu %s", i + 1, why);
            return -1;
        }
    }
    return 0;
}

int
validate_immutable(json_object *value, char *msg, size_t msglen)
{
    (void)value;
    return validate_fail(msg, msglen, "is the key and cannot be changed");
}

int
validate_error_add(json_object **errors, const char *field, const char *message)
{
    json_object *e = NULL;

    if (*errors == NULL && (*errors = json_object_new_array()) == NULL)
        return -1;
    e = json_object_new_object();
    if (e == NULL || json_object_object_add(e, "field", json_object_new_string(field)) != 0 ||
        json_object_object_add(e, "message", json_object_new_string(message)) != 0 ||
        json_object_array_add(*errors, e) != 0) {
        json_object_put(e);
        return -1;
    }
    return 0;
}

int
validate_object(json_object *obj, const struct validate_field *fields, size_t n,
                json_object **errors)
{
    char msg[VALIDATE_MSG_MAX];
    int count = 0;

    if (!json_object_is_type(obj, json_type_object))
        return validate_error_add(errors, "body", "must be a JSON object") == 0 ? 1 : -1;
    for (size_t i = 0; i < n; i++) {
        json_object *value = NULL;
        int present = json_object_object_get_ex(obj, fields[i].name, &value);

        if (!present) {
            if (!fields[i].required)
                continue;
            snprintf(msg, sizeof(msg), "is required");
        } else if (fields[i].check(value, msg, sizeof(msg)) == 0) {
            continue;
        }
        if (validate_error_add(errors, fields[i].name, msg) != 0)
            return -1;
        count++;
    }
    json_object_object_foreach(obj, key, val)
    {
        size_t i = 0;

        (void)val;
        while (i < n && strcmp(key, fields[i].name) != 0)
            i++;
        if (i < n)
            continue;
        /* The key came from the client: it is valid UTF-8 (the body parser checked) but may be
         * long; the errors list names it as sent, cut to a sane length. */
        char field[VALIDATE_TEXT_MAX + 1];
        size_t cut = strlen(key);
        if (cut >= sizeof(field)) {
            cut = sizeof(field) - 1;
            while (cut > 0 && ((unsigned char)key[cut] & 0xc0) == 0x80)
                cut--; /* not inside a UTF-8 sequence */
        }
        memcpy(field, key, cut);
        field[cut] = '\0';
        if (validate_error_add(errors, field, "unknown field") != 0)
            return -1;
        count++;
    }
    return count;
}

void
validate_reply_one(struct http_response *resp, const struct http_request *req, const char *field,
                   const char *message)
{
    json_object *errors = NULL;

    if (validate_error_add(&errors, field, message) != 0) {
        json_object_put(errors);
        reply_internal(resp, req, "validation");
        return;
    }
    if (http_response_problem(resp, 422, req->request_id, errors, "invalid %s", field) != 0)
        reply_internal(resp, req, "validation");
}

validate_status
validate_body_or_reply(const struct http_request *req, const struct validate_field *fields,
                       size_t n, json_object **out, struct http_response *resp)
{
    json_object *obj = NULL;
    json_object *errors = NULL;
    char why[320];
    int count;

    *out = NULL;
    if (req->body == NULL || req->body_len == 0) {
        if (http_response_problem(resp, 400, req->request_id, NULL, "a JSON body is required") != 0)
            reply_internal(resp, req, "validation");
        return VALIDATE_ANSWERED;
    }
    /* Checked here as well as by the parser: invalid UTF-8 anywhere in the body is a 400, and
     * never reaches a field's own check (which would make it a 422). */
    if (!utf8_valid(req->body, req->body_len)) {
        if (http_response_problem(resp, 400, req->request_id, NULL,
                                  "the body is not valid UTF-8") != 0)
            reply_internal(resp, req, "validation");
        return VALIDATE_ANSWERED;
    }
    switch (http_body_parse_json(req->body, req->body_len, &obj, why, sizeof(why))) {
    case HTTP_BODY_OK:
        break;
    case HTTP_BODY_NOMEM:
        reply_internal(resp, req, "body parse");
        return VALIDATE_ANSWERED;
    case HTTP_BODY_INVALID:
        if (http_response_problem(resp, 400, req->request_id, NULL,
                                  "the body is not valid JSON: %s", why) != 0)
            reply_internal(resp, req, "validation");
        return VALIDATE_ANSWERED;
    }
    count = validate_object(obj, fields, n, &errors);
    if (count < 0) {
        json_object_put(errors);
        json_object_put(obj);
        reply_internal(resp, req, "validation");
        return VALIDATE_ANSWERED;
    }
    if (count > 0) {
        json_object_put(obj);
        if (http_response_problem(resp, 422, req->request_id, errors, "%d invalid field%s", count,
                                  count == 1 ? "" : "s") != 0)
            reply_internal(resp, req, "validation");
        return VALIDATE_ANSWERED;
    }
    *out = obj;
    return VALIDATE_OK;
}

validate_status
validate_limit_or_reply(const struct http_request *req, int *limit, struct http_response *resp)
{
    const char *s = http_request_query(req, "limit");
    int value = 0;

    *limit = VALIDATE_LIMIT_DEFAULT;
    if (s == NULL)
        return VALIDATE_OK;
    if (*s == '\0')
        goto bad;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        value = value * 10 + (*p - '0');
        if (value > VALIDATE_LIMIT_MAX)
            goto bad;
    }
    if (value < 1)
        goto bad;
    *limit = value;
    return VALIDATE_OK;
bad:
    validate_reply_one(resp, req, "limit", "must be a whole number from 1 to 100");
    return VALIDATE_ANSWERED;
}

static const char *
validate_skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* One entity tag at *pp: adds the version a strong tag names to match. Returns 0, or -1 when
 * the tag is malformed or there are too many. */
static int
validate_entity_tag(const char **pp, struct repo_match *match)
{
    const char *p = *pp;
    int weak = 0;
    const char *start;

    if (p[0] == 'W' && p[1] == '/') {
        weak = 1;
        p += 2;
    }
    if (*p != '"')
        return -1;
    start = ++p;
    /* etagc: %x21 / %x23-7E / obs-text */
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\0' || c < 0x21 || c == 0x7f)
            return -1;
        p++;
    }
    size_t len = (size_t)(p - start);
    *pp = p + 1;
    if (weak || len == 0 || len > 18 || (start[0] == '0' && len > 1))
        return 0; /* never equal to an ETag we send ("\"<version>\"", canonical digits) */
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (start[i] < '0' || start[i] > '9')
            return 0;
        v = v * 10 + (start[i] - '0');
    }
    for (size_t i = 0; i < match->n; i++)
        if (match->versions[i] == v)
            return 0;
    if (match->n == REPO_MATCH_MAX)
        return -1;
    match->versions[match->n++] = v;
    return 0;
}

validate_status
validate_if_match_or_reply(const struct http_request *req, struct repo_match *match, int *present,
                           struct http_response *resp)
{
    const char *p = req->if_match;
    size_t tags = 0;

    memset(match, 0, sizeof(*match));
    *present = 0;
    if (p == NULL)
        return VALIDATE_OK;
    *present = 1;
    p = validate_skip_ows(p);
    if (*p == '*' && *validate_skip_ows(p + 1) == '\0') {
        match->any = 1;
        return VALIDATE_OK;
    }
    /* RFC 9110 #list: elements separated by commas; empty elements are allowed. */
    for (;;) {
        p = validate_skip_ows(p);
        if (*p == '\0')
            break;
        if (*p == ',') {
            p++;
            continue;
        }
        if (validate_entity_tag(&p, match) != 0)
            goto bad;
        tags++;
        p = validate_skip_ows(p);
        if (*p != ',' && *p != '\0')
            goto bad;
    }
    if (tags == 0)
        goto bad;
    return VALIDATE_OK;
bad:
    if (http_response_problem(resp, 400, req->request_id, NULL,
                              "If-Match must be \"*\" or a list of at most %d entity tags such "
                              "as \"3\"",
                              REPO_MATCH_MAX) != 0)
        reply_internal(resp, req, "If-Match");
    return VALIDATE_ANSWERED;
}
