/* JSON text for the unit tests: a client's body through the body parser, which must accept
 * it; an object's compact print, for comparing with what a test expects; deep nesting. */
#ifndef SAVEALIFE_TEST_JSON_TEXT_H
#define SAVEALIFE_TEST_JSON_TEXT_H

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "http/body.h"

/* Plain text through http_body_parse_json (how a client's numbers reach marshal), which must
 * succeed. */
static inline json_object *
parse(const char *text)
{
    json_object *o = NULL;
    char why[320];
    http_body_status st = http_body_parse_json(text, strlen(text), &o, why, sizeof(why));

    ck_assert_msg(st == HTTP_BODY_OK, "http_body_parse_json(%s): %s", text, why);
    return o;
}

/* Compact serialisation, '/' unescaped so base64 reads as written. */
static inline const char *
json(json_object *o)
{
    return json_object_to_json_string_ext(o,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* "[[[...inner...]]]", n deep (malloc'd): bodies nested past the parser's limits. */
static inline char *
nested_lists(int n, const char *inner)
{
    size_t len = strlen(inner);
    char *s = malloc((size_t)n * 2 + len + 1);
    int i;

    ck_assert_ptr_nonnull(s);
    for (i = 0; i < n; i++)
        s[i] = '[';
    memcpy(s + n, inner, len);
    for (i = 0; i < n; i++)
        s[(size_t)n + len + (size_t)i] = ']';
    s[(size_t)n * 2 + len] = '\0';
    return s;
}

#endif
