/* Validation: each rule of names, emails, blood types and keywords at its boundaries (with
 * multi-byte characters), the field tables, and the query and header checks with the answers
 * they give. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/check_main.h"
#include "api/validate.h"

static char msg[VALIDATE_MSG_MAX];

/* count copies of unit into buf (NUL-terminated). */
static char *
repeat(char *buf, size_t len, const char *unit, size_t count)
{
    size_t ulen = strlen(unit);

    ck_assert_uint_lt(ulen * count, len);
    for (size_t i = 0; i < count; i++)
        memcpy(buf + i * ulen, unit, ulen);
    buf[ulen * count] = '\0';
    return buf;
}

/* One-byte to four-byte characters: the limit counts characters, not bytes. */
static const char *const units[] = {"a", "\xc3\xa9" /* é */, "\xe2\x82\xac" /* € */,
                                    "\xf0\x9f\x98\x80" /* U+1F600 */};

START_TEST(test_text_100_characters)
{
    char buf[512];

    repeat(buf, sizeof(buf), units[_i], 100);
    ck_assert_int_eq(validate_text(buf, strlen(buf), 100, msg, sizeof(msg)), 0);
    repeat(buf, sizeof(buf), units[_i], 101);
    ck_assert_int_eq(validate_text(buf, strlen(buf), 100, msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "must be at most 100 characters");
}
END_TEST

static const struct {
    const char *s;
    size_t len;
    const char *why; /* substring of the message */
} bad_texts[] = {
    {"", 0, "empty"},
    {" ", 1, "only spaces"},
    {"    ", 4, "only spaces"},
    {"\x01"
     "a",
     2, "control"},
    {"a\x1f", 2, "control"},
    {"a\tb", 3, "control"},
    {"a\nb", 3, "control"},
    {"a\x7f", 2, "control"},
    {"a\0b", 3, "control"},      /* an embedded NUL (JSON's \u0000) */
    {"a\xc2\x80", 3, "control"}, /* U+0080, first C1 */
    {"a\xc2\x85"
     "b",
     4, "control"},                   /* U+0085 NEL */
    {"\xc2\x9f", 2, "control"},       /* U+009F, last C1 */
    {"a\xc3", 2, "UTF-8"},            /* truncated sequence */
    {"\xc0\xaf", 2, "UTF-8"},         /* overlong '/' */
    {"\xed\xa0\x80", 3, "UTF-8"},     /* a surrogate */
    {"\xf4\x90\x80\x80", 4, "UTF-8"}, /* above U+10FFFF */
    {"\xff", 1, "UTF-8"},
    /* only white space or invisible characters */
    {"\xc2\xa0", 2, "only spaces"},                 /* U+00A0 */
    {"\xe3\x80\x80\xe3\x80\x80", 6, "only spaces"}, /* U+3000 */
    {"\xe1\x85\x9f", 3, "invisible"},               /* U+115F HANGUL CHOSEONG FILLER */
    {"\xe2\x80\x8b", 3, "format"},                  /* U+200B */
    {"\xef\xbb\xbf", 3, "format"},                  /* U+FEFF */
    {"a\xe2\x80\xae"
     "b",
     5, "format"}, /* U+202E RIGHT-TO-LEFT OVERRIDE */
    {"a\xe2\x81\xa6"
     "b",
     5, "format"},              /* U+2066 LEFT-TO-RIGHT ISOLATE */
    {"a\xc2\xad", 3, "format"}, /* U+00AD SOFT HYPHEN */
    {"a\xe2\x80\xa8"
     "b",
     5, "separator"},                         /* U+2028 */
    {"a\xe2\x80\xa9", 4, "separator"},        /* U+2029 */
    {"a\xef\xbf\xbf", 4, "noncharacter"},     /* U+FFFF */
    {"a\xef\xb7\x90", 4, "noncharacter"},     /* U+FDD0 */
    {"a\xef\xb7\xaf", 4, "noncharacter"},     /* U+FDEF */
    {"a\xf0\x9f\xbf\xbe", 5, "noncharacter"}, /* U+1FFFE */
    {"a\xf4\x8f\xbf\xbf", 5, "noncharacter"}, /* U+10FFFF */
};

START_TEST(test_text_refusals)
{
    ck_assert_int_eq(validate_text(bad_texts[_i].s, bad_texts[_i].len, 100, msg, sizeof(msg)), -1);
    ck_assert_msg(strstr(msg, bad_texts[_i].why) != NULL, "case %d: \"%s\" lacks \"%s\"", _i, msg,
                  bad_texts[_i].why);
}
END_TEST

static const char *const good_texts[] = {
    "Ana",
    "Zo\xc3\xab",
    "S\xc3\xa3o Paulo",
    "a\xc2\xa0"
    "b" /* NBSP is no control */,
    "\xe5\x8c\x97\xe4\xba\xac",
    "O'Brien-Smith",
    "x",
};

/* What is stored: trimmed of Unicode white space, in NFC. */
static const struct {
    const char *in;
    const char *stored;
} normalized_texts[] = {
    {" a ", "a"},
    {"Acme ", "Acme"},
    {"\xc2\xa0\xe3\x80\x80"
     "Acme\xe2\x80\x83",
     "Acme"},                        /* U+00A0 U+3000 .. U+2003 */
    {"a  b", "a  b"},                /* inside, spaces stay */
    {"Cafe\xcc\x81", "Caf\xc3\xa9"}, /* e + U+0301 -> U+00E9 */
    {"Caf\xc3\xa9", "Caf\xc3\xa9"},
    {"\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80"}, /* Hangul jamo -> U+AC00 */
    {"\xe2\x84\xab", "\xc3\x85"},                 /* ANGSTROM SIGN -> U+00C5 */
    {"\xef\xbc\xa1", "\xef\xbc\xa1"},             /* fullwidth A: NFC keeps it */
    {"\xcc\x81", "\xcc\x81"},                     /* a lone combining mark shows */
};

START_TEST(test_text_normalized)
{
    char *out = NULL;
    size_t n = 0;

    ck_assert_int_eq(validate_text_normalize(normalized_texts[_i].in,
                                             strlen(normalized_texts[_i].in), 100, &out, &n, msg,
                                             sizeof(msg)),
                     0);
    ck_assert_str_eq(out, normalized_texts[_i].stored);
    ck_assert_uint_eq(n, strlen(normalized_texts[_i].stored));
    /* validate_text takes the stored form only. */
    ck_assert_int_eq(validate_text(out, n, 100, msg, sizeof(msg)), 0);
    if (strcmp(normalized_texts[_i].in, normalized_texts[_i].stored) != 0) {
        ck_assert_int_eq(validate_text(normalized_texts[_i].in, strlen(normalized_texts[_i].in),
                                       100, msg, sizeof(msg)),
                         -1);
        ck_assert_str_eq(msg, "must be trimmed and in Unicode NFC (as names are stored)");
    }
    free(out);
}
END_TEST

/* validate_name puts the stored form in the JSON value's place; so do keywords. */
START_TEST(test_name_normalized_in_place)
{
    json_object *v = json_object_new_string(" Cafe\xcc\x81\xe3\x80\x80");
    json_object *a = json_object_new_array();

    ck_assert_int_eq(validate_name(v, msg, sizeof(msg)), 0);
    ck_assert_str_eq(json_object_get_string(v), "Caf\xc3\xa9");
    json_object_put(v);
    json_object_array_add(a, json_object_new_string("blood "));
    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), 0);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(a, 0)), "blood");
    json_object_put(a);
    /* The limit counts the stored form: 100 characters and trailing spaces are fine. */
    v = json_object_new_string(
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx   ");
    ck_assert_int_eq(validate_name(v, msg, sizeof(msg)), 0);
    ck_assert_int_eq(json_object_get_string_len(v), 100);
    json_object_put(v);
}
END_TEST

