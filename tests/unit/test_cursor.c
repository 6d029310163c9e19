/* Unit tests for src/repo/cursor.c: cursors round-trip, and a cursor a client alters or
 * forges is refused unless it is exactly the shape of a key of that listing (a cursor claims
 * no authenticity: doc/design.md, "Cursors"). Forged documents are built here with OpenSSL's
 * own base64 (not the code under test). */
#include "../lib/check_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "repo/cursor.h"

static const struct cursor_attr company_attrs[] = {{"id", "S", NULL}};
static const struct cursor_attr donor_attrs[] = {
    {"email", "S", NULL}, {"city", "S", NULL}, {"type", "S", NULL}};
/* As donor_repo asks for Lisbon's O+ donors: the partition's values are required. */
static const struct cursor_attr lisbon_o_attrs[] = {
    {"email", "S", NULL}, {"city", "S", "Lisbon"}, {"type", "S", "O+"}};
static const struct cursor_attr number_attrs[] = {{"pk", "S", NULL}, {"n", "N", NULL}};

#define NATTRS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const donor_lisbon = "donors\nLisbon\n";
static const char *const donor_porto = "donors\nPorto\n";

static json_object *
parse(const char *text)
{
    json_object *o = json_tokener_parse(text);

    ck_assert_msg(o != NULL, "bad JSON in the test: %s", text);
    return o;
}

