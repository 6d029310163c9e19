/* Attribute values to plain JSON, checked, and their size by the AWS rules. */
#include "ddb/marshal_parts.h"

#include <string.h>

#include "util/utf8.h"

/* One member of an item, an M (name given) or an L (name NULL): checked, its size (with its
 * name's, and 1 byte more when nested) added to *sz, and added to container when there is one. */
ddb_status
marshal_member_from_av(json_object *av, const char *name, size_t index, int depth, int nested,
                       struct attr_path *p, json_object *container, size_t *sz,
                       struct ddb_error *err)
{
    json_object *child = NULL;
    size_t name_len = name != NULL ? strlen(name) : 0, child_size = 0;
    size_t mark = name != NULL ? marshal_path_push_key(p, name) : marshal_path_push_index(p, index);
    ddb_status st;
    int added;

    if (name != NULL && !utf8_valid(name, name_len))
        st = marshal_fail(err, DDB_ERR_INVALID, p, "attribute name is not valid UTF-8");
    else
        st = marshal_value_from_av(av, depth, p, container != NULL ? &child : NULL, &child_size,
                                   err);
    if (st == DDB_OK && container != NULL) {
        added = name != NULL ? json_object_object_add(container, name, child)
                             : json_object_array_add(container, child);
        if (added != 0) {
            json_object_put(child);
            st = marshal_nomem(err, p);
        }
    }
    marshal_path_pop(p, mark);
    if (st == DDB_OK)
        *sz = marshal_size_add(
            *sz, marshal_size_add(name_len, marshal_size_add(child_size, nested ? 1 : 0)));
    return st;
}

/* An item's or M's content (names to plain values), or an L's, and its size. In an M or L
 * (nested) each element costs 1 byte more, and an M whose name would read as a $binary or
 * $set tag has no plain form. */
ddb_status
marshal_members_from_av(json_object *v, int depth, int nested, struct attr_path *p,
                        json_object **plain, size_t *size, struct ddb_error *err)
{
    int is_map = json_object_is_type(v, json_type_object);
    json_object *out = NULL, *tv = NULL;
    ddb_status st = DDB_OK;
    size_t sz = 0;

    if (plain != NULL) {
        *plain = NULL;
        if (is_map && nested && marshal_plain_tag(v, &tv) != NULL)
            return marshal_fail(
                err, DDB_ERR_INVALID, p,
                "a map whose only key is \"$binary\" or \"$set\" has no plain form");
        out = is_map ? json_object_new_object() : json_object_new_array();
        if (out == NULL)
            return marshal_nomem(err, p);
    }
    if (is_map) {
        struct json_object_iter it;

        json_object_object_foreachC(v, it)
        {
            st = marshal_member_from_av(it.val, it.key, 0, depth, nested, p, out, &sz, err);
            if (st != DDB_OK)
                goto done;
        }
    } else {
        size_t n = json_object_array_length(v);

        for (size_t i = 0; i < n && st == DDB_OK; i++)
            st = marshal_member_from_av(json_object_array_get_idx(v, i), NULL, i, depth, nested, p,
                                        out, &sz, err);
        if (st != DDB_OK)
            goto done;
    }
    if (size != NULL)
        *size = sz;
    if (plain != NULL) {
        *plain = out;
        out = NULL;
    }

done:
    json_object_put(out);
    return st;
}

/* One attribute value: validated, its size added to *size, and, when plain is not NULL,
 * converted. Sizes follow the DynamoDB developer guide, "DynamoDB item sizes and formats":
 * S its UTF-8 bytes; N see marshal_number_size; B its decoded bytes; BOOL and NULL 1 byte; L and M
 * 3 bytes plus, per element, 1 byte and the element (with its name, for M); sets the sum
 * of their members. */
