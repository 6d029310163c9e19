/* Attribute-value marshalling both ways.
 *
 * Byte 0 even: the rest is plain JSON (as a client's body, through http_body_parse_json) made an
 * attribute value; what converts must convert back to plain JSON that converts to itself
 * (under SAVEALIFE_FUZZ_STRICT=1: to the very same plain JSON, which needs a parser that
 * refuses what is not JSON, such as 06.5). Odd: the rest
 * is attribute values (as DynamoDB answers) made plain; the plain JSON must convert back, and
 * once more to plain, to the same (numbers are normalised once: {"N":"+5"} is 5). Bit 1 picks
 * the single-value functions rather than the item ones. */
#include <json-c/json.h>

#include "ddb/marshal.h"
#include "fuzz.h"
#include "http/body.h"

static const char *const pick_names[] = {"name", "email", "city", "id"};

/* A new copy of v's print, so that it outlives v's own buffer. */
static char *
print(json_object *v)
{
    char *s = strdup(
        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    FUZZ_CHECK(s != NULL);
    return s;
}

static ddb_status
to_av(int item, json_object *plain, json_object **av, struct ddb_error *err)
{
    return item ? marshal_item_to_av(plain, av, err) : marshal_to_av(plain, av, err);
}

static ddb_status
from_av(int item, json_object *av, json_object **plain, struct ddb_error *err)
{
    return item ? marshal_item_from_av(av, plain, err) : marshal_from_av(av, plain, err);
}

/* The item functions the repositories also call on what they convert. */
static void
item_extras(json_object *item)
{
    struct ddb_error err;
    json_object *picked = NULL;
    size_t size = 0;

    memset(&err, 0, sizeof(err));
    if (marshal_item_size(item, &size, &err) == DDB_OK)
        FUZZ_CHECK((marshal_check_item_size(item, &err) == DDB_OK) == (size <= MARSHAL_ITEM_MAX));
    if (marshal_item_pick_from_av(item, pick_names, sizeof(pick_names) / sizeof(pick_names[0]),
                                  &picked, &err) == DDB_OK)
        json_object_put(picked);
}

static void
plain_first(int item, json_object *plain)
{
    struct ddb_error err;
    json_object *av = NULL, *back = NULL;
    char *want, *got;

    memset(&err, 0, sizeof(err));
    if (to_av(item, plain, &av, &err) != DDB_OK) {
        FUZZ_CHECK(av == NULL);
        return;
    }
    if (item)
        item_extras(av);
    memset(&err, 0, sizeof(err));
    if (from_av(item, av, &back, &err) != DDB_OK)
        fprintf(stderr, "an attribute value made from plain JSON is refused: %s\n", err.message);
    FUZZ_CHECK(err.status == DDB_OK);
    want = print(plain);
    got = print(back);
    if (!fuzz_strict() && strcmp(want, got) != 0) {
        /* Accepted text that is not JSON (06.5) comes back normalised: then it is the
         * normalised form that must come back unchanged. */
        json_object *av2 = NULL, *back2 = NULL;
        FUZZ_CHECK(to_av(item, back, &av2, &err) == DDB_OK);
        FUZZ_CHECK(from_av(item, av2, &back2, &err) == DDB_OK);
        free(want);
        want = got;
        got = print(back2);
        json_object_put(back2);
        json_object_put(av2);
    }
    if (strcmp(want, got) != 0)
        fprintf(stderr, "round trip changed\n  %s\nto\n  %s\n", want, got);
    FUZZ_CHECK(strcmp(want, got) == 0);
    free(want);
    free(got);
    json_object_put(back);
    json_object_put(av);
}

static void
av_first(int item, json_object *av)
{
    struct ddb_error err;
    json_object *plain = NULL, *av2 = NULL, *plain2 = NULL;
    char *want, *got;

    memset(&err, 0, sizeof(err));
    if (item)
        item_extras(av);
    if (from_av(item, av, &plain, &err) != DDB_OK)
        return;
    memset(&err, 0, sizeof(err));
    if (to_av(item, plain, &av2, &err) != DDB_OK)
        fprintf(stderr, "plain JSON made from an attribute value is refused: %s\n", err.message);
    FUZZ_CHECK(err.status == DDB_OK);
    memset(&err, 0, sizeof(err));
    FUZZ_CHECK(from_av(item, av2, &plain2, &err) == DDB_OK);
    want = print(plain);
    got = print(plain2);
    if (strcmp(want, got) != 0)
        fprintf(stderr, "round trip changed\n  %s\nto\n  %s\n", want, got);
    FUZZ_CHECK(strcmp(want, got) == 0);
    free(want);
    free(got);
    json_object_put(plain2);
    json_object_put(av2);
    json_object_put(plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *doc = NULL;
    int av, item;

    if (size < 1)
        return 0;
    av = data[0] & 1;
    item = (data[0] & 2) == 0;
    if (http_body_parse_json((const char *)data + 1, size - 1, &doc, NULL, 0) != HTTP_BODY_OK ||
        doc == NULL)
        return 0;
    if (av)
        av_first(item, doc);
    else
        plain_first(item, doc);
    json_object_put(doc);
    return 0;
}