static const char *
text_of(json_object *o)
{
    return json_object_to_json_string_ext(o,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Standard base64 (RFC 4648 section 4, padded) of len bytes, by OpenSSL; a new string. */
static char *
std_base64(const void *data, size_t len)
{
    char *out = malloc(len / 3 * 4 + 8);

    ck_assert_ptr_nonnull(out);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* base64url without padding (RFC 4648 section 5) from the standard form. */
static char *
url_base64(const void *data, size_t len)
{
    char *s = std_base64(data, len);

    for (char *p = s; *p != '\0'; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
        else if (*p == '=')
            *p = '\0';
    }
    return s;
}

/* A cursor forged from a listing and a key text; a new string. */
static char *
forge(const char *listing, const char *key_text)
{
    json_object *doc = json_object_new_object();

    json_object_object_add(doc, "l", json_object_new_string(listing));
    json_object_object_add(doc, "k", parse(key_text));
    const char *text = text_of(doc);
    char *c = url_base64(text, strlen(text));
    json_object_put(doc);
    return c;
}

/* A cursor of raw document text. */
static char *
forge_raw(const char *doc_text)
{
    return url_base64(doc_text, strlen(doc_text));
}

static int
decodes(const char *listing, const char *cursor, const struct cursor_attr *attrs, size_t n)
{
    json_object *key = (json_object *)1;
    int rc = cursor_decode(listing, cursor, attrs, n, &key);

    if (rc != 0)
        ck_assert_msg(key == NULL, "a refused cursor left a key behind");
    json_object_put(rc == 0 ? key : NULL);
    return rc == 0;
}

static void
refused_company(const char *cursor, const char *why)
{
    ck_assert_msg(!decodes("companies", cursor, company_attrs, NATTRS(company_attrs)),
                  "accepted %s: %s", why, cursor);
}

static char *
encode(const char *listing, const char *key_text)
{
    json_object *key = parse(key_text);
    char *c = NULL;

    ck_assert_int_eq(cursor_encode(listing, key, &c), 0);
    ck_assert_ptr_nonnull(c);
    json_object_put(key);
    return c;
}

START_TEST(test_round_trip_companies)
{
    const char *key_text = "{\"id\":{\"S\":\"acme \\\"blood\\\" / co\"}}";
    json_object *want = parse(key_text), *got = NULL;
    char *c = encode("companies", key_text);

    ck_assert_int_le(strlen(c), CURSOR_MAX);
    ck_assert_int_eq(cursor_decode("companies", c, company_attrs, NATTRS(company_attrs), &got), 0);
    ck_assert_msg(json_object_equal(want, got), "got %s", text_of(got));
    json_object_put(got);
    json_object_put(want);
    free(c);
}
END_TEST

START_TEST(test_round_trip_donors_on_the_index)
{
    const char *key_text = "{\"email\":{\"S\":\"ana@example.pt\"},\"city\":{\"S\":\"São "
                           "Paulo\"},\"type\":{\"S\":\"AB+\"}}";
    const char *listing = "donors\nSão Paulo\nAB+";
    json_object *want = parse(key_text), *got = NULL;
    char *c = encode(listing, key_text);

    ck_assert_int_eq(cursor_decode(listing, c, donor_attrs, NATTRS(donor_attrs), &got), 0);
    ck_assert_msg(json_object_equal(want, got), "got %s", text_of(got));
    json_object_put(got);
    json_object_put(want);
    free(c);
}
END_TEST

/* The encoding is the one the header promises: what a reference decoder gets back is the
 * document, and only the base64url alphabet appears. */
START_TEST(test_encoding_is_unpadded_base64url)
{
    const char *key_text = "{\"id\":{\"S\":\"é?>~ü\"}}";
    char *c = encode("companies", key_text);
    char *expect = forge("companies", key_text);

    ck_assert_str_eq(c, expect);
    for (const char *p = c; *p != '\0'; p++)
        ck_assert_msg(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p) != NULL,
            "'%c' in %s", *p, c);
    free(expect);
    free(c);
}
END_TEST

START_TEST(test_round_trip_numbers)
{
    const char *ok[] = {"42", "-1.5E3", "0.000001", "99999999999999999999999999999999999999"};
    const char *bad[] = {"abc", "1e999", "NaN", "Infinity", "0x10", "1 ", ""};
    char key_text[200];

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(key_text, sizeof(key_text), "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"%s\"}}", ok[i]);
        char *c = forge("nums", key_text);
        ck_assert_msg(decodes("nums", c, number_attrs, NATTRS(number_attrs)), "refused %s", ok[i]);
        free(c);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(key_text, sizeof(key_text), "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"%s\"}}", bad[i]);
        char *c = forge("nums", key_text);
        ck_assert_msg(!decodes("nums", c, number_attrs, NATTRS(number_attrs)), "accepted N %s",
                      bad[i]);
        free(c);
    }
}
END_TEST

START_TEST(test_forged_valid_document_is_accepted)
{
    /* The control for the forgeries below: the reference-built form decodes. */
    char *c = forge("companies", "{\"id\":{\"S\":\"acme\"}}");

    ck_assert(decodes("companies", c, company_attrs, NATTRS(company_attrs)));
    free(c);
}
END_TEST

START_TEST(test_refuses_missing_and_empty)
{
    json_object *key = NULL;

    refused_company("", "an empty cursor");
    ck_assert_int_eq(cursor_decode("companies", NULL, company_attrs, 1, &key), -1);
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(test_refuses_over_cursor_max)
{
    char *c = malloc(CURSOR_MAX + 2);

    ck_assert_ptr_nonnull(c);
    memset(c, 'A', CURSOR_MAX + 1);
    c[CURSOR_MAX + 1] = '\0';
    refused_company(c, "a cursor over CURSOR_MAX");
    free(c);
}
END_TEST

/* Every single character changed, at every position, to each of two other characters: each
 * is refused, or is a key of exactly the listing's shape, in the partition asked for. A
 * changed cursor is only another place to start (nothing a client could not page to). */
START_TEST(test_every_flipped_character_refused_or_well_shaped)
{
    const char *listing = "donors\nLisbon\nO+";
    char *c = encode(listing, "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon\"},"
                              "\"type\":{\"S\":\"O+\"}}");
    size_t len = strlen(c);
    int refused = 0, accepted = 0;

    for (size_t i = 0; i < len; i++) {
        char orig = c[i];
        for (int k = 0; k < 2; k++) {
            json_object *key = NULL, *av, *s;
            c[i] = (char)(orig == 'A' + k ? 'z' - k : 'A' + k);
            if (cursor_decode(listing, c, lisbon_o_attrs, NATTRS(lisbon_o_attrs), &key) != 0) {
                ck_assert_ptr_null(key);
                refused++;
                continue;
            }
            accepted++;
            ck_assert_int_eq(json_object_object_length(key), 3);
            ck_assert(json_object_object_get_ex(key, "city", &av));
            ck_assert(json_object_object_get_ex(av, "S", &s));
            ck_assert_str_eq(json_object_get_string(s), "Lisbon");
            ck_assert(json_object_object_get_ex(key, "type", &av));
            ck_assert(json_object_object_get_ex(av, "S", &s));
            ck_assert_str_eq(json_object_get_string(s), "O+");
            ck_assert(json_object_object_get_ex(key, "email", &av));
            ck_assert(json_object_object_get_ex(av, "S", &s));
            ck_assert_uint_gt(strlen(json_object_get_string(s)), 0);
            json_object_put(key);
        }
        c[i] = orig;
    }
    /* Most changes break the base64, the JSON or the listing; a few make another email. */
    ck_assert_int_gt(refused, accepted);
    ck_assert(decodes(listing, c, lisbon_o_attrs, NATTRS(lisbon_o_attrs)));
    free(c);
}
END_TEST

/* A key in another partition than the one the caller requires is refused, even under the
 * right listing: DynamoDB would refuse it as a start key of that query. */
START_TEST(test_refuses_another_partition)
{
    const char *listing = "donors\nLisbon\nO+";
    const char *ok = "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon\"},"
                     "\"type\":{\"S\":\"O+\"}}";
    const char *bad[] = {
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Porto\"},\"type\":{\"S\":\"O+\"}}",
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon\"},\"type\":{\"S\":\"A-\"}}",
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"lisbon\"},\"type\":{\"S\":\"O+\"}}",
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon \"},\"type\":{\"S\":\"O+\"}}",
    };
    char *c = forge(listing, ok);

    ck_assert(decodes(listing, c, lisbon_o_attrs, NATTRS(lisbon_o_attrs)));
    free(c);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = forge(listing, bad[i]);
        ck_assert_msg(!decodes(listing, c, lisbon_o_attrs, NATTRS(lisbon_o_attrs)), "accepted %s",
                      bad[i]);
        /* Without the requirement the shape alone is fine. */
        ck_assert(decodes(listing, c, donor_attrs, NATTRS(donor_attrs)));
        free(c);
    }
}
END_TEST

START_TEST(test_refuses_truncated_and_extended)
{
    char *c = encode("companies", "{\"id\":{\"S\":\"acme\"}}");
    size_t len = strlen(c);
    char *longer = malloc(len + 2);

    ck_assert_ptr_nonnull(longer);
    snprintf(longer, len + 2, "%sA", c);
    refused_company(longer, "a character appended");
    c[len - 1] = '\0';
    refused_company(c, "the last character dropped");
    c[len / 2] = '\0';
    refused_company(c, "cut in half");
    free(longer);
    free(c);
}
END_TEST

START_TEST(test_refuses_padding)
{
    const char *doc = "{\"l\":\"companies\"}";
    char *std = std_base64(doc, strlen(doc));
    char *c = encode("companies", "{\"id\":{\"S\":\"acme\"}}");
    char buf[CURSOR_MAX + 8];

    ck_assert_msg(strchr(std, '=') != NULL, "the test document should need padding: %s", std);
    refused_company(std, "standard padded base64");
    snprintf(buf, sizeof(buf), "%s=", c);
    refused_company(buf, "one '=' appended");
    snprintf(buf, sizeof(buf), "%s==", c);
    refused_company(buf, "two '=' appended");
    free(c);
    free(std);
}
END_TEST

/* The same valid document in standard base64 (with '+' and '/') is refused while its
 * base64url form is accepted. */
START_TEST(test_refuses_standard_alphabet)
{
    char key_text[96], id[32];
    int found = 0;

    for (int i = 0; i < 5000 && !found; i++) {
        snprintf(id, sizeof(id), "k%d\xef\xbf\xbf~?>\xef\xbf\xbe", i);
        snprintf(key_text, sizeof(key_text), "{\"id\":{\"S\":\"%s\"}}", id);
        char *url = forge("companies", key_text);
        if (strchr(url, '-') != NULL && strchr(url, '_') != NULL) {
            char *std = strdup(url);
            ck_assert_ptr_nonnull(std);
            for (char *p = std; *p != '\0'; p++)
                *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
            ck_assert(decodes("companies", url, company_attrs, 1));
            refused_company(std, "standard base64 with '+' and '/'");
            for (char *p = std; *p != '\0'; p++) {
                if (*p == '+' || *p == '/') {
                    char keep = *p;
                    /* One standard character at a time is refused too. */
                    char *one = strdup(url);
                    ck_assert_ptr_nonnull(one);
                    one[p - std] = keep;
                    refused_company(one, "one standard base64 character");
                    free(one);
                }
            }
            free(std);
            found = 1;
        }
        free(url);
    }
    ck_assert_msg(found, "no test id gave both '-' and '_'");
}
END_TEST

START_TEST(test_refuses_bad_base64url)
{
    char *c = encode("companies", "{\"id\":{\"S\":\"acme\"}}");
    size_t len = strlen(c);
    const char bad[] = {'*', ' ', '.', '\n', '%', '"'};

    for (size_t i = 0; i < sizeof(bad); i++) {
        char orig = c[len / 3];
        c[len / 3] = bad[i];
        refused_company(c, "a character outside base64url");
        c[len / 3] = orig;
    }
    /* Five characters cannot be base64 of anything. */
    refused_company("AAAAA", "a length of 1 mod 4");
    free(c);
}
END_TEST

/* "QR" and "QQ" both carry the byte 'A' if the last character's spare bits are ignored:
 * only the canonical one (spare bits zero) is base64. */
START_TEST(test_refuses_noncanonical_trailing_bits)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char key_text[64], doc[256];

    /* A document 2 mod 3 bytes long, so its last character has two spare bits. */
    for (int extra = 0; extra < 3; extra++) {
        snprintf(key_text, sizeof(key_text), "{\"id\":{\"S\":\"acme%.*s\"}}", extra, "xyz");
        snprintf(doc, sizeof(doc), "{\"l\":\"companies\",\"k\":%s}", key_text);
        if (strlen(doc) % 3 == 2)
            break;
    }
    ck_assert_int_eq(strlen(doc) % 3, 2);
    char *c = forge_raw(doc);
    size_t len = strlen(c);
    ck_assert(decodes("companies", c, company_attrs, 1));
    int v = (int)(strchr(alphabet, c[len - 1]) - alphabet);
    ck_assert_int_eq(v & 3, 0);
    c[len - 1] = alphabet[v | 1];
    refused_company(c, "non-zero spare bits");
    c[len - 1] = alphabet[v | 2];
    refused_company(c, "non-zero spare bits");
    free(c);
}
END_TEST

