/* The API through real nginx (BASE_URL) against the emulator, spoken to with libcurl as any
 * client would: every route and every status of README's API table, validation with the field
 * named, If-Match, pagination and the concurrency guarantees. api_nginx.sh starts the stack
 * (body limit 4096) and exports BASE_URL and ADMIN_TOKEN.
 *
 * Every response is checked for what every response must carry (X-Request-Id, X-Ddb-Calls,
 * X-Ddb-Ms, X-Ddb-Retries, Cache-Control; problem documents with request_id equal to X-Request-Id).
 * Tests name what they create after their pid and test name, so none depends on another. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "../lib/check_main.h"

#define HEADERS_MAX 16384
#define SIGNUPS 50

static const char *g_base;
static char g_admin[256]; /* "Bearer <token>" */

struct call {
    CURL *easy;
    struct curl_slist *headers;
    char *req_body; /* owned copy of what is sent */
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char head[HEADERS_MAX]; /* the last response's header lines */
    size_t head_len;
    char url[16384]; /* a bulk delete of 100 ids in a filter is over 4 KB */
};

static size_t
on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct call *c = ctx;
    size_t add = size * n;
    char *grown = realloc(c->body, c->len + add + 1);

    if (grown == NULL)
        return 0;
    c->body = grown;
    memcpy(c->body + c->len, data, add);
    c->len += add;
    c->body[c->len] = '\0';
    return add;
}

static size_t
on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct call *c = ctx;
    size_t add = size * n;

    if (add >= 5 && strncmp(data, "HTTP/", 5) == 0)
        c->head_len = 0; /* a new response (after an interim one): keep only its headers */
    if (c->head_len + add < sizeof(c->head)) {
        memcpy(c->head + c->head_len, data, add);
        c->head_len += add;
        c->head[c->head_len] = '\0';
    }
    return add;
}

/* A prepared request. ctype NULL sends no Content-Type; body NULL sends none. auth is the
 * Authorization value or NULL; if_match likewise. */
static struct call *
call_new(const char *method, const char *path, const char *ctype, const char *body, size_t len,
         const char *auth, const char *if_match)
{
    struct call *c = calloc(1, sizeof(*c));
    char line[1024];

    ck_assert_ptr_nonnull(c);
    c->easy = curl_easy_init();
    ck_assert_ptr_nonnull(c->easy);
    snprintf(c->url, sizeof(c->url), "%s%s", g_base, path);
    curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
    curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c->easy, CURLOPT_PATH_AS_IS, 1L);
    c->headers = curl_slist_append(c->headers, "Expect:");
    if (ctype != NULL) {
        snprintf(line, sizeof(line), "Content-Type: %s", ctype);
        c->headers = curl_slist_append(c->headers, line);
    } else {
        c->headers = curl_slist_append(c->headers, "Content-Type:");
    }
    if (auth != NULL) {
        snprintf(line, sizeof(line), "Authorization: %s", auth);
        c->headers = curl_slist_append(c->headers, line);
    }
    if (if_match != NULL) {
        snprintf(line, sizeof(line), "If-Match: %s", if_match);
        c->headers = curl_slist_append(c->headers, line);
    }
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    if (body != NULL) {
        c->req_body = malloc(len + 1);
        ck_assert_ptr_nonnull(c->req_body);
        memcpy(c->req_body, body, len);
        c->req_body[len] = '\0';
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->req_body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)len);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
    }
    return c;
}

static void
call_free(struct call *c)
{
    if (c == NULL)
        return;
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->easy);
    free(c->req_body);
    free(c->body);
    free(c);
}

/* The value of a response header (first of that name), or NULL. */
static const char *
header(const struct call *c, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    const char *p = c->head;

    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t llen = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (llen > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            const char *end = p + llen;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' '))
                end--;
            snprintf(buf, len, "%.*s", (int)(end - v), v);
            return buf;
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
    return NULL;
}

static int
all_digits(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* What a browser may keep: a company read found (200) is asked again each time (no-cache);
 * an answer about donors, a write or an admin route is never kept (no-store). */
static void
check_cache_control(const struct call *c)
{
    char v[128];
    const char *method = NULL;
    int read;

    ck_assert_msg(header(c, "Cache-Control", v, sizeof(v)) != NULL, "%s: no Cache-Control", c->url);
    ck_assert(curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_METHOD, &method) == CURLE_OK &&
              method != NULL);
    read = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!read || strstr(c->url, "/api/donor") != NULL || strstr(c->url, "/api/status") != NULL)
        ck_assert_msg(strcmp(v, "no-store") == 0, "%s %s: Cache-Control %s", method, c->url, v);
    else if (c->status == 200 && strstr(c->url, "/api/companies") != NULL)
        ck_assert_msg(strcmp(v, "no-cache") == 0, "%s %s: Cache-Control %s", method, c->url, v);
}

/* What every response of the API carries, whatever its status. */
static void
check_invariants(const struct call *c)
{
    char rid[128], v[128], ct[128];

    ck_assert_msg(header(c, "X-Request-Id", rid, sizeof(rid)) != NULL && rid[0] != '\0',
                  "%s: no X-Request-Id", c->url);
    ck_assert_msg(all_digits(header(c, "X-Ddb-Calls", v, sizeof(v))), "%s: X-Ddb-Calls", c->url);
    ck_assert_msg(all_digits(header(c, "X-Ddb-Ms", v, sizeof(v))), "%s: X-Ddb-Ms", c->url);
    ck_assert_msg(all_digits(header(c, "X-Ddb-Retries", v, sizeof(v))), "%s: X-Ddb-Retries",
                  c->url);
    check_cache_control(c);
    if (c->status < 400)
        return;
    ck_assert_msg(header(c, "Content-Type", ct, sizeof(ct)) != NULL &&
                      strncmp(ct, "application/problem+json", 24) == 0,
                  "%s: %ld without a problem document", c->url, c->status);
    json_object *doc = json_tokener_parse(c->body != NULL ? c->body : "");
    json_object *m = NULL;
    ck_assert_msg(doc != NULL, "%s: problem is not JSON: %s", c->url, c->body);
    ck_assert(json_object_object_get_ex(doc, "status", &m));
    ck_assert_int_eq(json_object_get_int(m), c->status);
    ck_assert(json_object_object_get_ex(doc, "title", &m) &&
              json_object_is_type(m, json_type_string));
    ck_assert(json_object_object_get_ex(doc, "detail", &m) &&
              json_object_is_type(m, json_type_string));
    ck_assert(json_object_object_get_ex(doc, "type", &m));
    ck_assert(json_object_object_get_ex(doc, "request_id", &m));
    ck_assert_str_eq(json_object_get_string(m), rid);
    json_object_put(doc);
}

static void
call_perform(struct call *c)
{
    CURLcode rc = curl_easy_perform(c->easy);

    ck_assert_msg(rc == CURLE_OK, "%s: %s", c->url, curl_easy_strerror(rc));
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
    check_invariants(c);
}

/* One request, performed and checked for the invariants. Free with call_free. */
static struct call *
req(const char *method, const char *path, const char *ctype, const char *body, const char *auth,
    const char *if_match)
{
    struct call *c =
        call_new(method, path, ctype, body, body != NULL ? strlen(body) : 0, auth, if_match);
    call_perform(c);
    return c;
}

#define JSON "application/json"

static struct call *
get(const char *path, const char *auth)
{
    return req("GET", path, NULL, NULL, auth, NULL);
}

/* Asserts the status, with the body in the message. */
#define ck_status(c, want)                                                                         \
    ck_assert_msg((c)->status == (want), "%s %s: got %ld, want %d: %s", __func__, (c)->url,        \
                  (c)->status, (want), (c)->body != NULL ? (c)->body : "")

/* A status-only request. */
static void
expect(int status, const char *method, const char *path, const char *ctype, const char *body,
       const char *auth, const char *if_match)
{
    struct call *c = req(method, path, ctype, body, auth, if_match);
    ck_status(c, status);
    call_free(c);
}

static json_object *
body_json(const struct call *c)
{
    json_object *doc = json_tokener_parse(c->body != NULL ? c->body : "");
    ck_assert_msg(doc != NULL, "%s: not JSON: %s", c->url, c->body);
    return doc;
}

static const char *
member_str(json_object *obj, const char *name)
{
    json_object *m = NULL;
    ck_assert_msg(json_object_object_get_ex(obj, name, &m), "no member %s", name);
    return json_object_get_string(m);
}

