/* HTTP transport: a per-process pool of kept-alive libcurl easy handles, and requests sent one
 * at a time on them (transport_multi.c sends them in parallel).
 *
 * Per-process singleton: curl_global_init runs once per process, guarded by pthread_once,
 * the first time transport_new (and so ddb_client_new) is called. It is never undone; the
 * process keeps curl's global state until exit. Handles are made on first use and belong to
 * the process that made them: a transport is created after fork and never used across one. */
#include "ddb/transport.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include "transport_conn.h"

/* A broken or hostile server must not make a worker allocate without bound. BatchGetItem
 * returns up to 16 MB of items, which its JSON (base64 binaries, type tags) can outgrow. */
#define TRANSPORT_MAX_BODY (32UL * 1024 * 1024)
#define TRANSPORT_DEFAULT_CONNECT_MS 3000L
#define TRANSPORT_DEFAULT_MAX_IDLE_S 4L
#define TRANSPORT_DEFAULT_PARALLEL 4
#define TRANSPORT_MAX_PARALLEL 64

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result = CURLE_FAILED_INIT;
/* This process's id, kept so that a request does not ask the kernel for it: set at the first
 * transport_new and again in the child of every fork (getpid is a system call). */
pid_t transport_pid;

static void
on_fork_child(void)
{
    transport_pid = getpid();
}

static void
global_init(void)
{
    global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
    transport_pid = getpid();
    if (global_result == CURLE_OK && pthread_atfork(NULL, NULL, on_fork_child) != 0)
        global_result = CURLE_FAILED_INIT;
}

void
transport_sink_reset(struct sink *s)
{
    free(s->buf);
    memset(s, 0, sizeof(*s));
}

static size_t
sink_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;

    if (n > TRANSPORT_MAX_BODY - s->len) {
        s->overflow = 1;
        return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
    }
    /* +1: room for the terminating NUL handed to the caller. */
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        char *buf;

        while (cap < s->len + n + 1)
            cap *= 2;
        buf = realloc(s->buf, cap);
        if (buf == NULL)
            return 0;
        s->buf = buf;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return n;
}

/* Whether the header line's name is `name` (case-insensitive); *value is then its value,
 * trimmed of blanks and the line end, and *vlen its length. */
static int
header_match(const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
    size_t nlen = strlen(name);
    const char *v, *end;

    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
        return 0;
    v = line + nlen + 1;
    end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *value = v;
    *vlen = (size_t)(end - v);
    return 1;
}

/* Strict decimal uint32: digits only, no sign, no overflow. */
static int
parse_u32(const char *v, size_t len, uint32_t *out)
{
    uint64_t x = 0;

    if (len == 0 || len > 10)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (x > UINT32_MAX)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

static size_t
sink_header(char *line, size_t size, size_t nitems, void *userdata)
{
    struct sink *s = userdata;
    size_t len = size * nitems;
    const char *v;
    size_t vlen;

    /* A status line starts a new response (an interim 1xx): forget the headers before it. */
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        s->has_crc32 = 0;
        s->crc32_invalid = 0;
        s->crc32 = 0;
        s->request_id[0] = '\0';
    } else if (header_match(line, len, "x-amz-crc32", &v, &vlen)) {
        s->has_crc32 = 1;
        s->crc32_invalid = parse_u32(v, vlen, &s->crc32) != 0;
    } else if (header_match(line, len, "x-amzn-requestid", &v, &vlen)) {
        if (vlen >= sizeof(s->request_id))
            vlen = sizeof(s->request_id) - 1;
        memcpy(s->request_id, v, vlen);
        s->request_id[vlen] = '\0';
    }
    return len;
}

static size_t
upload_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct upload *u = userdata;
    size_t n = size * nitems;

    if (n > u->len - u->pos)
        n = u->len - u->pos;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* curl rewinds a body only to send it again (after a kept-alive connection closed without an
 * answer, which is also how a lost answer looks): for a `once` request it cannot, and the
 * transfer fails with CURLE_SEND_FAIL_REWIND instead of repeating a write. */
static int
upload_seek(void *userdata, curl_off_t offset, int origin)
{
    (void)userdata;
    (void)offset;
    (void)origin;
    return CURL_SEEKFUNC_CANTSEEK;
}

static int
has_header(const struct transport_request *req, const char *name)
{
    size_t nlen = strlen(name);

    for (size_t i = 0; i < req->nheaders; i++)
        if (strncasecmp(req->headers[i], name, nlen) == 0 && req->headers[i][nlen] == ':')
            return 1;
    return 0;
}