START_TEST(test_refuses_not_json)
{
    const char *docs[] = {
        "hello",
        "{",
        "[\"companies\"]",
        "\"companies\"",
        "{'l':'companies'}",
        "{\"l\":\"companies\",\"k\":{\"id\":{\"S\":\"acme\"}}",
    };

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        char *c = forge_raw(docs[i]);
        refused_company(c, docs[i]);
        free(c);
    }
}
END_TEST

START_TEST(test_refuses_trailing_bytes_and_nul)
{
    char doc[300];
    const char *key_text = "{\"id\":{\"S\":\"acme\"}}";
    char *c;

    int n = snprintf(doc, sizeof(doc), "{\"l\":\"companies\",\"k\":%s}", key_text);
    c = forge_raw(doc);
    ck_assert(decodes("companies", c, company_attrs, 1));
    free(c);

    snprintf(doc + n, sizeof(doc) - (size_t)n, "x");
    c = forge_raw(doc);
    refused_company(c, "a byte after the document");
    free(c);

    doc[n] = '\0';
    doc[n + 1] = '\0';
    c = url_base64(doc, (size_t)n + 1);
    refused_company(c, "a NUL after the document");
    free(c);
}
END_TEST

/* A cursor written before issue 11 carries "d", a digest that proved nothing: whatever it
 * holds, it is ignored, and only a string "d" is that old form. */