/* The field of every error in a 422, comma-separated in order. */
static void
error_fields(const struct call *c, char *buf, size_t len)
{
    json_object *doc = body_json(c), *errors = NULL;

    buf[0] = '\0';
    ck_assert_msg(json_object_object_get_ex(doc, "errors", &errors), "no errors: %s", c->body);
    for (size_t i = 0; i < json_object_array_length(errors); i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                 member_str(json_object_array_get_idx(errors, i), "field"));
    }
    json_object_put(doc);
}

/* A 422 whose errors name exactly these fields. */
static void
expect_422(const char *fields, const char *method, const char *path, const char *body,
           const char *auth, const char *if_match)
{
    char got[512];
    struct call *c = req(method, path, body != NULL ? JSON : NULL, body, auth, if_match);

    ck_status(c, 422);
    error_fields(c, got, sizeof(got));
    ck_assert_msg(strcmp(got, fields) == 0, "%s %s: fields \"%s\", want \"%s\" (%s)", method, path,
                  got, fields, body != NULL ? body : "");
    call_free(c);
}

/* A name unique to this test process: "<pid>-<what>". */
static const char *
uniq(char *buf, size_t len, const char *what)
{
    snprintf(buf, len, "%ld-%s", (long)getpid(), what);
    return buf;
}

/* Percent-encodes s as a path segment or query value. */
static const char *
enc(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        ck_assert_uint_lt(o + 3, len);
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            buf[o++] = (char)*p;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}

/* Creates a company (admin), asserting 201; returns its id in id. */
static void
make_company(const char *name, char *id, size_t len)
{
    char body[512];
    struct call *c;
    json_object *doc;

    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"keywords\":[\"blood\"]}", name);
    c = req("POST", "/api/companies", JSON, body, g_admin, NULL);
    ck_status(c, 201);
    doc = body_json(c);
    snprintf(id, len, "%s", member_str(doc, "id"));
    json_object_put(doc);
    call_free(c);
}

static struct call *
signup(const char *email, const char *first, const char *city, const char *type)
{
    char body[1024];

    snprintf(body, sizeof(body),
             "{\"email\":\"%s\",\"first_name\":\"%s\",\"city\":\"%s\",\"type\":\"%s\"}", email,
             first, city, type);
    return req("POST", "/api/donors", JSON, body, NULL, NULL);
}

static void
setup(void)
{
    const char *token = getenv("ADMIN_TOKEN");

    g_base = getenv("BASE_URL");
    ck_assert_msg(g_base != NULL && token != NULL, "BASE_URL and ADMIN_TOKEN must be set");
    snprintf(g_admin, sizeof(g_admin), "Bearer %s", token);
    ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
}

static void
teardown(void)
{
    curl_global_cleanup();
}

/* ---- health and readiness ---- */

START_TEST(test_health)
{
    char v[32];
    struct call *c = get("/api/health", NULL);

    ck_status(c, 200);
    json_object *doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "status"), "ok");
    ck_assert_str_eq(header(c, "X-Ddb-Calls", v, sizeof(v)), "0");
    ck_assert_ptr_nonnull(header(c, "Content-Type", v, sizeof(v)));
    ck_assert_str_eq(v, "application/json; charset=utf-8");
    json_object_put(doc);
    call_free(c);
}
END_TEST

START_TEST(test_ready)
{
    struct call *c = get("/api/ready", NULL);

    ck_status(c, 200);
    json_object *doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "status"), "ready");
    json_object_put(doc);
    call_free(c);
}
END_TEST

/* ---- routing: 404, 405 with Allow, 400 from the request parse, 413 ---- */

START_TEST(test_not_found)
{
    char v[32];
    struct call *c = get("/api/nothing-here", NULL);

    ck_status(c, 404);
    ck_assert_str_eq(header(c, "X-Ddb-Calls", v, sizeof(v)), "0");
    call_free(c);
    expect(404, "GET", "/api/companies/a/b", NULL, NULL, NULL, NULL);
    expect(404, "GET", "/api/donors/a@b.co/x", NULL, g_admin, NULL, NULL);
    expect(404, "POST", "/api/health/x", JSON, "{}", NULL, NULL);
    expect(404, "GET", "/api/company", NULL, NULL, NULL, NULL);
}
END_TEST

static const struct {
    const char *method;
    const char *path;
    const char *allow[6];
} not_allowed[] = {
    {"DELETE", "/api/health", {"GET", "HEAD"}},
    {"POST", "/api/ready", {"GET", "HEAD"}},
    {"PATCH", "/api/companies", {"GET", "HEAD", "POST", "PUT", "DELETE"}},
    {"POST", "/api/companies/some-id", {"GET", "HEAD", "PUT", "DELETE"}},
    {"PUT", "/api/donors", {"GET", "HEAD", "POST"}},
    {"GET", "/api/donor/signup", {"POST"}},
    {"PUT", "/api/donors/a@b.co", {"GET", "HEAD", "PATCH", "DELETE"}},
    /* HEAD goes with GET: where there is no GET, it is refused too */
    {"HEAD", "/api/donor/signup", {"POST"}},
};

START_TEST(test_method_not_allowed)
{
    char allow[128];
    struct call *c;

    if (strcmp(not_allowed[_i].method, "HEAD") == 0) {
        /* HEAD has no body: only the status and the Allow header can be checked. */
        c = call_new("HEAD", not_allowed[_i].path, NULL, NULL, 0, g_admin, NULL);
        curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
        ck_assert_int_eq(curl_easy_perform(c->easy), CURLE_OK);
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
    } else {
        c = req(not_allowed[_i].method, not_allowed[_i].path, NULL, NULL, g_admin, NULL);
    }
    ck_status(c, 405);
    ck_assert_msg(header(c, "Allow", allow, sizeof(allow)) != NULL, "no Allow");
    size_t n = 0;
    for (const char *const *m = not_allowed[_i].allow; *m != NULL; m++, n++) {
        char want[16];
        snprintf(want, sizeof(want), "%s", *m);
        /* each method once, as a whole word */
        char *hit = strstr(allow, want);
        ck_assert_msg(hit != NULL, "Allow \"%s\" lacks %s", allow, want);
    }
    /* exactly those: count the commas */
    size_t commas = 0;
    for (const char *p = allow; *p != '\0'; p++)
        commas += *p == ',';
    ck_assert_msg(commas + 1 == n, "Allow \"%s\", want %zu methods", allow, n);
    call_free(c);
}
END_TEST

START_TEST(test_bad_request_parse)
{
    char many[2048];

    /* invalid UTF-8 in the path and in the query, an encoded dot segment, more query
     * parameters than a request may have (129; a bad percent-encoding such as %zz, or %00,
     * never gets past nginx, which answers 400 itself) */
    expect(400, "GET", "/api/companies/%C3%28", NULL, NULL, NULL, NULL);
    expect(400, "GET", "/api/companies?cursor=%FF", NULL, NULL, NULL, NULL);
    expect(400, "GET", "/api/companies?x%C3=1", NULL, NULL, NULL, NULL);
    expect(400, "GET", "/api/companies/%2E%2E", NULL, NULL, NULL, NULL);
    strcpy(many, "/api/companies?");
    for (int i = 0; i < 128; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sp=%d", i ? "&" : "", i);
    expect(200, "GET", many, NULL, NULL, NULL, NULL);
    strcat(many, "&p=128");
    expect(400, "GET", many, NULL, NULL, NULL, NULL);
}
END_TEST

/* 5000 bytes against the stack's 4096-byte limit, on a public route and an admin one. */
START_TEST(test_too_large)
{
    char *big = malloc(5001);

    ck_assert_ptr_nonnull(big);
    memset(big, ' ', 5000);
    memcpy(big, "{\"email\":\"a@b.co\"", 17);
    big[4999] = '}';
    big[5000] = '\0';
    expect(413, "POST", "/api/donors", JSON, big, NULL, NULL);
    expect(413, "POST", "/api/companies", JSON, big, g_admin, NULL);
    free(big);
}
END_TEST

/* ---- admin authentication ---- */

static const struct {
    const char *method;
    const char *path;
} admin_routes[] = {
    {"POST", "/api/companies"},        {"PUT", "/api/companies"},
    {"DELETE", "/api/companies?id=x"}, {"PUT", "/api/companies/x"},
    {"DELETE", "/api/companies/x"},    {"GET", "/api/donors?city=Porto"},
    {"GET", "/api/donors/a@b.co"},     {"PATCH", "/api/donors/a@b.co"},
    {"DELETE", "/api/donors/a@b.co"},
};

START_TEST(test_unauthorized)
{
    char wrong[300], v[128];
    const char *auths[] = {NULL, wrong, "Basic YWRtaW46YWRtaW4=", "Bearer", g_admin + 7, ""};

    snprintf(wrong, sizeof(wrong), "Bearer %sx", g_admin + 7);
    for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
        /* a malformed body too: authentication is decided before anything is looked at */
        struct call *c = req(admin_routes[_i].method, admin_routes[_i].path, "text/plain",
                             "{not json", auths[i], NULL);
        ck_status(c, 401);
        ck_assert_msg(header(c, "WWW-Authenticate", v, sizeof(v)) != NULL, "no WWW-Authenticate");
        ck_assert_str_eq(v, "Bearer");
        ck_assert_str_eq(header(c, "X-Ddb-Calls", v, sizeof(v)), "0");
        call_free(c);
    }
}
END_TEST

