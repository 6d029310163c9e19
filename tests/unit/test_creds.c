/* The credentials chain: environment, shared credentials file, and the metadata service only
 * as far as "disabled means no request". No test sends anything to a non-loopback address:
 * every test starts with AWS_EC2_METADATA_DISABLED=true and the metadata endpoint on
 * 127.0.0.1, and HOME pointing nowhere. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/check_main.h"
#include "ddb/creds.h"
#include "ddb/creds_test.h"
#include "ddb/transport.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SECRET2 "file/Secret+Value0123456789abcdefghijklmn"

static char tmpdir[64];
static char cred_path[128];

static const char *const env_vars[] = {"AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_SHARED_CREDENTIALS_FILE",
                                       "AWS_PROFILE",
                                       "AWS_EC2_METADATA_DISABLED",
                                       "AWS_EC2_METADATA_SERVICE_ENDPOINT"};

static void
env_set(const char *name, const char *value)
{
    ck_assert_int_eq(setenv(name, value, 1), 0);
}

static void
setup(void)
{
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        ck_assert_int_eq(unsetenv(env_vars[i]), 0);
    /* Never the real metadata service, never the developer's own ~/.aws. Port 9 (discard) on
     * loopback: were a request made despite DISABLED, it would fail fast and locally. */
    env_set("AWS_EC2_METADATA_DISABLED", "true");
    env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
    memcpy(tmpdir, "/tmp/test_creds.XXXXXX", sizeof("/tmp/test_creds.XXXXXX"));
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    env_set("HOME", tmpdir); /* empty: no .aws/credentials unless a test writes one */
    snprintf(cred_path, sizeof(cred_path), "%s/credentials", tmpdir);
}

static void
teardown(void)
{
    char path[160];

    unlink(cred_path);
    snprintf(path, sizeof(path), "%s/.aws/credentials", tmpdir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/.aws", tmpdir);
    rmdir(path);
    rmdir(tmpdir);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes the shared credentials file and points AWS_SHARED_CREDENTIALS_FILE at it. */
static void
write_creds(const char *text)
{
    write_file(cred_path, text);
    env_set("AWS_SHARED_CREDENTIALS_FILE", cred_path);
}

/* Runs the chain once on a new provider; no transport, as no test here may reach IMDS. */
static ddb_status
chain_get(struct creds *c, struct ddb_error *err)
{
    struct creds_provider *p = NULL;
    ddb_status st;

    memset(c, 0, sizeof(*c));
    ddb_error_clear(err);
    ck_assert_int_eq(creds_provider_new(NULL, NULL, &p, err), DDB_OK);
    st = creds_provider_get(p, c, err);
    creds_provider_free(p);
    return st;
}

static void
assert_no_secret(const struct ddb_error *err)
{
    ck_assert_msg(strstr(err->message, SECRET) == NULL, "secret in \"%s\"", err->message);
    ck_assert_msg(strstr(err->message, SECRET2) == NULL, "secret in \"%s\"", err->message);
    ck_assert_msg(strstr(err->message, "TOKEN-") == NULL, "token in \"%s\"", err->message);
}

/* --- environment --- */

START_TEST(test_env_keys)
{
    struct creds c;
    struct ddb_error err;

    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", SECRET);
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDENV");
    ck_assert_str_eq(c.secret_access_key, SECRET);
    ck_assert_str_eq(c.session_token, "");
    ck_assert_int_eq(c.expiration, 0);
    ck_assert_str_eq(c.source, "env");
    creds_wipe(&c);
}
END_TEST

START_TEST(test_env_session_token)
{
    struct creds c;
    struct ddb_error err;

    env_set("AWS_ACCESS_KEY_ID", "ASIAENV");
    env_set("AWS_SECRET_ACCESS_KEY", SECRET);
    env_set("AWS_SESSION_TOKEN", "TOKEN-env/abc+def==");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.session_token, "TOKEN-env/abc+def==");
    creds_wipe(&c);
}
END_TEST

/* The session token becomes the x-amz-security-token header line: a CR, LF or other control
 * character in it, from any source, is refused before it could end that line and add one. */
START_TEST(test_env_session_token_control_refused)
{
    struct creds c;
    struct ddb_error err;

    env_set("AWS_ACCESS_KEY_ID", "ASIAENV");
    env_set("AWS_SECRET_ACCESS_KEY", SECRET);
    env_set("AWS_SESSION_TOKEN", "TOKEN-a\r\nX-Injected: 1");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_SESSION_TOKEN"));
    assert_no_secret(&err);
}
END_TEST

START_TEST(test_file_session_token_control_refused)
{
    struct creds c;
    struct ddb_error err;

    write_creds("[default]\naws_access_key_id = ASIAFILE\naws_secret_access_key = " SECRET
                "\naws_session_token = TOKEN-a\rb\n");
    ck_assert_int_eq(creds_read_file(cred_path, "default", &c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "aws_session_token"));
    assert_no_secret(&err);
    write_creds("[default]\naws_access_key_id = ASIAFILE\naws_secret_access_key = " SECRET
                "\naws_session_token = TOKEN-a\tb\n");
    ck_assert_int_eq(creds_read_file(cred_path, "default", &c, &err), DDB_ERR_CREDENTIALS);
}
END_TEST

START_TEST(test_env_over_file)
{
    struct creds c;
    struct ddb_error err;

    write_creds("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = " SECRET2 "\n");
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", SECRET);
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDENV");
    ck_assert_str_eq(c.source, "env");

    /* Env wins over a named profile too. */
    env_set("AWS_PROFILE", "default");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.source, "env");

    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDFILE");
    ck_assert_str_eq(c.secret_access_key, SECRET2);
    ck_assert_str_eq(c.source, "shared-file");
    creds_wipe(&c);
}
END_TEST