START_TEST(test_text_accepted)
{
    ck_assert_int_eq(validate_text(good_texts[_i], strlen(good_texts[_i]), 100, msg, sizeof(msg)),
                     0);
}
END_TEST

static const char *const good_emails[] = {
    "a@b.co",
    "first.last+tag@example.org",
    "x!#$%&'*+-/=?^_`{|}~@a-b.example",
    "Ana.Silva@Example.COM",
    "1@2.3",
    "a@b-c.d-e.fg",
};

START_TEST(test_email_accepted)
{
    ck_assert_msg(validate_email_text(good_emails[_i], strlen(good_emails[_i]), msg, sizeof(msg)) ==
                      0,
                  "%s: %s", good_emails[_i], msg);
}
END_TEST

static const char *const bad_emails[] = {
    "",
    "a",
    "@b.co",
    "a@",
    "a@b",
    "a@@b.co",
    "a@b@c.co",
    ".a@b.co",
    "a.@b.co",
    "a..b@c.co",
    "a@-b.co",
    "a@b-.co",
    "a@b..co",
    "a@.b.co",
    "a@b.co.",
    "a b@c.co",
    "a@b_c.co",
    "\xc3\xa9@b.co",
    "a@b\xc3\xa9.co",
    "a\"b@c.co",
    "(a)@b.co",
    "a@b.co ",
    " a@b.co",
    "a,b@c.co",
    "a@[127.0.0.1]",
    "a@b.c-",
};

