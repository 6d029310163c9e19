/* One request from FastCGI params and body: every untrusted byte is checked here, so a handler
 * sees decoded, bounded, valid UTF-8 or nothing at all. */
#include "http/request.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/hex.h"
#include "util/utf8.h"

/* Longest decoded query name or value: it bounds what one parameter can cost, and holds a
 * bulk delete's filter of 100 ids of 100 characters even with every character a \uXXXX
 * escape (100 x (600 + 3) bytes). nginx's request line (8 KB by default) comes first. */
#define QUERY_VALUE_MAX 65536
/* Longest line http_request_log writes; the rest is cut. */
#define LOG_LINE_MAX 2048
/* Body buffer to start with when CONTENT_LENGTH does not say; it doubles up to the limit. */
#define BODY_CHUNK 4096
#define REQUEST_ID_RANDOM_BYTES 16

/* Never written: lets uri be "" even when an allocation failed. */
static char empty_uri[1];

/* The value of NAME in a "NAME=value" array, or NULL; the first one wins. */
static const char *
find_param(char *const *params, const char *name)
{
    size_t nlen = strlen(name);

    for (; *params != NULL; params++)
        if (strncmp(*params, name, nlen) == 0 && (*params)[nlen] == '=')
            return *params + nlen + 1;
    return NULL;
}

/* Decodes src[0, len) into a new string: %XX escapes, and '+' as a space when plus_space. A
 * bad escape, a NUL, invalid UTF-8 or more than max bytes decoded is HTTP_REQ_BAD. */
static http_req_status
percent_decode(const char *src, size_t len, int plus_space, size_t max, char **out)
{
    http_req_status st = HTTP_REQ_BAD;
    char *dst;
    size_t n = 0;

    *out = NULL;
    dst = malloc(len + 1); /* decoding never lengthens */
    if (dst == NULL)
        return HTTP_REQ_NOMEM;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];

        if (c == '%') {
            int hi, lo;

            if (len - i < 3)
                goto out;
            hi = hex_value((unsigned char)src[i + 1]);
            lo = hex_value((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                goto out;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (c == '\0')
            goto out;
        dst[n++] = (char)c;
    }
    if (n > max || !utf8_valid(dst, n))
        goto out;
    dst[n] = '\0';
    *out = dst;
    dst = NULL;
    st = HTTP_REQ_OK;
out:
    free(dst);
    return st;
}

/* Splits the path on '/' before decoding, so an encoded slash stays inside its segment. */
static http_req_status
parse_path(struct http_request *req, const char *path, size_t len)
{
    const char *p, *end = path + len;

    if (len == 0 || path[0] != '/')
        return HTTP_REQ_BAD;
    p = path + 1;
    if (p == end)
        return HTTP_REQ_OK;
    for (;;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *seg_end = slash != NULL ? slash : end;
        http_req_status st;
        char *seg;

        if (req->nsegments == HTTP_MAX_SEGMENTS)
            return HTTP_REQ_BAD;
        st = percent_decode(p, (size_t)(seg_end - p), 0, SIZE_MAX, &seg);
        if (st != HTTP_REQ_OK)
            return st;
        req->segments[req->nsegments++] = seg;
        /* Checked after decoding: "%2e%2e" must not become a way up. */
        if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
            return HTTP_REQ_BAD;
        if (slash == NULL)
            return HTTP_REQ_OK;
        p = slash + 1;
    }
}

static http_req_status
parse_query(struct http_request *req, const char *query, size_t len)
{
    const char *p = query, *end = query + len;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *piece_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(piece_end - p));
        const char *name_end = eq != NULL ? eq : piece_end;
        struct http_query_param *qp;
        http_req_status st;

        if (piece_end > p) {
            if (req->nquery == HTTP_MAX_QUERY)
                return HTTP_REQ_BAD;
            qp = &req->query[req->nquery];
            st = percent_decode(p, (size_t)(name_end - p), 1, QUERY_VALUE_MAX, &qp->name);
            if (st != HTTP_REQ_OK)
                return st;
            if (eq != NULL)
                st = percent_decode(eq + 1, (size_t)(piece_end - eq - 1), 1, QUERY_VALUE_MAX,
                                    &qp->value);
            else
                st = percent_decode("", 0, 1, QUERY_VALUE_MAX, &qp->value);
            if (st != HTTP_REQ_OK) {
                free(qp->name);
                qp->name = NULL;
                return st;
            }
            req->nquery++;
        }
        if (amp == NULL)
            break;
        p = amp + 1;
    }
    return HTTP_REQ_OK;
}

