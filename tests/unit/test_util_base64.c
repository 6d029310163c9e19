/* Unit tests for src/util/base64.c: RFC 4648's test vectors (section 10) both ways, base64url,
 * and every text that is not the one canonical encoding of its bytes refused. */
#include "../lib/check_main.h"

#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

static const struct {
    const char *bytes;
    const char *std;
    const char *url;
} vectors[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    {"\xfb\xff", "+/8=", "-_8"}, /* the two alphabets' last characters */
    {"\xfb\xef\xbe", "++++", "----"},
    {"\xff\xff\xff", "////", "____"},
};

START_TEST(test_base64_vectors)
{
    const char *bytes = vectors[_i].bytes;
    size_t n = strlen(bytes), got_len = 99;
    unsigned char *got = NULL;
    char *text;

    text = base64_encode(bytes, n);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, vectors[_i].std);
    free(text);
    ck_assert_int_eq(base64_decode(vectors[_i].std, strlen(vectors[_i].std), &got, &got_len),
                     BASE64_OK);
    ck_assert_uint_eq(got_len, n);
    ck_assert_int_eq(memcmp(got, bytes, n), 0);
    ck_assert_int_eq(got[n], '\0');
    free(got);

    text = base64_url_encode(bytes, n);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, vectors[_i].url);
    free(text);
    got = NULL;
    ck_assert_int_eq(base64_url_decode(vectors[_i].url, strlen(vectors[_i].url), &got, &got_len),
                     BASE64_OK);
    ck_assert_uint_eq(got_len, n);
    ck_assert_int_eq(memcmp(got, bytes, n), 0);
    free(got);
}
END_TEST

/* Bytes with a NUL and every value: the length, not a NUL, counts. */
START_TEST(test_base64_binary_round_trip)
{
    unsigned char all[256], *back = NULL;
    size_t back_len = 0;
    char *text;

    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (size_t n = 0; n <= sizeof(all); n += 37) {
        text = base64_encode(all, n);
        ck_assert_ptr_nonnull(text);
        ck_assert_int_eq(base64_decode(text, strlen(text), &back, &back_len), BASE64_OK);
        ck_assert_uint_eq(back_len, n);
        ck_assert_int_eq(memcmp(back, all, n), 0);
        free(back);
        free(text);
        text = base64_url_encode(all, n);
        ck_assert_ptr_nonnull(text);
        ck_assert_int_eq(base64_url_decode(text, strlen(text), &back, &back_len), BASE64_OK);
        ck_assert_uint_eq(back_len, n);
        ck_assert_int_eq(memcmp(back, all, n), 0);
        free(back);
        free(text);
    }
}
END_TEST

static const char *const bad_std[] = {
    "Zg",                /* no padding */
    "Zg=",               /* short padding */
    "Zh==",              /* unused bits set: "Zg==" is the one text for "f" */
    "Zm9=",              /* the same, one byte of padding */
    "Zm=v",              /* padding inside */
    "=Zm9",              /* padding first */
    "====",              /* only padding */
    "Zg===",             /* too much */
    "Zm9v====",          /* a block of padding */
    " Zm9v",             /* white space OpenSSL would trim */
    "Zm9v\n",            /* a newline */
    "Zm9v Zm9v",         /* a space inside */
    "Zm9-",              /* base64url's alphabet */
    "Zm9_",      "Zm9*", /* outside both */
    "Zm9\x80",           /* a byte above ASCII */
};

START_TEST(test_base64_refuses)
{
    const char *s = bad_std[_i];
    unsigned char *out = (unsigned char *)"x";
    size_t len = 7;

    ck_assert_msg(base64_decode(s, strlen(s), &out, &len) == BASE64_INVALID, "case %d", _i);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(len, 0);
}
END_TEST

static const char *const bad_url[] = {
    "Z",              /* 1 mod 4: no byte */
    "Zm9vY",          /* the same */
    "Zh",             /* unused bits set */
    "Zm9",            /* unused bits set: "Zm8" is "fo" */
    "Zg==",           /* padding */
    "Zm8=",   "+/8",  /* the standard alphabet's two */
    "-_8=",   "Zm 9", /* white space */
    "Zm9v\n", "Zm9.", /* outside the alphabet */
};

START_TEST(test_base64_url_refuses)
{
    const char *s = bad_url[_i];
    unsigned char *out = NULL;
    size_t len = 0;

    ck_assert_msg(base64_url_decode(s, strlen(s), &out, &len) == BASE64_INVALID, "case %d", _i);
    ck_assert_ptr_null(out);
}
END_TEST

static Suite *
base64_suite(void)
{
    Suite *s = suite_create("util_base64");
    TCase *tc = tcase_create("base64");

    tcase_add_loop_test(tc, test_base64_vectors, 0, (int)(sizeof(vectors) / sizeof(vectors[0])));
    tcase_add_test(tc, test_base64_binary_round_trip);
    tcase_add_loop_test(tc, test_base64_refuses, 0, (int)(sizeof(bad_std) / sizeof(bad_std[0])));
    tcase_add_loop_test(tc, test_base64_url_refuses, 0,
                        (int)(sizeof(bad_url) / sizeof(bad_url[0])));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(base64_suite)