START_TEST(test_email_refused)
{
    ck_assert_msg(validate_email_text(bad_emails[_i], strlen(bad_emails[_i]), msg, sizeof(msg)) ==
                      -1,
                  "accepted \"%s\"", bad_emails[_i]);
}
END_TEST

START_TEST(test_email_local_64)
{
    char local[80], addr[128];

    repeat(local, sizeof(local), "l", 64);
    snprintf(addr, sizeof(addr), "%s@example.org", local);
    ck_assert_int_eq(validate_email_text(addr, strlen(addr), msg, sizeof(msg)), 0);
    repeat(local, sizeof(local), "l", 65);
    snprintf(addr, sizeof(addr), "%s@example.org", local);
    ck_assert_int_eq(validate_email_text(addr, strlen(addr), msg, sizeof(msg)), -1);
}
END_TEST

START_TEST(test_email_label_63)
{
    char label[80], addr[128];

    repeat(label, sizeof(label), "d", 63);
    snprintf(addr, sizeof(addr), "a@%s.org", label);
    ck_assert_int_eq(validate_email_text(addr, strlen(addr), msg, sizeof(msg)), 0);
    repeat(label, sizeof(label), "d", 64);
    snprintf(addr, sizeof(addr), "a@%s.org", label);
    ck_assert_int_eq(validate_email_text(addr, strlen(addr), msg, sizeof(msg)), -1);
}
END_TEST

/* An address of exactly total bytes: a 64-byte local part and labels of at most 63. */
static void
long_address(char *addr, size_t total)
{
    char local[65], l63[64], rest[64];
    size_t tail = total - 65 - 2 * 64 - 4; /* "local@" 65, two "l63." 128, ".com" 4 */

    repeat(local, sizeof(local), "u", 64);
    repeat(l63, sizeof(l63), "d", 63);
    repeat(rest, sizeof(rest), "e", tail);
    sprintf(addr, "%s@%s.%s.%s.com", local, l63, l63, rest);
    ck_assert_uint_eq(strlen(addr), total);
}

START_TEST(test_email_254_bytes)
{
    char addr[300];

    long_address(addr, 254);
    ck_assert_msg(validate_email_text(addr, strlen(addr), msg, sizeof(msg)) == 0, "%s", msg);
    long_address(addr, 255);
    ck_assert_int_eq(validate_email_text(addr, strlen(addr), msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "must be at most 254 bytes");
}
END_TEST

START_TEST(test_blood_types)
{
    static const char *const ok[] = {"A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"};
    static const char *const bad[] = {"a+", "O", "O ", "AB", "", "0+", "AB+ ", "BA+", "O+-"};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        ck_assert_msg(validate_blood_type_text(ok[i]), "%s refused", ok[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!validate_blood_type_text(bad[i]), "%s accepted", bad[i]);
}
END_TEST

START_TEST(test_blood_type_json)
{
    json_object *v = json_object_new_string_len("A+\0x", 4);

    ck_assert_int_eq(validate_blood_type(v, msg, sizeof(msg)), -1);
    json_object_put(v);
    v = json_object_new_int(1);
    ck_assert_int_eq(validate_blood_type(v, msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "must be a string");
    json_object_put(v);
    v = json_object_new_string("AB-");
    ck_assert_int_eq(validate_blood_type(v, msg, sizeof(msg)), 0);
    json_object_put(v);
}
END_TEST

static json_object *
keywords(size_t n, const char *unit, size_t chars)
{
    json_object *a = json_object_new_array();
    char buf[256];

    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(repeat(buf, sizeof(buf), unit, chars)));
    return a;
}

START_TEST(test_keywords_20)
{
    json_object *a = keywords(20, "k", 3);

    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), 0);
    json_object_array_add(a, json_object_new_string("one more"));
    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "must hold at most 20 keywords");
    json_object_put(a);
}
END_TEST

