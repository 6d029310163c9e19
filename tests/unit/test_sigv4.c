/* SigV4: every case of the AWS test suite in $SIGV4_TESTDATA, byte for byte, plus the key
 * cache, the date format, input validation, the SHA-256 helper, and the signer of canonical
 * requests (against a vector and against sigv4_sign). */
#include "ddb/sigv4.h"
#include "ddb/sigv4_test.h"
#include "../lib/check_main.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The cases in tests/data/sigv4: a copy (or a tarball) that lost one fails. */
#define MIN_CASES 34

static const char akid[] = "AKIDEXAMPLE";
static const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char region[] = "us-east-1";
static const char service[] = "service";
static const char amz_date[] = "20150830T123600Z";

/* One test-suite case: its folder and its name relative to the suite root. */
struct tcase_info {
    char *dir;
    char *name;
    char *base;
};

static struct tcase_info *cases;
static size_t ncases;
static const char *suite_error; /* why discovery failed, reported by test_suite_found */

/* A parsed .req: every string is owned here. */
struct parsed_req {
    char *method;
    char *path;
    char *query;
    struct sigv4_header *headers;
    size_t nheaders;
    char *body;
    size_t body_len;
};

static char *
xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *
path_join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s%s", a, b, c);
    return p;
}

/* Reads a whole file; NULL if it cannot. */
static char *
read_file(const char *path, size_t *len)
{
    char *data = NULL;
    size_t cap = 0, n = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *p = realloc(data, ncap);
            if (p == NULL) {
                free(data);
                data = NULL;
                goto done;
            }
            data = p;
            cap = ncap;
        }
        size_t got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(data);
        data = NULL;
        goto done;
    }
    data[n] = '\0';
    if (len != NULL)
        *len = n;
done:
    fclose(f);
    return data;
}

static int
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Adds dir as a case when it holds <its own name>.req, then walks its subfolders. */
static int
discover(const char *dir, const char *rel, const char *base)
{
    int rc = 0;
    DIR *d = NULL;

    if (base != NULL) {
        char *req = path_join(dir, base, ".req");
        if (req == NULL)
            return -1;
        if (is_file(req)) {
            struct tcase_info *p = realloc(cases, (ncases + 1) * sizeof(*cases));
            if (p == NULL) {
                free(req);
                return -1;
            }
            cases = p;
            cases[ncases].dir = strdup(dir);
            cases[ncases].name = strdup(rel);
            cases[ncases].base = strdup(base);
            ncases++;
            if (!cases[ncases - 1].dir || !cases[ncases - 1].name || !cases[ncases - 1].base)
                rc = -1;
        }
        free(req);
        if (rc != 0)
            return rc;
    }

    d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = path_join(dir, e->d_name, "");
        char *subrel = base == NULL ? strdup(e->d_name) : path_join(rel, e->d_name, "");
        if (sub == NULL || subrel == NULL)
            rc = -1;
        else if (is_dir(sub))
            rc = discover(sub, subrel, e->d_name);
        free(sub);
        free(subrel);
    }
    closedir(d);
    return rc;
}

static int
case_cmp(const void *a, const void *b)
{
    return strcmp(((const struct tcase_info *)a)->name, ((const struct tcase_info *)b)->name);
}

static void
discover_cases(void)
{
    const char *root = getenv("SIGV4_TESTDATA");
    if (root == NULL || *root == '\0') {
        suite_error = "SIGV4_TESTDATA is not set";
        return;
    }
    if (!is_dir(root)) {
        suite_error = "SIGV4_TESTDATA is not a directory";
        return;
    }
    if (discover(root, "", NULL) != 0) {
        suite_error = "walking SIGV4_TESTDATA failed";
        return;
    }
    qsort(cases, ncases, sizeof(*cases), case_cmp);
}

