/* DynamoDB's error bodies (ddb_error_from_response): whatever a service, a proxy or a
 * man in the middle answers with a non-2xx status. Bytes 0-1 are the HTTP status (mod 600),
 * the rest the body. */
#include "ddb/ddb_error.h"
#include "fuzz.h"

static int
printable(const char *s, size_t size)
{
    size_t n = strnlen(s, size);

    if (n == size)
        return 0; /* no NUL */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ddb_error err;
    char *body;
    int http_status;

    if (size < 2)
        return 0;
    http_status = (data[0] << 8 | data[1]) % 600;
    /* An exact-size copy, so ASan sees a read past the body's end. */
    body = malloc(size - 2 > 0 ? size - 2 : 1);
    FUZZ_CHECK(body != NULL);
    memcpy(body, data + 2, size - 2);
    memset(&err, 0, sizeof(err));
    ddb_error_from_response(&err, http_status, size > 2 ? body : NULL, size - 2);
    FUZZ_CHECK(err.status != DDB_OK);
    FUZZ_CHECK(err.http_status == http_status);
    /* type and message go into log lines: terminated, and no control characters. */
    FUZZ_CHECK(printable(err.type, sizeof(err.type)));
    FUZZ_CHECK(printable(err.message, sizeof(err.message)));
    FUZZ_CHECK(ddb_error_name(err.status) != NULL);
    (void)ddb_error_is_retryable(&err);
    (void)ddb_error_maybe_applied(&err, 1);
    (void)ddb_error_is_throttle(&err);
    free(body);
    return 0;
}
