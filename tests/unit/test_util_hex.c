/* Unit tests for src/util/hex.c: encode, decode, digit values, and SHA-256 vectors. */
#include "../lib/check_main.h"

#include <string.h>

#include "util/hex.h"

START_TEST(test_hex_encode)
{
    char out[16];

    hex_encode("", 0, out);
    ck_assert_str_eq(out, "");
    hex_encode("\x00\x01\x7f\x80\xab\xff", 6, out);
    ck_assert_str_eq(out, "00017f80abff");
}
END_TEST

START_TEST(test_hex_value)
{
    ck_assert_int_eq(hex_value('0'), 0);
    ck_assert_int_eq(hex_value('9'), 9);
    ck_assert_int_eq(hex_value('a'), 10);
    ck_assert_int_eq(hex_value('F'), 15);
    ck_assert_int_eq(hex_value('g'), -1);
    ck_assert_int_eq(hex_value('G'), -1);
    ck_assert_int_eq(hex_value('/'), -1);
    ck_assert_int_eq(hex_value(':'), -1);
    ck_assert_int_eq(hex_value('@'), -1);
    ck_assert_int_eq(hex_value('`'), -1);
    ck_assert_int_eq(hex_value('\0'), -1);
    ck_assert_int_eq(hex_value(0xe9), -1);
}
END_TEST

START_TEST(test_hex_decode_lower)
{
    unsigned char out[4];

    ck_assert_int_eq(hex_decode_lower("00ff7fa0", 4, out), 0);
    ck_assert_int_eq(memcmp(out, "\x00\xff\x7f\xa0", 4), 0);
    ck_assert_int_eq(hex_decode_lower("00FF", 2, out), -1); /* upper case: not what we write */
    ck_assert_int_eq(hex_decode_lower("0g", 1, out), -1);
    ck_assert_int_eq(hex_decode_lower(" 0", 1, out), -1);
    ck_assert_int_eq(hex_decode_lower("", 0, out), 0);
}
END_TEST

/* FIPS 180-2's examples and the empty string. */
START_TEST(test_hex_sha256)
{
    char hex[HEX_SHA256_LEN + 1];

    ck_assert_int_eq(hex_sha256("", 0, hex), 0);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(hex_sha256(NULL, 0, hex), 0);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(hex_sha256("abc", 3, hex), 0);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_int_eq(hex_sha256("Param1=value1", 13, hex), 0);
    ck_assert_str_eq(hex, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    ck_assert_int_eq(hex_sha256(NULL, 1, hex), -1);
}
END_TEST

static Suite *
hex_suite(void)
{
    Suite *s = suite_create("util_hex");
    TCase *tc = tcase_create("hex");

    tcase_add_test(tc, test_hex_encode);
    tcase_add_test(tc, test_hex_value);
    tcase_add_test(tc, test_hex_decode_lower);
    tcase_add_test(tc, test_hex_sha256);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hex_suite)