ddb_status
marshal_value_from_av(json_object *av, int depth, struct attr_path *p, json_object **plain,
                      size_t *size, struct ddb_error *err)
{
    struct json_object_iter it;
    const char *type = NULL, *text;
    json_object *v = NULL, *out = NULL;
    size_t len, sz = 0;
    struct number num;
    ddb_status st = DDB_OK;

    if (plain != NULL)
        *plain = NULL;
    if (depth > MARSHAL_MAX_DEPTH)
        return marshal_fail(err, DDB_ERR_INVALID, p, "nested deeper than %d levels",
                            MARSHAL_MAX_DEPTH);
    if (!json_object_is_type(av, json_type_object) || json_object_object_length(av) != 1)
        return marshal_fail(err, DDB_ERR_INVALID, p,
                            "an attribute value must be an object with exactly one type member");
    json_object_object_foreachC(av, it)
    {
        type = it.key;
        v = it.val;
    }

    if (strcmp(type, "S") == 0 || strcmp(type, "N") == 0 || strcmp(type, "B") == 0) {
        if (!json_object_is_type(v, json_type_string))
            return marshal_fail(err, DDB_ERR_INVALID, p, "%s must be a string", type);
        text = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (type[0] == 'S') {
            if (!utf8_valid((const unsigned char *)text, len))
                return marshal_fail(err, DDB_ERR_INVALID, p, "string is not valid UTF-8");
            sz = len;
            /* The same string object, shared: nothing changes a string once made. */
            if (plain != NULL)
                out = json_object_get(v);
        } else if (type[0] == 'N') {
            if ((st = marshal_number_check(text, len, &num, p, err)) != DDB_OK)
                return st;
            sz = marshal_number_size(&num);
            if (plain != NULL && marshal_plain_number_new(text, len, &out) != DDB_OK)
                return marshal_nomem(err, p);
        } else {
            if ((st = marshal_binary_size(text, len, &sz, p, err)) != DDB_OK)
                return st;
            if (plain != NULL) {
                st = marshal_wrap("$binary", marshal_new_string(text, len), &out, p, err);
                if (st != DDB_OK)
                    return st;
            }
        }
    } else if (strcmp(type, "BOOL") == 0) {
        if (!json_object_is_type(v, json_type_boolean))
            return marshal_fail(err, DDB_ERR_INVALID, p, "BOOL must be true or false");
        sz = 1;
        if (plain != NULL && (out = json_object_new_boolean(json_object_get_boolean(v))) == NULL)
            return marshal_nomem(err, p);
    } else if (strcmp(type, "NULL") == 0) {
        if (!json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v))
            return marshal_fail(err, DDB_ERR_INVALID, p, "NULL must be true");
        sz = 1; /* plain null is json-c's NULL */
    } else if (strcmp(type, "L") == 0) {
        if (!json_object_is_type(v, json_type_array))
            return marshal_fail(err, DDB_ERR_INVALID, p, "L must be an array");
        st = marshal_members_from_av(v, depth + 1, 1, p, plain != NULL ? &out : NULL, &sz, err);
        sz = marshal_size_add(sz, 3);
    } else if (strcmp(type, "M") == 0) {
        if (!json_object_is_type(v, json_type_object))
            return marshal_fail(err, DDB_ERR_INVALID, p, "M must be an object");
        st = marshal_members_from_av(v, depth + 1, 1, p, plain != NULL ? &out : NULL, &sz, err);
        sz = marshal_size_add(sz, 3);
    } else if (strcmp(type, "SS") == 0) {
        st = marshal_set_from_av(SET_S, v, p, plain != NULL ? &out : NULL, &sz, err);
    } else if (strcmp(type, "NS") == 0) {
        st = marshal_set_from_av(SET_N, v, p, plain != NULL ? &out : NULL, &sz, err);
    } else if (strcmp(type, "BS") == 0) {
        st = marshal_set_from_av(SET_B, v, p, plain != NULL ? &out : NULL, &sz, err);
    } else {
        return marshal_fail(err, DDB_ERR_INVALID, p, "unknown attribute value type \"%.*s\"",
                            QUOTE_MAX, type);
    }
    if (st != DDB_OK)
        return st;
    if (size != NULL)
        *size = marshal_size_add(*size, sz);
    if (plain != NULL)
        *plain = out;
    return DDB_OK;
}
