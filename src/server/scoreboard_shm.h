/* The scoreboard's shared memory, as the two files that work on it see it: scoreboard.c (the
 * mapping, the slots and the pool's figures) and breaker.c (the DynamoDB breaker). No other
 * file includes it. */
#ifndef SAVEALIFE_SCOREBOARD_SHM_H
#define SAVEALIFE_SCOREBOARD_SHM_H

#include <stdatomic.h>
#include <stddef.h>

#include "server/scoreboard.h"

struct sb_slot {
    atomic_uint seq; /* odd while its writer is updating it */
    atomic_int pid;
    atomic_uint generation;
    atomic_int state;
    atomic_int counted; /* 1 while its request counts in the pool's active figure */
    atomic_ulong requests;
    atomic_ullong started_ms;
    atomic_ullong request_ms;
    _Atomic(char) route[SCOREBOARD_ROUTE_MAX];
    atomic_ulong calls, attempts, retries, throttles;
    atomic_ulong errors[DDB_ERR_CLIENT + 1];
    atomic_ullong total_ms_bits; /* the double's bytes: atomics hold no doubles portably */
    atomic_ulong latency[DDB_LATENCY_BUCKETS];
};

_Static_assert(sizeof(double) == sizeof(uint64_t), "total_ms is kept as 64 bits");

struct sb_pool {
    atomic_llong start_time;
    atomic_ullong start_ms;
    atomic_ulong accepted;
    atomic_uint active;
    atomic_uint max_active;
    atomic_uint target;
    atomic_ulong max_children_reached;
    atomic_ulong slow_requests;
    atomic_ulong accept_attempts;
    atomic_ulong accept_empty;
    atomic_size_t used; /* slots [0, used) have been claimed at least once */
    /* DynamoDB figures of the workers reaped so far, written by the master alone; odd
     * retired_seq while it moves a slot's figures here, so a reader never counts a worker
     * twice or not at all. */
    atomic_uint retired_seq;
    atomic_ulong r_calls, r_attempts, r_retries, r_throttles;
    atomic_ulong r_errors[DDB_ERR_CLIENT + 1];
    atomic_ullong r_total_ms_bits;
    atomic_ulong r_latency[DDB_LATENCY_BUCKETS];
    /* The breaker's words, laid out in breaker.c (BR_*). */
    atomic_ullong breaker;     /* state, probes in flight, since when */
    atomic_ullong breaker_run; /* failures in a row, the time of the last */
    atomic_ulong breaker_trips;
};

struct scoreboard {
    struct sb_pool *pool;
    struct sb_slot *slots;
    size_t nslots;
    void *map;
    size_t map_len;
};

#define ST(field, value) atomic_store_explicit(&(field), (value), memory_order_relaxed)
#define LD(field) atomic_load_explicit(&(field), memory_order_relaxed)

#endif