START_TEST(test_env_empty_counts_as_unset)
{
    struct creds c;
    struct ddb_error err;

    write_creds("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = " SECRET2 "\n");
    env_set("AWS_ACCESS_KEY_ID", "");
    env_set("AWS_SECRET_ACCESS_KEY", "");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.source, "shared-file");
}
END_TEST

START_TEST(test_env_half_pair_id_only)
{
    struct creds c;
    struct ddb_error err;

    /* A complete file must not paper over the half-set pair. */
    write_creds("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = " SECRET2 "\n");
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CONFIG);
    ck_assert_int_eq(err.status, DDB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_SECRET_ACCESS_KEY is not"));
    assert_no_secret(&err);
}
END_TEST

START_TEST(test_env_half_pair_secret_only)
{
    struct creds c;
    struct ddb_error err;

    env_set("AWS_SECRET_ACCESS_KEY", SECRET);
    env_set("AWS_SESSION_TOKEN", "TOKEN-x");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_ACCESS_KEY_ID is not"));
    assert_no_secret(&err);
}
END_TEST

START_TEST(test_env_too_long)
{
    struct creds c;
    struct ddb_error err;
    char big[200];

    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    env_set("AWS_ACCESS_KEY_ID", "AKID");
    env_set("AWS_SECRET_ACCESS_KEY", big);
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_SECRET_ACCESS_KEY"));
    ck_assert_ptr_null(strstr(err.message, "AAAAAAAA"));
}
END_TEST

/* --- shared credentials file --- */

static const char profiles[] = "# a comment\n"
                               "; another comment\n"
                               "\n"
                               "[default]\n"
                               "aws_access_key_id=AKIDDEFAULT\n"
                               "aws_secret_access_key=" SECRET "\n"
                               "\n"
                               "[dev]\n"
                               "aws_access_key_id = AKIDDEV\n"
                               "aws_secret_access_key = " SECRET2 "\n"
                               "aws_session_token = TOKEN-dev/with+base64==\n"
                               "region = eu-west-1\n"
                               "[prod]\n"
                               "aws_access_key_id = AKIDPROD\n"
                               "aws_secret_access_key = prodsecret\n";

