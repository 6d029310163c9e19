/* What the marshalling files share: marshal.c (the entry points, paths, errors, the helpers
 * both directions use), marshal_number.c (DynamoDB's N), marshal_set.c (SS, NS, BS both ways),
 * marshal_to_av.c and marshal_from_av.c. Private to those files: nothing else includes it. */
#ifndef SAVEALIFE_MARSHAL_PARTS_H
#define SAVEALIFE_MARSHAL_PARTS_H

#include <stddef.h>
#include <json-c/json.h>

#include "ddb_error.h"

/* DynamoDB nests documents at most 32 levels deep: an item's attribute is level 1, and AWS
 * accepts a scalar inside 31 maps or lists (level 32) but not inside 32. */
#define MARSHAL_MAX_DEPTH 32

/* A canonical NS member ("+125:" and 38 digits) fits with room to spare. */
#define NUM_KEY_MAX 48

/* How much of a bad value is quoted back in an error message. */
#define QUOTE_MAX 40

#define ATTR_PATH_MAX 200

/* Where in a document a failure is, as "donor.addresses[2].zip", for error messages. */
struct attr_path {
    char buf[ATTR_PATH_MAX];
    size_t len;
};

/* A decimal number as DynamoDB reads it (the grammar of Java's BigDecimal). */
struct number {
    int negative;
    const char *int_digits; /* digits before the point */
    size_t n_int;
    const char *frac_digits; /* digits after the point */
    size_t n_frac;
    const char *exp_text; /* "e-5" as written, "" when absent */
    size_t n_exp;
    size_t first;    /* index of the first significant digit among int and frac digits */
    size_t n_sig;    /* significant digits: leading and trailing zeros don't count */
    long long exp10; /* exponent of the first significant digit; 0 for zero */
};

enum set_kind { SET_S, SET_N, SET_B };

/* marshal.c: paths, errors and the helpers both directions use. */
/* Appends ".key" (or "key" first) to the path; returns the mark to pop back to. */
size_t marshal_path_push_key(struct attr_path *p, const char *key);
/* Appends "[i]" to the path; returns the mark to pop back to. */
size_t marshal_path_push_index(struct attr_path *p, size_t i);
/* Cuts the path back to a mark. */
void marshal_path_pop(struct attr_path *p, size_t mark);
/* Sets err to "<path>: <what>" and returns status. */
ddb_status marshal_fail(struct ddb_error *err, ddb_status status, const struct attr_path *p,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* marshal_fail with DDB_ERR_NOMEM, "out of memory". */
ddb_status marshal_nomem(struct ddb_error *err, const struct attr_path *p);
/* a + b, saturated at SIZE_MAX. */
size_t marshal_size_add(size_t a, size_t b);
/* A json-c string of s[0..len); NULL when out of memory or too long. */
json_object *marshal_new_string(const char *s, size_t len);
/* Checks text is canonical padded base64; *bytes its decoded size. */
ddb_status marshal_binary_size(const char *text, size_t len, size_t *bytes,
                               const struct attr_path *p, struct ddb_error *err);
/* {type: val} in *out; takes val, releasing it on failure. */
ddb_status marshal_wrap(const char *type, json_object *val, json_object **out,
                        const struct attr_path *p, struct ddb_error *err);
/* "$binary" or "$set" when obj is a one-member tag object (*value its member), else NULL. */
const char *marshal_plain_tag(json_object *obj, json_object **value);

/* marshal_number.c: DynamoDB's N. */
/* Reads text as an N into *n and checks DynamoDB's precision and range: DDB_ERR_INVALID,
 * with the reason, when it is not one. */
ddb_status marshal_number_check(const char *text, size_t len, struct number *n,
                                const struct attr_path *p, struct ddb_error *err);
/* The form equal numbers share, for NS duplicates; buf holds NUM_KEY_MAX bytes. */
size_t marshal_number_key(const struct number *n, char *buf);
/* A checked number's size by the AWS rules. */
size_t marshal_number_size(const struct number *n);
/* The plain JSON number for a valid N's text (DDB_ERR_INVALID if it is not one). */
ddb_status marshal_plain_number_new(const char *text, size_t len, json_object **out);
/* The checked decimal text of a json-c number. */
ddb_status marshal_plain_number_text(json_object *num, const struct attr_path *p, const char **text,
                                     size_t *len, struct ddb_error *err);

/* marshal_set.c: SS, NS, BS both ways. */
/* The array of {"$set": [...]} to SS, NS or BS, the kind given by its members. */
ddb_status marshal_set_to_av(json_object *arr, struct attr_path *p, json_object **out,
                             struct ddb_error *err);
/* SS, NS or BS checked, its size added to *size, and (plain not NULL) as {"$set": [...]}. */
ddb_status marshal_set_from_av(enum set_kind kind, json_object *arr, struct attr_path *p,
                               json_object **plain, size_t *size, struct ddb_error *err);

/* marshal_to_av.c: plain JSON to attribute values. */
/* One plain value at depth to its attribute value. */
ddb_status marshal_value_to_av(json_object *plain, int depth, struct attr_path *p,
                               json_object **out, struct ddb_error *err);
/* An object's members (item or M) or an array's elements (L) to attribute values. */
ddb_status marshal_members_to_av(json_object *v, int depth, struct attr_path *p, json_object **out,
                                 struct ddb_error *err);

/* marshal_from_av.c: attribute values to plain JSON, and their size. */
/* One attribute value checked, its size added to *size, and (plain not NULL) converted. */
ddb_status marshal_value_from_av(json_object *av, int depth, struct attr_path *p,
                                 json_object **plain, size_t *size, struct ddb_error *err);
/* One member of an item or M (name given), or of an L (name NULL): its name and value
 * checked, its size added to *sz, and, when container is not NULL, its plain value added. */
ddb_status marshal_member_from_av(json_object *av, const char *name, size_t index, int depth,
                                  int nested, struct attr_path *p, json_object *container,
                                  size_t *sz, struct ddb_error *err);
/* An item's or M's members, or an L's elements: checked, sized, and (plain not NULL)
 * converted; nested (M, L) adds a byte an element and refuses a tag-like M. */
ddb_status marshal_members_from_av(json_object *v, int depth, int nested, struct attr_path *p,
                                   json_object **plain, size_t *size, struct ddb_error *err);

#endif
