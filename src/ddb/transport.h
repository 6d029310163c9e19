/* HTTP transport: a per-process pool of kept-alive libcurl easy handles. Create after fork. */
#ifndef SAVEALIFE_TRANSPORT_H
#define SAVEALIFE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ddb_error.h"

struct transport;

/* Which pooled handle serves a request: DynamoDB calls in turn, or the metadata service. */
enum transport_slot { TRANSPORT_SLOT_DDB = 0, TRANSPORT_SLOT_IMDS = 1 };

struct transport_options {
    const char *ca_file;     /* PEM bundle to verify the server with; NULL: the system's */
    long connect_timeout_ms; /* 0: 3000 */
    long max_idle_s;         /* reuse a connection only if idle less than this; 0: 4 */
    int parallel;            /* handles for parallel requests (batch chunks); 0: 4 */
};

struct transport_request {
    enum transport_slot slot;
    const char *method;         /* "POST", "GET", "PUT" */
    const char *url;            /* full URL */
    const char *const *headers; /* "Name: value" lines, sent as given */
    size_t nheaders;
    const void *body;
    size_t body_len;
    long timeout_ms; /* whole attempt; 0: no limit beyond connect */
    int once;        /* never sent twice: curl re-sends a request on its own when a kept-alive
                        connection closes without an answer; a write must not be */
};

struct transport_response {
    long status; /* HTTP status; 0 if none */
    char *body;  /* malloc'd, NUL-terminated (body_len excludes the NUL) */
    size_t body_len;
    int has_crc32;        /* an x-amz-crc32 header was present */
    uint32_t crc32;       /* its value */
    char request_id[128]; /* x-amzn-RequestId, "" if absent */
    int sent;             /* some of the request left: 0 only when nothing did (no connection) */
};

/* Creates the pool; the handles are made lazily. The first call in a process also runs
 * curl_global_init (once, behind a pthread_once guard; never undone). */
ddb_status transport_new(const struct transport_options *opts, struct transport **out,
                         struct ddb_error *err);

/* One attempt of one request, on the slot's kept-alive handle. Fills resp for any HTTP
 * answer (any status). Transport failures map to DDB_ERR_CONNECT, _TIMEOUT, _TLS, _TRANSPORT;
 * a body whose CRC32 differs from x-amz-crc32 is DDB_ERR_CRC32 (resp still filled). */
ddb_status transport_perform(struct transport *t, const struct transport_request *req,
                             struct transport_response *resp, struct ddb_error *err);

/* n requests at once through curl's multi interface, on the parallel handles. results[i]
 * and errs[i] tell each one's outcome as transport_perform would. Returns DDB_OK unless
 * the multi machinery itself failed. */
ddb_status transport_perform_parallel(struct transport *t, const struct transport_request *reqs,
                                      size_t n, struct transport_response *resps,
                                      ddb_status *results, struct ddb_error *errs);

/* Frees a response's body and zeroes it. */
void transport_response_free(struct transport_response *resp);

/* Closes every handle and frees the pool. NULL is allowed. */
void transport_free(struct transport *t);

#endif
