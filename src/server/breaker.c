#include "server/breaker.h"

#include <stdatomic.h>
#include <string.h>

#include "server/scoreboard_shm.h"

/* The DynamoDB breaker's thresholds (README, "When DynamoDB stalls").
 * A failure is one DynamoDB attempt that could not connect, timed out or lost its connection;
 * any HTTP answer (a throttle, a 5xx) reaches DynamoDB and is a success. Attempts are cut by
 * the client's attempt timeout (SAVEALIFE_DDB_ATTEMPT_TIMEOUT, 500 ms), far longer than
 * DynamoDB takes, so one failure is already rare and a stall shows within that timeout.
 * - TRIP_FAILURES in a row across the pool, with no attempt reaching DynamoDB in between,
 *   open it. In a stall nothing gets through: the attempts in flight when it starts trip it
 *   one attempt timeout later (a single request's own retries do too), and the requests in
 *   calls stop at their next attempt instead of each waiting out its budget. Three, not
 *   one: a lost connection or a slow attempt now and then fails alone; one success resets
 *   the count, so a service that mostly works (one slow item, a partial fault) is never
 *   shed.
 * - RUN_WINDOW_MS: failures further apart than this are not a run.
 * - COOL_MS: how long it stays open before probing. Short, because a probe is cheap
 *   (at most MAX_PROBES workers held, each for one attempt timeout: its first failed
 *   attempt opens the breaker again and stops it) and service should be back about a second
 *   after DynamoDB is; Retry-After gives clients what is left.
 * - MAX_PROBES: requests let through at once while half-open. Two, so one probe lost to
 *   an unrelated cause (a client gone, a request that needs no call after all) does not hold
 *   recovery back, while a DynamoDB still stalled holds two workers at most. */
#define TRIP_FAILURES 3u
#define RUN_WINDOW_MS 10000u
#define COOL_MS 1000u
#define MAX_PROBES 2u

/* The breaker is one word, changed by compare-and-swap, so a state, its probes and the time
 * it began always go together: state in bits 0-1, probes in flight in bits 2-7, and the time
 * it entered the state (ms since the scoreboard's start) above; that time also names a
 * half-open period, so a late probe of an earlier one cannot count in the next. */
#define BR_PROBE_SHIFT 2
#define BR_PROBE_MASK 0x3fu
#define BR_SINCE_SHIFT 8
/* The run of failures: its length in bits 0-15, the time of the last one above. */
#define BR_RUN_SHIFT 16
#define BR_RUN_MAX 0xffffu

static uint64_t
br_pack(enum breaker_state state, unsigned probes, uint64_t since)
{
    return (uint64_t)state | (uint64_t)probes << BR_PROBE_SHIFT | since << BR_SINCE_SHIFT;
}

static enum breaker_state
br_state(uint64_t w)
{
    return (enum breaker_state)(w & 0x3u);
}

static unsigned
br_probes(uint64_t w)
{
    return (unsigned)(w >> BR_PROBE_SHIFT) & BR_PROBE_MASK;
}

static uint64_t
br_since(uint64_t w)
{
    return w >> BR_SINCE_SHIFT;
}

/* now as ms since the scoreboard's start: the breaker's own time scale. */
static uint64_t
br_rel(const struct scoreboard *sb, uint64_t now)
{
    uint64_t start = atomic_load_explicit(&sb->pool->start_ms, memory_order_relaxed);

    return now > start ? now - start : 0;
}

/* Closed to open, once for the whole pool: 1 for the report that did it. */
static int
br_trip(struct scoreboard *sb, uint64_t rel)
{
    struct sb_pool *p = sb->pool;
    uint64_t w = atomic_load(&p->breaker);

    while (br_state(w) == BREAKER_CLOSED) {
        if (atomic_compare_exchange_weak(&p->breaker, &w, br_pack(BREAKER_OPEN, 0, rel))) {
            atomic_fetch_add(&p->breaker_trips, 1ul);
            atomic_store(&p->breaker_run, 0ull);
            return 1;
        }
    }
    return 0;
}