static void
parsed_req_free(struct parsed_req *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    for (size_t i = 0; i < r->nheaders; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Length of the line at p (without its LF or CR LF); *next is where the next one starts. */
static size_t
line_at(const char *p, const char *end, const char **next)
{
    size_t avail = (size_t)(end - p);
    const char *nl = memchr(p, '\n', avail);
    size_t n = nl != NULL ? (size_t)(nl - p) : avail;
    *next = nl != NULL ? nl + 1 : end;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    return n;
}

/* Parses a raw request: request line (the target may hold spaces), "Name:value" headers with
 * folded continuation lines kept as "\n" + the line, a blank line, the body. Returns 0 or -1. */
static int
parse_req(const char *data, size_t len, struct parsed_req *r)
{
    const char *end = data + len;
    const char *p = data, *next;
    size_t n = line_at(p, end, &next);

    memset(r, 0, sizeof(*r));
    /* METHOD SP target SP version: the target runs from the first space to the last. */
    const char *sp1 = memchr(p, ' ', n);
    size_t last = n;
    while (last > 0 && p[last - 1] != ' ')
        last--;
    if (sp1 == NULL || last == 0 || p + last - 1 <= sp1)
        return -1;
    const char *target = sp1 + 1;
    size_t tlen = (size_t)(p + last - 1 - target);
    const char *q = memchr(target, '?', tlen);
    size_t plen = q != NULL ? (size_t)(q - target) : tlen;
    r->method = xstrndup(p, (size_t)(sp1 - p));
    r->path = xstrndup(target, plen);
    if (q != NULL)
        r->query = xstrndup(q + 1, tlen - plen - 1);
    if (r->method == NULL || r->path == NULL || (q != NULL && r->query == NULL))
        goto fail;

    for (p = next; p < end; p = next) {
        n = line_at(p, end, &next);
        if (n == 0) { /* the blank line: the body follows */
            r->body_len = (size_t)(end - next);
            r->body = xstrndup(next, r->body_len);
            if (r->body == NULL)
                goto fail;
            break;
        }
        if (*p == ' ' || *p == '\t') {
            if (r->nheaders == 0)
                goto fail;
            struct sigv4_header *h = &r->headers[r->nheaders - 1];
            size_t old = strlen(h->value);
            char *v = realloc((char *)h->value, old + n + 2);
            if (v == NULL)
                goto fail;
            v[old] = '\n';
            memcpy(v + old + 1, p, n);
            v[old + 1 + n] = '\0';
            h->value = v;
        } else {
            const char *colon = memchr(p, ':', n);
            if (colon == NULL)
                goto fail;
            size_t nlen = (size_t)(colon - p);
            struct sigv4_header *hs = realloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
            if (hs == NULL)
                goto fail;
            r->headers = hs;
            hs[r->nheaders].name = xstrndup(p, nlen);
            hs[r->nheaders].value = xstrndup(colon + 1, n - nlen - 1);
            r->nheaders++;
            if (hs[r->nheaders - 1].name == NULL || hs[r->nheaders - 1].value == NULL)
                goto fail;
        }
    }
    return 0;

fail:
    parsed_req_free(r);
    return -1;
}

/* The token the case signs: the request's own header, else the .creq's line, else none. */
static char *
case_token(const struct parsed_req *r, const char *creq)
{
    static const char line[] = "\nx-amz-security-token:";
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, "x-amz-security-token") == 0)
            return strdup(r->headers[i].value);
    const char *t = strstr(creq, line);
    if (t == NULL)
        return NULL;
    t += strlen(line);
    return xstrndup(t, strcspn(t, "\n"));
}

static char *
case_file(const struct tcase_info *c, const char *ext)
{
    char *path = path_join(c->dir, c->base, ext);
    char *data;
    if (path == NULL)
        return NULL;
    data = read_file(path, NULL);
    free(path);
    return data;
}

START_TEST(test_suite_found)
{
    ck_assert_msg(suite_error == NULL, "%s", suite_error != NULL ? suite_error : "");
    ck_assert_msg(ncases >= MIN_CASES, "only %zu SigV4 cases found under %s (want >= %d)", ncases,
                  getenv("SIGV4_TESTDATA"), MIN_CASES);
}
END_TEST

