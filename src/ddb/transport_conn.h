/* The pool's handles, shared by the single (transport.c) and parallel (transport_multi.c)
 * paths. Private to those two files: nothing else includes it. */
#ifndef SAVEALIFE_TRANSPORT_CONN_H
#define SAVEALIFE_TRANSPORT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "ddb/transport.h"

/* A request's own lines plus the removals of curl's defaults (Expect, Accept, Content-Type). */
#define TRANSPORT_MAX_HEADERS 32

/* What one response leaves behind while curl receives it. */
struct sink {
    char *buf;
    size_t len;
    size_t cap;
    int overflow;      /* the body went over TRANSPORT_MAX_BODY */
    int has_crc32;     /* x-amz-crc32 seen */
    int crc32_invalid; /* ... but not a decimal 32-bit number */
    uint32_t crc32;
    char request_id[128];
};

/* The body of a `once` request, handed to curl by a read callback that cannot rewind. */
struct upload {
    const char *data;
    size_t len;
    size_t pos;
};

/* One pooled easy handle with what must outlive a setopt: the error buffer and headers.
 * The options that never change are set once, when the handle is made; a request sets only
 * its own (URL when it differs, method, body, timeout, header list). */
struct conn {
    CURL *easy;
    /* The header list curl reads during a transfer: nodes of our own pointing at the
     * caller's lines (curl_slist is a public struct, and curl only reads a list it is given),
     * so a request copies and allocates nothing for its headers. */
    struct curl_slist nodes[TRANSPORT_MAX_HEADERS];
    char *url;  /* the URL set on the handle (curl copies it; compared to skip a copy) */
    int method; /* the method set: CONN_NONE, CONN_GET, CONN_POST or CONN_CUSTOM */
    char errbuf[CURL_ERROR_SIZE];
    struct sink sink;
    struct upload upload;
};

enum { CONN_NONE, CONN_GET, CONN_POST, CONN_CUSTOM };

struct transport {
    pid_t owner;
    char *ca_file;
    long connect_timeout_ms;
    long max_idle_s;
    int parallel;
    struct conn slots[2]; /* TRANSPORT_SLOT_DDB, TRANSPORT_SLOT_IMDS */
    struct conn *par;     /* `parallel` handles, driven through multi */
    CURLM *multi;
};

/* This process's id (transport.c), set at the first transport_new and in every forked child. */
extern pid_t transport_pid;

/* Empties a sink, freeing what it received. */
void transport_sink_reset(struct sink *s);
/* Sets a request's own options on the handle, making it first if need be. */
ddb_status transport_conn_prepare(struct transport *t, struct conn *c,
                                  const struct transport_request *req, struct ddb_error *err);
/* Turns a finished transfer into resp/err as transport_perform promises. */
ddb_status transport_conn_finish(struct conn *c, CURLcode rc, const struct transport_request *req,
                                 struct transport_response *resp, struct ddb_error *err);

#endif