/* The scheme is case-insensitive. */
START_TEST(test_bearer_case)
{
    char auth[256];

    snprintf(auth, sizeof(auth), "bearer %s", g_admin + 7);
    expect(404, "GET", "/api/companies/none", NULL, NULL, auth, NULL);
    expect(404, "DELETE", "/api/companies/nothing-to-delete", NULL, NULL, auth, NULL);
    snprintf(auth, sizeof(auth), "BEARER %s", g_admin + 7);
    expect(404, "DELETE", "/api/companies/nothing-to-delete", NULL, NULL, auth, NULL);
}
END_TEST

/* ---- companies ---- */

START_TEST(test_company_lifecycle)
{
    char name[128], id[128], path[512], e[256], v[256];
    struct call *c;
    json_object *doc;

    uniq(name, sizeof(name), "Life Co");
    snprintf(id, sizeof(id), "%s", name);
    for (char *p = id; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(path, sizeof(path), "/api/companies/%s", enc(id, e, sizeof(e)));

    char body[512];
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"keywords\":[\"blood\",\"plasma\"]}", name);
    c = req("POST", "/api/companies", JSON, body, g_admin, NULL);
    ck_status(c, 201);
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"1\"");
    ck_assert_str_eq(header(c, "Location", v, sizeof(v)), path);
    doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "id"), id);
    ck_assert_str_eq(member_str(doc, "name"), name);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(doc, "keywords")), 2);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(doc, "version")), 1);
    ck_assert_ptr_nonnull(json_object_object_get(doc, "created_at"));
    ck_assert_ptr_nonnull(json_object_object_get(doc, "updated_at"));
    json_object_put(doc);
    call_free(c);

    /* public read, with its ETag, and a DynamoDB call counted */
    c = get(path, NULL);
    ck_status(c, 200);
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"1\"");
    ck_assert_msg(atoi(header(c, "X-Ddb-Calls", v, sizeof(v))) >= 1, "X-Ddb-Calls %s", v);
    doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "name"), name);
    json_object_put(doc);
    call_free(c);

    /* update with the current tag; then the old tag is stale */
    c = req("PUT", path, JSON, "{\"keywords\":[\"platelets\"]}", g_admin, "\"1\"");
    ck_status(c, 200);
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"2\"");
    doc = body_json(c);
    ck_assert_str_eq(json_object_get_string(
                         json_object_array_get_idx(json_object_object_get(doc, "keywords"), 0)),
                     "platelets");
    ck_assert_str_eq(member_str(doc, "name"), name);
    json_object_put(doc);
    call_free(c);
    expect(412, "PUT", path, JSON, "{\"keywords\":[]}", g_admin, "\"1\"");
    /* a weak tag never matches (strong comparison), even with the right version */
    expect(412, "PUT", path, JSON, "{\"keywords\":[]}", g_admin, "W/\"2\"");
    expect(412, "PUT", path, JSON, "{\"keywords\":[]}", g_admin, "\"7\", \"9\"");
    expect(400, "PUT", path, JSON, "{\"keywords\":[]}", g_admin, "2");
    /* a list with the current tag, "*", and no header all write */
    expect(200, "PUT", path, JSON, "{\"keywords\":[\"a\"]}", g_admin, "\"9\", \"2\"");
    expect(200, "PUT", path, JSON, "{\"keywords\":[\"b\"]}", g_admin, "*");
    /* the name may change its letter case */
    char upper[128], upper_body[256];
    snprintf(upper, sizeof(upper), "%s", id);
    for (char *p = upper; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    snprintf(upper_body, sizeof(upper_body), "{\"name\":\"%s\"}", upper);
    c = req("PUT", path, JSON, upper_body, g_admin, NULL);
    ck_status(c, 200);
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"5\"");
    call_free(c);

    /* delete: a stale tag is 412, then 200 {"id"}, then it is gone */
    expect(412, "DELETE", path, NULL, NULL, g_admin, "\"4\"");
    c = req("DELETE", path, NULL, NULL, g_admin, "\"5\"");
    ck_status(c, 200);
    doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "id"), id);
    ck_assert_int_eq(json_object_object_length(doc), 1);
    json_object_put(doc);
    call_free(c);
    expect(404, "GET", path, NULL, NULL, NULL, NULL);
    expect(404, "DELETE", path, NULL, NULL, g_admin, NULL);
    expect(404, "PUT", path, JSON, "{\"keywords\":[]}", g_admin, NULL);
    expect(404, "PUT", path, JSON, "{\"keywords\":[]}", g_admin, "\"1\"");
    expect(404, "PUT", path, JSON, "{\"keywords\":[]}", g_admin, "W/\"1\"");
    expect(404, "DELETE", path, NULL, NULL, g_admin, "W/\"1\"");
}
END_TEST

/* The tutorial's PUT /api/companies creates like POST; an existing id, in any letter case, is
 * 409. */
START_TEST(test_company_conflict)
{
    char name[128], body[256], v[256];
    struct call *c;

    uniq(name, sizeof(name), "Twin");
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    c = req("PUT", "/api/companies", JSON, body, g_admin, NULL);
    ck_status(c, 201);
    ck_assert_ptr_nonnull(header(c, "Location", v, sizeof(v)));
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"1\"");
    json_object *doc = body_json(c);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(doc, "keywords")), 0);
    json_object_put(doc);
    call_free(c);
    expect(409, "POST", "/api/companies", JSON, body, g_admin, NULL);
    for (char *p = body; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    memcpy(body, "{\"name\"", 7);
    expect(409, "PUT", "/api/companies", JSON, body, g_admin, NULL);
}
END_TEST

/* A name with '/', spaces and '&' gives an id that travels percent-encoded in the path. */
START_TEST(test_company_id_encoded)
{
    char name[128], id[128], e[512], path[600], v[600], body[256];
    struct call *c;

    uniq(name, sizeof(name), "Acme / Sons & Co");
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    make_company(name, id, sizeof(id));
    snprintf(path, sizeof(path), "/api/companies/%s", enc(id, e, sizeof(e)));
    ck_assert_ptr_nonnull(strstr(path, "%2F"));
    ck_assert_ptr_nonnull(strstr(path, "%20"));
    c = get(path, NULL);
    ck_status(c, 200);
    json_object *doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "id"), id);
    json_object_put(doc);
    call_free(c);
    /* the same id with a raw '/' is another path */
    snprintf(path, sizeof(path), "/api/companies/%ld-acme%%20/%%20sons", (long)getpid());
    expect(404, "GET", path, NULL, NULL, NULL, NULL);
    /* the Location of a create is the encoded path */
    uniq(name, sizeof(name), "x/y z");
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    c = req("POST", "/api/companies", JSON, body, g_admin, NULL);
    ck_status(c, 201);
    snprintf(path, sizeof(path), "/api/companies/%s", enc(name, e, sizeof(e)));
    ck_assert_str_eq(header(c, "Location", v, sizeof(v)), path);
    call_free(c);
    c = get(path, NULL);
    ck_status(c, 200);
    call_free(c);
    expect(200, "DELETE", path, NULL, NULL, g_admin, NULL);
}
END_TEST