START_TEST(test_vector)
{
    const struct tcase_info *c = &cases[_i];
    struct parsed_req r;
    struct sigv4_result res;
    char *reqpath = path_join(c->dir, c->base, ".req");
    size_t reqlen = 0;
    char *raw = reqpath != NULL ? read_file(reqpath, &reqlen) : NULL;
    char *creq = case_file(c, ".creq");
    char *sts = case_file(c, ".sts");
    char *authz = case_file(c, ".authz");

    ck_assert_msg(raw && creq && sts && authz, "%s: cannot read the case files", c->name);
    ck_assert_msg(parse_req(raw, reqlen, &r) == 0, "%s: cannot parse the .req", c->name);

    char *token = case_token(&r, creq);
    struct sigv4_credentials creds = {akid, secret, token};
    struct sigv4_request req = {r.method,   r.path, r.query,   r.headers,
                                r.nheaders, r.body, r.body_len};
    sigv4_status st = sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res);

    ck_assert_msg(st == SIGV4_OK, "%s: sigv4_sign returned %d", c->name, (int)st);
    ck_assert_msg(strcmp(res.canonical_request, creq) == 0,
                  "%s: canonical request differs\n--- got\n%s\n--- want\n%s", c->name,
                  res.canonical_request, creq);
    ck_assert_msg(strcmp(res.string_to_sign, sts) == 0,
                  "%s: string to sign differs\n--- got\n%s\n--- want\n%s", c->name,
                  res.string_to_sign, sts);
    ck_assert_msg(strcmp(res.authorization, authz) == 0,
                  "%s: authorization differs\n--- got\n%s\n--- want\n%s", c->name,
                  res.authorization, authz);

    sigv4_result_free(&res);
    parsed_req_free(&r);
    free(token);
    free(reqpath);
    free(raw);
    free(creq);
    free(sts);
    free(authz);
}
END_TEST

/* get-vanilla, built by hand, for the tests that do not need the suite files. */
static struct sigv4_header vanilla_headers[] = {
    {"Host", "example.amazonaws.com"},
    {"X-Amz-Date", "20150830T123600Z"},
};
static const char vanilla_authz[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

static struct sigv4_request
vanilla_request(struct sigv4_header *headers, size_t n)
{
    struct sigv4_request req = {"GET", "/", NULL, headers, n, NULL, 0};
    return req;
}

static int
contains(const void *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp((const char *)hay + i, needle, m) == 0)
            return 1;
    return 0;
}

START_TEST(test_cache_hit_and_miss)
{
    struct sigv4_key_cache cache = {0};
    struct sigv4_result a, b, c, d;
    struct sigv4_request req = vanilla_request(vanilla_headers, 2);
    struct sigv4_credentials creds = {akid, secret, NULL};
    struct sigv4_credentials other = {akid, "another-secret-key", NULL};

    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, &cache, &a), SIGV4_OK);
    ck_assert_int_eq(cache.valid, 1);
    ck_assert_uint_eq(cache.hits, 0);
    ck_assert_str_eq(a.authorization, vanilla_authz);
    ck_assert_msg(!contains(&cache, sizeof(cache), secret, strlen(secret)),
                  "the cache holds the secret");

    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, &cache, &b), SIGV4_OK);
    ck_assert_uint_eq(cache.hits, 1);
    ck_assert_str_eq(b.authorization, a.authorization);

    /* A new secret misses, and signs differently. */
    ck_assert_int_eq(sigv4_sign(&req, &other, region, service, amz_date, &cache, &c), SIGV4_OK);
    ck_assert_uint_eq(cache.hits, 1);
    ck_assert_str_ne(c.authorization, a.authorization);

    /* A new day misses. */
    struct sigv4_header next_day[] = {{"Host", "example.amazonaws.com"},
                                      {"X-Amz-Date", "20150831T000000Z"}};
    struct sigv4_request req2 = vanilla_request(next_day, 2);
    ck_assert_int_eq(sigv4_sign(&req2, &other, region, service, "20150831T000000Z", &cache, &d),
                     SIGV4_OK);
    ck_assert_uint_eq(cache.hits, 1);
    ck_assert_str_eq(cache.date, "20150831");
    sigv4_result_free(&d);

    /* Same day and secret again: a hit, equal to signing with no cache at all. */
    ck_assert_int_eq(sigv4_sign(&req2, &other, region, service, "20150831T000000Z", &cache, &d),
                     SIGV4_OK);
    ck_assert_uint_eq(cache.hits, 2);
    struct sigv4_result e;
    ck_assert_int_eq(sigv4_sign(&req2, &other, region, service, "20150831T000000Z", NULL, &e),
                     SIGV4_OK);
    ck_assert_str_eq(d.authorization, e.authorization);

    /* A new region misses. */
    sigv4_result_free(&e);
    ck_assert_int_eq(
        sigv4_sign(&req2, &other, "eu-west-1", service, "20150831T000000Z", &cache, &e), SIGV4_OK);
    ck_assert_uint_eq(cache.hits, 2);
    ck_assert_str_eq(cache.region, "eu-west-1");

    sigv4_result_free(&a);
    sigv4_result_free(&b);
    sigv4_result_free(&c);
    sigv4_result_free(&d);
    sigv4_result_free(&e);
}
END_TEST

