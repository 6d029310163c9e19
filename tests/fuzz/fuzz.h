/* What the fuzz targets share: libFuzzer's entry point and a check that stops the run. */
#ifndef SAVEALIFE_FUZZ_H
#define SAVEALIFE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that must hold: a failure is a crash to libFuzzer, which keeps the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Whether to check what the standards ask beyond "no crash" (I-JSON, RFC 7493, for bodies; a
 * session token fit for its header line): on unless SAVEALIFE_FUZZ_STRICT=0. */
static inline int
fuzz_strict(void)
{
    static int strict = -1;

    if (strict < 0) {
        const char *v = getenv("SAVEALIFE_FUZZ_STRICT");
        strict = v == NULL || strcmp(v, "0") != 0;
    }
    return strict;
}

/* Whether s is printable ASCII, spaces included: what a header value may carry without
 * starting another line (the session token's rule, written here apart from the code under
 * test). */
static inline int
fuzz_header_safe(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    return 1;
}

/* A NUL-terminated copy of the input, as the parsers that take C strings need; aborts when out
 * of memory (libFuzzer's -rss_limit_mb stops a run long before). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
