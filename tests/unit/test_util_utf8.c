/* Unit tests for src/util/utf8.c: the edges of the standard's well-formed sequences. */
#include "../lib/check_main.h"

#include <string.h>

#include "util/utf8.h"

/* Unicode table 3-7 ("Well-Formed UTF-8 Byte Sequences"), its edges on both sides. */
static const struct {
    const char *bytes;
    int valid;
} utf8_cases[] = {
    {"", 1},
    {"plain ascii ~\x7F", 1},
    {"\xC2\x80", 1},                 /* U+0080, the first 2-byte */
    {"\xDF\xBF", 1},                 /* U+07FF */
    {"\xE0\xA0\x80", 1},             /* U+0800 */
    {"\xED\x9F\xBF", 1},             /* U+D7FF, just below the surrogates */
    {"\xEE\x80\x80", 1},             /* U+E000, just above */
    {"\xEF\xBF\xBF", 1},             /* U+FFFF */
    {"\xF0\x90\x80\x80", 1},         /* U+10000 */
    {"\xF4\x8F\xBF\xBF", 1},         /* U+10FFFF, the last code point */
    {"caf\xC3\xA9 \xE2\x82\xAC", 1}, /* "café €" */
    {"\xC0\xAF", 0},                 /* overlong '/' */
    {"\xC1\xBF", 0},                 /* overlong */
    {"\xE0\x80\xAF", 0},             /* overlong '/', 3 bytes */
    {"\xE0\x9F\xBF", 0},             /* overlong U+07FF */
    {"\xF0\x80\x80\xAF", 0},         /* overlong '/', 4 bytes */
    {"\xF0\x8F\xBF\xBF", 0},         /* overlong U+FFFF */
    {"\xED\xA0\x80", 0},             /* U+D800 */
    {"\xED\xBF\xBF", 0},             /* U+DFFF */
    {"\xF4\x90\x80\x80", 0},         /* U+110000 */
    {"\xF5\x80\x80\x80", 0},
    {"\xFF", 0},
    {"\x80", 0},         /* a continuation byte alone */
    {"a\xC3", 0},        /* cut short */
    {"\xE2\x82", 0},     /* cut short */
    {"\xF0\x90\x80", 0}, /* cut short */
    {"\xC3\x28", 0},     /* second byte not a continuation */
    {"\xE2\x28\xA1", 0},
    {"\xF0\x90\x28\xBC", 0},
};

START_TEST(test_utf8_valid)
{
    const char *s = utf8_cases[_i].bytes;

    ck_assert_msg(utf8_valid(s, strlen(s)) == utf8_cases[_i].valid, "case %d", _i);
}
END_TEST

START_TEST(test_utf8_length_bounded)
{
    /* The length, not a NUL, ends the input: a cut inside a sequence is invalid, and a NUL
     * inside the range is U+0000, well-formed. */
    ck_assert_int_eq(utf8_valid("\xC3\xA9", 1), 0);
    ck_assert_int_eq(utf8_valid("\xF4\x8F\xBF\xBF", 3), 0);
    ck_assert_int_eq(utf8_valid("a\0b", 3), 1);
    ck_assert_int_eq(utf8_valid(NULL, 0), 1);
}
END_TEST

/* The old hand-written validators also refused 5- and 6-byte forms and CESU-8 pairs. */
START_TEST(test_utf8_old_forms_refused)
{
    ck_assert_int_eq(utf8_valid("\xF8\x88\x80\x80\x80", 5), 0);     /* 5 bytes */
    ck_assert_int_eq(utf8_valid("\xFC\x84\x80\x80\x80\x80", 6), 0); /* 6 bytes */
    ck_assert_int_eq(utf8_valid("\xED\xA0\xBD\xED\xB8\x80", 6), 0); /* a surrogate pair */
    ck_assert_int_eq(utf8_valid("\xC0\x80", 2), 0);                 /* modified UTF-8 NUL */
    ck_assert_int_eq(utf8_valid("\xEF\xBB\xBF"
                                "a",
                                4),
                     1); /* a BOM is U+FEFF */
}
END_TEST

static Suite *
utf8_suite(void)
{
    Suite *s = suite_create("util_utf8");
    TCase *tc = tcase_create("utf8");

    tcase_add_loop_test(tc, test_utf8_valid, 0, (int)(sizeof(utf8_cases) / sizeof(utf8_cases[0])));
    tcase_add_test(tc, test_utf8_length_bounded);
    tcase_add_test(tc, test_utf8_old_forms_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(utf8_suite)