/* Links the conn's nodes into the header list of one request: the caller's lines as given,
 * then removals of curl's own defaults we do not want (Expect: 100-continue costs a round
 * trip; Accept and the form Content-Type are not ours to send). */
static ddb_status
build_headers(struct conn *c, const struct transport_request *req, struct ddb_error *err)
{
    const char *extra[3];
    size_t nextra = 0, n;

    extra[nextra++] = "Expect:";
    if (!has_header(req, "Accept"))
        extra[nextra++] = "Accept:";
    if (!has_header(req, "Content-Type"))
        extra[nextra++] = "Content-Type:";
    n = req->nheaders + nextra;
    if (n > TRANSPORT_MAX_HEADERS)
        return ddb_error_set(err, DDB_ERR_INVALID, "transport: more than %d headers",
                             TRANSPORT_MAX_HEADERS - 3);
    for (size_t i = 0; i < n; i++) {
        const char *h = i < req->nheaders ? req->headers[i] : extra[i - req->nheaders];

        /* A line break in a header would let a value forge headers of its own. */
        if (h == NULL || strpbrk(h, "\r\n") != NULL)
            return ddb_error_set(err, DDB_ERR_INVALID, "transport: header %zu is malformed", i);
        c->nodes[i].data = (char *)h; /* read only, by curl, during this request */
        c->nodes[i].next = i + 1 < n ? &c->nodes[i + 1] : NULL;
    }
    return DDB_OK;
}

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        rc = curl_easy_setopt(h, opt, val);                                                        \
        if (rc != CURLE_OK)                                                                        \
            goto out;                                                                              \
    } while (0)

/* Makes the handle on first use and sets the options every request shares, once. */
static ddb_status
conn_open(struct transport *t, struct conn *c, struct ddb_error *err)
{
    CURLcode rc = CURLE_OK;
    CURL *h;

    if (c->easy != NULL)
        return DDB_OK;
    h = c->easy = curl_easy_init();
    if (h == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "transport: curl_easy_init failed");
    c->method = CONN_NONE;
    SET(CURLOPT_ERRORBUFFER, c->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    /* Straight to the endpoint: a proxy from the environment must not see our requests, and
     * the metadata service must never be reached through one. */
    SET(CURLOPT_PROXY, "");
    /* And no list of exceptions to it: curl would read no_proxy from the environment for
     * every request. */
    SET(CURLOPT_NOPROXY, "");
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
    SET(CURLOPT_MAXAGE_CONN, t->max_idle_s);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_KEEPIDLE, 30L);
    SET(CURLOPT_TCP_KEEPINTVL, 10L);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file != NULL)
        SET(CURLOPT_CAINFO, t->ca_file);
    /* The CRC32 covers the bytes as sent: no Accept-Encoding, no decoding. */
    SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TRANSPORT_MAX_BODY);
#ifdef SAVEALIFE_VERSION
    SET(CURLOPT_USERAGENT, "savealife/" SAVEALIFE_VERSION);
#endif
    SET(CURLOPT_WRITEFUNCTION, sink_write);
    SET(CURLOPT_WRITEDATA, &c->sink);
    SET(CURLOPT_HEADERFUNCTION, sink_header);
    SET(CURLOPT_HEADERDATA, &c->sink);
out:
    if (rc != CURLE_OK) {
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
        return ddb_error_set(err, rc == CURLE_OUT_OF_MEMORY ? DDB_ERR_NOMEM : DDB_ERR_TRANSPORT,
                             "transport: curl option rejected: %s", curl_easy_strerror(rc));
    }
    return DDB_OK;
}

/* Sets a request's own options on the handle. Nothing of the previous request stays but the
 * kept-alive socket and the options conn_open set, which every request shares. */
ddb_status
transport_conn_prepare(struct transport *t, struct conn *c, const struct transport_request *req,
                       struct ddb_error *err)
{
    CURL *h;
    CURLcode rc = CURLE_OK;
    ddb_status st;
    int method;

    if (req->method == NULL || req->url == NULL || (req->nheaders > 0 && req->headers == NULL))
        return ddb_error_set(err, DDB_ERR_INVALID, "transport: request without method or URL");
    if (t->owner != transport_pid)
        return ddb_error_set(err, DDB_ERR_TRANSPORT,
                             "transport: created in process %ld, used in %ld (create it after "
                             "fork)",
                             (long)t->owner, (long)transport_pid);
    st = conn_open(t, c, err);
    if (st != DDB_OK)
        return st;
    h = c->easy;
    transport_sink_reset(&c->sink);
    c->errbuf[0] = '\0';

    st = build_headers(c, req, err);
    if (st != DDB_OK)
        return st;

