/* The HTTP request parser: FastCGI params and a body, as nginx hands them over.
 *
 * Input: byte 0 picks how the body reader hands bytes out (its low 4 bits: at most 2^n - 1
 * bytes a call, 0 for no bound; bit 4: fail once everything is read), byte 1 the body limit
 * (16 bytes a step), then "NAME=value" lines up to an empty line, then the body. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/request.h"
#include "util/utf8.h"

#define MAX_PARAMS 64

struct reader {
    const uint8_t *data;
    size_t len, pos, chunk;
    int fail_at_end;
};

static long
read_body(void *ctx, char *buf, size_t len)
{
    struct reader *r = ctx;
    size_t n = r->len - r->pos;

    if (n == 0 && r->fail_at_end)
        return -1;
    if (n > len)
        n = len;
    if (r->chunk > 0 && n > r->chunk)
        n = r->chunk;
    if (n > 0)
        memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (long)n;
}

static void
log_sink(void *ctx, const char *line)
{
    size_t *lines = ctx;

    /* One line each, no control character: a value must not forge another log line. */
    for (const char *p = line; *p != '\0'; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    (*lines)++;
}

static int
request_id_valid(const char *id)
{
    size_t n = strnlen(id, HTTP_REQUEST_ID_MAX);

    if (n == 0 || n >= HTTP_REQUEST_ID_MAX)
        return 0;
    return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int
text_valid(const char *s)
{
    return s != NULL && utf8_valid(s, strlen(s));
}

/* What a handler may rely on after HTTP_REQ_OK. */
static void
check_parsed(const struct http_request *req, size_t limit)
{
    FUZZ_CHECK(req->nsegments <= HTTP_MAX_SEGMENTS);
    FUZZ_CHECK(req->nquery <= HTTP_MAX_QUERY);
    for (size_t i = 0; i < req->nsegments; i++)
        FUZZ_CHECK(text_valid(req->segments[i]));
    for (size_t i = 0; i < req->nquery; i++) {
        FUZZ_CHECK(text_valid(req->query[i].name));
        FUZZ_CHECK(text_valid(req->query[i].value));
        FUZZ_CHECK(http_request_query(req, req->query[i].name) != NULL);
    }
    FUZZ_CHECK(req->body_len <= limit);
    FUZZ_CHECK((req->body == NULL) == (req->body_len == 0));
    if (req->body != NULL)
        FUZZ_CHECK(req->body[req->body_len] == '\0');
    (void)http_request_is_json(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_request req;
    struct reader r;
    char *params[MAX_PARAMS + 1];
    size_t nparams = 0, limit, lines = 0;
    char *head, *p, *end;
    http_req_status st;

    if (size < 2)
        return 0;
    memset(&r, 0, sizeof(r));
    r.chunk = (1u << (data[0] & 0x0f)) - 1;
    r.fail_at_end = (data[0] & 0x10) != 0;
    limit = (size_t)data[1] * 16;
    data += 2;
    size -= 2;

    /* The params block, split in place into lines; the body is what follows the blank line. */
    head = fuzz_text(data, size);
    end = strstr(head, "\n\n");
    r.data = data;
    r.len = size;
    r.pos = end != NULL ? (size_t)(end - head) + 2 : size;
    if (end != NULL)
        *end = '\0';
    for (p = head; p != NULL && nparams < MAX_PARAMS;) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        params[nparams++] = p;
        p = nl != NULL ? nl + 1 : NULL;
    }
    params[nparams] = NULL;

    memset(&req, 0, sizeof(req));
    req.log_line = log_sink;
    req.log_ctx = &lines;
    st = http_request_parse(&req, params, read_body, &r, limit);
    if (st != HTTP_REQ_NOMEM && st != HTTP_REQ_IO) {
        FUZZ_CHECK(req.uri != NULL);
        FUZZ_CHECK(memchr(req.method, '\0', sizeof(req.method)) != NULL);
        FUZZ_CHECK(request_id_valid(req.request_id));
    }
    if (st == HTTP_REQ_OK)
        check_parsed(&req, limit);
    if (req.uri != NULL) {
        req.log_line = log_sink;
        req.log_ctx = &lines;
        http_request_log(&req, "%s %s", req.method, req.uri);
        FUZZ_CHECK(lines == 1);
    }
    http_request_free(&req);
    free(head);
    return 0;
}
