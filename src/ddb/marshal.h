/* Plain JSON <-> DynamoDB attribute values, exact numbers, and item size by the AWS rules.
 *
 * Plain JSON maps as: string S, number N (its exact decimal text is kept), true/false BOOL,
 * null NULL, array L, object M. The other types are tagged objects with one member:
 * {"$binary":"<base64>"} B, {"$set":[strings]} SS, {"$set":[numbers]} NS,
 * {"$set":[{"$binary":...}, ...]} BS. Sets must be non-empty, of one kind, without
 * duplicates. Base64 is padded standard base64 in canonical form. A map whose only key is
 * "$binary" or "$set" has no plain form (marshal_from_av refuses it). A client's JSON text
 * becomes plain JSON with http/body.h, which keeps every number's exact text for to_av. */
#ifndef SAVEALIFE_MARSHAL_H
#define SAVEALIFE_MARSHAL_H

#include <stddef.h>
#include <json-c/json.h>

#include "ddb_error.h"

/* DynamoDB's item size limit, bytes. */
#define MARSHAL_ITEM_MAX 409600

/* One plain value to one attribute value ({"S":"x"} ...). *out is a new reference. */
ddb_status marshal_to_av(json_object *plain, json_object **out, struct ddb_error *err);

/* A plain object to an item (map of name to attribute value). *out is a new reference. */
ddb_status marshal_item_to_av(json_object *plain, json_object **out, struct ddb_error *err);

/* One attribute value back to plain JSON. *out is a new reference (NULL for JSON null is
 * not used: null is json-c's NULL object, so *out may be NULL for {"NULL":true}). */
ddb_status marshal_from_av(json_object *av, json_object **out, struct ddb_error *err);

/* An item back to a plain object. *out is a new reference. */
ddb_status marshal_item_from_av(json_object *item, json_object **out, struct ddb_error *err);

/* As marshal_item_from_av, into a plain object of only the named members, in the order of
 * names (a missing one is left out): one tree, and no copy of a name or a string. Every
 * member is checked all the same. The names are not copied: they must outlive *out (give
 * static strings). */
ddb_status marshal_item_pick_from_av(json_object *item, const char *const *names, size_t n,
                                     json_object **out, struct ddb_error *err);

/* Whether s is a number DynamoDB accepts: decimal, optional sign and exponent, at most 38
 * significant digits, magnitude within 1E-130 .. 9.99..E+125, no NaN or Infinity. */
int marshal_number_valid(const char *s);

/* Size of an item (map of attribute values) by the AWS rules. */
ddb_status marshal_item_size(json_object *item, size_t *size, struct ddb_error *err);

/* DDB_ERR_ITEM_TOO_LARGE if the item is over MARSHAL_ITEM_MAX, else DDB_OK. */
ddb_status marshal_check_item_size(json_object *item, struct ddb_error *err);

#endif