START_TEST(test_company_validation)
{
    char n100[512], n101[512], kw[4096], body[8192];
    const char *e = "\xc3\xa9"; /* two bytes, one character */

    n100[0] = n101[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(n100, e);
    snprintf(n101, sizeof(n101), "%s%s", n100, e);

    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", n101);
    expect_422("name", "POST", "/api/companies", body, g_admin, NULL);
    /* exactly 100 characters: the pid, a space, then as many two-byte ones as fit */
    char exact[512];
    int used = snprintf(exact, sizeof(exact), "%ld ", (long)getpid());
    for (int i = used; i < 100; i++)
        strcat(exact, e);
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", exact);
    expect(201, "POST", "/api/companies", JSON, body, g_admin, NULL);

    expect_422("name", "POST", "/api/companies", "{}", g_admin, NULL);
    expect_422("name", "POST", "/api/companies", "{\"name\":\"\"}", g_admin, NULL);
    expect_422("name", "POST", "/api/companies", "{\"name\":\"   \"}", g_admin, NULL);
    expect_422("name", "POST", "/api/companies", "{\"name\":\"a\\u0007b\"}", g_admin, NULL);
    expect_422("name", "POST", "/api/companies", "{\"name\":\"a\\u0085b\"}", g_admin, NULL);
    /* Unicode: only white space or invisible, format (bidi, zero width), separators,
     * noncharacters; and names whose id a URL cannot name */
    static const char *const refused[] = {
        "\\u00a0",        "\\u3000\\u3000",  "\\u200b",   "\\ufeff",  " \\u00a0 ",
        "A\\u202eB",      "A\\u200bB",       "A\\u2028B", "A\\u2029", "A\\uffff",
        "A\\ufdd0",       "A\\ud83f\\udffe", ".",         "..",       " .. ",
        "\\u00a0.\\u3000"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        snprintf(body, sizeof(body), "{\"name\":\"%s\"}", refused[i]);
        expect_422("name", "POST", "/api/companies", body, g_admin, NULL);
    }
    snprintf(body, sizeof(body), "{\"name\":\"%ld ok\",\"keywords\":[\"\\u202e\"]}",
             (long)getpid());
    expect_422("keywords", "POST", "/api/companies", body, g_admin, NULL);
    expect_422("name", "POST", "/api/companies", "{\"name\":42}", g_admin, NULL);
    expect_422("name,keywords", "POST", "/api/companies", "{\"name\":null,\"keywords\":\"x\"}",
               g_admin, NULL);
    expect_422("id", "POST", "/api/companies", "{\"name\":\"ok\",\"id\":\"ok\"}", g_admin, NULL);
    expect_422("body", "POST", "/api/companies", "[{\"name\":\"ok\"}]", g_admin, NULL);
    expect_422("body", "PUT", "/api/companies", "\"ok\"", g_admin, NULL);

    /* keywords: 20 of 50 characters pass, 21 or one of 51 do not */
    char k50[256], k51[256];
    k50[0] = '\0';
    for (int i = 0; i < 50; i++)
        strcat(k50, "\xe2\x82\xac"); /* € */
    snprintf(k51, sizeof(k51), "%sx", k50);
    strcpy(kw, "[");
    for (int i = 0; i < 20; i++)
        snprintf(kw + strlen(kw), sizeof(kw) - strlen(kw), "%s\"%s\"", i ? "," : "", k50);
    snprintf(body, sizeof(body), "{\"name\":\"%ld kw20\",\"keywords\":%s]}", (long)getpid(), kw);
    expect(201, "POST", "/api/companies", JSON, body, g_admin, NULL);
    snprintf(body, sizeof(body), "{\"name\":\"%ld kw21\",\"keywords\":%s,\"x\"]}", (long)getpid(),
             kw);
    expect_422("keywords", "POST", "/api/companies", body, g_admin, NULL);
    snprintf(body, sizeof(body), "{\"name\":\"%ld kw51\",\"keywords\":[\"%s\"]}", (long)getpid(),
             k51);
    expect_422("keywords", "POST", "/api/companies", body, g_admin, NULL);
    expect_422("keywords", "POST", "/api/companies", "{\"name\":\"kw\",\"keywords\":[1]}", g_admin,
               NULL);
    expect_422("keywords", "POST", "/api/companies", "{\"name\":\"kw\",\"keywords\":[\"\"]}",
               g_admin, NULL);

    /* update: at least one field; the name may not change the id */
    char name[128], id[128], path[256], enc_id[256];
    uniq(name, sizeof(name), "Upd");
    make_company(name, id, sizeof(id));
    snprintf(path, sizeof(path), "/api/companies/%s", enc(id, enc_id, sizeof(enc_id)));
    expect_422("body", "PUT", path, "{}", g_admin, NULL);
    expect_422("name", "PUT", path, "{\"name\":\"Another Name\"}", g_admin, NULL);
    expect_422("keywords", "PUT", path, "{\"keywords\":{}}", g_admin, NULL);
    expect_422("id", "PUT", path, "{\"id\":\"x\",\"keywords\":[]}", g_admin, NULL);
}
END_TEST

START_TEST(test_company_bad_json)
{
    expect(400, "POST", "/api/companies", JSON, "{\"name\":", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"a\",}", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"\xc3\x28\"}", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"\xed\xa0\x80\"}", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, NULL, g_admin, NULL);
    expect(400, "PUT", "/api/companies/x", JSON, "nul", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"a\"} {}", g_admin, NULL);
    /* I-JSON (RFC 7493): bytes after a NUL, a name twice, \u0000 in a name, lone surrogates */
    static const char nul_body[] = "{\"name\":\"A\"}\0garbage";
    struct call *c =
        call_new("POST", "/api/companies", JSON, nul_body, sizeof(nul_body) - 1, g_admin, NULL);
    call_perform(c);
    ck_status(c, 400);
    call_free(c);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":5,\"name\":\"X\"}", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"X\",\"keywords\\u0000x\":1}", g_admin,
           NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"\\ud800\"}", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"\\udc00\"}", g_admin, NULL);
    expect(400, "POST", "/api/companies", JSON, "{\"name\":\"\\ud800x\"}", g_admin, NULL);
    expect(400, "POST", "/api/donors", JSON,
           "{\"email\":\"a@b.co\",\"first_name\":\"A\",\"first_name\":\"B\",\"city\":\"P\","
           "\"type\":\"O+\"}",
           NULL, NULL);
}
END_TEST

START_TEST(test_company_media_type)
{
    expect(415, "POST", "/api/companies", "text/plain", "{\"name\":\"x\"}", g_admin, NULL);
    expect(415, "POST", "/api/companies", NULL, "{\"name\":\"x\"}", g_admin, NULL);
    expect(415, "PUT", "/api/companies", "application/x-www-form-urlencoded", "name=x", g_admin,
           NULL);
    expect(415, "PUT", "/api/companies/x", "application/xml", "<x/>", g_admin, NULL);
    /* parameters and letter case of the media type do not matter */
    char name[128], body[256];
    uniq(name, sizeof(name), "Media");
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    expect(201, "POST", "/api/companies", "Application/JSON; charset=utf-8", body, g_admin, NULL);
    /* JSON is UTF-8: another charset is another media type, whatever the body */
    expect(415, "POST", "/api/companies", "application/json; charset=latin1", body, g_admin, NULL);
    expect(415, "POST", "/api/companies", "application/json; charset=\"ISO-8859-1\"",
           "{\"name\":\"Caf\xe9\"}", g_admin, NULL);
    expect(415, "POST", "/api/donors", "application/json;charset=utf-16", "{}", NULL, NULL);
    uniq(name, sizeof(name), "Media quoted");
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    expect(201, "POST", "/api/companies", "application/json; charset=\"UTF-8\"", body, g_admin,
           NULL);
}
END_TEST

/* POST body as a company: 201, stored with name (and id, unless NULL) as given. */
static void
expect_company_stored(const char *body, const char *name, const char *id)
{
    struct call *c = req("POST", "/api/companies", JSON, body, g_admin, NULL);
    json_object *doc;

    ck_status(c, 201);
    doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "name"), name);
    if (id != NULL)
        ck_assert_str_eq(member_str(doc, "id"), id);
    json_object_put(doc);
    call_free(c);
}

/* One company whatever way its name is typed: white space at the ends is not part of it, and
 * it is stored in NFC (a precomposed and a combining e-acute are one name). */
