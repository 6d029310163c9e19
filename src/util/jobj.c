#include "util/jobj.h"

static int
jobj_add_flags(json_object *obj, const char *key, json_object *val, unsigned flags)
{
    if (val == NULL)
        return -1;
    /* json-c asserts on a non-object (NULL included): refused here instead. */
    if (!json_object_is_type(obj, json_type_object) ||
        json_object_object_add_ex(obj, key, val, flags) != 0) {
        json_object_put(val);
        return -1;
    }
    return 0;
}

int
jobj_add(json_object *obj, const char *key, json_object *val)
{
    return jobj_add_flags(obj, key, val, 0);
}

int
jobj_add_literal(json_object *obj, const char *key, json_object *val)
{
    return jobj_add_flags(obj, key, val, JSON_C_OBJECT_ADD_CONSTANT_KEY);
}
