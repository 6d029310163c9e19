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
size_t marshal_path_push_key(struct attr_path *p, const char *key);
size_t marshal_path_push_index(struct attr_path *p, size_t i);
void marshal_path_pop(struct attr_path *p, size_t mark);
/* Sets err to "<path>: <what>" and returns status. */
ddb_status marshal_fail(struct ddb_error *err, ddb_status status, const struct attr_path *p,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
ddb_status marshal_nomem(struct ddb_error *err, const struct attr_path *p);
size_t marshal_size_add(size_t a, size_t b);
json_object *marshal_new_string(const char *s, size_t len);
ddb_status marshal_binary_size(const char *text, size_t len, size_t *bytes,
                               const struct attr_path *p, struct ddb_error *err);
ddb_status marshal_wrap(const char *type, json_object *val, json_object **out,
                        const struct attr_path *p, struct ddb_error *err);
const char *marshal_plain_tag(json_object *obj, json_object **value);

/* marshal_number.c */
/* Reads text as an N into *n and checks DynamoDB's precision and range: DDB_ERR_INVALID,
 * with the reason, when it is not one. */
ddb_status marshal_number_check(const char *text, size_t len, struct number *n,
                                const struct attr_path *p, struct ddb_error *err);
size_t marshal_number_key(const struct number *n, char *buf);
size_t marshal_number_size(const struct number *n);
ddb_status marshal_plain_number_new(const char *text, size_t len, json_object **out);
ddb_status marshal_plain_number_text(json_object *num, const struct attr_path *p, const char **text,
                                     size_t *len, struct ddb_error *err);

/* marshal_set.c */
ddb_status marshal_set_to_av(json_object *arr, struct attr_path *p, json_object **out,
                             struct ddb_error *err);
ddb_status marshal_set_from_av(enum set_kind kind, json_object *arr, struct attr_path *p,
                               json_object **plain, size_t *size, struct ddb_error *err);

/* marshal_to_av.c */
ddb_status marshal_value_to_av(json_object *plain, int depth, struct attr_path *p,
                               json_object **out, struct ddb_error *err);
ddb_status marshal_members_to_av(json_object *v, int depth, struct attr_path *p, json_object **out,
                                 struct ddb_error *err);

/* marshal_from_av.c */
ddb_status marshal_value_from_av(json_object *av, int depth, struct attr_path *p,
                                 json_object **plain, size_t *size, struct ddb_error *err);
/* One member of an item or M (name given), or of an L (name NULL): its name and value
 * checked, its size added to *sz, and, when container is not NULL, its plain value added. */
ddb_status marshal_member_from_av(json_object *av, const char *name, size_t index, int depth,
                                  int nested, struct attr_path *p, json_object *container,
                                  size_t *sz, struct ddb_error *err);
ddb_status marshal_members_from_av(json_object *v, int depth, int nested, struct attr_path *p,
                                   json_object **plain, size_t *size, struct ddb_error *err);

#endif
