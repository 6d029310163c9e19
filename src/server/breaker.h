/* The pool-wide DynamoDB breaker, kept in the scoreboard's shared memory so that every worker
 * shares one: a worker asks it before a request that needs DynamoDB and tells it what each
 * attempt found; the status page reads it. Lock-free: atomic operations on two words. */
#ifndef SAVEALIFE_BREAKER_H
#define SAVEALIFE_BREAKER_H

#include <stdint.h>

struct scoreboard;

/* The pool-wide DynamoDB breaker (a circuit breaker). CLOSED lets every request through;
 * after repeated requests that could not reach DynamoDB (connection failures, timeouts) it
 * OPENs and requests that need DynamoDB are refused at once; after a cool-down it is
 * HALF_OPEN and lets a few probe requests through: one that reaches DynamoDB closes it, one
 * that fails opens it again. Thresholds and their reasons are in breaker.c. */
enum breaker_state {
    BREAKER_CLOSED = 0,
    BREAKER_OPEN,
    BREAKER_HALF_OPEN,
};

/* What the breaker decided for one request. */
enum breaker_admit {
    BREAKER_PASS = 0, /* closed: go on */
    BREAKER_PROBE,    /* half-open: go on as one of the probes */
    BREAKER_REJECT,   /* open: answer 503 with Retry-After at once */
};

/* What one DynamoDB attempt of a request admitted by the breaker told, or (NONE) that the
 * request made none. */
enum breaker_outcome {
    BREAKER_NONE = 0, /* it made no DynamoDB call */
    BREAKER_OK,       /* an attempt reached DynamoDB (whatever the answer) */
    BREAKER_FAILED,   /* an attempt could not connect, timed out or was lost */
};

struct breaker_ticket {
    enum breaker_admit admit;
    uint64_t probe;         /* which half-open period a probe belongs to */
    unsigned retry_after_s; /* for a REJECT: when to try again, at least 1 */
};

/* The breaker, as the status page shows it. */
struct breaker_figures {
    enum breaker_state state;
    uint64_t since_ms;   /* scoreboard_now_ms() when it entered its state */
    unsigned long trips; /* times it opened from closed */
    unsigned failures;   /* failed requests in a row (closed) */
    unsigned probes;     /* probes in flight (half-open) */
};

/* Worker, before a request that needs DynamoDB: fills *t. now is scoreboard_now_ms();
 * stale_ms is how long a probe may stay unanswered before its slot is taken back (its worker
 * was killed: the request timeout and a grace). */
void breaker_admit(struct scoreboard *sb, uint64_t now, uint64_t stale_ms,
                   struct breaker_ticket *t);

/* Worker, after each DynamoDB attempt of that request, and at its end (NONE: gives back a
 * probe that made no attempt). Returns 1 when this report moved the breaker
 * (opened, closed or re-opened it: worth a log line), else 0. */
int breaker_report(struct scoreboard *sb, uint64_t now, const struct breaker_ticket *t,
                   enum breaker_outcome outcome);

/* Worker, before each DynamoDB attempt of a request admitted with *t: whether the breaker
 * still lets it go on. Closed lets every admitted request on; open stops them all; half-open
 * only the probes of the current period. One atomic load. */
int breaker_allows(const struct scoreboard *sb, const struct breaker_ticket *t);

/* The breaker's state and figures, for the status page. */
void breaker_read(const struct scoreboard *sb, struct breaker_figures *out);

#endif