START_TEST(test_keyword_50_characters)
{
    json_object *a = keywords(1, units[_i], 50);

    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), 0);
    json_object_put(a);
    a = keywords(2, units[_i], 51);
    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "keyword 1 must be at most 50 characters");
    json_object_put(a);
}
END_TEST

START_TEST(test_keywords_refused)
{
    json_object *a = json_object_new_array();

    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), 0); /* none is fine */
    json_object_array_add(a, json_object_new_string("ok"));
    json_object_array_add(a, json_object_new_int(5));
    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "keyword 2 must be a string");
    json_object_put(a);

    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("ok"));
    json_object_array_add(a, json_object_new_string(""));
    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "keyword 2 must not be empty");
    json_object_put(a);

    a = json_object_new_string("blood");
    ck_assert_int_eq(validate_keywords(a, msg, sizeof(msg)), -1);
    ck_assert_str_eq(msg, "must be an array of strings");
    json_object_put(a);
}
END_TEST

static const struct validate_field signup_fields[] = {
    {"email", validate_email, 1},
    {"first_name", validate_name, 1},
    {"city", validate_name, 1},
    {"type", validate_blood_type, 1},
};

/* The field names of an errors list, comma-separated, in order. */
static void
fields_of(json_object *errors, char *buf, size_t len)
{
    buf[0] = '\0';
    if (errors == NULL)
        return;
    for (size_t i = 0; i < json_object_array_length(errors); i++) {
        json_object *e = json_object_array_get_idx(errors, i), *f = NULL, *m = NULL;
        ck_assert(json_object_object_get_ex(e, "field", &f));
        ck_assert(json_object_object_get_ex(e, "message", &m));
        ck_assert_int_gt(json_object_get_string_len(m), 0);
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", used ? "," : "", json_object_get_string(f));
    }
}

static int
run_table(const char *json, char *fields, size_t len)
{
    json_object *obj = json_tokener_parse(json);
    json_object *errors = NULL;
    int n = validate_object(obj, signup_fields, 4, &errors);

    fields_of(errors, fields, len);
    json_object_put(errors);
    json_object_put(obj);
    return n;
}

START_TEST(test_object_table)
{
    char fields[256];

    ck_assert_int_eq(
        run_table(
            "{\"email\":\"a@b.co\",\"first_name\":\"Ana\",\"city\":\"Porto\",\"type\":\"O-\"}",
            fields, sizeof(fields)),
        0);
    ck_assert_int_eq(run_table("{\"email\":\"a@b.co\",\"city\":\"Porto\",\"type\":\"O-\"}", fields,
                               sizeof(fields)),
                     1);
    ck_assert_str_eq(fields, "first_name");
    /* every failing field at once: a wrong type, a bad value, a missing one, an unknown one */
    ck_assert_int_eq(run_table("{\"email\":5,\"first_name\":\"\",\"type\":\"Z\",\"age\":3}", fields,
                               sizeof(fields)),
                     5);
    ck_assert_str_eq(fields, "email,first_name,city,type,age");
    ck_assert_int_eq(run_table("[1,2]", fields, sizeof(fields)), 1);
    ck_assert_str_eq(fields, "body");
    ck_assert_int_eq(run_table("\"text\"", fields, sizeof(fields)), 1);
    ck_assert_str_eq(fields, "body");
    ck_assert_int_eq(
        run_table("{\"email\":null,\"first_name\":[\"Ana\"],\"city\":{},\"type\":true}", fields,
                  sizeof(fields)),
        4);
    ck_assert_str_eq(fields, "email,first_name,city,type");
}
END_TEST