START_TEST(test_format_date)
{
    char buf[17];
    sigv4_format_date((time_t)1440938160, buf); /* 2015-08-30 12:36:00 UTC */
    ck_assert_str_eq(buf, "20150830T123600Z");
    sigv4_format_date((time_t)0, buf);
    ck_assert_str_eq(buf, "19700101T000000Z");
}
END_TEST

START_TEST(test_missing_host_or_date)
{
    struct sigv4_credentials creds = {akid, secret, NULL};
    struct sigv4_result res;
    struct sigv4_header no_host[] = {{"X-Amz-Date", "20150830T123600Z"}};
    struct sigv4_header no_date[] = {{"Host", "example.amazonaws.com"}};
    struct sigv4_header other_date[] = {{"Host", "example.amazonaws.com"},
                                        {"X-Amz-Date", "20150830T123601Z"}};
    struct sigv4_request req;

    req = vanilla_request(no_host, 1);
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    ck_assert_ptr_null(res.authorization);
    req = vanilla_request(no_date, 1);
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    req = vanilla_request(other_date, 2);
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    req = vanilla_request(vanilla_headers, 2);
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, "2015-08-30", NULL, &res),
                     SIGV4_ERR_INVALID);
}
END_TEST

START_TEST(test_bad_input)
{
    struct sigv4_credentials creds = {akid, secret, NULL};
    struct sigv4_credentials token_creds = {akid, secret, "token-a"};
    struct sigv4_result res;
    struct sigv4_header with_token[] = {{"Host", "example.amazonaws.com"},
                                        {"X-Amz-Date", "20150830T123600Z"},
                                        {"X-Amz-Security-Token", "token-b"}};
    struct sigv4_request req = vanilla_request(vanilla_headers, 2);

    /* A token header that disagrees with the credentials. */
    req = vanilla_request(with_token, 3);
    ck_assert_int_eq(sigv4_sign(&req, &token_creds, region, service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    /* A malformed percent escape in the query. */
    req = vanilla_request(vanilla_headers, 2);
    req.query = "a=%4";
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    req.query = "a=%zz";
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    /* A body length with no body, and a region that would break the scope. */
    req.query = NULL;
    req.body_len = 3;
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    req.body_len = 0;
    ck_assert_int_eq(sigv4_sign(&req, &creds, "us/east", service, amz_date, NULL, &res),
                     SIGV4_ERR_INVALID);
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, NULL),
                     SIGV4_ERR_INVALID);
}
END_TEST

/* Paths and queries beyond the suite: the second and third lines of the canonical request. */
static const struct {
    const char *path, *query, *want;
} uri_cases[] = {
    {"", NULL, "/\n"},
    {"/a/b/../c/./d", NULL, "/a/c/d\n"},
    {"/a/b/..", NULL, "/a/\n"},
    {"/../../a", NULL, "/a\n"},
    {"/a%20b/", NULL, "/a%2520b/\n"},
    {"/a+b*c", NULL, "/a%2Bb%2Ac\n"},
    {"/", "b=2&a=1&&", "/\na=1&b=2"},
    {"/", "a+b=c d&flag", "/\na%2Bb=c%20d&flag="},
    {"/", "k=%7e%2fx", "/\nk=~%2Fx"},
    {"/", "=v&b", "/\n=v&b="},
};

START_TEST(test_canonical_uri_and_query)
{
    struct sigv4_credentials creds = {akid, secret, NULL};
    struct sigv4_result res;
    struct sigv4_request req = vanilla_request(vanilla_headers, 2);

    req.path = uri_cases[_i].path;
    req.query = uri_cases[_i].query;
    ck_assert_int_eq(sigv4_sign(&req, &creds, region, service, amz_date, NULL, &res), SIGV4_OK);
    const char *got = strchr(res.canonical_request, '\n') + 1;
    size_t n = strlen(uri_cases[_i].want);
    ck_assert_msg(strncmp(got, uri_cases[_i].want, n) == 0 && got[n] == '\n',
                  "path \"%s\" query \"%s\": got\n%s", uri_cases[_i].path,
                  uri_cases[_i].query ? uri_cases[_i].query : "(null)", res.canonical_request);
    sigv4_result_free(&res);
}
END_TEST

