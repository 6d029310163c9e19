/* Plain JSON to attribute values. */
#include "ddb/marshal_parts.h"

#include <string.h>

#include "util/utf8.h"

/* One member of an item or M (name given) or of an L (name NULL) to its attribute value,
 * added to container. */
static ddb_status
member_to_av(json_object *plain, const char *name, size_t index, int depth, struct attr_path *p,
             json_object *container, struct ddb_error *err)
{
    json_object *av = NULL;
    size_t mark = name != NULL ? marshal_path_push_key(p, name) : marshal_path_push_index(p, index);
    ddb_status st;

    if (name != NULL && !utf8_valid(name, strlen(name)))
        st = marshal_fail(err, DDB_ERR_INVALID, p, "attribute name is not valid UTF-8");
    else
        st = marshal_value_to_av(plain, depth, p, &av, err);
    if (st == DDB_OK && (name != NULL ? json_object_object_add(container, name, av)
                                      : json_object_array_add(container, av)) != 0) {
        json_object_put(av);
        st = marshal_nomem(err, p);
    }
    marshal_path_pop(p, mark);
    return st;
}

/* An object's members (an item's, children at depth 1, or an M's content) or an array's
 * elements (an L's) to attribute values, in a new object or array. */
ddb_status
marshal_members_to_av(json_object *v, int depth, struct attr_path *p, json_object **out,
                      struct ddb_error *err)
{
    int is_map = json_object_is_type(v, json_type_object);
    json_object *container = is_map ? json_object_new_object() : json_object_new_array();
    ddb_status st = DDB_OK;

    *out = NULL;
    if (container == NULL)
        return marshal_nomem(err, p);
    if (is_map) {
        struct json_object_iter it;

        json_object_object_foreachC(v, it)
        {
            st = member_to_av(it.val, it.key, 0, depth, p, container, err);
            if (st != DDB_OK)
                break;
        }
    } else {
        size_t n = json_object_array_length(v);

        for (size_t i = 0; i < n && st == DDB_OK; i++)
            st = member_to_av(json_object_array_get_idx(v, i), NULL, i, depth, p, container, err);
    }
    if (st != DDB_OK) {
        json_object_put(container);
        return st;
    }
    *out = container;
    return DDB_OK;
}

ddb_status
marshal_value_to_av(json_object *plain, int depth, struct attr_path *p, json_object **out,
                    struct ddb_error *err)
{
    json_object *val = NULL, *tv = NULL;
    const char *type = NULL, *text, *tag;
    size_t len, bytes;
    ddb_status st;

    *out = NULL;
    if (depth > MARSHAL_MAX_DEPTH)
        return marshal_fail(err, DDB_ERR_INVALID, p, "nested deeper than %d levels",
                            MARSHAL_MAX_DEPTH);
    switch (json_object_get_type(plain)) {
    case json_type_null:
        type = "NULL";
        val = json_object_new_boolean(1);
        break;
    case json_type_boolean:
        type = "BOOL";
        val = json_object_new_boolean(json_object_get_boolean(plain));
        break;
    case json_type_int:
    case json_type_double:
        st = marshal_plain_number_text(plain, p, &text, &len, err);
        if (st != DDB_OK)
            return st;
        type = "N";
        val = marshal_new_string(text, len);
        break;
    case json_type_string:
        text = json_object_get_string(plain);
        len = (size_t)json_object_get_string_len(plain);
        if (!utf8_valid((const unsigned char *)text, len))
            return marshal_fail(err, DDB_ERR_INVALID, p, "string is not valid UTF-8");
        type = "S";
        val = marshal_new_string(text, len);
        break;
    case json_type_array:
        st = marshal_members_to_av(plain, depth + 1, p, &val, err);
        if (st != DDB_OK)
            return st;
        type = "L";
        break;
    case json_type_object:
        tag = marshal_plain_tag(plain, &tv);
        if (tag != NULL && strcmp(tag, "$set") == 0)
            return marshal_set_to_av(tv, p, out, err);
        if (tag != NULL) {
            if (!json_object_is_type(tv, json_type_string))
                return marshal_fail(err, DDB_ERR_INVALID, p, "\"$binary\" must be a base64 string");
            text = json_object_get_string(tv);
            len = (size_t)json_object_get_string_len(tv);
            if ((st = marshal_binary_size(text, len, &bytes, p, err)) != DDB_OK)
                return st;
            type = "B";
            val = marshal_new_string(text, len);
            break;
        }
        st = marshal_members_to_av(plain, depth + 1, p, &val, err);
        if (st != DDB_OK)
            return st;
        type = "M";
        break;
    }
    if (type == NULL)
        return marshal_fail(err, DDB_ERR_INVALID, p, "unsupported JSON type");
    return marshal_wrap(type, val, out, p, err);
}
