/* The shared credentials file parser (creds_read_file), on any file content. Byte 0 picks
 * the profile asked for, the rest is the file (kept in a memfd, read through /proc). */
#define _GNU_SOURCE /* memfd_create */
#include <ctype.h>
#include <unistd.h>
#include <sys/mman.h>

#include "ddb/creds.h"
#include "ddb/creds_test.h"
#include "fuzz.h"

static const char *const profiles[] = {"default", "prod", "dev team", "a]b"};

static int fd = -1;
static char path[64];

/* A value as read: not empty, terminated, no white space around it. */
static int
trimmed(const char *s, size_t size)
{
    size_t n = strnlen(s, size);

    return n > 0 && n < size && !isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct creds c;
    struct ddb_error err;
    ddb_status st;

    if (size < 1)
        return 0;
    if (fd < 0) {
        fd = memfd_create("credentials", 0);
        FUZZ_CHECK(fd >= 0);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    FUZZ_CHECK(ftruncate(fd, 0) == 0);
    FUZZ_CHECK(pwrite(fd, data + 1, size - 1, 0) == (ssize_t)(size - 1));
    memset(&c, 0, sizeof(c));
    memset(&err, 0, sizeof(err));
    st = creds_read_file(path, profiles[data[0] % 4], &c, &err);
    FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
    if (st == DDB_OK) {
        FUZZ_CHECK(trimmed(c.access_key_id, sizeof(c.access_key_id)));
        FUZZ_CHECK(trimmed(c.secret_access_key, sizeof(c.secret_access_key)));
        FUZZ_CHECK(memchr(c.session_token, '\0', sizeof(c.session_token)) != NULL);
        FUZZ_CHECK(c.expiration == 0);
        FUZZ_CHECK(c.source != NULL && strcmp(c.source, "shared-file") == 0);
        /* Strict: the token becomes a header line of every DynamoDB request. */
        FUZZ_CHECK(!fuzz_strict() || fuzz_header_safe(c.session_token));
    } else {
        FUZZ_CHECK(st == DDB_ERR_CREDENTIALS);
    }
    creds_wipe(&c);
    return 0;
}