/* The signer, on get-vanilla as AWS signs it: the same Authorization as the suite's. */
START_TEST(test_signer_vanilla)
{
    struct sigv4_signer *sg = NULL;
    struct sigv4_header hdrs[] = {{"host", "example.amazonaws.com"}, {"x-amz-date", amz_date}};
    struct sigv4_canonical req = {"GET", "/", hdrs, 2, "host;x-amz-date", NULL, 0};
    struct sigv4_credentials creds = {akid, secret, NULL};
    char authz[512];

    ck_assert_int_eq(sigv4_signer_new(region, service, &sg), SIGV4_OK);
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &creds, 1, amz_date, authz, sizeof(authz)),
                     SIGV4_OK);
    ck_assert_str_eq(authz, vanilla_authz);
    sigv4_signer_free(sg);
}
END_TEST

/* A DynamoDB-shaped request, with and without a session token and with a value to fold:
 * the signer and sigv4_sign agree byte for byte. */
START_TEST(test_signer_matches_sign)
{
    static const char body[] = "{\"TableName\":\"t\",\"Key\":{\"id\":{\"S\":\"a b\"}}}";
    static const char token[] = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwd";
    static const char folded[] = "  DynamoDB_20120810.GetItem \t x  ";
    struct sigv4_signer *sg = NULL;
    int with_token = _i & 1, fold = _i & 2;
    struct sigv4_header sent[] = {
        {"Host", "dynamodb.us-east-1.amazonaws.com"},
        {"Content-Type", "application/x-amz-json-1.0"},
        {"X-Amz-Target", fold ? folded : "DynamoDB_20120810.GetItem"},
        {"X-Amz-Date", amz_date},
        {"X-Amz-Security-Token", token},
    };
    struct sigv4_header canon[5];
    size_t n = 0;
    struct sigv4_request req = {"POST", "/", NULL, sent, with_token ? 5 : 4, body, strlen(body)};
    struct sigv4_credentials creds = {akid, secret, with_token ? token : NULL};
    struct sigv4_result res;
    char authz[512];

    canon[n++] = (struct sigv4_header){"content-type", sent[1].value};
    canon[n++] = (struct sigv4_header){"host", sent[0].value};
    canon[n++] = (struct sigv4_header){"x-amz-date", amz_date};
    if (with_token)
        canon[n++] = (struct sigv4_header){"x-amz-security-token", token};
    canon[n++] = (struct sigv4_header){"x-amz-target", sent[2].value};
    struct sigv4_canonical creq = {
        "POST",
        "/",
        canon,
        n,
        with_token ? "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
                   : "content-type;host;x-amz-date;x-amz-target",
        body,
        strlen(body)};

    ck_assert_int_eq(sigv4_sign(&req, &creds, region, "dynamodb", amz_date, NULL, &res), SIGV4_OK);
    ck_assert_int_eq(sigv4_signer_new(region, "dynamodb", &sg), SIGV4_OK);
    ck_assert_int_eq(sigv4_signer_sign(sg, &creq, &creds, 7, amz_date, authz, sizeof(authz)),
                     SIGV4_OK);
    ck_assert_str_eq(authz, res.authorization);
    /* Again, with the key kept: the same answer. */
    ck_assert_int_eq(sigv4_signer_sign(sg, &creq, &creds, 7, amz_date, authz, sizeof(authz)),
                     SIGV4_OK);
    ck_assert_str_eq(authz, res.authorization);
    ck_assert_uint_eq(sigv4_signer_derivations(sg), 1);
    sigv4_result_free(&res);
    sigv4_signer_free(sg);
}
END_TEST

/* The key is derived once per day and generation: a new generation (new credentials) or a
 * new day derives it again, and nothing compares secrets. */