START_TEST(test_object_null_and_immutable)
{
    static const struct validate_field patch[] = {
        {"email", validate_immutable, 0},
        {"city", validate_name, 0},
    };
    json_object *errors = NULL;
    json_object *obj = json_tokener_parse("{\"email\":\"a@b.co\"}");
    char fields[64];

    ck_assert_int_eq(validate_object(NULL, patch, 2, &errors), 1); /* JSON null */
    fields_of(errors, fields, sizeof(fields));
    ck_assert_str_eq(fields, "body");
    json_object_put(errors);
    errors = NULL;
    ck_assert_int_eq(validate_object(obj, patch, 2, &errors), 1);
    fields_of(errors, fields, sizeof(fields));
    ck_assert_str_eq(fields, "email");
    json_object_put(errors);
    json_object_put(obj);
}
END_TEST

START_TEST(test_ascii_lower)
{
    char s[] = "AbC.Z@\xc3\x89XAMPLE.COM";

    validate_ascii_lower(s);
    ck_assert_str_eq(s, "abc.z@\xc3\x89xample.com");
}
END_TEST

/* A request with one query parameter (or none) and an If-Match header (or none). */
static void
fake_request(struct http_request *req, char *qname, char *qvalue, const char *if_match)
{
    memset(req, 0, sizeof(*req));
    snprintf(req->request_id, sizeof(req->request_id), "req-test");
    if (qname != NULL) {
        req->query[0].name = qname;
        req->query[0].value = qvalue;
        req->nquery = 1;
    }
    req->if_match = if_match;
}

/* The response's problem document: its status and the first error's field ("" if none). */
static int
problem_field(const struct http_response *resp, char *field, size_t len)
{
    json_object *doc = NULL, *errors = NULL, *f = NULL, *rid = NULL;
    int status;

    field[0] = '\0';
    ck_assert_ptr_nonnull(resp->body);
    doc = json_tokener_parse(resp->body);
    ck_assert_ptr_nonnull(doc);
    ck_assert(json_object_object_get_ex(doc, "request_id", &rid));
    ck_assert_str_eq(json_object_get_string(rid), "req-test");
    status = json_object_get_int(json_object_object_get(doc, "status"));
    if (json_object_object_get_ex(doc, "errors", &errors) &&
        json_object_object_get_ex(json_object_array_get_idx(errors, 0), "field", &f))
        snprintf(field, len, "%s", json_object_get_string(f));
    json_object_put(doc);
    return status;
}