START_TEST(test_old_digest_member_is_ignored)
{
    const char *key_text = "{\"id\":{\"S\":\"acme\"}}";
    const char *ok[] = {"\"d\":\"33ba27865c5f9b9da9a53042643459be\"", "\"d\":\"\"",
                        "\"d\":\"anything\""};
    const char *bad[] = {"\"d\":1", "\"d\":null", "\"x\":\"33ba\"", "\"d\":\"a\",\"e\":\"b\""};
    char doc[300];

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(doc, sizeof(doc), "{\"l\":\"companies\",\"k\":%s,%s}", key_text, ok[i]);
        char *c = forge_raw(doc);
        ck_assert_msg(decodes("companies", c, company_attrs, 1), "refused %s", doc);
        free(c);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(doc, sizeof(doc), "{\"l\":\"companies\",\"k\":%s,%s}", key_text, bad[i]);
        char *c = forge_raw(doc);
        refused_company(c, doc);
        free(c);
    }
}
END_TEST

START_TEST(test_refuses_another_listing)
{
    const char *donor_key =
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon\"},\"type\":{\"S\":\"O+\"}}";
    char *lisbon = encode(donor_lisbon, donor_key);
    char *company = encode("companies", "{\"id\":{\"S\":\"acme\"}}");

    ck_assert(decodes(donor_lisbon, lisbon, donor_attrs, NATTRS(donor_attrs)));
    ck_assert(!decodes(donor_porto, lisbon, donor_attrs, NATTRS(donor_attrs)));
    ck_assert(!decodes("donors\nLisbon\nO+", lisbon, donor_attrs, NATTRS(donor_attrs)));
    ck_assert(!decodes("companies", lisbon, donor_attrs, NATTRS(donor_attrs)));
    refused_company(lisbon, "a donors cursor");
    ck_assert(!decodes(donor_lisbon, company, company_attrs, NATTRS(company_attrs)));
    ck_assert(!decodes("companiesX", company, company_attrs, NATTRS(company_attrs)));
    ck_assert(!decodes("companie", company, company_attrs, NATTRS(company_attrs)));
    free(company);
    free(lisbon);
}
END_TEST