START_TEST(test_company_name_normalized)
{
    char body[512], v[512], id[512];
    long pid = (long)getpid();

    snprintf(body, sizeof(body), "{\"name\":\"\\u3000%ld Acme \\u00a0\"}", pid);
    snprintf(v, sizeof(v), "%ld Acme", pid);
    snprintf(id, sizeof(id), "%ld acme", pid);
    expect_company_stored(body, v, id);
    snprintf(body, sizeof(body), "{\"name\":\"%ld Acme\"}", pid);
    expect(409, "POST", "/api/companies", JSON, body, g_admin, NULL);
    snprintf(body, sizeof(body), "{\"name\":\"%ld Acme \"}", pid);
    expect(409, "POST", "/api/companies", JSON, body, g_admin, NULL);
    /* a path id that is not in the stored form names no company */
    snprintf(v, sizeof(v), "/api/companies/%ld%%20acme%%20", pid);
    expect(404, "GET", v, NULL, NULL, NULL, NULL);

    snprintf(body, sizeof(body), "{\"name\":\"%ld Cafe\\u0301\"}", pid);
    snprintf(v, sizeof(v), "%ld Caf\xc3\xa9", pid);
    expect_company_stored(body, v, NULL);
    snprintf(body, sizeof(body), "{\"name\":\"%ld Caf\xc3\xa9\"}", pid);
    expect(409, "POST", "/api/companies", JSON, body, g_admin, NULL);
    snprintf(v, sizeof(v), "/api/companies/%ld%%20caf%%C3%%A9", pid);
    expect(200, "GET", v, NULL, NULL, NULL, NULL);
}
END_TEST

START_TEST(test_company_list_params)
{
    struct call *c;
    char name[128], id[128];

    uniq(name, sizeof(name), "Listed");
    make_company(name, id, sizeof(id));
    c = get("/api/companies", NULL);
    ck_status(c, 200);
    json_object *doc = body_json(c);
    json_object *items = json_object_object_get(doc, "items");
    ck_assert(json_object_is_type(items, json_type_array));
    ck_assert_int_le(json_object_array_length(items), 20);
    ck_assert(json_object_object_get_ex(doc, "next_cursor", NULL));
    json_object_put(doc);
    call_free(c);

    c = get("/api/companies?limit=1&unknown=ignored", NULL);
    ck_status(c, 200);
    doc = body_json(c);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(doc, "items")), 1);
    json_object_put(doc);
    call_free(c);

    expect_422("limit", "GET", "/api/companies?limit=0", NULL, NULL, NULL);
    expect_422("limit", "GET", "/api/companies?limit=101", NULL, NULL, NULL);
    expect_422("limit", "GET", "/api/companies?limit=ten", NULL, NULL, NULL);
    expect_422("limit", "GET", "/api/companies?limit=-1", NULL, NULL, NULL);
    expect_422("limit", "GET", "/api/companies?limit=", NULL, NULL, NULL);
    expect_422("limit", "GET", "/api/companies?limit=1.5", NULL, NULL, NULL);
    expect(200, "GET", "/api/companies?limit=100", NULL, NULL, NULL, NULL);
}
END_TEST

/* Follows next_cursor; *count is how many items carried an id starting with prefix, and every
 * id seen is checked to appear once. */
static void
page_through(const char *first, const char *auth, const char *key, const char *prefix,
             size_t *count, size_t *pages)
{
    char path[4096], e[3000];
    json_object *seen = json_object_new_object();

    *count = 0;
    *pages = 0;
    snprintf(path, sizeof(path), "%s", first);
    for (;;) {
        struct call *c = get(path, auth);
        ck_status(c, 200);
        json_object *doc = body_json(c);
        json_object *items = json_object_object_get(doc, "items");
        json_object *next = json_object_object_get(doc, "next_cursor");
        (*pages)++;
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            const char *id = member_str(json_object_array_get_idx(items, i), key);
            ck_assert_msg(!json_object_object_get_ex(seen, id, NULL), "%s seen twice", id);
            json_object_object_add(seen, id, NULL);
            if (strncmp(id, prefix, strlen(prefix)) == 0)
                (*count)++;
        }
        if (next == NULL) {
            json_object_put(doc);
            call_free(c);
            break;
        }
        snprintf(path, sizeof(path), "%s%scursor=%s", first, strchr(first, '?') ? "&" : "?",
                 enc(json_object_get_string(next), e, sizeof(e)));
        json_object_put(doc);
        call_free(c);
        ck_assert_uint_lt(*pages, 1000);
    }
    json_object_put(seen);
}

START_TEST(test_company_paging_250)
{
    char prefix[64], name[128], body[256];
    size_t count, pages;

    uniq(prefix, sizeof(prefix), "page-");
    for (int i = 0; i < 250; i++) {
        snprintf(name, sizeof(name), "%s%03d", prefix, i);
        snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
        expect(201, "POST", "/api/companies", JSON, body, g_admin, NULL);
    }
    page_through("/api/companies?limit=100", NULL, "id", prefix, &count, &pages);
    ck_assert_uint_eq(count, 250);
    ck_assert_uint_ge(pages, 3);
}
END_TEST

START_TEST(test_company_bad_cursor)
{
    char prefix[64], name[128], id[128], path[4096], e[3000], tampered[2048];
    struct call *c;

    uniq(prefix, sizeof(prefix), "cur-");
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        make_company(name, id, sizeof(id));
    }
    c = get("/api/companies?limit=1", NULL);
    ck_status(c, 200);
    json_object *doc = body_json(c);
    const char *cursor = member_str(doc, "next_cursor");
    ck_assert_ptr_nonnull(cursor);
    snprintf(tampered, sizeof(tampered), "%s", cursor);
    json_object_put(doc);
    call_free(c);

    /* the cursor itself works */
    snprintf(path, sizeof(path), "/api/companies?limit=1&cursor=%s", enc(tampered, e, sizeof(e)));
    expect(200, "GET", path, NULL, NULL, NULL, NULL);
    /* one character changed in the listing's name, then at the end; cut short; garbage;
     * empty (a change inside the key may make another valid start: cursors claim no origin) */
    size_t len = strlen(tampered);
    for (size_t at = 0; at < 2; at++) {
        char copy[2048];
        snprintf(copy, sizeof(copy), "%s", tampered);
        size_t i = at == 0 ? 8 : len - 1;
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        snprintf(path, sizeof(path), "/api/companies?limit=1&cursor=%s", enc(copy, e, sizeof(e)));
        expect(400, "GET", path, NULL, NULL, NULL, NULL);
    }
    tampered[len / 2] = '\0';
    snprintf(path, sizeof(path), "/api/companies?cursor=%s", enc(tampered, e, sizeof(e)));
    expect(400, "GET", path, NULL, NULL, NULL, NULL);
    expect(400, "GET", "/api/companies?cursor=not-a-cursor", NULL, NULL, NULL, NULL);
    expect(400, "GET", "/api/companies?cursor=eyJ9", NULL, NULL, NULL, NULL);
    expect(400, "GET", "/api/companies?cursor=", NULL, NULL, NULL, NULL);
}
END_TEST

