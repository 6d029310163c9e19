/* What the links of the credentials chain (creds.c: environment and provider; creds_file.c;
 * creds_imds.c) share. Private to those files: nothing else includes it. */
#ifndef SAVEALIFE_CREDS_CHAIN_H
#define SAVEALIFE_CREDS_CHAIN_H

#include <stddef.h>
#include <time.h>

#include "creds.h"

struct creds_provider {
    struct transport *t;
    long imds_timeout_ms;
    long refresh_margin_s;
    struct creds cur;    /* valid when have */
    int have;            /* a source was found and cur holds its credentials */
    int from_imds;       /* cur came from the metadata service and expires */
    time_t next_refresh; /* when to ask the metadata service again */
    /* Changes whenever cur does (a refresh, a wipe): users keep what they derive from the
     * credentials (a signing key, a header line) until it changes, and never compare secrets. */
    unsigned long generation;
};

/* creds.c: an environment variable, NULL when unset or empty. */
const char *creds_env(const char *name);
/* creds.c: whether s may become a header line's value (ASCII, no control character). */
int creds_header_safe(const char *s);
/* creds.c: copies src into dst[size]; 0 if it does not fit. */
int creds_copy_field(char *dst, size_t size, const char *src);

/* creds_file.c: the shared file's credentials into out (*found 1), or *found 0 and why names
 * what was looked at; an error when the file is malformed or AWS_PROFILE cannot be met. */
ddb_status creds_file_source(struct creds *out, int *found, char *why, size_t why_size,
                             struct ddb_error *err);

/* creds_imds.c: whether AWS_EC2_METADATA_DISABLED=true. */
int creds_imds_disabled(void);
/* creds_imds.c: metadata credentials into p->cur, fetched anew when their refresh is due. */
ddb_status creds_imds_get(struct creds_provider *p, struct ddb_error *err);

#endif
