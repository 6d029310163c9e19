/* GET /api/status: the pool's figures (api/pool.h), php-fpm's status page in JSON, or
 * in the OpenMetrics text format (?format=openmetrics) for Prometheus. */
#ifndef SAVEALIFE_API_STATUS_H
#define SAVEALIFE_API_STATUS_H

#include "api/pool.h"
#include "http/router.h"

/* What the page reads; part of the worker's api. */
struct status_source {
    const struct api_pool *pool; /* borrowed; NULL: the page answers 503 */
    uint64_t (*now_ms)(void);    /* the monotonic clock the pool's times use */
};

/* GET /api/status[?format=json|openmetrics]: 200, 400 for another format, 503 without a
 * pool. app is a struct status_source. */
void status_page(void *app, const struct http_request *req, const struct router_params *params,
                 struct http_response *resp);

#endif
