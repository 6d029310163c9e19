/* The integration tests' requests to a test server's control endpoints (the tools under
 * tests/tools: the fault server, the SigV4 verifier), at the loopback endpoint
 * AWS_ENDPOINT_URL_DYNAMODB names. Header only, for the tests that include check_main.h. */
#ifndef SAVEALIFE_TESTS_CONTROL_H
#define SAVEALIFE_TESTS_CONTROL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>

/* The test server's URL; control traffic never leaves this machine. */
static inline const char *
endpoint_url(void)
{
    const char *url = getenv("AWS_ENDPOINT_URL_DYNAMODB");

    ck_assert_msg(url != NULL && url[0] != '\0',
                  "AWS_ENDPOINT_URL_DYNAMODB is not set (run the test through its .sh)");
    ck_assert_msg(strncmp(url, "http://127.0.0.1:", 17) == 0, "not a loopback endpoint: %s", url);
    return url;
}

static inline size_t
control_collect(char *data, size_t size, size_t n, void *userdata)
{
    char *buf = userdata;
    size_t have = strlen(buf), add = size * n;

    if (have + add >= 4096)
        return 0;
    memcpy(buf + have, data, add);
    buf[have + add] = '\0';
    return add;
}

/* One request to the server's control endpoints; the answer's body lands in out. Fails the
 * test unless it answers 200. */
static inline void
control(const char *method, const char *path, const char *body, char out[4096])
{
    char url[256];
    long status = 0;
    CURL *h = curl_easy_init();
    CURLcode rc;

    ck_assert_ptr_nonnull(h);
    snprintf(url, sizeof(url), "%s%s", endpoint_url(), path);
    out[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, control_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    ck_assert_msg(rc == CURLE_OK && status == 200, "%s %s: curl %d, HTTP %ld: %s", method, path,
                  (int)rc, status, out);
}

/* A number of a control endpoint's JSON answer (its stats); fails the test when absent. */
static inline long
control_stat(json_object *obj, const char *key)
{
    json_object *v;

    ck_assert_msg(json_object_object_get_ex(obj, key, &v), "stats without %s", key);
    return (long)json_object_get_int64(v);
}

#endif
