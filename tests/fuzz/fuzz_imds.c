/* The instance metadata service's answers, through the provider's public entry point: the
 * transport is replaced by one that answers from the input, so the token, the role list and
 * the credentials document are all the fuzzer's.
 *
 * Byte 0 picks the HTTP status of each answer (two bits each: token, role, credentials;
 * 0 and 1 are 200), the rest is the three bodies separated by "\n----\n". */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <stdlib.h>

#include "ddb/creds.h"
#include "ddb/creds_test.h"
#include "ddb/transport.h"
#include "fuzz.h"

#define SEPARATOR "\n----\n"

struct transport {
    const char *body[3];
    size_t len[3];
    long status[3];
    int calls;
};

/* The transport creds.c links to, answering as the input says. */
ddb_status
transport_perform(struct transport *t, const struct transport_request *req,
                  struct transport_response *resp, struct ddb_error *err)
{
    int which;
    const char *u = req->url, *role;

    (void)err;
    FUZZ_CHECK(req->slot == TRANSPORT_SLOT_IMDS);
    /* Headers are sent as given: a token or role must never add a line or a path. */
    for (size_t i = 0; i < req->nheaders; i++)
        for (const char *p = req->headers[i]; *p != '\0'; p++)
            FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
    if (strstr(u, "/latest/api/token") != NULL) {
        which = 0;
    } else if ((role = strstr(u, "/security-credentials/")) != NULL) {
        role += strlen("/security-credentials/");
        which = *role == '\0' ? 1 : 2;
        for (; *role != '\0'; role++)
            FUZZ_CHECK(isalnum((unsigned char)*role) || strchr("+=,.@_-", *role) != NULL);
    } else {
        abort();
    }
    t->calls++;
    memset(resp, 0, sizeof(*resp));
    resp->sent = 1;
    resp->status = t->status[which];
    resp->body = malloc(t->len[which] + 1);
    if (resp->body == NULL)
        return DDB_ERR_NOMEM;
    memcpy(resp->body, t->body[which], t->len[which]);
    resp->body[t->len[which]] = '\0';
    resp->body_len = t->len[which];
    return DDB_OK;
}

void
transport_response_free(struct transport_response *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Nothing from this machine: no keys in the environment, no file, metadata enabled. */
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/savealife-fuzz/credentials", 1);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9", 1);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 200, 404, 401};
    struct transport t;
    struct creds_provider *p = NULL;
    struct ddb_error err;
    struct creds c;
    const struct creds *cur;
    unsigned long generation;
    char *text, *s;
    ddb_status st;

    if (size < 1)
        return 0;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < 3; i++)
        t.status[i] = statuses[data[0] >> (2 * i) & 3];
    /* A copy of exact size for the bodies, so ASan sees a read past one's end. */
    text = malloc(size - 1 + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data + 1, size - 1);
    s = text;
    for (int i = 0; i < 3; i++) {
        const char *sep = NULL;
        size_t left = size - 1 - (size_t)(s - text);
        if (i < 2)
            sep = memmem(s, left, SEPARATOR, strlen(SEPARATOR));
        t.body[i] = s;
        t.len[i] = sep != NULL ? (size_t)(sep - s) : left;
        if (sep != NULL)
            s = (char *)sep + strlen(SEPARATOR);
        else
            s += left;
    }

    memset(&err, 0, sizeof(err));
    FUZZ_CHECK(creds_provider_new(NULL, &t, &p, &err) == DDB_OK);
    memset(&c, 0, sizeof(c));
    st = creds_provider_get(p, &c, &err);
    FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
    if (st == DDB_OK) {
        FUZZ_CHECK(t.calls == 3);
        FUZZ_CHECK(c.access_key_id[0] != '\0' && c.secret_access_key[0] != '\0');
        FUZZ_CHECK(memchr(c.session_token, '\0', sizeof(c.session_token)) != NULL);
        FUZZ_CHECK(c.expiration > 0 && strcmp(c.source, "imds") == 0);
        /* Strict: the token becomes a header line of every DynamoDB request. */
        FUZZ_CHECK(!fuzz_strict() || fuzz_header_safe(c.session_token));
        /* Held until the margin before Expiration: no second fetch. */
        FUZZ_CHECK(creds_provider_current(p, &cur, &generation, &err) == DDB_OK);
        FUZZ_CHECK(t.calls == 3 || c.expiration < time(NULL) + 300 + 60);
    } else {
        FUZZ_CHECK(st == DDB_ERR_CREDENTIALS || st == DDB_ERR_NOMEM);
    }
    creds_wipe(&c);
    creds_provider_free(p);
    free(text);
    return 0;
}
