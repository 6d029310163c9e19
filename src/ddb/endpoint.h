/* Region and endpoint resolution, as the AWS SDKs read them from the environment. */
#ifndef SAVEALIFE_ENDPOINT_H
#define SAVEALIFE_ENDPOINT_H

#include "ddb_error.h"

struct endpoint {
    char region[64];
    char url[512];  /* scheme://host[:port] with no trailing slash; requests go to url + "/" */
    char host[300]; /* the Host header value: host, plus ":port" when not the scheme's default */
    int tls;        /* 1 for https */
};

/* Region from AWS_REGION, then AWS_DEFAULT_REGION; endpoint from AWS_ENDPOINT_URL_DYNAMODB,
 * then AWS_ENDPOINT_URL, else https://dynamodb.<region>.amazonaws.com. A missing region or a
 * malformed URL (not http/https, user info, path other than "/", query) is DDB_ERR_CONFIG. */
ddb_status endpoint_resolve(struct endpoint *out, struct ddb_error *err);

/* Parses url into out's url, host and tls (region untouched), with the same refusals as
 * endpoint_resolve: the DynamoDB endpoint and the metadata service's both go through it. */
ddb_status endpoint_parse_url(const char *url, struct endpoint *out, struct ddb_error *err);

#endif