START_TEST(test_limit)
{
    static const struct {
        const char *value;
        int limit; /* 0: refused */
    } cases[] = {
        {NULL, 20}, {"1", 1},  {"100", 100}, {"007", 7},  {"0", 0},
        {"101", 0}, {"", 0},   {"-1", 0},    {"+5", 0},   {"1e2", 0},
        {" 5", 0},  {"5 ", 0}, {"5.0", 0},   {"0x10", 0}, {"99999999999999999999999", 0},
        {"abc", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_request req;
        struct http_response resp;
        char field[32];
        int limit = -1;

        fake_request(&req, cases[i].value ? "limit" : NULL, (char *)cases[i].value, NULL);
        http_response_init(&resp);
        validate_status st = validate_limit_or_reply(&req, &limit, &resp);
        if (cases[i].limit > 0) {
            ck_assert_msg(st == VALIDATE_OK, "\"%s\" refused", cases[i].value);
            ck_assert_int_eq(limit, cases[i].limit);
            ck_assert_int_eq(resp.status, 0);
        } else {
            ck_assert_msg(st == VALIDATE_ANSWERED, "\"%s\" accepted", cases[i].value);
            ck_assert_int_eq(resp.status, 422);
            ck_assert_int_eq(problem_field(&resp, field, sizeof(field)), 422);
            ck_assert_str_eq(field, "limit");
        }
        http_response_free(&resp);
    }
}
END_TEST

static const struct {
    const char *header;
    int ok;
    int any;
    size_t n;
    long long v0, v1;
} if_matches[] = {
    {"*", 1, 1, 0, 0, 0},
    {" * ", 1, 1, 0, 0, 0},
    {"\"3\"", 1, 0, 1, 3, 0},
    {"\"1\", \"2\"", 1, 0, 2, 1, 2},
    {"\"1\",\"1\"", 1, 0, 1, 1, 0},
    {" \"3\" , W/\"4\" ", 1, 0, 1, 3, 0}, /* weak: well-formed, never matches */
    {"W/\"3\"", 1, 0, 0, 0, 0},
    {"\"abc\"", 1, 0, 0, 0, 0}, /* not one of our tags: never matches */
    {"\"03\"", 1, 0, 0, 0, 0},  /* strong comparison: "03" is not "3" */
    {"\"\"", 1, 0, 0, 0, 0},
    {"\"3\",,\"4\"", 1, 0, 2, 3, 4}, /* empty list elements are allowed */
    {"\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\"", 1, 0, 8, 1, 2},
    {"\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"", 0, 0, 0, 0, 0},
    {"3", 0, 0, 0, 0, 0},
    {"\"3", 0, 0, 0, 0, 0},
    {"*, \"3\"", 0, 0, 0, 0, 0},
    {"\"3\" \"4\"", 0, 0, 0, 0, 0},
    {"", 0, 0, 0, 0, 0},
    {",", 0, 0, 0, 0, 0},
    {"W/3", 0, 0, 0, 0, 0},
    {"w/\"3\"", 0, 0, 0, 0, 0},
    {"\"a b\"", 0, 0, 0, 0, 0},
    {"**", 0, 0, 0, 0, 0},
};

START_TEST(test_if_match)
{
    struct http_request req;
    struct http_response resp;
    struct repo_match match;
    char field[32];
    int present = -1;

    fake_request(&req, NULL, NULL, if_matches[_i].header);
    http_response_init(&resp);
    validate_status st = validate_if_match_or_reply(&req, &match, &present, &resp);
    ck_assert_int_eq(present, 1);
    if (if_matches[_i].ok) {
        ck_assert_msg(st == VALIDATE_OK, "'%s' refused", if_matches[_i].header);
        ck_assert_int_eq(match.any, if_matches[_i].any);
        ck_assert_uint_eq(match.n, if_matches[_i].n);
        if (match.n > 0)
            ck_assert_int_eq(match.versions[0], if_matches[_i].v0);
        if (match.n > 1)
            ck_assert_int_eq(match.versions[1], if_matches[_i].v1);
    } else {
        ck_assert_msg(st == VALIDATE_ANSWERED, "'%s' accepted", if_matches[_i].header);
        ck_assert_int_eq(problem_field(&resp, field, sizeof(field)), 400);
    }
    http_response_free(&resp);
}
END_TEST

START_TEST(test_if_match_absent)
{
    struct http_request req;
    struct http_response resp;
    struct repo_match match;
    int present = -1;

    fake_request(&req, NULL, NULL, NULL);
    http_response_init(&resp);
    ck_assert(validate_if_match_or_reply(&req, &match, &present, &resp) == VALIDATE_OK);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(resp.status, 0);
}
END_TEST

static const struct {
    const char *body;
    size_t len;
    int status; /* 0: accepted */
    const char *field;
} bodies[] = {
    {"{\"email\":\"A@B.co\",\"first_name\":\"Ana\",\"city\":\"Porto\",\"type\":\"O+\"}", 0, 0, ""},
    {"", 0, 400, ""},
    {"{", 0, 400, ""},
    {"{\"email\":\"a@b.co\",}", 0, 400, ""},
    {"{\"first_name\":\"\xff\"}", 0, 400, ""},         /* invalid UTF-8 */
    {"{\"first_name\":\"\xed\xa0\x80\"}", 0, 400, ""}, /* an encoded surrogate */
    {"{\"x\xc0\xaf\":1}", 0, 400, ""},                 /* overlong, in a name */
    /* I-JSON: a lone surrogate escape, a name twice, \u0000 in a name are 400 */
    {"{\"email\":\"a@b.co\",\"first_name\":\"\\ud800\",\"city\":\"P\",\"type\":\"O+\"}", 0, 400,
     ""},
    {"{\"email\":\"a@b.co\",\"first_name\":5,\"first_name\":\"X\",\"city\":\"P\",\"type\":\"O+\"}",
     0, 400, ""},
    {"{\"email\":\"a@b.co\",\"first_name\":\"A\",\"city\":\"P\",\"type\":\"O+\",\"x\\u0000\":1}", 0,
     400, ""},
    /* free text is refused by its own rule, 422 on the field */
    {"{\"email\":\"a@b.co\",\"first_name\":\"\\u202eA\",\"city\":\"P\",\"type\":\"O+\"}", 0, 422,
     "first_name"},
    {"{\"email\":\"a@b.co\",\"first_name\":\"A\",\"city\":\"\\u3000\",\"type\":\"O+\"}", 0, 422,
     "city"},
    {"{\"first_name\":\"Ana\"} x", 0, 400, ""},
    {"[]", 0, 422, "body"},
    {"null", 0, 422, "body"},
    {"{\"email\":\"a@b.co\",\"first_name\":\"Ana\",\"city\":\"Porto\",\"type\":\"O+\",\"x\":1}", 0,
     422, "x"},
    {"{\"email\":\"a@b\",\"first_name\":\"Ana\",\"city\":\"Porto\",\"type\":\"O+\"}", 0, 422,
     "email"},
};

START_TEST(test_body)
{
    struct http_request req;
    struct http_response resp;
    json_object *out = NULL;
    char body[256], field[32];

    fake_request(&req, NULL, NULL, NULL);
    snprintf(body, sizeof(body), "%s", bodies[_i].body);
    req.body = body[0] != '\0' ? body : NULL;
    req.body_len = strlen(body);
    http_response_init(&resp);
    validate_status st = validate_body_or_reply(&req, signup_fields, 4, &out, &resp);
    if (bodies[_i].status == 0) {
        ck_assert(st == VALIDATE_OK);
        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(resp.status, 0);
    } else {
        ck_assert(st == VALIDATE_ANSWERED);
        ck_assert_ptr_null(out);
        ck_assert_int_eq(resp.status, bodies[_i].status);
        ck_assert_int_eq(problem_field(&resp, field, sizeof(field)), bodies[_i].status);
        ck_assert_str_eq(field, bodies[_i].field);
    }
    json_object_put(out);
    http_response_free(&resp);
}
END_TEST

static Suite *
validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("validate");

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
    tcase_add_loop_test(tc, test_text_100_characters, 0, N(units));
    tcase_add_loop_test(tc, test_text_refusals, 0, N(bad_texts));
    tcase_add_loop_test(tc, test_text_accepted, 0, N(good_texts));
    tcase_add_loop_test(tc, test_text_normalized, 0, N(normalized_texts));
    tcase_add_test(tc, test_name_normalized_in_place);
    tcase_add_loop_test(tc, test_email_accepted, 0, N(good_emails));
    tcase_add_loop_test(tc, test_email_refused, 0, N(bad_emails));
    tcase_add_test(tc, test_email_local_64);
    tcase_add_test(tc, test_email_label_63);
    tcase_add_test(tc, test_email_254_bytes);
    tcase_add_test(tc, test_blood_types);
    tcase_add_test(tc, test_blood_type_json);
    tcase_add_test(tc, test_keywords_20);
    tcase_add_loop_test(tc, test_keyword_50_characters, 0, N(units));
    tcase_add_test(tc, test_keywords_refused);
    tcase_add_test(tc, test_object_table);
    tcase_add_test(tc, test_object_null_and_immutable);
    tcase_add_test(tc, test_ascii_lower);
    tcase_add_test(tc, test_limit);
    tcase_add_loop_test(tc, test_if_match, 0, N(if_matches));
    tcase_add_test(tc, test_if_match_absent);
    tcase_add_loop_test(tc, test_body, 0, N(bodies));
#undef N
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(validate_suite)