START_TEST(test_company_bulk_delete)
{
    char p[64], a[128], b[128], c3[128], d[128], path[1024], e1[256], e2[256], e3[256];
    struct call *c;

    uniq(p, sizeof(p), "bulk");
    snprintf(a, sizeof(a), "%s a", p);
    snprintf(b, sizeof(b), "%s b/1", p);
    snprintf(c3, sizeof(c3), "%s c", p);
    snprintf(d, sizeof(d), "%s d", p);
    char id[128];
    make_company(a, id, sizeof(id));
    make_company(b, id, sizeof(id));
    make_company(c3, id, sizeof(id));
    make_company(d, id, sizeof(id));

    /* repeated id=, with a duplicate and one that does not exist */
    snprintf(path, sizeof(path), "/api/companies?id=%s&id=%s&id=%s&id=nothing-%s",
             enc(a, e1, sizeof(e1)), enc(b, e2, sizeof(e2)), e1, p);
    c = req("DELETE", path, NULL, NULL, g_admin, NULL);
    ck_status(c, 200);
    json_object *doc = body_json(c);
    json_object *deleted = json_object_object_get(doc, "deleted");
    ck_assert_int_eq(json_object_array_length(deleted), 3);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(deleted, 0)), a);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(deleted, 1)), b);
    json_object_put(doc);
    call_free(c);
    snprintf(path, sizeof(path), "/api/companies/%s", e1);
    expect(404, "GET", path, NULL, NULL, NULL, NULL);
    snprintf(path, sizeof(path), "/api/companies/%s", e2);
    expect(404, "GET", path, NULL, NULL, NULL, NULL);

    /* the tutorial's filter form */
    char filter[512];
    snprintf(filter, sizeof(filter), "{\"id\":[\"%s\"]}", c3);
    snprintf(path, sizeof(path), "/api/companies?filter=%s", enc(filter, e3, sizeof(e3)));
    c = req("DELETE", path, NULL, NULL, g_admin, NULL);
    ck_status(c, 200);
    doc = body_json(c);
    deleted = json_object_object_get(doc, "deleted");
    ck_assert_int_eq(json_object_array_length(deleted), 1);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(deleted, 0)), c3);
    json_object_put(doc);
    call_free(c);
    snprintf(path, sizeof(path), "/api/companies/%s", enc(c3, e1, sizeof(e1)));
    expect(404, "GET", path, NULL, NULL, NULL, NULL);

    /* refusals: both forms, none, malformed JSON, other shapes, too many, bad ids */
    snprintf(path, sizeof(path), "/api/companies?id=x&filter=%s", e3);
    expect_422("filter", "DELETE", path, NULL, g_admin, NULL);
    expect_422("id", "DELETE", "/api/companies", NULL, g_admin, NULL);
    expect_422("id", "DELETE", "/api/companies?other=1", NULL, g_admin, NULL);
    expect(400, "DELETE", "/api/companies?filter=%7B%22id%22%3A", NULL, NULL, g_admin, NULL);
    expect(400, "DELETE", "/api/companies?filter=%7Bid%3A%5B%5D%7D", NULL, NULL, g_admin, NULL);
    expect_422("filter", "DELETE", "/api/companies?filter=%5B%5D", NULL, g_admin, NULL);
    expect_422("filter", "DELETE", "/api/companies?filter=%7B%22id%22%3A%22x%22%7D", NULL, g_admin,
               NULL);
    expect_422("filter", "DELETE", "/api/companies?filter=%7B%22id%22%3A%5B1%5D%7D", NULL, g_admin,
               NULL);
    expect_422("filter", "DELETE",
               "/api/companies?filter=%7B%22id%22%3A%5B%22x%22%5D%2C%22name%22%3A%22y%22%7D", NULL,
               g_admin, NULL);
    expect_422("filter", "DELETE", "/api/companies?filter=%7B%22id%22%3A%5B%5D%7D", NULL, g_admin,
               NULL);
    expect_422("filter", "DELETE", "/api/companies?filter=%7B%22id%22%3A%5B%22%22%5D%7D", NULL,
               g_admin, NULL);
    expect_422("id", "DELETE", "/api/companies?id=", NULL, g_admin, NULL);
    expect_422("id", "DELETE", "/api/companies?id=a%09b", NULL, g_admin, NULL);
    char many[4096];
    strcpy(many, "{\"id\":[");
    for (int i = 0; i < 101; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s\"i%d\"", i ? "," : "", i);
    strcat(many, "]}");
    char emany[3000], many_path[3100];
    snprintf(many_path, sizeof(many_path), "/api/companies?filter=%s",
             enc(many, emany, sizeof(emany)));
    expect_422("filter", "DELETE", many_path, NULL, g_admin, NULL);

    /* the promised 100: as 100 id= (beyond 64 parameters) with another parameter, and as a
     * filter of more than 4 KB; 101 id= is 422 on id */
    char *big = malloc(16384), *fbig = malloc(8192), *ebig = malloc(16384);
    ck_assert(big != NULL && fbig != NULL && ebig != NULL);
    strcpy(big, "/api/companies?other=1");
    for (int i = 0; i < 100; i++)
        snprintf(big + strlen(big), 16384 - strlen(big), "&id=%s-%d", p, i);
    c = req("DELETE", big, NULL, NULL, g_admin, NULL);
    ck_status(c, 200);
    doc = body_json(c);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(doc, "deleted")), 100);
    json_object_put(doc);
    call_free(c);
    snprintf(big + strlen(big), 16384 - strlen(big), "&id=%s-x", p);
    expect_422("id", "DELETE", big, NULL, g_admin, NULL);
    strcpy(fbig, "{\"id\":[");
    for (int i = 0; i < 100; i++)
        snprintf(fbig + strlen(fbig), 8192 - strlen(fbig),
                 "%s\"%s-long-company-name-in-a-filter-%03d\"", i ? "," : "", p, i);
    strcat(fbig, "]}");
    ck_assert_uint_gt(strlen(fbig), 4096);
    snprintf(big, 16384, "/api/companies?filter=%s", enc(fbig, ebig, 16384));
    c = req("DELETE", big, NULL, NULL, g_admin, NULL);
    ck_status(c, 200);
    doc = body_json(c);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(doc, "deleted")), 100);
    json_object_put(doc);
    call_free(c);
    free(big);
    free(fbig);
    free(ebig);

    /* d is untouched by all of this */
    snprintf(path, sizeof(path), "/api/companies/%s", enc(d, e1, sizeof(e1)));
    expect(200, "GET", path, NULL, NULL, NULL, NULL);
}
END_TEST

/* ---- donors ---- */

START_TEST(test_donor_lifecycle)
{
    char email[128], lower[128], path[512], e[512], v[512];
    struct call *c;
    json_object *doc;

    snprintf(email, sizeof(email), "Ana.%ld@Example.ORG", (long)getpid());
    snprintf(lower, sizeof(lower), "%s", email);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(path, sizeof(path), "/api/donors/%s", enc(lower, e, sizeof(e)));

    c = signup(email, "Ana", "Lisboa", "O+");
    ck_status(c, 201);
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"1\"");
    ck_assert_str_eq(header(c, "Location", v, sizeof(v)), path);
    doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "email"), lower);
    ck_assert_str_eq(member_str(doc, "first_name"), "Ana");
    ck_assert_str_eq(member_str(doc, "city"), "Lisboa");
    ck_assert_str_eq(member_str(doc, "type"), "O+");
    json_object_put(doc);
    call_free(c);

    /* the same address in another case is the same donor */
    c = signup(lower, "Other", "Porto", "A-");
    ck_status(c, 409);
    call_free(c);

    /* read needs the token; the address in the path may be in any case */
    expect(401, "GET", path, NULL, NULL, NULL, NULL);
    snprintf(path, sizeof(path), "/api/donors/%s", enc(email, e, sizeof(e)));
    c = get(path, g_admin);
    ck_status(c, 200);
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"1\"");
    doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "email"), lower);
    json_object_put(doc);
    call_free(c);

    c = req("PATCH", path, JSON, "{\"city\":\"Porto\",\"type\":\"AB-\"}", g_admin, "\"1\"");
    ck_status(c, 200);
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"2\"");
    doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "city"), "Porto");
    ck_assert_str_eq(member_str(doc, "type"), "AB-");
    ck_assert_str_eq(member_str(doc, "first_name"), "Ana");
    json_object_put(doc);
    call_free(c);
    expect(412, "PATCH", path, JSON, "{\"first_name\":\"Bea\"}", g_admin, "\"1\"");
    expect(412, "PATCH", path, JSON, "{\"first_name\":\"Bea\"}", g_admin, "W/\"2\"");
    expect(400, "PATCH", path, JSON, "{\"first_name\":\"Bea\"}", g_admin, "two");
    expect(200, "PATCH", path, JSON, "{\"first_name\":\"Bea\"}", g_admin, NULL);
    expect_422("email", "PATCH", path, "{\"email\":\"new@example.org\"}", g_admin, NULL);
    expect_422("body", "PATCH", path, "{}", g_admin, NULL);
    expect_422("type,nickname", "PATCH", path, "{\"type\":\"C+\",\"nickname\":\"x\"}", g_admin,
               NULL);
    expect(415, "PATCH", path, "text/plain", "{\"first_name\":\"Bea\"}", g_admin, NULL);
    expect(400, "PATCH", path, JSON, "{\"first_name\":", g_admin, NULL);
    expect(400, "PATCH", path, JSON, NULL, g_admin, NULL);

    expect(412, "DELETE", path, NULL, NULL, g_admin, "\"1\"");
    c = req("DELETE", path, NULL, NULL, g_admin, NULL);
    ck_status(c, 204);
    ck_assert_uint_eq(c->len, 0);
    call_free(c);
    expect(404, "GET", path, NULL, NULL, g_admin, NULL);
    expect(404, "DELETE", path, NULL, NULL, g_admin, NULL);
    expect(404, "PATCH", path, JSON, "{\"city\":\"Faro\"}", g_admin, NULL);
    expect(404, "PATCH", path, JSON, "{\"city\":\"Faro\"}", g_admin, "\"3\"");
    /* no address at all can be a donor */
    expect(404, "GET", "/api/donors/not-an-email", NULL, NULL, g_admin, NULL);
}
END_TEST

