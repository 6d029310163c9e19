/* Admin tokens: SHA-256 digests against published vectors and sha256sum, the tokens file
 * (comments, blank lines, refusals naming the line), and the Authorization header check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/check_main.h"
#include "api/auth.h"

/* FIPS 180-2 appendix B.1 and the digest of the empty message. */
#define ABC_DIGEST "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY_DIGEST "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char tmp_path[64];

/* Writes text to a new temporary file whose path is left in tmp_path. */
static const char *
write_file(const char *text)
{
    FILE *f;
    int fd;

    snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_auth.XXXXXX");
    fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    return tmp_path;
}

static void
remove_file(void)
{
    if (tmp_path[0] != '\0')
        unlink(tmp_path);
    tmp_path[0] = '\0';
}

START_TEST(test_hash_vectors)
{
    char hex[AUTH_DIGEST_HEX];

    ck_assert_int_eq(auth_hash_token("abc", 3, hex), 0);
    ck_assert_str_eq(hex, ABC_DIGEST);
    ck_assert_int_eq(auth_hash_token("", 0, hex), 0);
    ck_assert_str_eq(hex, EMPTY_DIGEST);
}
END_TEST

/* The digest agrees with coreutils' sha256sum for a token with every kind of character. */
START_TEST(test_hash_matches_sha256sum)
{
    const char *token = "s3cr3t-T0ken_with.all~kinds+/=";
    char cmd[256], line[128], hex[AUTH_DIGEST_HEX];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | sha256sum", token);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
    ck_assert_int_eq(pclose(p), 0);
    line[64] = '\0';
    ck_assert_int_eq(auth_hash_token(token, strlen(token), hex), 0);
    ck_assert_str_eq(hex, line);
}
END_TEST

START_TEST(test_load_comments_and_blanks)
{
    struct auth *auth = NULL;
    char errbuf[256];
    const char *path = write_file("# admin tokens\n"
                                  "\n" ABC_DIGEST "\n"
                                  "   \t\n"
                                  "  # indented comment\n"
                                  "  " EMPTY_DIGEST " \r\n");

    ck_assert_int_eq(auth_load(path, &auth, errbuf, sizeof(errbuf)), 0);
    ck_assert_uint_eq(auth_count(auth), 2);
    ck_assert(auth_check(auth, "Bearer abc"));
    auth_free(auth);
    remove_file();
}
END_TEST

START_TEST(test_load_empty_file)
{
    struct auth *auth = NULL;
    char errbuf[256];
    const char *path = write_file("");

    ck_assert_int_eq(auth_load(path, &auth, errbuf, sizeof(errbuf)), 0);
    ck_assert_uint_eq(auth_count(auth), 0);
    ck_assert(!auth_check(auth, "Bearer abc"));
    auth_free(auth);
    remove_file();
}
END_TEST

/* A last line without a newline still counts. */
START_TEST(test_load_no_final_newline)
{
    struct auth *auth = NULL;
    char errbuf[256];
    const char *path = write_file(ABC_DIGEST);

    ck_assert_int_eq(auth_load(path, &auth, errbuf, sizeof(errbuf)), 0);
    ck_assert_uint_eq(auth_count(auth), 1);
    auth_free(auth);
    remove_file();
}
END_TEST