START_TEST(test_refuses_key_members_not_exactly_the_attrs)
{
    const char *keys[] = {
        "{\"id\":{\"S\":\"acme\"},\"x\":{\"S\":\"1\"}}", /* extra member */
        "{}",                                            /* missing member */
        "{\"ID\":{\"S\":\"acme\"}}",                     /* another name */
        "{\"id\":{\"N\":\"1\"}}",                        /* mistyped */
        "{\"id\":{\"B\":\"YWNtZQ==\"}}",                 /* mistyped */
        "{\"id\":{\"S\":1}}",                            /* value not a string */
        "{\"id\":{\"S\":null}}",                         /* value not a string */
        "{\"id\":{\"S\":[\"acme\"]}}",                   /* value not a string */
        "{\"id\":{\"S\":\"acme\",\"N\":\"1\"}}",         /* two types */
        "{\"id\":{}}",                                   /* no type */
        "{\"id\":\"acme\"}",                             /* not an attribute value */
        "{\"id\":{\"S\":\"\"}}",                         /* empty key string */
        "{\"id\":{\"S\":\"a\\u0000b\"}}",                /* embedded NUL */
        "{\"id\":{\"S\":\"a\xff\"}}",                    /* not UTF-8 */
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *c = forge("companies", keys[i]);
        refused_company(c, keys[i]);
        free(c);
    }

    /* Donors: each of the three index keys missing, and one extra. */
    const char *donor_keys[] = {
        "{\"city\":{\"S\":\"Lisbon\"},\"type\":{\"S\":\"O+\"}}",
        "{\"email\":{\"S\":\"a@b.pt\"},\"type\":{\"S\":\"O+\"}}",
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon\"}}",
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon\"},\"type\":{\"S\":\"O+\"},"
        "\"first_name\":{\"S\":\"Ana\"}}",
        "{\"email\":{\"S\":\"a@b.pt\"},\"city\":{\"S\":\"Lisbon\"},\"type\":{\"N\":\"1\"}}",
    };
    for (size_t i = 0; i < sizeof(donor_keys) / sizeof(donor_keys[0]); i++) {
        char *c = forge(donor_lisbon, donor_keys[i]);
        ck_assert_msg(!decodes(donor_lisbon, c, donor_attrs, NATTRS(donor_attrs)), "accepted %s",
                      donor_keys[i]);
        free(c);
    }
}
END_TEST

