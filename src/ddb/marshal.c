/* The entry points of marshal.h (plain JSON <-> attribute values, item size by the AWS rules),
 * and what the marshalling files share: paths and errors, strings, binaries, the $binary and
 * $set tags. The plain conventions are described in marshal.h; the parts are in
 * marshal_number.c, marshal_set.c, marshal_to_av.c and marshal_from_av.c. */
#include "ddb/marshal.h"
#include "ddb/marshal_parts.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

/* Appends ".key" (or "key" first), cut at the end of the buffer. Copied by hand: it runs for
 * every attribute of every item, and only matters when something fails. */
size_t
marshal_path_push_key(struct attr_path *p, const char *key)
{
    size_t mark = p->len;

    if (p->len > 0 && p->len + 1 < sizeof(p->buf))
        p->buf[p->len++] = '.';
    for (; *key != '\0' && p->len + 1 < sizeof(p->buf); key++)
        p->buf[p->len++] = *key;
    p->buf[p->len] = '\0';
    return mark;
}

size_t
marshal_path_push_index(struct attr_path *p, size_t i)
{
    size_t mark = p->len;
    size_t room = sizeof(p->buf) - p->len;
    int n = snprintf(p->buf + p->len, room, "[%zu]", i);

    if (n < 0)
        p->buf[mark] = '\0';
    else
        p->len = (size_t)n >= room ? sizeof(p->buf) - 1 : p->len + (size_t)n;
    return mark;
}

void
marshal_path_pop(struct attr_path *p, size_t mark)
{
    p->len = mark;
    p->buf[mark] = '\0';
}

/* Sets err to "<path>: <what>" and returns status. */
ddb_status
marshal_fail(struct ddb_error *err, ddb_status status, const struct attr_path *p, const char *fmt,
             ...)
{
    char what[320];
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(what, sizeof(what), fmt, ap) < 0)
        what[0] = '\0';
    va_end(ap);
    if (p != NULL && p->len > 0)
        return ddb_error_set(err, status, "%s: %s", p->buf, what);
    return ddb_error_set(err, status, "%s", what);
}

ddb_status
marshal_nomem(struct ddb_error *err, const struct attr_path *p)
{
    return marshal_fail(err, DDB_ERR_NOMEM, p, "out of memory");
}

/* Sizes are sums over the document; saturate rather than wrap on absurd shared trees. */
size_t
marshal_size_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

json_object *
marshal_new_string(const char *s, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    return json_object_new_string_len(s, (int)len);
}

/* Checks that text is padded standard base64 in its one canonical form (equal bytes, equal
 * text) and sets *bytes to its decoded size. */
ddb_status
marshal_binary_size(const char *text, size_t len, size_t *bytes, const struct attr_path *p,
                    struct ddb_error *err)
{
    unsigned char *raw = NULL;
    int rc = base64_decode(text, len, &raw, bytes);

    free(raw);
    if (rc == BASE64_NOMEM)
        return marshal_nomem(err, p);
    if (rc != BASE64_OK)
        return marshal_fail(err, DDB_ERR_INVALID, p, "binary is not canonical padded base64");
    return DDB_OK;
}

/* Takes val, always: {type: val} in *out, or val released on failure. */
ddb_status
marshal_wrap(const char *type, json_object *val, json_object **out, const struct attr_path *p,
             struct ddb_error *err)
{
    json_object *o;

    if (val == NULL)
        return marshal_nomem(err, p);
    o = json_object_new_object();
    if (o == NULL || json_object_object_add(o, type, val) != 0) {
        json_object_put(val);
        json_object_put(o);
        return marshal_nomem(err, p);
    }
    *out = o;
    return DDB_OK;
}

/* {"$binary": ...} and {"$set": ...}: the one-member objects that mean B and sets. */
const char *
marshal_plain_tag(json_object *obj, json_object **value)
{
    struct json_object_iter it;

    if (json_object_object_length(obj) != 1)
        return NULL;
    json_object_object_foreachC(obj, it)
    {
        if (strcmp(it.key, "$binary") == 0 || strcmp(it.key, "$set") == 0) {
            *value = it.val;
            return it.key;
        }
    }
    return NULL;
}

ddb_status
marshal_to_av(json_object *plain, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "marshal_to_av: no output");
    return marshal_value_to_av(plain, 1, &p, out, err);
}

ddb_status
marshal_item_to_av(json_object *plain, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "marshal_item_to_av: no output");
    *out = NULL;
    if (!json_object_is_type(plain, json_type_object))
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    return marshal_members_to_av(plain, 1, &p, out, err);
}

ddb_status
marshal_from_av(json_object *av, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "marshal_from_av: no output");
    return marshal_value_from_av(av, 1, &p, out, NULL, err);
}

ddb_status
marshal_item_from_av(json_object *item, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "marshal_item_from_av: no output");
    *out = NULL;
    if (!json_object_is_type(item, json_type_object))
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    return marshal_members_from_av(item, 1, 0, &p, out, NULL, err);
}

ddb_status
marshal_item_pick_from_av(json_object *item, const char *const *names, size_t n, json_object **out,
                          struct ddb_error *err)
{
    struct attr_path p = {"", 0};
    json_object *obj = NULL, *av, *v;
    ddb_status st = DDB_OK;
    size_t mark, i, size = 0;

    if (out == NULL || (n > 0 && names == NULL))
        return marshal_fail(err, DDB_ERR_INVALID, NULL,
                            "marshal_item_pick_from_av: no output or names");
    *out = NULL;
    if (!json_object_is_type(item, json_type_object))
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    obj = json_object_new_object();
    if (obj == NULL)
        return marshal_nomem(err, NULL);
    for (i = 0; i < n; i++) {
        if (!json_object_object_get_ex(item, names[i], &av))
            continue;
        v = NULL;
        mark = marshal_path_push_key(&p, names[i]);
        st = marshal_value_from_av(av, 1, &p, &v, NULL, err);
        marshal_path_pop(&p, mark);
        if (st != DDB_OK)
            goto out;
        if (json_object_object_add_ex(obj, names[i], v, JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0) {
            json_object_put(v);
            st = marshal_nomem(err, NULL);
            goto out;
        }
    }
    /* The members left out are checked all the same, as marshal_item_from_av checks them. */
    if ((size_t)json_object_object_length(item) > (size_t)json_object_object_length(obj)) {
        json_object_object_foreach(item, key, val)
        {
            for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
                ;
            if (i < n)
                continue;
            st = marshal_member_from_av(val, key, 0, 1, 0, &p, NULL, &size, err);
            if (st != DDB_OK)
                goto out;
        }
    }
    *out = obj;
    obj = NULL;
out:
    json_object_put(obj);
    return st;
}

/* The item's size is the sum over its attributes of name bytes plus value size; the item
 * itself has no overhead of its own (unlike a nested M). */
ddb_status
marshal_item_size(json_object *item, size_t *size, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (size == NULL)
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "marshal_item_size: no output");
    *size = 0;
    if (!json_object_is_type(item, json_type_object))
        return marshal_fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    return marshal_members_from_av(item, 1, 0, &p, NULL, size, err);
}

ddb_status
marshal_check_item_size(json_object *item, struct ddb_error *err)
{
    size_t size = 0;
    ddb_status st = marshal_item_size(item, &size, err);

    if (st != DDB_OK)
        return st;
    if (size > MARSHAL_ITEM_MAX)
        return marshal_fail(err, DDB_ERR_ITEM_TOO_LARGE, NULL,
                            "item is %zu bytes, over DynamoDB's limit of %d bytes", size,
                            MARSHAL_ITEM_MAX);
    return DDB_OK;
}
