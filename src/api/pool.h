/* What the api asks of the pool of workers it runs in, in the api's own terms: the pool's
 * figures and worker rows for GET /api/status, and the pool-wide DynamoDB breaker that every
 * request needing the database goes through. server/ fills a struct api_pool from its
 * scoreboard when it builds a worker's api, so that api/ includes nothing of server/.
 * Times are CLOCK_MONOTONIC milliseconds. */
#ifndef SAVEALIFE_API_POOL_H
#define SAVEALIFE_API_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "repo/repo.h"

#define API_POOL_ROUTE_MAX 64

/* A worker's state, as the status page names it. */
enum api_worker_state {
    API_WORKER_FREE = 0,
    API_WORKER_STARTING, /* forked, opening its database client */
    API_WORKER_IDLE,     /* waiting for a connection */
    API_WORKER_READING,  /* holds a connection, reading its request */
    API_WORKER_BUSY,     /* running a request */
    API_WORKER_EXITING,
};

/* The pool's figures (php-fpm's names on the page). */
struct api_pool_figures {
    time_t start_time;                  /* wall clock when the pool started */
    uint64_t start_ms;                  /* monotonic, then */
    unsigned long accepted;             /* connections accepted */
    unsigned workers_target;            /* workers the master wants */
    unsigned active;                    /* workers READING or BUSY */
    unsigned idle;                      /* workers IDLE */
    unsigned total;                     /* workers in the pool */
    unsigned max_active;                /* most requests running at once */
    unsigned long max_children_reached; /* times every worker became busy */
    unsigned long slow_requests;        /* requests that ran past the timeout */
    unsigned long accept_attempts;      /* accept() calls on the listening socket */
    unsigned long accept_empty;         /* of them, those that found no connection */
};

/* One worker's row. */
struct api_worker_row {
    pid_t pid;
    unsigned generation;
    enum api_worker_state state;
    unsigned long requests;         /* requests finished */
    char route[API_POOL_ROUTE_MAX]; /* "GET /api/companies/{id}", current or last */
    uint64_t request_ms;            /* when the current request began */
};

/* The breaker (its rules are the pool's): CLOSED lets every request through, OPEN refuses
 * those that need the database at once, HALF_OPEN lets a few probes through. */
enum api_breaker_state { API_BREAKER_CLOSED = 0, API_BREAKER_OPEN, API_BREAKER_HALF_OPEN };

struct api_breaker_figures {
    enum api_breaker_state state;
    uint64_t since_ms;   /* when it entered its state */
    unsigned long trips; /* times it opened from closed */
};

/* What the breaker decided for one request. */
enum api_breaker_admit {
    API_BREAKER_PASS = 0, /* go on */
    API_BREAKER_PROBE,    /* go on, as one of the probes */
    API_BREAKER_REJECT,   /* answer 503 with Retry-After at once */
};

/* What one attempt of an admitted request told, or (NONE) that the request made none. */
enum api_breaker_outcome {
    API_BREAKER_NONE = 0,
    API_BREAKER_OK,     /* it reached the database (whatever the answer) */
    API_BREAKER_FAILED, /* it could not connect, timed out or was lost */
};

struct api_breaker_ticket {
    enum api_breaker_admit admit;
    uint64_t probe;         /* which half-open period a probe belongs to */
    unsigned retry_after_s; /* for a REJECT: when to try again, at least 1 */
};

/* The pool, as server/ lends it to the api (every member set; ctx borrowed). */
struct api_pool {
    void *ctx;
    /* How many worker rows a read may give. */
    size_t (*capacity)(const void *ctx);
    /* The pool's figures, up to cap worker rows (*n of them) and the pool's database figures
     * since start, in one consistent read of each row. Returns 0, or -1 when out of memory. */
    int (*read)(const void *ctx, struct api_pool_figures *pool, struct api_worker_row *rows,
                size_t cap, size_t *n, struct ddb_stats *ddb);
    void (*breaker)(const void *ctx, struct api_breaker_figures *out);
    /* Before a request that needs the database; stale_ms is how long a probe may stay
     * unanswered before its place is taken back (its worker was killed). */
    void (*admit)(void *ctx, uint64_t now_ms, uint64_t stale_ms, struct api_breaker_ticket *t);
    /* After each attempt of an admitted request, and at its end (NONE gives back a probe that
     * made no attempt). Returns 1 when this report moved the breaker, else 0. */
    int (*report)(void *ctx, uint64_t now_ms, const struct api_breaker_ticket *t,
                  enum api_breaker_outcome outcome);
    /* Before each attempt: whether the breaker still lets the request go on. */
    int (*allows)(const void *ctx, const struct api_breaker_ticket *t);
};

#endif