    if (c->url == NULL || strcmp(c->url, req->url) != 0) {
        char *copy = strdup(req->url);

        if (copy == NULL)
            return ddb_error_set(err, DDB_ERR_NOMEM, "transport: out of memory");
        free(c->url);
        c->url = NULL;
        SET(CURLOPT_URL, copy);
        c->url = copy;
    }
    SET(CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 0L);
    SET(CURLOPT_HTTPHEADER, &c->nodes[0]);

    method = strcmp(req->method, "GET") == 0    ? CONN_GET
             : strcmp(req->method, "POST") == 0 ? CONN_POST
                                                : CONN_CUSTOM;
    /* A custom method stays on the handle until it is taken away; until the options below
     * are all set, the handle's method counts as custom, so a failure is undone next time. */
    if (c->method == CONN_CUSTOM || method == CONN_CUSTOM) {
        c->method = CONN_CUSTOM;
        SET(CURLOPT_CUSTOMREQUEST, method == CONN_CUSTOM ? req->method : NULL);
    }
    if (method == CONN_GET) {
        SET(CURLOPT_HTTPGET, 1L);
    } else {
        /* POSTFIELDS sends body_len bytes as is, with Content-Length; other methods keep the
         * body and change the request line only. */
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (req->once) {
            c->upload = (struct upload){req->body != NULL ? req->body : "", req->body_len, 0};
            SET(CURLOPT_POSTFIELDS, (const char *)NULL);
            SET(CURLOPT_POST, 1L);
            SET(CURLOPT_READFUNCTION, upload_read);
            SET(CURLOPT_READDATA, &c->upload);
            SET(CURLOPT_SEEKFUNCTION, upload_seek);
            SET(CURLOPT_SEEKDATA, &c->upload);
        } else {
            SET(CURLOPT_SEEKFUNCTION, (curl_seek_callback)NULL);
            SET(CURLOPT_POSTFIELDS, req->body != NULL ? (const char *)req->body : "");
        }
    }
    c->method = method;
out:
    if (rc != CURLE_OK)
        return ddb_error_set(err, rc == CURLE_OUT_OF_MEMORY ? DDB_ERR_NOMEM : DDB_ERR_TRANSPORT,
                             "transport: curl option rejected: %s", curl_easy_strerror(rc));
    return DDB_OK;
}
#undef SET

static ddb_status
map_curl_error(struct conn *c, CURLcode rc, const struct transport_request *req,
               struct ddb_error *err)
{
    const char *why = c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc);

    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return ddb_error_set(err, DDB_ERR_CONNECT, "could not connect to %s: %s", req->url, why);
    case CURLE_OPERATION_TIMEDOUT:
        return ddb_error_set(err, DDB_ERR_TIMEOUT, "request to %s timed out: %s", req->url, why);
    case CURLE_PEER_FAILED_VERIFICATION: /* also CURLE_SSL_CACERT */
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
        return ddb_error_set(err, DDB_ERR_TLS,
                             "TLS: the certificate of %s could not be verified: %s", req->url, why);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
        return ddb_error_set(err, DDB_ERR_TLS,
                             "TLS handshake with %s failed, the certificate could not be "
                             "verified: %s",
                             req->url, why);
    case CURLE_OUT_OF_MEMORY:
        return ddb_error_set(err, DDB_ERR_NOMEM, "transport: out of memory");
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (c->sink.overflow || rc == CURLE_FILESIZE_EXCEEDED)
            return ddb_error_set(err, DDB_ERR_TRANSPORT,
                                 "response from %s is larger than %lu bytes", req->url,
                                 TRANSPORT_MAX_BODY);
        return ddb_error_set(err, DDB_ERR_NOMEM, "transport: out of memory for the response");
    default:
        return ddb_error_set(err, DDB_ERR_TRANSPORT, "request to %s failed: %s", req->url, why);
    }
}

/* Turns a finished transfer into resp/err as transport_perform promises. */
ddb_status
transport_conn_finish(struct conn *c, CURLcode rc, const struct transport_request *req,
                      struct transport_response *resp, struct ddb_error *err)
{
    struct sink *s = &c->sink;
    long status = 0, request_size = 0;
    ddb_status st = DDB_OK;