START_TEST(test_refuses_wrong_document_shape)
{
    char doc[400];
    const char *key_text = "{\"id\":{\"S\":\"acme\"}}";
    const char *fmts[] = {
        "{\"l\":\"companies\",\"k\":%s,\"x\":1}", "{\"L\":\"companies\",\"k\":%s}",
        "{\"l\":[\"companies\"],\"k\":%s}",       "[\"companies\",%s]",
        "{\"l\":\"companies\",\"k\":[%s]}",       "{\"k\":%s}",
        "{\"l\":\"companies\",\"K\":%s}",
    };

    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        snprintf(doc, sizeof(doc), fmts[i], key_text, key_text);
        char *c = forge_raw(doc);
        refused_company(c, doc);
        free(c);
    }
}
END_TEST

START_TEST(test_long_strings)
{
    size_t n = 1400;
    char *id = malloc(n + 1), *key_text = malloc(n + 32);

    ck_assert_ptr_nonnull(id);
    ck_assert_ptr_nonnull(key_text);
    memset(id, 'a', n);
    id[n] = '\0';
    snprintf(key_text, n + 32, "{\"id\":{\"S\":\"%s\"}}", id);
    char *c = encode("companies", key_text);
    ck_assert(decodes("companies", c, company_attrs, 1));
    free(c);

    /* A key that cannot fit in CURSOR_MAX characters gets no cursor rather than a cursor
     * decode would refuse. */
    id = realloc(id, 2050);
    key_text = realloc(key_text, 2100);
    ck_assert_ptr_nonnull(id);
    ck_assert_ptr_nonnull(key_text);
    memset(id, 'a', 2049);
    id[2049] = '\0';
    snprintf(key_text, 2100, "{\"id\":{\"S\":\"%s\"}}", id);
    json_object *key = parse(key_text);
    c = (char *)1;
    ck_assert_int_eq(cursor_encode("companies", key, &c), -1);
    ck_assert_ptr_null(c);
    json_object_put(key);
    free(key_text);
    free(id);
}
END_TEST

START_TEST(test_encode_refuses_non_object_keys)
{
    json_object *s = json_object_new_string("acme");
    char *c = (char *)1;

    ck_assert_int_eq(cursor_encode("companies", NULL, &c), -1);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(cursor_encode("companies", s, &c), -1);
    ck_assert_int_eq(cursor_encode(NULL, s, &c), -1);
    json_object_put(s);
}
END_TEST

static Suite *
cursor_suite(void)
{
    Suite *s = suite_create("cursor");
    TCase *ok = tcase_create("round_trip");
    TCase *refuse = tcase_create("refusals");

    tcase_add_test(ok, test_round_trip_companies);
    tcase_add_test(ok, test_round_trip_donors_on_the_index);
    tcase_add_test(ok, test_encoding_is_unpadded_base64url);
    tcase_add_test(ok, test_round_trip_numbers);
    tcase_add_test(ok, test_forged_valid_document_is_accepted);
    tcase_add_test(ok, test_long_strings);
    tcase_add_test(ok, test_encode_refuses_non_object_keys);
    suite_add_tcase(s, ok);
    tcase_add_test(refuse, test_refuses_missing_and_empty);
    tcase_add_test(refuse, test_refuses_over_cursor_max);
    tcase_add_test(refuse, test_every_flipped_character_refused_or_well_shaped);
    tcase_add_test(refuse, test_refuses_another_partition);
    tcase_add_test(refuse, test_refuses_truncated_and_extended);
    tcase_add_test(refuse, test_refuses_padding);
    tcase_add_test(refuse, test_refuses_standard_alphabet);
    tcase_add_test(refuse, test_refuses_bad_base64url);
    tcase_add_test(refuse, test_refuses_noncanonical_trailing_bits);
    tcase_add_test(refuse, test_refuses_not_json);
    tcase_add_test(refuse, test_refuses_trailing_bytes_and_nul);
    tcase_add_test(refuse, test_old_digest_member_is_ignored);
    tcase_add_test(refuse, test_refuses_another_listing);
    tcase_add_test(refuse, test_refuses_key_members_not_exactly_the_attrs);
    tcase_add_test(refuse, test_refuses_wrong_document_shape);
    suite_add_tcase(s, refuse);
    return s;
}

CHECK_MAIN(cursor_suite)
