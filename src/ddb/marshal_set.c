/* Sets both ways: {"$set": [...]} to SS, NS or BS and back, each member checked, duplicates
 * found as DynamoDB finds them. */
#include "ddb/marshal_parts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

static const char *const set_av_type[] = {"SS", "NS", "BS"};
static const char *const set_kind_name[] = {"string", "number", "binary"};

/* One set member: its text as sent (string, number, base64) and what duplicates compare. */
struct set_member {
    const char *text;
    size_t len;
    const char *key;
    size_t key_len;
};

static int
member_cmp(const void *a, const void *b)
{
    const struct set_member *x = *(const struct set_member *const *)a;
    const struct set_member *y = *(const struct set_member *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = n > 0 ? memcmp(x->key, y->key, n) : 0;

    if (c != 0)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Sorts equal keys by position, so that the later of two duplicates is the one reported. */
static int
member_sort_cmp(const void *a, const void *b)
{
    const struct set_member *x = *(const struct set_member *const *)a;
    const struct set_member *y = *(const struct set_member *const *)b;
    int c = member_cmp(a, b);

    if (c != 0)
        return c;
    return (x > y) - (x < y);
}

/* Validates the members of a set of one kind, adds their sizes ("sum of elements") and
 * rejects duplicates, found by sorting so that a large set costs n log n, not n^2. */
static ddb_status
set_check(enum set_kind kind, struct set_member *m, size_t n, struct attr_path *p, size_t *size,
          struct ddb_error *err)
{
    char *num_keys = NULL;
    struct set_member **sorted = NULL;
    ddb_status st = DDB_OK;
    size_t i, mark, total = 0, bytes = 0;
    struct number num;

    if (kind == SET_N) {
        if (n > SIZE_MAX / NUM_KEY_MAX)
            return marshal_nomem(err, p);
        num_keys = malloc(n * NUM_KEY_MAX);
        if (num_keys == NULL)
            return marshal_nomem(err, p);
    }
    for (i = 0; i < n; i++) {
        mark = marshal_path_push_index(p, i);
        m[i].key = m[i].text;
        m[i].key_len = m[i].len;
        switch (kind) {
        case SET_S:
            if (!utf8_valid((const unsigned char *)m[i].text, m[i].len))
                st = marshal_fail(err, DDB_ERR_INVALID, p, "string is not valid UTF-8");
            bytes = m[i].len;
            break;
        case SET_N:
            st = marshal_number_check(m[i].text, m[i].len, &num, p, err);
            if (st != DDB_OK)
                break;
            bytes = marshal_number_size(&num);
            m[i].key = num_keys + i * NUM_KEY_MAX;
            m[i].key_len = marshal_number_key(&num, num_keys + i * NUM_KEY_MAX);
            break;
        case SET_B:
            st = marshal_binary_size(m[i].text, m[i].len, &bytes, p, err);
            break;
        }
        marshal_path_pop(p, mark);
        if (st != DDB_OK)
            goto done;
        total = marshal_size_add(total, bytes);
    }

    sorted = malloc(n * sizeof(*sorted));
    if (sorted == NULL) {
        st = marshal_nomem(err, p);
        goto done;
    }
    for (i = 0; i < n; i++)
        sorted[i] = &m[i];
    qsort(sorted, n, sizeof(*sorted), member_sort_cmp);
    for (i = 1; i < n; i++) {
        if (member_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            const struct set_member *dup = sorted[i];
            mark = marshal_path_push_index(p, (size_t)(dup - m));
            st = marshal_fail(err, DDB_ERR_INVALID, p, "duplicate %s set member \"%.*s\"",
                              set_kind_name[kind], QUOTE_MAX, dup->text);
            marshal_path_pop(p, mark);
            goto done;
        }
    }
    if (size != NULL)
        *size = marshal_size_add(*size, total);

done:
    free(sorted);
    free(num_keys);
    return st;
}

/* The kind of one plain $set member and its text as the AV carries it. */
static ddb_status
plain_member(json_object *v, const struct attr_path *p, enum set_kind *kind, struct set_member *m,
             struct ddb_error *err)
{
    json_object *tv = NULL;
    const char *tag;

    switch (json_object_get_type(v)) {
    case json_type_string:
        *kind = SET_S;
        m->text = json_object_get_string(v);
        m->len = (size_t)json_object_get_string_len(v);
        return DDB_OK;
    case json_type_int:
    case json_type_double:
        *kind = SET_N;
        return marshal_plain_number_text(v, p, &m->text, &m->len, err);
    case json_type_object:
        tag = marshal_plain_tag(v, &tv);
        if (tag != NULL && strcmp(tag, "$binary") == 0 &&
            json_object_is_type(tv, json_type_string)) {
            *kind = SET_B;
            m->text = json_object_get_string(tv);
            m->len = (size_t)json_object_get_string_len(tv);
            return DDB_OK;
        }
        break;
    default:
        break;
    }
    return marshal_fail(err, DDB_ERR_INVALID, p,
                        "a set member must be a string, a number or {\"$binary\": \"<base64>\"}");
}

/* The members of a set of n: none is an error (DynamoDB has no empty set). */
static ddb_status
members_new(size_t n, const struct attr_path *p, struct set_member **m, struct ddb_error *err)
{
    *m = NULL;
    if (n == 0)
        return marshal_fail(err, DDB_ERR_INVALID, p, "a set must not be empty");
    *m = calloc(n, sizeof(**m));
    if (*m == NULL)
        return marshal_nomem(err, p);
    return DDB_OK;
}

/* One checked member as an element of a list: its text, as SS, NS and BS carry it, or (plain)
 * a string, a number or {"$binary": ...}. */
static ddb_status
member_value(enum set_kind kind, const struct set_member *m, int plain, const struct attr_path *p,
             json_object **out, struct ddb_error *err)
{
    if (plain && kind == SET_N)
        return marshal_plain_number_new(m->text, m->len, out) == DDB_OK ? DDB_OK
                                                                        : marshal_nomem(err, p);
    if (plain && kind == SET_B)
        return marshal_wrap("$binary", marshal_new_string(m->text, m->len), out, p, err);
    *out = marshal_new_string(m->text, m->len);
    return *out != NULL ? DDB_OK : marshal_nomem(err, p);
}

/* The checked members as an attribute value ({"SS": [...]} ...) or (plain) as
 * {"$set": [...]}. */
static ddb_status
set_new(enum set_kind kind, const struct set_member *m, size_t n, int plain,
        const struct attr_path *p, json_object **out, struct ddb_error *err)
{
    json_object *list = json_object_new_array(), *e = NULL;
    ddb_status st = DDB_OK;
    size_t i;

    if (list == NULL)
        return marshal_nomem(err, p);
    for (i = 0; i < n; i++) {
        st = member_value(kind, &m[i], plain, p, &e, err);
        if (st != DDB_OK)
            goto fail;
        if (json_object_array_add(list, e) != 0) {
            json_object_put(e);
            st = marshal_nomem(err, p);
            goto fail;
        }
    }
    return marshal_wrap(plain ? "$set" : set_av_type[kind], list, out, p, err);

fail:
    json_object_put(list);
    return st;
}

/* {"$set": [...]} to SS, NS or BS, the kind given by the members. */
ddb_status
marshal_set_to_av(json_object *arr, struct attr_path *p, json_object **out, struct ddb_error *err)
{
    struct set_member *m = NULL;
    enum set_kind kind = SET_S, k = SET_S;
    size_t n, i, mark;
    ddb_status st;

    if (!json_object_is_type(arr, json_type_array))
        return marshal_fail(err, DDB_ERR_INVALID, p, "\"$set\" must be an array");
    n = json_object_array_length(arr);
    if ((st = members_new(n, p, &m, err)) != DDB_OK)
        return st;
    for (i = 0; i < n; i++) {
        mark = marshal_path_push_index(p, i);
        st = plain_member(json_object_array_get_idx(arr, i), p, &k, &m[i], err);
        if (st == DDB_OK && i > 0 && k != kind)
            st = marshal_fail(err, DDB_ERR_INVALID, p, "a set mixes %s and %s members",
                              set_kind_name[kind], set_kind_name[k]);
        marshal_path_pop(p, mark);
        if (st != DDB_OK)
            goto done;
        kind = k;
    }
    st = set_check(kind, m, n, p, NULL, err);
    if (st == DDB_OK)
        st = set_new(kind, m, n, 0, p, out, err);

done:
    free(m);
    return st;
}

/* SS, NS or BS to {"$set": [...]} (when plain is wanted) and their size. */
ddb_status
marshal_set_from_av(enum set_kind kind, json_object *arr, struct attr_path *p, json_object **plain,
                    size_t *size, struct ddb_error *err)
{
    struct set_member *m = NULL;
    json_object *v;
    size_t n, i, mark;
    ddb_status st;

    if (!json_object_is_type(arr, json_type_array))
        return marshal_fail(err, DDB_ERR_INVALID, p, "%s must be an array", set_av_type[kind]);
    n = json_object_array_length(arr);
    if ((st = members_new(n, p, &m, err)) != DDB_OK)
        return st;
    for (i = 0; i < n; i++) {
        v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string)) {
            mark = marshal_path_push_index(p, i);
            st = marshal_fail(err, DDB_ERR_INVALID, p, "%s members must be strings",
                              set_av_type[kind]);
            marshal_path_pop(p, mark);
            goto done;
        }
        m[i].text = json_object_get_string(v);
        m[i].len = (size_t)json_object_get_string_len(v);
    }
    st = set_check(kind, m, n, p, size, err);
    if (st == DDB_OK && plain != NULL)
        st = set_new(kind, m, n, 1, p, plain, err);

done:
    free(m);
    return st;
}
