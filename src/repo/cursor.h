/* Pagination cursors: opaque to clients, base64url (no padding) of a small JSON document
 * holding the listing it belongs to and the LastEvaluatedKey. A cursor carries no proof of
 * origin (none is needed: it grants nothing a client could not reach by paging); it is
 * judged by its shape alone. One that does not decode, names another listing, or whose key
 * is not exactly the attributes, types and required values given, is refused. */
#ifndef SAVEALIFE_CURSOR_H
#define SAVEALIFE_CURSOR_H

#include <json-c/json.h>

/* The longest cursor accepted, characters. */
#define CURSOR_MAX 2048

/* One key attribute a listing's LastEvaluatedKey must have: its name, its type ("S", "N"),
 * and the text it must hold (a query's partition key value), or NULL for any. */
struct cursor_attr {
    const char *name;
    const char *type;
    const char *value;
};

/* A cursor for the listing (a string naming it and its parameters, e.g. "companies" or
 * "donors/city=Lisbon/type=O+") and key (an attribute-value map, borrowed). *out is a new
 * NUL-terminated string (free it). Returns 0, or -1 when out of memory. */
int cursor_encode(const char *listing, json_object *key, char **out);

/* The key (a new attribute-value map) a cursor carries, if it belongs to the listing and has
 * exactly the attributes given, with the values required. Returns 0, or -1 for a cursor to
 * refuse (400). */
int cursor_decode(const char *listing, const char *cursor, const struct cursor_attr *attrs,
                  size_t nattrs, json_object **key);

#endif