START_TEST(test_signer_key_per_day_and_generation)
{
    struct sigv4_signer *sg = NULL;
    struct sigv4_header hdrs[] = {{"host", "example.amazonaws.com"}, {"x-amz-date", amz_date}};
    struct sigv4_header next[] = {{"host", "example.amazonaws.com"},
                                  {"x-amz-date", "20150831T000000Z"}};
    struct sigv4_canonical req = {"GET", "/", hdrs, 2, "host;x-amz-date", NULL, 0};
    struct sigv4_canonical req2 = {"GET", "/", next, 2, "host;x-amz-date", NULL, 0};
    struct sigv4_credentials creds = {akid, secret, NULL};
    struct sigv4_credentials other = {akid, "another-secret-key", NULL};
    char a[512], b[512], c[512];

    ck_assert_int_eq(sigv4_signer_new(region, service, &sg), SIGV4_OK);
    ck_assert_uint_eq(sigv4_signer_derivations(sg), 0);
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &creds, 1, amz_date, a, sizeof(a)), SIGV4_OK);
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &creds, 1, amz_date, b, sizeof(b)), SIGV4_OK);
    ck_assert_uint_eq(sigv4_signer_derivations(sg), 1);
    ck_assert_str_eq(a, b);

    /* New credentials come with a new generation: derived again, signed differently. */
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &other, 2, amz_date, c, sizeof(c)), SIGV4_OK);
    ck_assert_uint_eq(sigv4_signer_derivations(sg), 2);
    ck_assert_str_ne(c, a);

    /* A new day: derived again, with the new date in the scope. */
    ck_assert_int_eq(sigv4_signer_sign(sg, &req2, &other, 2, "20150831T000000Z", c, sizeof(c)),
                     SIGV4_OK);
    ck_assert_uint_eq(sigv4_signer_derivations(sg), 3);
    ck_assert_ptr_nonnull(strstr(c, "Credential=AKIDEXAMPLE/20150831/us-east-1/service/"));

    /* Back to the first credentials and day under a third generation: as signed at first. */
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &creds, 3, amz_date, c, sizeof(c)), SIGV4_OK);
    ck_assert_str_eq(c, vanilla_authz);
    ck_assert_uint_eq(sigv4_signer_derivations(sg), 4);
    sigv4_signer_free(sg);
}
END_TEST

START_TEST(test_signer_bad_input)
{
    struct sigv4_signer *sg = NULL;
    struct sigv4_header hdrs[] = {{"host", "example.amazonaws.com"}, {"x-amz-date", amz_date}};
    struct sigv4_canonical req = {"GET", "/", hdrs, 2, "host;x-amz-date", NULL, 0};
    struct sigv4_credentials creds = {akid, secret, NULL};
    struct sigv4_credentials bad_id = {"AKID/EXAMPLE", secret, NULL};
    char authz[512];

    ck_assert_int_eq(sigv4_signer_new("us/east", service, &sg), SIGV4_ERR_INVALID);
    ck_assert_ptr_null(sg);
    ck_assert_int_eq(sigv4_signer_new(region, service, &sg), SIGV4_OK);
    /* Too small for the answer: refused, and nothing half-written is left. */
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &creds, 1, amz_date, authz, 64),
                     SIGV4_ERR_INVALID);
    ck_assert_str_eq(authz, "");
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &creds, 1, "2015-08-30", authz, sizeof(authz)),
                     SIGV4_ERR_INVALID);
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, &bad_id, 1, amz_date, authz, sizeof(authz)),
                     SIGV4_ERR_INVALID);
    ck_assert_int_eq(sigv4_signer_sign(sg, &req, NULL, 1, amz_date, authz, sizeof(authz)),
                     SIGV4_ERR_INVALID);
    sigv4_signer_free(sg);
    sigv4_signer_free(NULL);
}
END_TEST

static Suite *
sigv4_suite(void)
{
    Suite *s = suite_create("sigv4");
    TCase *tc;

    discover_cases();

    tc = tcase_create("vectors");
    tcase_add_test(tc, test_suite_found);
    suite_add_tcase(s, tc);
    /* One test case per vector, named after it, so TAP names it pass or fail. */
    for (size_t i = 0; i < ncases; i++) {
        tc = tcase_create(cases[i].name);
        tcase_add_loop_test(tc, test_vector, (int)i, (int)i + 1);
        suite_add_tcase(s, tc);
    }

    tc = tcase_create("api");
    tcase_add_test(tc, test_cache_hit_and_miss);
    tcase_add_test(tc, test_format_date);
    tcase_add_test(tc, test_missing_host_or_date);
    tcase_add_test(tc, test_bad_input);
    tcase_add_loop_test(tc, test_canonical_uri_and_query, 0,
                        (int)(sizeof(uri_cases) / sizeof(uri_cases[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("signer");
    tcase_add_test(tc, test_signer_vanilla);
    tcase_add_loop_test(tc, test_signer_matches_sign, 0, 4);
    tcase_add_test(tc, test_signer_key_per_day_and_generation);
    tcase_add_test(tc, test_signer_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(sigv4_suite)