/* The tutorial's route signs up like POST /api/donors. */
START_TEST(test_donor_signup_twin)
{
    char email[128], body[512], v[256];
    struct call *c;

    snprintf(email, sizeof(email), "twin.%ld@example.org", (long)getpid());
    snprintf(body, sizeof(body),
             "{\"email\":\"%s\",\"first_name\":\"Zo\xc3\xab\",\"city\":\"S\xc3\xa3o "
             "Paulo\",\"type\":\"B-\"}",
             email);
    c = req("POST", "/api/donor/signup", JSON, body, NULL, NULL);
    ck_status(c, 201);
    ck_assert_ptr_nonnull(header(c, "Location", v, sizeof(v)));
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"1\"");
    json_object *doc = body_json(c);
    ck_assert_str_eq(member_str(doc, "first_name"), "Zo\xc3\xab");
    json_object_put(doc);
    call_free(c);
    expect(409, "POST", "/api/donor/signup", JSON, body, NULL, NULL);
    expect(409, "POST", "/api/donors", JSON, body, NULL, NULL);
    expect(415, "POST", "/api/donor/signup", "text/plain", body, NULL, NULL);
}
END_TEST

START_TEST(test_donor_validation)
{
    char body[2048], local[80], l63[80], email[300];

    expect_422("email,first_name,city,type", "POST", "/api/donors", "{}", NULL, NULL);
    expect_422("first_name,city", "POST", "/api/donors",
               "{\"email\":\"a@b.co\",\"first_name\":\"\\u200b\",\"city\":\"Porto\\u202e\","
               "\"type\":\"O+\"}",
               NULL, NULL);
    expect_422("email", "POST", "/api/donors",
               "{\"email\":\"no-at-sign\",\"first_name\":\"A\",\"city\":\"B\",\"type\":\"O+\"}",
               NULL, NULL);
    expect_422(
        "email", "POST", "/api/donors",
        "{\"email\":\"a..b@example.org\",\"first_name\":\"A\",\"city\":\"B\",\"type\":\"O+\"}",
        NULL, NULL);
    expect_422("email", "POST", "/api/donors",
               "{\"email\":\"a@localhost\",\"first_name\":\"A\",\"city\":\"B\",\"type\":\"O+\"}",
               NULL, NULL);
    expect_422("type", "POST", "/api/donors",
               "{\"email\":\"a@b.co\",\"first_name\":\"A\",\"city\":\"B\",\"type\":\"o+\"}", NULL,
               NULL);
    expect_422("first_name,city", "POST", "/api/donors",
               "{\"email\":\"a@b.co\",\"first_name\":\" \",\"city\":\"a\\nb\",\"type\":\"O+\"}",
               NULL, NULL);
    expect_422("email,first_name", "POST", "/api/donors",
               "{\"email\":[\"a@b.co\"],\"first_name\":1,\"city\":\"B\",\"type\":\"O+\"}", NULL,
               NULL);
    expect_422("admin", "POST", "/api/donors",
               "{\"email\":\"a@b.co\",\"first_name\":\"A\",\"city\":\"B\",\"type\":\"O+\","
               "\"admin\":true}",
               NULL, NULL);
    expect_422("body", "POST", "/api/donors", "[]", NULL, NULL);
    expect_422("body", "POST", "/api/donors", "null", NULL, NULL);
    expect(400, "POST", "/api/donors", JSON, "{\"email\":\"a@b.co\"", NULL, NULL);
    expect(400, "POST", "/api/donors", JSON, "{\"email\":\"\xff@b.co\"}", NULL, NULL);
    expect(400, "POST", "/api/donors", JSON, NULL, NULL, NULL);
    expect(415, "POST", "/api/donors", "text/plain", "{}", NULL, NULL);

    /* a 254-byte address is accepted, a 255-byte one is not */
    memset(local, 'u', 64);
    local[64] = '\0';
    memset(l63, 'd', 63);
    l63[63] = '\0';
    /* 64 + 1 + 63 + 1 + 63 + 1 + (n) + 4 = 254: n = 57; the pid makes it unique */
    char tail[64];
    snprintf(tail, sizeof(tail), "p%ld", (long)getpid());
    size_t pad = 57 - strlen(tail);
    memset(tail + strlen(tail), 'e', pad);
    tail[57] = '\0';
    snprintf(email, sizeof(email), "%s@%s.%s.%s.com", local, l63, l63, tail);
    ck_assert_uint_eq(strlen(email), 254);
    snprintf(body, sizeof(body),
             "{\"email\":\"%s\",\"first_name\":\"A\",\"city\":\"B\",\"type\":\"O+\"}", email);
    expect(201, "POST", "/api/donors", JSON, body, NULL, NULL);
    snprintf(email, sizeof(email), "%s@%s.%s.%se.com", local, l63, l63, tail);
    snprintf(body, sizeof(body),
             "{\"email\":\"%s\",\"first_name\":\"A\",\"city\":\"B\",\"type\":\"O+\"}", email);
    expect_422("email", "POST", "/api/donors", body, NULL, NULL);

    /* 100 characters of four bytes each pass; 101 do not */
    char n100[512], n101[512];
    n100[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(n100, "\xf0\x9f\x98\x80");
    snprintf(n101, sizeof(n101), "%sx", n100);
    snprintf(body, sizeof(body),
             "{\"email\":\"emoji.%ld@example.org\",\"first_name\":\"%s\",\"city\":\"%s\","
             "\"type\":\"A+\"}",
             (long)getpid(), n100, n100);
    expect(201, "POST", "/api/donors", JSON, body, NULL, NULL);
    snprintf(body, sizeof(body),
             "{\"email\":\"emoji2.%ld@example.org\",\"first_name\":\"%s\",\"city\":\"%s\","
             "\"type\":\"A+\"}",
             (long)getpid(), n101, n100);
    expect_422("first_name", "POST", "/api/donors", body, NULL, NULL);
}
END_TEST

/* Donors of a city, optionally of one type, and only those. */
START_TEST(test_donor_city_listing)
{
    char city[64], other[64], ecity[256], email[128], path[4096];
    const char *types[] = {"O+", "O+", "A-", "AB+", "O-"};
    struct call *c;
    size_t count, pages;

    snprintf(city, sizeof(city), "Braga %ld", (long)getpid());
    snprintf(other, sizeof(other), "Faro %ld", (long)getpid());
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        snprintf(email, sizeof(email), "d%zu.%ld@city.example", i, (long)getpid());
        c = signup(email, "D", city, types[i]);
        ck_status(c, 201);
        call_free(c);
    }
    snprintf(email, sizeof(email), "other.%ld@city.example", (long)getpid());
    c = signup(email, "O", other, "O+");
    ck_status(c, 201);
    call_free(c);

    enc(city, ecity, sizeof(ecity));
    snprintf(path, sizeof(path), "/api/donors?city=%s", ecity);
    c = get(path, g_admin);
    ck_status(c, 200);
    json_object *doc = body_json(c);
    json_object *items = json_object_object_get(doc, "items");
    ck_assert_int_eq(json_object_array_length(items), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(member_str(json_object_array_get_idx(items, i), "city"), city);
    json_object_put(doc);
    call_free(c);

    /* '+' as %2B */
    snprintf(path, sizeof(path), "/api/donors?city=%s&type=O%%2B", ecity);
    c = get(path, g_admin);
    ck_status(c, 200);
    doc = body_json(c);
    items = json_object_object_get(doc, "items");
    ck_assert_int_eq(json_object_array_length(items), 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_str_eq(member_str(json_object_array_get_idx(items, i), "city"), city);
        ck_assert_str_eq(member_str(json_object_array_get_idx(items, i), "type"), "O+");
    }
    json_object_put(doc);
    call_free(c);

    /* one a page: each donor exactly once */
    snprintf(path, sizeof(path), "/api/donors?city=%s&limit=1", ecity);
    page_through(path, g_admin, "email", "d", &count, &pages);
    ck_assert_uint_eq(count, 5);
    ck_assert_uint_ge(pages, 5);

    /* a raw '+' is a space: refused with the hint */
    snprintf(path, sizeof(path), "/api/donors?city=%s&type=O+", ecity);
    c = get(path, g_admin);
    ck_status(c, 422);
    ck_assert_ptr_nonnull(strstr(c->body, "%2B"));
    call_free(c);
    expect_422("city", "GET", "/api/donors", NULL, g_admin, NULL);
    expect_422("city", "GET", "/api/donors?type=O%2B", NULL, g_admin, NULL);
    expect_422("city", "GET", "/api/donors?city=", NULL, g_admin, NULL);
    snprintf(path, sizeof(path), "/api/donors?city=%s&limit=0", ecity);
    expect_422("limit", "GET", path, NULL, g_admin, NULL);
    expect(401, "GET", path, NULL, NULL, NULL, NULL);

    /* a city with nobody */
    c = get("/api/donors?city=Nowhere%20At%20All", g_admin);
    ck_status(c, 200);
    doc = body_json(c);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(doc, "items")), 0);
    json_object_put(doc);
    call_free(c);
}
END_TEST

