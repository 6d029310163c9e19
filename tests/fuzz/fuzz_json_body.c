/* The JSON body parser (marshal_parse): any bytes, as a client may send them. What it accepts
 * must print as JSON that parses again to the same print (exact numbers kept). */
#include <json-c/json.h>

#include "ddb/marshal.h"
#include "fuzz.h"

static const char *
print(json_object *v)
{
    /* json-c prints NULL as "null", as marshal_parse gives NULL for the literal null. */
    return json_object_to_json_string_ext(v,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ddb_error err;
    json_object *doc = NULL, *again = NULL;
    char *first;
    ddb_status st;

    memset(&err, 0, sizeof(err));
    st = marshal_parse((const char *)data, size, &doc, &err);
    if (st != DDB_OK) {
        FUZZ_CHECK(doc == NULL);
        FUZZ_CHECK(st == DDB_ERR_INVALID || st == DDB_ERR_NOMEM);
        FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
        return 0;
    }
    first = strdup(print(doc));
    FUZZ_CHECK(first != NULL);
    memset(&err, 0, sizeof(err));
    st = marshal_parse(first, strlen(first), &again, &err);
    if (st != DDB_OK)
        fprintf(stderr, "the print of an accepted body is refused: %s\n", err.message);
    FUZZ_CHECK(st == DDB_OK);
    FUZZ_CHECK(strcmp(first, print(again)) == 0);
    free(first);
    json_object_put(again);
    json_object_put(doc);
    return 0;
}
