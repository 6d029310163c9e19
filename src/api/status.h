/* GET /api/status: the pool's figures from the scoreboard, php-fpm's status page in JSON, or
 * in the OpenMetrics text format (?format=openmetrics) for Prometheus. */
#ifndef SAVEALIFE_API_STATUS_H
#define SAVEALIFE_API_STATUS_H

#include "http/router.h"

struct scoreboard;

/* What the page reads; part of the worker's api. */
struct status_source {
    const struct scoreboard *sb; /* borrowed; NULL: the page answers 503 */
};

/* GET /api/status[?format=json|openmetrics]: 200, 400 for another format, 503 without a
 * scoreboard. app is a struct status_source. */
void status_page(void *app, const struct http_request *req, const struct router_params *params,
                 struct http_response *resp);

#endif