/* All digits and no overflow, or -1: "+5", " 5" and "" are malformed. */
static int
parse_length(const char *s, size_t *out)
{
    size_t v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        size_t d;

        if (*s < '0' || *s > '9')
            return -1;
        d = (size_t)(*s - '0');
        if (v > (SIZE_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Reads until the reader says end, but never more than limit + 1 bytes: the length nginx
 * announces is checked against what arrives, not trusted. */
static http_req_status
read_body(struct http_request *req, http_body_reader reader, void *ctx, size_t limit,
          int have_length, size_t length)
{
    http_req_status st;
    size_t max_read, cap, len = 0;
    char *buf = NULL;

    if (have_length && length > limit)
        return HTTP_REQ_TOO_LARGE;
    if (limit > SIZE_MAX / 4)
        limit = SIZE_MAX / 4; /* keeps limit + 1 and the doubling below from overflowing */
    max_read = limit + 1;
    /* One byte past the announced length, so the reader's end is seen without growing. */
    cap = have_length ? length + 1 : BODY_CHUNK;
    if (cap > max_read)
        cap = max_read;
    buf = malloc(cap + 1);
    if (buf == NULL)
        return HTTP_REQ_NOMEM;
    while (reader != NULL) {
        long got;

        if (len == cap) {
            size_t ncap = cap * 2 > max_read ? max_read : cap * 2;
            char *nbuf;

            if (cap == max_read)
                break;
            nbuf = realloc(buf, ncap + 1);
            if (nbuf == NULL) {
                st = HTTP_REQ_NOMEM;
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        got = reader(ctx, buf + len, cap - len);
        if (got == 0)
            break;
        if (got < 0 || (size_t)got > cap - len) {
            st = HTTP_REQ_IO;
            goto out;
        }
        len += (size_t)got;
    }
    if (len > limit) {
        st = HTTP_REQ_TOO_LARGE;
        goto out;
    }
    /* Shorter is a truncated body; longer means the framing and the length disagree. */
    if (have_length && len != length) {
        st = HTTP_REQ_BAD;
        goto out;
    }
    if (len > 0) {
        buf[len] = '\0';
        req->body = buf;
        req->body_len = len;
        buf = NULL;
    }
    st = HTTP_REQ_OK;
out:
    free(buf);
    return st;
}

static int
request_id_valid(const char *s)
{
    size_t n;

    for (n = 0; s[n] != '\0'; n++) {
        char c = s[n];

        if (n == HTTP_REQUEST_ID_MAX - 1)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0;
}

static int
read_urandom(unsigned char *buf, size_t len)
{
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return got == len ? 0 : -1;
}

/* 32 hex digits. Without any random source the id is still set (pid and time), since every
 * response must carry one; it is a correlation id, not a secret. */
static void
generate_request_id(char *out)
{
    unsigned char rnd[REQUEST_ID_RANDOM_BYTES];

    if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd) &&
        read_urandom(rnd, sizeof(rnd)) != 0) {
        struct timespec ts = {0, 0};
        uint64_t a, b;

        clock_gettime(CLOCK_REALTIME, &ts);
        a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        b = (uint64_t)getpid() * 0x9E3779B97F4A7C15u ^ a;
        memcpy(rnd, &a, sizeof(a));
        memcpy(rnd + sizeof(a), &b, sizeof(b));
    }
    hex_encode(rnd, sizeof(rnd), out);
}

/* A method is an RFC 9110 token that fits the struct. */
static int
method_valid(const char *s)
{
    size_t n;

    for (n = 0; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];

        if (n == sizeof(((struct http_request *)0)->method) - 1)
            return 0;
        if (c <= 0x20 || c >= 0x7F || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
            return 0;
    }
    return n > 0;
}

/* Drops what the parse of path, query and body produced, keeping what a problem response
 * needs (method, uri, request id, headers). */
static void
release_parsed(struct http_request *req)
{
    for (size_t i = 0; i < req->nsegments; i++) {
        free(req->segments[i]);
        req->segments[i] = NULL;
    }
    req->nsegments = 0;
    for (size_t i = 0; i < req->nquery; i++) {
        free(req->query[i].name);
        free(req->query[i].value);
        req->query[i].name = NULL;
        req->query[i].value = NULL;
    }
    req->nquery = 0;
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
}

http_req_status
http_request_parse(struct http_request *req, char *const *params, http_body_reader reader,
                   void *reader_ctx, size_t body_limit)
{
    /* The error stream is the caller's to set, before or after the parse. */
    http_error_writer log_line = req->log_line;
    void *log_ctx = req->log_ctx;
    const char *method, *uri, *rid, *length_s, *query;
    size_t path_len, length = 0;
    int have_length = 0;
    http_req_status st;

    memset(req, 0, sizeof(*req));
    req->log_line = log_line;
    req->log_ctx = log_ctx;
    req->uri = empty_uri;

    rid = params != NULL ? find_param(params, "REQUEST_ID") : NULL;
    if (rid != NULL && request_id_valid(rid))
        memcpy(req->request_id, rid, strlen(rid) + 1);
    else
        generate_request_id(req->request_id);
    if (params == NULL)
        return HTTP_REQ_BAD;

    method = find_param(params, "REQUEST_METHOD");
    if (method != NULL && method_valid(method))
        memcpy(req->method, method, strlen(method) + 1);
    uri = find_param(params, "REQUEST_URI");
    if (uri != NULL && uri[0] != '\0') {
        req->uri = strdup(uri);
        if (req->uri == NULL) {
            req->uri = empty_uri;
            return HTTP_REQ_NOMEM;
        }
    }
    req->content_type = find_param(params, "CONTENT_TYPE");
    if (req->content_type != NULL && req->content_type[0] == '\0')
        req->content_type = NULL; /* nginx's $content_type is "" when the header is absent */
    req->authorization = find_param(params, "HTTP_AUTHORIZATION");
    req->if_match = find_param(params, "HTTP_IF_MATCH");
    req->idempotency_key = find_param(params, "HTTP_IDEMPOTENCY_KEY");
    req->remote_addr = find_param(params, "REMOTE_ADDR");
    req->request_start = find_param(params, "REQUEST_START");

    if (req->method[0] == '\0' || req->uri[0] == '\0')
        return HTTP_REQ_BAD;

    query = strchr(req->uri, '?');
    path_len = query != NULL ? (size_t)(query - req->uri) : strlen(req->uri);
    st = parse_path(req, req->uri, path_len);
    if (st == HTTP_REQ_OK && query != NULL)
        st = parse_query(req, query + 1, strlen(query + 1));
    if (st != HTTP_REQ_OK)
        goto out;

    /* nginx passes CONTENT_LENGTH as "" when the request has no length. */
    length_s = find_param(params, "CONTENT_LENGTH");
    if (length_s != NULL && length_s[0] != '\0') {
        if (parse_length(length_s, &length) != 0) {
            st = HTTP_REQ_BAD;
            goto out;
        }
        have_length = 1;
    }
    st = read_body(req, reader, reader_ctx, body_limit, have_length, length);
out:
    if (st != HTTP_REQ_OK)
        release_parsed(req);
    return st;
}

const char *
http_request_query(const struct http_request *req, const char *name)
{
    if (req == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

static int
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int
http_request_is_json(const struct http_request *req)
{
    static const char json[] = "application/json";
    const char *p;

    if (req == NULL || req->content_type == NULL)
        return 0;
    p = req->content_type;
    while (is_ows(*p))
        p++;
    if (strncasecmp(p, json, sizeof(json) - 1) != 0)
        return 0;
    p += sizeof(json) - 1;
    while (is_ows(*p))
        p++;
    if (*p != '\0' && *p != ';')
        return 0;
    /* RFC 9110 parameters: ; name=value, the value a token or a quoted string. Only charset
     * matters, and JSON is UTF-8 (RFC 8259): any other charset is not this media type. */
    while (*p == ';') {
        const char *name, *value;
        size_t nlen, vlen;

        for (p++; is_ows(*p); p++)
            ;
        name = p;
        p += strcspn(p, "=; \t");
        nlen = (size_t)(p - name);
        if (*p != '=') {
            p += strcspn(p, ";");
            continue;
        }
        value = ++p;
        if (*p == '"') {
            value = ++p;
            while (*p != '\0' && *p != '"')
                p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
            vlen = (size_t)(p - value);
            if (*p == '"')
                p++;
        } else {
            p += strcspn(p, "; \t");
            vlen = (size_t)(p - value);
        }
        if (nlen == 7 && strncasecmp(name, "charset", 7) == 0 &&
            !(vlen == 5 && strncasecmp(value, "utf-8", 5) == 0))
            return 0;
        p += strcspn(p, ";");
    }
    return 1;
}

void
http_request_log(const struct http_request *req, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    const char *rid = "-";
    va_list ap;
    int n;

    if (req != NULL && req->request_id[0] != '\0' &&
        memchr(req->request_id, '\0', sizeof(req->request_id)) != NULL)
        rid = req->request_id;
    n = snprintf(line, sizeof(line), "[%s] ", rid);
    if (n < 0 || (size_t)n >= sizeof(line))
        return;
    va_start(ap, fmt);
    if (vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap) < 0)
        line[n] = '\0';
    va_end(ap);
    /* One line a message: a CR or LF from a value must not forge another log line. */
    for (char *p = line; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            *p = '?';
    if (req != NULL && req->log_line != NULL)
        req->log_line(req->log_ctx, line);
    else
        fprintf(stderr, "%s\n", line);
}

void
http_request_free(struct http_request *req)
{
    if (req == NULL)
        return;
    release_parsed(req);
    if (req->uri != empty_uri)
        free(req->uri);
    req->uri = empty_uri;
}