static const struct {
    const char *text;
    const char *where; /* ":<line>:" expected in the message */
} bad_files[] = {
    /* upper-case hex is refused: the file holds what sha256sum and hash-token print */
    {"# ok\nBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n", ":2:"},
    /* 63 and 65 digits */
    {ABC_DIGEST "\n\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n", ":3:"},
    {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0\n", ":1:"},
    /* not hex */
    {"\n\n\n\nga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n", ":5:"},
    /* sha256sum's own output format: the digest must be cut out of it */
    {ABC_DIGEST "  -\n", ":1:"},
    /* a token instead of its digest */
    {"my-admin-token\n", ":1:"},
};

START_TEST(test_load_refuses_malformed)
{
    struct auth *auth = (struct auth *)1;
    char errbuf[256];
    const char *path = write_file(bad_files[_i].text);

    ck_assert_int_eq(auth_load(path, &auth, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_null(auth);
    ck_assert_msg(strstr(errbuf, path) != NULL, "no file name in \"%s\"", errbuf);
    ck_assert_msg(strstr(errbuf, bad_files[_i].where) != NULL, "no \"%s\" in \"%s\"",
                  bad_files[_i].where, errbuf);
    remove_file();
}
END_TEST

START_TEST(test_load_long_line)
{
    struct auth *auth = NULL;
    char errbuf[256];
    char text[3000];

    memset(text, '#', sizeof(text) - 2);
    text[sizeof(text) - 2] = '\n';
    text[sizeof(text) - 1] = '\0';
    const char *path = write_file(text);
    ck_assert_int_eq(auth_load(path, &auth, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, ":1:"));
    remove_file();
}
END_TEST

START_TEST(test_load_missing_file)
{
    struct auth *auth = NULL;
    char errbuf[256];

    ck_assert_int_eq(auth_load("/nonexistent/tokens", &auth, errbuf, sizeof(errbuf)), 1);
    ck_assert_ptr_nonnull(auth);
    ck_assert_uint_eq(auth_count(auth), 0);
    ck_assert_ptr_nonnull(strstr(errbuf, "/nonexistent/tokens"));
    ck_assert(!auth_check(auth, "Bearer abc"));
    auth_free(auth);
}
END_TEST

/* A folder opens but cannot be read as a file. */
START_TEST(test_load_unreadable)
{
    struct auth *auth = (struct auth *)1;
    char errbuf[256];

    ck_assert_int_eq(auth_load("/", &auth, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_null(auth);
}
END_TEST

static const struct {
    const char *header;
    int ok;
} checks[] = {
    {"Bearer abc", 1},
    {"bearer abc", 1}, /* the scheme is case-insensitive (RFC 7235) */
    {"BEARER abc", 1},
    {"BeArEr abc", 1},
    {"Bearer   abc", 1}, /* 1*SP between scheme and token */
    {"  Bearer abc  ", 1},
    {"Bearer second-token", 1},
    {"Bearer abd", 0},
    {"Bearer ABC", 0}, /* the token itself is case-sensitive */
    {"Bearer abcd", 0},
    {"Bearer ab", 0},
    {"abc", 0}, /* missing scheme */
    {"Basic abc", 0},
    {"Bearerabc", 0},
    {"Bearer\tabc", 0},
    {"Bearer abc def", 0},
    {"Bearer abc\tx", 0},
    {"Bearer", 0},
    {"Bearer ", 0},
    {"Bearer    ", 0},
    {"", 0},
    {"Bear abc", 0},
};

START_TEST(test_check)
{
    struct auth *auth = NULL;
    char errbuf[256];
    char line[200];
    char hex[AUTH_DIGEST_HEX];

    ck_assert_int_eq(auth_hash_token("second-token", strlen("second-token"), hex), 0);
    snprintf(line, sizeof(line), ABC_DIGEST "\n%s\n", hex);
    const char *path = write_file(line);
    ck_assert_int_eq(auth_load(path, &auth, errbuf, sizeof(errbuf)), 0);
    ck_assert_uint_eq(auth_count(auth), 2);
    ck_assert_msg(auth_check(auth, checks[_i].header) == checks[_i].ok, "\"%s\" should be %s",
                  checks[_i].header, checks[_i].ok ? "accepted" : "refused");
    auth_free(auth);
    remove_file();
}
END_TEST

START_TEST(test_check_null_and_huge)
{
    struct auth *auth = NULL;
    char errbuf[256];
    char *huge = malloc(10000);
    const char *path = write_file(ABC_DIGEST "\n");

    ck_assert_ptr_nonnull(huge);
    ck_assert_int_eq(auth_load(path, &auth, errbuf, sizeof(errbuf)), 0);
    ck_assert(!auth_check(auth, NULL));
    ck_assert(!auth_check(NULL, "Bearer abc"));
    memcpy(huge, "Bearer ", 7);
    memset(huge + 7, 'a', 10000 - 8);
    huge[9999] = '\0';
    ck_assert(!auth_check(auth, huge));
    free(huge);
    auth_free(auth);
    remove_file();
}
END_TEST

static Suite *
auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("auth");

    tcase_add_test(tc, test_hash_vectors);
    tcase_add_test(tc, test_hash_matches_sha256sum);
    tcase_add_test(tc, test_load_comments_and_blanks);
    tcase_add_test(tc, test_load_empty_file);
    tcase_add_test(tc, test_load_no_final_newline);
    tcase_add_loop_test(tc, test_load_refuses_malformed, 0,
                        (int)(sizeof(bad_files) / sizeof(bad_files[0])));
    tcase_add_test(tc, test_load_long_line);
    tcase_add_test(tc, test_load_missing_file);
    tcase_add_test(tc, test_load_unreadable);
    tcase_add_loop_test(tc, test_check, 0, (int)(sizeof(checks) / sizeof(checks[0])));
    tcase_add_test(tc, test_check_null_and_huge);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(auth_suite)