void
breaker_admit(struct scoreboard *sb, uint64_t now, uint64_t stale_ms, struct breaker_ticket *t)
{
    struct sb_pool *p = sb->pool;
    uint64_t rel = br_rel(sb, now);
    uint64_t w = atomic_load_explicit(&p->breaker, memory_order_acquire);

    memset(t, 0, sizeof(*t));
    for (;;) {
        uint64_t since = br_since(w), next;

        switch (br_state(w)) {
        case BREAKER_CLOSED:
            t->admit = BREAKER_PASS;
            return;
        case BREAKER_OPEN:
            if (rel < since + COOL_MS) {
                t->admit = BREAKER_REJECT;
                t->retry_after_s = (unsigned)((since + COOL_MS - rel + 999u) / 1000u);
                return;
            }
            next = br_pack(BREAKER_HALF_OPEN, 0, rel);
            break;
        case BREAKER_HALF_OPEN:
            if (br_probes(w) < MAX_PROBES) {
                next = w + (1ull << BR_PROBE_SHIFT);
                if (atomic_compare_exchange_weak(&p->breaker, &w, next)) {
                    t->admit = BREAKER_PROBE;
                    t->probe = since;
                    return;
                }
                continue;
            }
            if (rel <= since || rel - since <= stale_ms) {
                t->admit = BREAKER_REJECT;
                t->retry_after_s = 1;
                return;
            }
            /* Its probes never reported: their workers died. A new period, new probes. */
            next = br_pack(BREAKER_HALF_OPEN, 0, rel);
            break;
        default:
            /* Not a state this code writes: start over closed. */
            next = br_pack(BREAKER_CLOSED, 0, rel);
            break;
        }
        atomic_compare_exchange_weak(&p->breaker, &w, next);
        w = atomic_load_explicit(&p->breaker, memory_order_acquire);
    }
}

/* A probe's verdict, if its half-open period is still the current one: 1 if it closed or
 * re-opened the breaker. */
static int
br_probe_report(struct scoreboard *sb, uint64_t rel, uint64_t probe, enum breaker_outcome outcome)
{
    struct sb_pool *p = sb->pool;
    uint64_t w = atomic_load(&p->breaker), next;

    for (;;) {
        if (br_state(w) != BREAKER_HALF_OPEN || br_since(w) != probe)
            return 0;
        if (outcome == BREAKER_OK)
            next = br_pack(BREAKER_CLOSED, 0, rel);
        else if (outcome == BREAKER_FAILED)
            next = br_pack(BREAKER_OPEN, 0, rel);
        else if (br_probes(w) > 0)
            next = w - (1ull << BR_PROBE_SHIFT); /* no verdict: give the slot back */
        else
            return 0;
        if (atomic_compare_exchange_weak(&p->breaker, &w, next)) {
            if (outcome == BREAKER_OK)
                atomic_store(&p->breaker_run, 0ull);
            return outcome != BREAKER_NONE;
        }
    }
}

int
breaker_report(struct scoreboard *sb, uint64_t now, const struct breaker_ticket *t,
               enum breaker_outcome outcome)
{
    struct sb_pool *p = sb->pool;
    uint64_t rel = br_rel(sb, now);

    if (t->admit == BREAKER_PROBE)
        return br_probe_report(sb, rel, t->probe, outcome);
    if (t->admit != BREAKER_PASS || outcome == BREAKER_NONE)
        return 0;
    if (outcome == BREAKER_OK) {
        /* Read first: the common case writes nothing to the shared line. */
        if (atomic_load_explicit(&p->breaker_run, memory_order_relaxed) != 0)
            atomic_store(&p->breaker_run, 0ull);
        return 0;
    }
    uint64_t run = atomic_load(&p->breaker_run), next;
    unsigned len;
    do {
        uint64_t last = run >> BR_RUN_SHIFT;
        len = (unsigned)(run & BR_RUN_MAX);
        int in_run = run != 0 && (rel <= last || rel - last <= RUN_WINDOW_MS);
        len = in_run ? len + (len < BR_RUN_MAX) : 1u;
        next = rel << BR_RUN_SHIFT | len;
    } while (!atomic_compare_exchange_weak(&p->breaker_run, &run, next));
    return len >= TRIP_FAILURES ? br_trip(sb, rel) : 0;
}

int
breaker_allows(const struct scoreboard *sb, const struct breaker_ticket *t)
{
    uint64_t w = atomic_load_explicit(&sb->pool->breaker, memory_order_acquire);

    switch (br_state(w)) {
    case BREAKER_CLOSED:
        return t->admit != BREAKER_REJECT;
    case BREAKER_HALF_OPEN:
        return t->admit == BREAKER_PROBE && br_since(w) == t->probe;
    default:
        return 0;
    }
}

void
breaker_read(const struct scoreboard *sb, struct breaker_figures *out)
{
    const struct sb_pool *p = sb->pool;
    uint64_t w = atomic_load(&p->breaker);
    uint64_t run = atomic_load(&p->breaker_run);

    memset(out, 0, sizeof(*out));
    out->state = br_state(w);
    out->since_ms = atomic_load(&p->start_ms) + br_since(w);
    out->trips = atomic_load(&p->breaker_trips);
    out->probes = out->state == BREAKER_HALF_OPEN ? br_probes(w) : 0;
    out->failures = out->state == BREAKER_CLOSED ? (unsigned)(run & BR_RUN_MAX) : 0;
}
