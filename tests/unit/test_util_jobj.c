/* Unit tests for src/util/jobj.c: a member is added, and a value is never leaked, whatever
 * fails (the sanitizers' leak check makes the second half bite). */
#include "../lib/check_main.h"

#include <string.h>

#include "util/jobj.h"

START_TEST(test_jobj_add)
{
    json_object *o = json_object_new_object(), *v = NULL;
    char key[] = "name";

    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(jobj_add(o, key, json_object_new_string("Acme")), 0);
    /* The key was copied: changing the caller's buffer changes nothing. */
    key[0] = 'x';
    ck_assert(json_object_object_get_ex(o, "name", &v));
    ck_assert_str_eq(json_object_get_string(v), "Acme");
    ck_assert_int_eq(jobj_add_literal(o, "n", json_object_new_int(5)), 0);
    ck_assert(json_object_object_get_ex(o, "n", &v));
    ck_assert_int_eq(json_object_get_int(v), 5);
    /* Adding a key again replaces its value (and puts the old one). */
    ck_assert_int_eq(jobj_add(o, "n", json_object_new_int(6)), 0);
    ck_assert(json_object_object_get_ex(o, "n", &v));
    ck_assert_int_eq(json_object_get_int(v), 6);
    ck_assert_int_eq(json_object_object_length(o), 2);
    json_object_put(o);
}
END_TEST

START_TEST(test_jobj_add_failures)
{
    json_object *o = json_object_new_object();

    ck_assert_ptr_nonnull(o);
    /* A failed allocation upstream: -1, nothing added. */
    ck_assert_int_eq(jobj_add(o, "a", NULL), -1);
    ck_assert_int_eq(jobj_add_literal(o, "a", NULL), -1);
    ck_assert_int_eq(json_object_object_length(o), 0);
    /* No object to add to: the value is still taken (put), so nothing leaks. */
    ck_assert_int_eq(jobj_add(NULL, "a", json_object_new_string("leak?")), -1);
    ck_assert_int_eq(jobj_add_literal(NULL, "a", json_object_new_string("leak?")), -1);
    /* Not an object: json-c refuses, and the value is put. */
    json_object *arr = json_object_new_array();
    ck_assert_ptr_nonnull(arr);
    ck_assert_int_eq(jobj_add(arr, "a", json_object_new_string("leak?")), -1);
    json_object_put(arr);
    json_object_put(o);
}
END_TEST

static Suite *
jobj_suite(void)
{
    Suite *s = suite_create("util_jobj");
    TCase *tc = tcase_create("jobj");

    tcase_add_test(tc, test_jobj_add);
    tcase_add_test(tc, test_jobj_add_failures);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(jobj_suite)
