/* Pagination cursors. The document is {"l":listing,"k":key}, compact JSON, in base64url
 * without padding. A cursor proves nothing about where it came from: a client can write any
 * cursor it likes, and that is harmless, because a cursor only says where a listing the
 * client may read anyway starts again, and DynamoDB's key condition still confines a query
 * to the partition asked for. So decode judges the shape alone, strictly, so that DynamoDB
 * never sees a start key it would refuse: canonical base64url, strict JSON, this listing,
 * exactly the key attributes and types given, bounded sizes, and the partition values the
 * caller requires (doc/design.md, "Cursors"). */
#include "repo/cursor.h"

#include <stdlib.h>
#include <string.h>

#include "ddb/marshal.h"
#include "util/base64.h"
#include "util/jobj.h"

/* Longest key string accepted from a cursor; DynamoDB's own key limits are 2048 (hash) and
 * 1024 (range) bytes. */
#define CURSOR_VALUE_MAX 2048
/* A cursor document is three members deep at most: {"k":{"name":{"S":...}}}. */
#define CURSOR_JSON_DEPTH 4

static const char *
cursor_key_text(json_object *key)
{
    return json_object_to_json_string_ext(key,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int
cursor_encode(const char *listing, json_object *key, char **out)
{
    json_object *doc = NULL;
    const char *text;
    int rc = -1;

    if (out == NULL)
        return -1;
    *out = NULL;
    if (listing == NULL || key == NULL || !json_object_is_type(key, json_type_object))
        return -1;
    if ((doc = json_object_new_object()) == NULL ||
        jobj_add_literal(doc, "l", json_object_new_string(listing)) != 0 ||
        jobj_add_literal(doc, "k", json_object_get(key)) != 0)
        goto out;
    if ((text = cursor_key_text(doc)) == NULL)
        goto out;
    *out = base64_url_encode(text, strlen(text));
    if (*out == NULL)
        goto out;
    /* Decode would refuse it: better no cursor than one that fails the next request. */
    if (strlen(*out) > CURSOR_MAX) {
        free(*out);
        *out = NULL;
        goto out;
    }
    rc = 0;
out:
    json_object_put(doc);
    return rc;
}

/* Member name of obj as a value of type t, or NULL. */
static json_object *
cursor_member(json_object *obj, const char *name, json_type t)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(obj, name, &v) || v == NULL || !json_object_is_type(v, t))
        return NULL;
    return v;
}

/* One attribute value from a cursor: exactly {"<type>": "<text>"} with text of the type, and
 * the text the caller requires, if any. */
static int
cursor_check_value(json_object *av, const struct cursor_attr *attr)
{
    json_object *v;

    if (av == NULL || !json_object_is_type(av, json_type_object) ||
        json_object_object_length(av) != 1 ||
        (v = cursor_member(av, attr->type, json_type_string)) == NULL)
        return -1;
    size_t len = (size_t)json_object_get_string_len(v);
    const char *s = json_object_get_string(v);
    /* Key attributes are never empty, and an embedded NUL is no key we wrote. */
    if (len == 0 || len > CURSOR_VALUE_MAX || strlen(s) != len)
        return -1;
    if (attr->value != NULL && strcmp(s, attr->value) != 0)
        return -1;
    if (strcmp(attr->type, "S") == 0)
        return 0;
    if (strcmp(attr->type, "N") == 0)
        return marshal_number_valid(s) ? 0 : -1;
    return -1;
}

static int
cursor_check_key(json_object *key, const struct cursor_attr *attrs, size_t nattrs)
{
    if (key == NULL || !json_object_is_type(key, json_type_object) ||
        (size_t)json_object_object_length(key) != nattrs)
        return -1;
    for (size_t i = 0; i < nattrs; i++) {
        json_object *av = NULL;
        if (attrs[i].name == NULL || attrs[i].type == NULL ||
            !json_object_object_get_ex(key, attrs[i].name, &av) ||
            cursor_check_value(av, &attrs[i]) != 0)
            return -1;
    }
    return 0;
}

int
cursor_decode(const char *listing, const char *cursor, const struct cursor_attr *attrs,
              size_t nattrs, json_object **key)
{
    unsigned char *bytes = NULL;
    size_t len, nbytes = 0, members;
    json_tokener *tok = NULL;
    json_object *doc = NULL, *l, *k;
    int rc = -1;

    if (key == NULL)
        return -1;
    *key = NULL;
    if (listing == NULL || cursor == NULL || attrs == NULL || nattrs == 0)
        return -1;
    len = strnlen(cursor, CURSOR_MAX + 1);
    if (len == 0 || len > CURSOR_MAX)
        return -1;
    if (base64_url_decode(cursor, len, &bytes, &nbytes) != BASE64_OK)
        return -1;
    /* A NUL inside would end the text json-c sees early. */
    if (strlen((const char *)bytes) != nbytes)
        goto out;
    if ((tok = json_tokener_new_ex(CURSOR_JSON_DEPTH)) == NULL)
        goto out;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    doc = json_tokener_parse_ex(tok, (const char *)bytes, (int)nbytes);
    if (doc == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != nbytes || !json_object_is_type(doc, json_type_object))
        goto out;
    /* Cursors written before issue 11 also carry "d", an unkeyed digest that proved nothing:
     * ignored, so that a client paging across an upgrade is not refused. */
    members = (size_t)json_object_object_length(doc);
    if ((members != 2 && (members != 3 || cursor_member(doc, "d", json_type_string) == NULL)) ||
        (l = cursor_member(doc, "l", json_type_string)) == NULL ||
        (k = cursor_member(doc, "k", json_type_object)) == NULL)
        goto out;
    if ((size_t)json_object_get_string_len(l) != strlen(listing) ||
        strcmp(json_object_get_string(l), listing) != 0)
        goto out;
    if (cursor_check_key(k, attrs, nattrs) != 0)
        goto out;
    *key = json_object_get(k);
    rc = 0;
out:
    json_object_put(doc);
    if (tok != NULL)
        json_tokener_free(tok);
    free(bytes);
    return rc;
}