    memset(resp, 0, sizeof(*resp));
    /* The bytes of the request line and headers curl wrote: none when it never connected. */
    resp->sent = rc == CURLE_OK ||
                 curl_easy_getinfo(c->easy, CURLINFO_REQUEST_SIZE, &request_size) != CURLE_OK ||
                 request_size > 0;
    if (rc != CURLE_OK) {
        st = map_curl_error(c, rc, req, err);
        goto out;
    }
    if (curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    if (s->buf == NULL) {
        /* An empty body is still handed over NUL-terminated. */
        s->buf = malloc(1);
        if (s->buf == NULL) {
            st = ddb_error_set(err, DDB_ERR_NOMEM, "transport: out of memory");
            goto out;
        }
    }
    s->buf[s->len] = '\0';
    resp->status = status;
    resp->body = s->buf;
    resp->body_len = s->len;
    resp->has_crc32 = s->has_crc32;
    resp->crc32 = s->crc32;
    memcpy(resp->request_id, s->request_id, sizeof(resp->request_id));
    s->buf = NULL;

    if (s->has_crc32) {
        uint32_t got = (uint32_t)crc32(0L, (const Bytef *)resp->body, (uInt)resp->body_len);

        if (s->crc32_invalid)
            st =
                ddb_error_set(err, DDB_ERR_CRC32, "malformed x-amz-crc32 header from %s", req->url);
        else if (got != s->crc32)
            st = ddb_error_set(err, DDB_ERR_CRC32,
                               "x-amz-crc32 mismatch from %s: header %lu, body %lu (%zu bytes)",
                               req->url, (unsigned long)s->crc32, (unsigned long)got,
                               resp->body_len);
        if (st != DDB_OK)
            err->http_status = (int)status;
    }
out:
    transport_sink_reset(s);
    return st;
}

ddb_status
transport_new(const struct transport_options *opts, struct transport **out, struct ddb_error *err)
{
    struct transport *t = NULL;
    ddb_status st = DDB_OK;

    *out = NULL;
    if (pthread_once(&global_once, global_init) != 0 || global_result != CURLE_OK) {
        st = ddb_error_set(err, DDB_ERR_TRANSPORT, "transport: curl_global_init failed: %s",
                           curl_easy_strerror(global_result));
        goto out;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "transport: out of memory");
        goto out;
    }
    t->owner = transport_pid;
    t->connect_timeout_ms = TRANSPORT_DEFAULT_CONNECT_MS;
    t->max_idle_s = TRANSPORT_DEFAULT_MAX_IDLE_S;
    t->parallel = TRANSPORT_DEFAULT_PARALLEL;
    if (opts != NULL) {
        if (opts->connect_timeout_ms > 0)
            t->connect_timeout_ms = opts->connect_timeout_ms;
        if (opts->max_idle_s > 0)
            t->max_idle_s = opts->max_idle_s;
        if (opts->parallel > 0)
            t->parallel =
                opts->parallel < TRANSPORT_MAX_PARALLEL ? opts->parallel : TRANSPORT_MAX_PARALLEL;
        if (opts->ca_file != NULL && opts->ca_file[0] != '\0') {
            t->ca_file = strdup(opts->ca_file);
            if (t->ca_file == NULL) {
                st = ddb_error_set(err, DDB_ERR_NOMEM, "transport: out of memory");
                goto out;
            }
        }
    }
    t->par = calloc((size_t)t->parallel, sizeof(*t->par));
    if (t->par == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "transport: out of memory");
        goto out;
    }
    *out = t;
    t = NULL;
out:
    transport_free(t);
    return st;
}

ddb_status
transport_perform(struct transport *t, const struct transport_request *req,
                  struct transport_response *resp, struct ddb_error *err)
{
    struct conn *c;
    ddb_status st;

    memset(resp, 0, sizeof(*resp));
    ddb_error_clear(err);
    if (req->slot != TRANSPORT_SLOT_DDB && req->slot != TRANSPORT_SLOT_IMDS)
        return ddb_error_set(err, DDB_ERR_INVALID, "transport: no such slot %d", (int)req->slot);
    c = &t->slots[req->slot];
    st = transport_conn_prepare(t, c, req, err);
    if (st != DDB_OK)
        return st;
    return transport_conn_finish(c, curl_easy_perform(c->easy), req, resp, err);
}

void
transport_response_free(struct transport_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

static void
conn_close(struct conn *c)
{
    if (c->easy != NULL)
        curl_easy_cleanup(c->easy);
    free(c->url);
    transport_sink_reset(&c->sink);
    memset(c, 0, sizeof(*c));
}

void
transport_free(struct transport *t)
{
    if (t == NULL)
        return;
    /* Handles are off the multi handle between calls; clean them before the multi. */
    if (t->par != NULL)
        for (int k = 0; k < t->parallel; k++)
            conn_close(&t->par[k]);
    if (t->multi != NULL)
        (void)curl_multi_cleanup(t->multi);
    conn_close(&t->slots[TRANSPORT_SLOT_DDB]);
    conn_close(&t->slots[TRANSPORT_SLOT_IMDS]);
    free(t->par);
    free(t->ca_file);
    free(t);
}