/* A cursor from one city's listing does not page another's, nor the companies. */
START_TEST(test_donor_cursor_elsewhere)
{
    char city[64], ecity[256], email[128], path[4096], e[3000], cursor[2048];
    struct call *c;

    snprintf(city, sizeof(city), "Evora %ld", (long)getpid());
    for (int i = 0; i < 3; i++) {
        snprintf(email, sizeof(email), "c%d.%ld@cursor.example", i, (long)getpid());
        c = signup(email, "C", city, "A+");
        ck_status(c, 201);
        call_free(c);
    }
    enc(city, ecity, sizeof(ecity));
    snprintf(path, sizeof(path), "/api/donors?city=%s&limit=1", ecity);
    c = get(path, g_admin);
    ck_status(c, 200);
    json_object *doc = body_json(c);
    snprintf(cursor, sizeof(cursor), "%s", member_str(doc, "next_cursor"));
    json_object_put(doc);
    call_free(c);
    enc(cursor, e, sizeof(e));

    snprintf(path, sizeof(path), "/api/donors?city=%s&limit=1&cursor=%s", ecity, e);
    expect(200, "GET", path, NULL, NULL, g_admin, NULL);
    snprintf(path, sizeof(path), "/api/donors?city=Elsewhere&limit=1&cursor=%s", e);
    expect(400, "GET", path, NULL, NULL, g_admin, NULL);
    snprintf(path, sizeof(path), "/api/donors?city=%s&type=A%%2B&limit=1&cursor=%s", ecity, e);
    expect(400, "GET", path, NULL, NULL, g_admin, NULL);
    snprintf(path, sizeof(path), "/api/companies?cursor=%s", e);
    expect(400, "GET", path, NULL, NULL, NULL, NULL);
}
END_TEST

/* ---- concurrency ---- */

/* Runs the calls at once through one multi handle and fills their statuses. */
static void
perform_all(struct call **calls, size_t n)
{
    CURLM *multi = curl_multi_init();
    int running = 0;

    ck_assert_ptr_nonnull(multi);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(curl_multi_add_handle(multi, calls[i]->easy), CURLM_OK);
    do {
        ck_assert_int_eq(curl_multi_perform(multi, &running), CURLM_OK);
        if (running > 0)
            ck_assert_int_eq(curl_multi_poll(multi, NULL, 0, 1000, NULL), CURLM_OK);
    } while (running > 0);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)) != NULL)
        ck_assert_msg(msg->data.result == CURLE_OK, "%s", curl_easy_strerror(msg->data.result));
    for (size_t i = 0; i < n; i++) {
        curl_multi_remove_handle(multi, calls[i]->easy);
        curl_easy_getinfo(calls[i]->easy, CURLINFO_RESPONSE_CODE, &calls[i]->status);
        check_invariants(calls[i]);
    }
    curl_multi_cleanup(multi);
}

START_TEST(test_concurrent_signups)
{
    struct call *calls[SIGNUPS];
    char body[512];
    int created = 0, conflicts = 0;

    snprintf(body, sizeof(body),
             "{\"email\":\"race.%ld@example.org\",\"first_name\":\"R\",\"city\":\"Race\","
             "\"type\":\"O-\"}",
             (long)getpid());
    for (size_t i = 0; i < SIGNUPS; i++)
        calls[i] = call_new("POST", "/api/donors", JSON, body, strlen(body), NULL, NULL);
    perform_all(calls, SIGNUPS);
    for (size_t i = 0; i < SIGNUPS; i++) {
        if (calls[i]->status == 201)
            created++;
        else if (calls[i]->status == 409)
            conflicts++;
        else
            ck_abort_msg("sign-up %zu answered %ld: %s", i, calls[i]->status, calls[i]->body);
        call_free(calls[i]);
    }
    ck_assert_int_eq(created, 1);
    ck_assert_int_eq(conflicts, SIGNUPS - 1);
}
END_TEST

START_TEST(test_concurrent_if_match)
{
    char name[128], id[128], path[512], e[256];
    struct call *calls[2];

    uniq(name, sizeof(name), "Race Co");
    make_company(name, id, sizeof(id));
    snprintf(path, sizeof(path), "/api/companies/%s", enc(id, e, sizeof(e)));
    const char *first = "{\"keywords\":[\"first\"]}", *second = "{\"keywords\":[\"second\"]}";
    calls[0] = call_new("PUT", path, JSON, first, strlen(first), g_admin, "\"1\"");
    calls[1] = call_new("PUT", path, JSON, second, strlen(second), g_admin, "\"1\"");
    perform_all(calls, 2);
    long a = calls[0]->status, b = calls[1]->status;
    ck_assert_msg((a == 200 && b == 412) || (a == 412 && b == 200), "got %ld and %ld", a, b);
    call_free(calls[0]);
    call_free(calls[1]);
    /* the one that won is the one stored, at version 2 */
    struct call *c = get(path, NULL);
    char v[64];
    ck_assert_str_eq(header(c, "ETag", v, sizeof(v)), "\"2\"");
    call_free(c);
}
END_TEST

/* ---- logs ---- */

/* Neither the admin token nor its digest reaches a log (serve.log, nginx's error log). */
START_TEST(test_no_secrets_in_logs)
{
    const char *dir = getenv("HARNESS_DIR");
    const char *token = getenv("ADMIN_TOKEN");
    const char *files[] = {"serve.log", "nginx/error.log", "nginx/access.log"};
    char path[1024], cmd[1200], hex[128];
    FILE *p;

    ck_assert_ptr_nonnull(dir);
    /* make sure something was logged with a token in the request: a 5xx is not needed, a
     * request with a wrong token and one with the right token are */
    expect(401, "DELETE", "/api/companies/x", NULL, NULL, "Bearer not-the-token", NULL);
    expect(404, "DELETE", "/api/companies/log-check-none", NULL, NULL, g_admin, NULL);
    snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | sha256sum", token);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(hex, sizeof(hex), p));
    pclose(p);
    hex[64] = '\0';
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        char line[8192];
        while (fgets(line, sizeof(line), f) != NULL) {
            ck_assert_msg(strstr(line, token) == NULL, "token in %s", files[i]);
            ck_assert_msg(strstr(line, hex) == NULL, "digest in %s", files[i]);
            ck_assert_msg(strstr(line, "not-the-token") == NULL, "wrong token in %s", files[i]);
        }
        fclose(f);
    }
}
END_TEST

static Suite *
api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_health);
    tcase_add_test(tc, test_ready);
    tcase_add_test(tc, test_not_found);
    tcase_add_loop_test(tc, test_method_not_allowed, 0,
                        (int)(sizeof(not_allowed) / sizeof(not_allowed[0])));
    tcase_add_test(tc, test_bad_request_parse);
    tcase_add_test(tc, test_too_large);
    tcase_add_loop_test(tc, test_unauthorized, 0,
                        (int)(sizeof(admin_routes) / sizeof(admin_routes[0])));
    tcase_add_test(tc, test_bearer_case);
    tcase_add_test(tc, test_company_lifecycle);
    tcase_add_test(tc, test_company_conflict);
    tcase_add_test(tc, test_company_id_encoded);
    tcase_add_test(tc, test_company_validation);
    tcase_add_test(tc, test_company_bad_json);
    tcase_add_test(tc, test_company_media_type);
    tcase_add_test(tc, test_company_name_normalized);
    tcase_add_test(tc, test_company_list_params);
    tcase_add_test(tc, test_company_paging_250);
    tcase_add_test(tc, test_company_bad_cursor);
    tcase_add_test(tc, test_company_bulk_delete);
    tcase_add_test(tc, test_donor_lifecycle);
    tcase_add_test(tc, test_donor_signup_twin);
    tcase_add_test(tc, test_donor_validation);
    tcase_add_test(tc, test_donor_city_listing);
    tcase_add_test(tc, test_donor_cursor_elsewhere);
    tcase_add_test(tc, test_concurrent_signups);
    tcase_add_test(tc, test_concurrent_if_match);
    tcase_add_test(tc, test_no_secrets_in_logs);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(api_suite)
