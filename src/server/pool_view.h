/* The api's view of the pool (api/pool.h), filled from the scoreboard: what a worker lends
 * its api so that the status page and the breaker need nothing of server/. */
#ifndef SAVEALIFE_SERVER_POOL_VIEW_H
#define SAVEALIFE_SERVER_POOL_VIEW_H

#include "api/pool.h"
#include "server/scoreboard.h"

/* Fills *out with functions over sb (borrowed: it must outlive every use of *out). */
void pool_view_fill(struct api_pool *out, struct scoreboard *sb);

#endif