START_TEST(test_file_default_profile)
{
    struct creds c;
    struct ddb_error err;

    write_creds(profiles);
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDDEFAULT");
    ck_assert_str_eq(c.secret_access_key, SECRET);
    ck_assert_str_eq(c.session_token, "");
    ck_assert_int_eq(c.expiration, 0);
    ck_assert_str_eq(c.source, "shared-file");
}
END_TEST

START_TEST(test_file_named_profile)
{
    struct creds c;
    struct ddb_error err;

    write_creds(profiles);
    env_set("AWS_PROFILE", "dev");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDDEV");
    ck_assert_str_eq(c.secret_access_key, SECRET2);
    ck_assert_str_eq(c.session_token, "TOKEN-dev/with+base64==");

    /* A profile without a token does not inherit one from the profile before it. */
    env_set("AWS_PROFILE", "prod");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDPROD");
    ck_assert_str_eq(c.secret_access_key, "prodsecret");
    ck_assert_str_eq(c.session_token, "");
}
END_TEST

START_TEST(test_file_read_direct)
{
    struct creds c;
    struct ddb_error err;

    write_file(cred_path, profiles);
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(creds_read_file(cred_path, "dev", &c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDDEV");
    ck_assert_str_eq(c.session_token, "TOKEN-dev/with+base64==");
    ck_assert_str_eq(c.source, "shared-file");
    creds_wipe(&c);
}
END_TEST

START_TEST(test_file_whitespace_and_comments)
{
    struct creds c;
    struct ddb_error err;

    write_file(cred_path, "\xEF\xBB\xBF# written on Windows, with a BOM and CRLF\r\n"
                          "[other]\r\n"
                          "aws_access_key_id = NOTME\r\n"
                          "\r\n"
                          "  [  spaced  ]   # trailing comment\r\n"
                          "\t; indented comment\r\n"
                          "   AWS_Access_Key_Id\t=\t AKIDSPACED   ; inline comment\r\n"
                          "aws_secret_access_key   =" SECRET2 " # another\r\n"
                          "  aws_session_token=TOKEN-abc==\r\n"
                          "   \r\n"
                          "[after]\r\n");
    ck_assert_int_eq(creds_read_file(cred_path, "spaced", &c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDSPACED");
    ck_assert_str_eq(c.secret_access_key, SECRET2);
    ck_assert_str_eq(c.session_token, "TOKEN-abc==");
}
END_TEST

START_TEST(test_file_no_trailing_newline)
{
    struct creds c;
    struct ddb_error err;

    write_file(cred_path,
               "[default]\naws_secret_access_key=" SECRET "\naws_access_key_id=AKIDLAST");
    ck_assert_int_eq(creds_read_file(cred_path, "default", &c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDLAST");
}
END_TEST

START_TEST(test_file_missing_profile)
{
    struct creds c;
    struct ddb_error err;

    write_file(cred_path, profiles);
    ck_assert_int_eq(creds_read_file(cred_path, "staging", &c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "[staging]"));

    /* Named in AWS_PROFILE: an error naming it, not a silent move to the next source. */
    env_set("AWS_SHARED_CREDENTIALS_FILE", cred_path);
    env_set("AWS_PROFILE", "staging");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_PROFILE=staging"));
    ck_assert_ptr_nonnull(strstr(err.message, "[staging]"));
    assert_no_secret(&err);
}
END_TEST

START_TEST(test_file_no_default_profile_moves_on)
{
    struct creds c;
    struct ddb_error err;

    write_creds("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = " SECRET2 "\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "no profile [default]"));
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_EC2_METADATA_DISABLED"));
    assert_no_secret(&err);
}
END_TEST

START_TEST(test_file_missing_secret)
{
    struct creds c;
    struct ddb_error err;

    write_creds("[default]\naws_access_key_id = AKIDONLY\naws_session_token = TOKEN-zz\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "no aws_secret_access_key"));
    ck_assert_ptr_nonnull(strstr(err.message, "[default]"));
    assert_no_secret(&err);
    ck_assert_int_eq(creds_read_file(cred_path, "default", &c, &err), DDB_ERR_CREDENTIALS);
}
END_TEST

START_TEST(test_file_missing_key_id)
{
    struct creds c;
    struct ddb_error err;

    write_creds("[default]\naws_secret_access_key = " SECRET "\naws_access_key_id =\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "no aws_access_key_id"));
    assert_no_secret(&err);
}
END_TEST

START_TEST(test_file_profile_without_keys)
{
    struct creds c;
    struct ddb_error err;

    /* [default] with other settings only: the chain moves on (here to a disabled IMDS). */
    write_creds("[default]\nregion = us-east-1\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "no keys in profile [default]"));
    ck_assert_int_eq(creds_read_file(cred_path, "default", &c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "no aws_access_key_id"));
}
END_TEST

START_TEST(test_file_malformed_line)
{
    struct creds c;
    struct ddb_error err;

    write_creds("[default]\naws_access_key_id = AKID\n" SECRET "\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, ":3:"));
    assert_no_secret(&err);

    write_creds("aws_secret_access_key = " SECRET "\n[default]\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, ":1:"));
    assert_no_secret(&err);

    write_creds("[default\naws_access_key_id = AKID\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, ":1:"));
}
END_TEST

START_TEST(test_file_too_long_value)
{
    struct creds c;
    struct ddb_error err;
    char text[6000];
    char token[5000];

    memset(token, 'T', sizeof(token) - 1);
    token[sizeof(token) - 1] = '\0';
    snprintf(text, sizeof(text),
             "[default]\naws_access_key_id=AKID\naws_secret_access_key=" SECRET
             "\naws_session_token=%s\n",
             token);
    write_creds(text);
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "aws_session_token is too long"));
    ck_assert_ptr_null(strstr(err.message, "TTTTTTTT"));
}
END_TEST

START_TEST(test_file_missing_file)
{
    struct creds c;
    struct ddb_error err;
    char path[160];

    snprintf(path, sizeof(path), "%s/nonexistent", tmpdir);
    ck_assert_int_eq(creds_read_file(path, "default", &c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, path));

    /* In the chain a missing file is no error of its own: the next source is asked. */
    env_set("AWS_SHARED_CREDENTIALS_FILE", path);
    ck_assert_int_eq(chain_get(&c, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "no file"));
}
END_TEST

START_TEST(test_file_from_home)
{
    struct creds c;
    struct ddb_error err;
    char path[160];

    snprintf(path, sizeof(path), "%s/.aws", tmpdir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/.aws/credentials", tmpdir);
    write_file(path, "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = x\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDHOME");

    /* AWS_SHARED_CREDENTIALS_FILE replaces the home file. */
    write_creds("[default]\naws_access_key_id = AKIDVAR\naws_secret_access_key = y\n");
    ck_assert_int_eq(chain_get(&c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDVAR");
}
END_TEST

START_TEST(test_file_read_once)
{
    struct creds_provider *p = NULL;
    struct creds c;
    struct ddb_error err;

    write_creds(profiles);
    ck_assert_int_eq(creds_provider_new(NULL, NULL, &p, &err), DDB_OK);
    ck_assert_int_eq(creds_provider_get(p, &c, &err), DDB_OK);
    ck_assert_int_eq(unlink(cred_path), 0);
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(creds_provider_get(p, &c, &err), DDB_OK);
    ck_assert_str_eq(c.access_key_id, "AKIDDEFAULT");
    creds_provider_free(p);
}
END_TEST

/* Used in place: one storage and one generation while nothing changes. */
START_TEST(test_current_in_place)
{
    struct creds_provider *p = NULL;
    const struct creds *cur = NULL, *again = NULL;
    unsigned long gen = 0, gen2 = 0;
    struct ddb_error err;

    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", SECRET);
    ck_assert_int_eq(creds_provider_new(NULL, NULL, &p, &err), DDB_OK);
    ck_assert_int_eq(creds_provider_current(p, &cur, &gen, &err), DDB_OK);
    ck_assert_ptr_nonnull(cur);
    ck_assert_str_eq(cur->access_key_id, "AKIDENV");
    ck_assert_str_eq(cur->secret_access_key, SECRET);
    ck_assert_uint_ne(gen, 0);
    ck_assert_int_eq(creds_provider_current(p, &again, &gen2, &err), DDB_OK);
    ck_assert_ptr_eq(again, cur);
    ck_assert_uint_eq(gen2, gen);
    ck_assert_int_eq(creds_provider_current(NULL, &again, &gen2, &err), DDB_ERR_INVALID);
    creds_provider_free(p);
}
END_TEST

/* No credentials anywhere: an error and no pointer. */
START_TEST(test_current_none)
{
    struct creds_provider *p = NULL;
    const struct creds *cur = (const struct creds *)&p;
    unsigned long gen = 1;
    struct ddb_error err;

    env_set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    env_set("AWS_EC2_METADATA_DISABLED", "true");
    ck_assert_int_eq(creds_provider_new(NULL, NULL, &p, &err), DDB_OK);
    ck_assert_int_eq(creds_provider_current(p, &cur, &gen, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_null(cur);
    assert_no_secret(&err);
    creds_provider_free(p);
}
END_TEST

/* --- metadata service switch --- */

/* A loopback listener standing in for the metadata service: a connection to it, even one
 * never accepted, shows up in its queue. */
static int
listener(char *url, size_t size)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(url, size, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    return fd;
}

static int
connections(int fd)
{
    int n = 0;
    int c;

    while ((c = accept(fd, NULL, NULL)) >= 0) {
        close(c);
        n++;
    }
    ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "accept: %s", strerror(errno));
    return n;
}

/* Runs the chain with a real transport and a short metadata timeout. */
static ddb_status
chain_get_transport(struct creds *c, struct ddb_error *err, long *elapsed_ms)
{
    struct transport *t = NULL;
    struct creds_provider *p = NULL;
    struct creds_options o = {.imds_timeout_ms = 300, .refresh_margin_s = 0};
    struct timespec a, b;
    ddb_status st;

    ck_assert_int_eq(transport_new(NULL, &t, err), DDB_OK);
    ck_assert_int_eq(creds_provider_new(&o, t, &p, err), DDB_OK);
    clock_gettime(CLOCK_MONOTONIC, &a);
    st = creds_provider_get(p, c, err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    *elapsed_ms = (b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L;
    creds_provider_free(p);
    transport_free(t);
    return st;
}

START_TEST(test_imds_disabled_makes_no_request)
{
    static const char *const values[] = {"true", "TRUE", "True"};
    struct creds c;
    struct ddb_error err;
    char url[64];
    long ms;
    int fd = listener(url, sizeof(url));

    env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        env_set("AWS_EC2_METADATA_DISABLED", values[i]);
        ck_assert_int_eq(chain_get_transport(&c, &err, &ms), DDB_ERR_CREDENTIALS);
        ck_assert_ptr_nonnull(strstr(err.message, "AWS_EC2_METADATA_DISABLED"));
        ck_assert_int_eq(connections(fd), 0);
    }
    close(fd);
}
END_TEST

/* The control for the test above: enabled, the same listener does see the request, and a
 * metadata service that never answers costs the timeout, not a hang. */
START_TEST(test_imds_enabled_is_asked_and_times_out)
{
    struct creds c;
    struct ddb_error err;
    char url[64];
    long ms;
    int fd = listener(url, sizeof(url));

    env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
    env_set("AWS_EC2_METADATA_DISABLED", "false");
    ck_assert_int_eq(chain_get_transport(&c, &err, &ms), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_nonnull(strstr(err.message, "instance metadata"));
    ck_assert_int_ge(connections(fd), 1);
    ck_assert_msg(ms < 3000, "took %ld ms", ms);
    close(fd);
}
END_TEST

START_TEST(test_imds_bad_endpoint)
{
    struct creds c;
    struct ddb_error err;
    long ms;

    env_set("AWS_EC2_METADATA_DISABLED", "false");
    env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "127.0.0.1:9");
    ck_assert_int_eq(chain_get_transport(&c, &err, &ms), DDB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_EC2_METADATA_SERVICE_ENDPOINT"));
}
END_TEST

/* --- wiping --- */

START_TEST(test_wipe)
{
    struct creds c;
    static const struct creds zero;

    memset(&c, 0x55, sizeof(c));
    memcpy(c.secret_access_key, SECRET, sizeof(SECRET));
    c.source = "env";
    creds_wipe(&c);
    ck_assert_int_eq(memcmp(&c, &zero, sizeof(c)), 0);
    creds_wipe(NULL);
    creds_provider_free(NULL);
}
END_TEST

START_TEST(test_provider_options)
{
    struct creds_provider *p = (struct creds_provider *)1;
    struct creds_options o = {.imds_timeout_ms = -1, .refresh_margin_s = 0};
    struct ddb_error err;

    ck_assert_int_eq(creds_provider_new(&o, NULL, &p, &err), DDB_ERR_INVALID);
    ck_assert_ptr_null(p);
}
END_TEST

static Suite *
creds_suite(void)
{
    Suite *s = suite_create("creds");
    TCase *env = tcase_create("env");
    TCase *file = tcase_create("file");
    TCase *imds = tcase_create("imds");
    TCase *misc = tcase_create("misc");
    TCase *all[] = {env, file, imds, misc};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        tcase_add_checked_fixture(all[i], setup, teardown);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(env, test_env_keys);
    tcase_add_test(env, test_env_session_token);
    tcase_add_test(env, test_env_session_token_control_refused);
    tcase_add_test(env, test_file_session_token_control_refused);
    tcase_add_test(env, test_env_over_file);
    tcase_add_test(env, test_env_empty_counts_as_unset);
    tcase_add_test(env, test_env_half_pair_id_only);
    tcase_add_test(env, test_env_half_pair_secret_only);
    tcase_add_test(env, test_env_too_long);

    tcase_add_test(file, test_file_default_profile);
    tcase_add_test(file, test_file_named_profile);
    tcase_add_test(file, test_file_read_direct);
    tcase_add_test(file, test_file_whitespace_and_comments);
    tcase_add_test(file, test_file_no_trailing_newline);
    tcase_add_test(file, test_file_missing_profile);
    tcase_add_test(file, test_file_no_default_profile_moves_on);
    tcase_add_test(file, test_file_missing_secret);
    tcase_add_test(file, test_file_missing_key_id);
    tcase_add_test(file, test_file_profile_without_keys);
    tcase_add_test(file, test_file_malformed_line);
    tcase_add_test(file, test_file_too_long_value);
    tcase_add_test(file, test_file_missing_file);
    tcase_add_test(file, test_file_from_home);
    tcase_add_test(file, test_file_read_once);

    tcase_set_timeout(imds, 20);
    tcase_add_test(imds, test_imds_disabled_makes_no_request);
    tcase_add_test(imds, test_imds_enabled_is_asked_and_times_out);
    tcase_add_test(imds, test_imds_bad_endpoint);

    tcase_add_test(misc, test_wipe);
    tcase_add_test(misc, test_provider_options);
    tcase_add_test(misc, test_current_in_place);
    tcase_add_test(misc, test_current_none);
    return s;
}

CHECK_MAIN(creds_suite)
