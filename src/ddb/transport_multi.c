/* Parallel requests through curl's multi interface (BatchGetItem and BatchWriteItem chunks),
 * on the transport's parallel handles; each request is prepared and finished as a single one
 * is (transport.c), only driven differently. */
#include "ddb/transport.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "transport_conn.h"

/* Starts request i on parallel handle slot k. */
static ddb_status
parallel_start(struct transport *t, int k, const struct transport_request *req,
               struct ddb_error *err)
{
    struct conn *c = &t->par[k];
    CURLMcode mc;
    ddb_status st;

    st = transport_conn_prepare(t, c, req, err);
    if (st != DDB_OK)
        goto out;
    /* Private data: which handle this is, to find it again when it is done. */
    if (curl_easy_setopt(c->easy, CURLOPT_PRIVATE, (void *)&t->par[k]) != CURLE_OK) {
        st = ddb_error_set(err, DDB_ERR_TRANSPORT, "transport: CURLOPT_PRIVATE rejected");
        goto out;
    }
    mc = curl_multi_add_handle(t->multi, c->easy);
    if (mc != CURLM_OK)
        st = ddb_error_set(err, mc == CURLM_OUT_OF_MEMORY ? DDB_ERR_NOMEM : DDB_ERR_TRANSPORT,
                           "transport: curl_multi_add_handle: %s", curl_multi_strerror(mc));
out:
    return st;
}

ddb_status
transport_perform_parallel(struct transport *t, const struct transport_request *reqs, size_t n,
                           struct transport_response *resps, ddb_status *results,
                           struct ddb_error *errs)
{
    size_t *running = NULL; /* per parallel handle: the request it carries, or SIZE_MAX */
    size_t next = 0, active = 0;
    ddb_status st = DDB_OK;
    struct ddb_error local;
    CURLMcode mc;

    for (size_t i = 0; i < n; i++) {
        memset(&resps[i], 0, sizeof(resps[i]));
        ddb_error_clear(&errs[i]);
        results[i] = DDB_OK;
    }
    if (n == 0)
        return DDB_OK;
    ddb_error_clear(&local);
    if (t->owner != transport_pid) {
        st = ddb_error_set(&local, DDB_ERR_TRANSPORT, "transport: used across fork");
        goto fail_all;
    }
    if (t->multi == NULL) {
        t->multi = curl_multi_init();
        if (t->multi == NULL) {
            st = ddb_error_set(&local, DDB_ERR_NOMEM, "transport: curl_multi_init failed");
            goto fail_all;
        }
        /* The multi handle keeps the parallel connections between calls: one per handle. */
        mc = curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)t->parallel);
        if (mc != CURLM_OK) {
            st = ddb_error_set(&local, DDB_ERR_TRANSPORT, "transport: CURLMOPT_MAXCONNECTS: %s",
                               curl_multi_strerror(mc));
            goto fail_all;
        }
    }
    running = malloc((size_t)t->parallel * sizeof(*running));
    if (running == NULL) {
        st = ddb_error_set(&local, DDB_ERR_NOMEM, "transport: out of memory");
        goto fail_all;
    }
    for (int k = 0; k < t->parallel; k++)
        running[k] = SIZE_MAX;

    for (;;) {
        int still = 0, queued;
        CURLMsg *msg;

        /* Fill every idle handle with the next request; a request that cannot even start
         * fails on its own. */
        for (int k = 0; k < t->parallel && next < n; k++) {
            if (running[k] != SIZE_MAX)
                continue;
            results[next] = parallel_start(t, k, &reqs[next], &errs[next]);
            if (results[next] == DDB_OK) {
                running[k] = next;
                active++;
            }
            next++;
        }
        if (active == 0 && next >= n)
            break;
        if (active == 0)
            continue;

        mc = curl_multi_perform(t->multi, &still);
        if (mc != CURLM_OK)
            goto multi_failed;
        while ((msg = curl_multi_info_read(t->multi, &queued)) != NULL) {
            struct conn *c = NULL;
            int k;

            if (msg->msg != CURLMSG_DONE)
                continue;
            if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c) != CURLE_OK ||
                c == NULL) {
                mc = CURLM_INTERNAL_ERROR;
                goto multi_failed;
            }
            k = (int)(c - t->par);
            mc = curl_multi_remove_handle(t->multi, c->easy);
            if (mc != CURLM_OK)
                goto multi_failed;
            results[running[k]] = transport_conn_finish(c, msg->data.result, &reqs[running[k]],
                                                        &resps[running[k]], &errs[running[k]]);
            running[k] = SIZE_MAX;
            active--;
        }
        if (active > 0 && still > 0) {
            /* Every transfer has its own timeout, so this loop ends; poll just waits. */
            mc = curl_multi_poll(t->multi, NULL, 0, 1000, NULL);
            if (mc != CURLM_OK)
                goto multi_failed;
        }
    }
    goto out;

multi_failed:
    st = ddb_error_set(&local, DDB_ERR_TRANSPORT, "transport: curl multi failed: %s",
                       curl_multi_strerror(mc));
    /* Whatever is still on the multi handle is abandoned and its requests failed. */
    for (int k = 0; k < t->parallel; k++) {
        if (running[k] == SIZE_MAX)
            continue;
        (void)curl_multi_remove_handle(t->multi, t->par[k].easy);
        transport_sink_reset(&t->par[k].sink);
        results[running[k]] = st;
        errs[running[k]] = local;
        running[k] = SIZE_MAX;
    }
    for (; next < n; next++) {
        results[next] = st;
        errs[next] = local;
    }
    goto out;

fail_all:
    for (size_t i = 0; i < n; i++) {
        results[i] = st;
        errs[i] = local;
    }
out:
    free(running);
    return st;
}
