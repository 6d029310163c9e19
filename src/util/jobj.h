/* Building json-c objects without leaking a member when an add fails. */
#ifndef SAVEALIFE_UTIL_JOBJ_H
#define SAVEALIFE_UTIL_JOBJ_H

#include <json-c/json.h>

/* Adds val under key, taking val in every case (put when the add fails). Returns 0, or -1
 * when val is NULL (a failed allocation) or json-c ran out of memory. */
int jobj_add(json_object *obj, const char *key, json_object *val);

/* As jobj_add, for a key that outlives obj (a string literal): json-c does not copy it. */
int jobj_add_literal(json_object *obj, const char *key, json_object *val);

#endif
