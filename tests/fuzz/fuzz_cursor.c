/* The pagination cursor decoder: a cursor is a query parameter any client sends.
 *
 * Byte 0 even: the rest is a cursor, decoded for each listing the API has; one that decodes
 * must be exactly the listing's key shape (with the partition values it requires) and encode
 * again to a cursor that decodes to the same key. Odd: the rest is a key (JSON),
 * encoded for the companies' and donors' listings and decoded: a key of the listing's exact
 * shape must come back the same, any other must be refused. */
#include <json-c/json.h>

#include "fuzz.h"
#include "repo/cursor.h"

struct listing {
    const char *name;
    const struct cursor_attr *attrs;
    size_t nattrs;
};

static const struct cursor_attr company_attrs[] = {{"id", "S", NULL}};
/* As donor_repo asks for Lisbon's O+ donors: the partition's values are required. */
static const struct cursor_attr donor_attrs[] = {
    {"email", "S", NULL}, {"city", "S", "Lisbon"}, {"type", "S", "O+"}};
static const struct cursor_attr number_attrs[] = {{"pk", "S", NULL}, {"n", "N", NULL}};
static const struct listing listings[] = {
    {"companies", company_attrs, 1},
    {"donors\nLisbon\nO+", donor_attrs, 3},
    {"numbers", number_attrs, 2},
};
#define NLISTINGS (sizeof(listings) / sizeof(listings[0]))

static char *
print(json_object *v)
{
    char *s = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    FUZZ_CHECK(s != NULL);
    return s;
}

/* Encodes key for l and decodes it back: the same key, or (refused) NULL. */
static json_object *
through(const struct listing *l, json_object *key)
{
    json_object *back = NULL;
    char *c = NULL;

    if (cursor_encode(l->name, key, &c) != 0)
        return NULL;
    FUZZ_CHECK(c != NULL && strlen(c) <= CURSOR_MAX);
    if (cursor_decode(l->name, c, l->attrs, l->nattrs, &back) != 0)
        FUZZ_CHECK(back == NULL);
    free(c);
    return back;
}

static void
same(json_object *a, json_object *b)
{
    char *x = print(a), *y = print(b);

    FUZZ_CHECK(strcmp(x, y) == 0);
    free(x);
    free(y);
}

static void
decode_cursor(const char *cursor)
{
    for (size_t i = 0; i < NLISTINGS; i++) {
        const struct listing *l = &listings[i];
        json_object *key = NULL, *again;

        if (cursor_decode(l->name, cursor, l->attrs, l->nattrs, &key) != 0) {
            FUZZ_CHECK(key == NULL);
            continue;
        }
        FUZZ_CHECK(json_object_is_type(key, json_type_object));
        FUZZ_CHECK((size_t)json_object_object_length(key) == l->nattrs);
        /* A cursor claims no origin, so its shape is all that protects the query: every
         * attribute the listing names, of its type, holding the value required. */
        for (size_t j = 0; j < l->nattrs; j++) {
            json_object *av = NULL, *v = NULL;
            FUZZ_CHECK(json_object_object_get_ex(key, l->attrs[j].name, &av));
            FUZZ_CHECK(json_object_object_get_ex(av, l->attrs[j].type, &v));
            FUZZ_CHECK(json_object_is_type(v, json_type_string));
            FUZZ_CHECK(l->attrs[j].value == NULL ||
                       strcmp(json_object_get_string(v), l->attrs[j].value) == 0);
        }
        again = through(l, key);
        FUZZ_CHECK(again != NULL);
        same(key, again);
        json_object_put(again);
        json_object_put(key);
    }
}

static void
encode_key(const char *text)
{
    json_object *key = json_tokener_parse(text);

    if (key == NULL)
        return;
    for (size_t i = 0; i < NLISTINGS; i++) {
        json_object *back = through(&listings[i], key);
        if (back != NULL) {
            same(key, back);
            json_object_put(back);
        }
    }
    json_object_put(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1)
        return 0;
    text = fuzz_text(data + 1, size - 1);
    if (data[0] & 1)
        encode_key(text);
    else
        decode_cursor(text);
    free(text);
    return 0;
}
