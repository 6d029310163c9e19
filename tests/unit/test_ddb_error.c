#include "../lib/check_main.h"

START_TEST(test_placeholder)
{
    ck_assert_msg(0, "not written yet");
}
END_TEST

static Suite *
placeholder_suite(void)
{
    Suite *s = suite_create("placeholder");
    TCase *tc = tcase_create("placeholder");
    tcase_add_test(tc, test_placeholder);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(placeholder_suite)
