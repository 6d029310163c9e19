#include "server/scoreboard.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "server/scoreboard_shm.h"
#include "util/clock.h"

/* Tries before a reader gives up on a slot whose writer may have died mid-update. */
#define READ_TRIES 1000

uint64_t
scoreboard_now_ms(void)
{
    /* CLOCK_MONOTONIC cannot fail on Linux; a zero time would only delay a timeout. */
    return (uint64_t)clock_now_ms();
}

int
scoreboard_new(size_t nslots, struct scoreboard **out, char *errbuf, size_t errlen)
{
    struct scoreboard *sb = NULL;
    int rc = -1;

    *out = NULL;
    if (nslots == 0 || nslots > 65536) {
        snprintf(errbuf, errlen, "scoreboard: %zu slots is out of range", nslots);
        return -1;
    }
    sb = calloc(1, sizeof(*sb));
    if (sb == NULL) {
        snprintf(errbuf, errlen, "scoreboard: out of memory");
        goto out;
    }
    size_t pool_len = (sizeof(struct sb_pool) + 63) / 64 * 64;
    sb->map_len = pool_len + nslots * sizeof(struct sb_slot);
    /* Anonymous and shared: the workers forked later see the same pages; zero-filled, so
     * every slot starts FREE. */
    sb->map = mmap(NULL, sb->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sb->map == MAP_FAILED) {
        sb->map = NULL;
        snprintf(errbuf, errlen, "scoreboard: cannot map %zu bytes: %s", sb->map_len,
                 strerror(errno));
        goto out;
    }
    sb->pool = sb->map;
    sb->slots = (struct sb_slot *)(void *)((char *)sb->map + pool_len);
    sb->nslots = nslots;
    atomic_store(&sb->pool->start_time, (long long)time(NULL));
    atomic_store(&sb->pool->start_ms, scoreboard_now_ms());
    *out = sb;
    sb = NULL;
    rc = 0;
out:
    scoreboard_free(sb);
    return rc;
}

void
scoreboard_free(struct scoreboard *sb)
{
    if (sb == NULL)
        return;
    if (sb->map != NULL)
        munmap(sb->map, sb->map_len);
    free(sb);
}

size_t
scoreboard_capacity(const struct scoreboard *sb)
{
    return sb->nslots;
}

/* The writer's half of the sequence lock. A slot whose last writer died mid-update has an
 * odd count already: the new writer keeps it odd, and its end makes it even again. */
static unsigned
write_begin(struct sb_slot *s)
{
    unsigned seq = atomic_load_explicit(&s->seq, memory_order_relaxed) | 1u;
    atomic_store_explicit(&s->seq, seq, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    return seq;
}

static void
write_end(struct sb_slot *s, unsigned seq)
{
    atomic_store_explicit(&s->seq, seq + 1u, memory_order_release);
}

/* "<method> <pattern>" into the slot. The worker passes the matched route's pattern; whatever
 * comes is still cut at a '?' (a query may carry what a status page should not show) and
 * kept free of control bytes. */
static void
set_route(struct sb_slot *s, const char *method, const char *pattern)
{
    size_t i = 0;
    const char *parts[3] = {method != NULL ? method : "-", " ", pattern != NULL ? pattern : "-"};

    for (size_t p = 0; p < 3; p++) {
        for (const char *c = parts[p]; *c != '\0' && !(p == 2 && *c == '?'); c++) {
            if (i + 1 >= SCOREBOARD_ROUTE_MAX)
                goto done;
            unsigned char u = (unsigned char)*c;
            ST(s->route[i++], (char)(u < 0x20 || u == 0x7f ? '?' : u));
        }
    }
done:
    ST(s->route[i], '\0');
}

int
scoreboard_claim(struct scoreboard *sb, unsigned generation, size_t *slot)
{
    for (size_t i = 0; i < sb->nslots; i++) {
        struct sb_slot *s = &sb->slots[i];
        if (LD(s->state) != SCOREBOARD_FREE)
            continue;
        unsigned seq = write_begin(s);
        ST(s->pid, 0);
        ST(s->generation, generation);
        ST(s->state, SCOREBOARD_STARTING);
        ST(s->counted, 0);
        ST(s->requests, 0ul);
        ST(s->started_ms, scoreboard_now_ms());
        ST(s->request_ms, 0ull);
        ST(s->route[0], '\0');
        ST(s->calls, 0ul);
        ST(s->attempts, 0ul);
        ST(s->retries, 0ul);
        ST(s->throttles, 0ul);
        for (size_t e = 0; e <= DDB_ERR_CLIENT; e++)
            ST(s->errors[e], 0ul);
        ST(s->total_ms_bits, 0ull);
        for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++)
            ST(s->latency[b], 0ul);
        write_end(s, seq);
        size_t used = atomic_load(&sb->pool->used);
        if (i + 1 > used)
            atomic_store(&sb->pool->used, i + 1);
        *slot = i;
        return 0;
    }
    return -1;
}

/* Adds a slot's DynamoDB figures to the pool's retired totals (master only, inside its
 * retired_seq write). A slot whose worker died mid-update gives what it holds. */
static void
retire_ddb(struct sb_pool *p, const struct sb_slot *s)
{
    double total = 0, add = 0;
    uint64_t bits;

    ST(p->r_calls, LD(p->r_calls) + LD(s->calls));
    ST(p->r_attempts, LD(p->r_attempts) + LD(s->attempts));
    ST(p->r_retries, LD(p->r_retries) + LD(s->retries));
    ST(p->r_throttles, LD(p->r_throttles) + LD(s->throttles));
    for (size_t e = 0; e <= DDB_ERR_CLIENT; e++)
        ST(p->r_errors[e], LD(p->r_errors[e]) + LD(s->errors[e]));
    bits = LD(p->r_total_ms_bits);
    memcpy(&total, &bits, sizeof(bits));
    bits = LD(s->total_ms_bits);
    memcpy(&add, &bits, sizeof(bits));
    total += add;
    memcpy(&bits, &total, sizeof(bits));
    ST(p->r_total_ms_bits, (unsigned long long)bits);
    for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++)
        ST(p->r_latency[b], LD(p->r_latency[b]) + LD(s->latency[b]));
}

enum scoreboard_state
scoreboard_release(struct scoreboard *sb, size_t slot)
{
    struct sb_pool *p = sb->pool;
    struct sb_slot *s = &sb->slots[slot];
    unsigned rseq = atomic_load_explicit(&p->retired_seq, memory_order_relaxed) | 1u;
    atomic_store_explicit(&p->retired_seq, rseq, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    /* A slot already free (claimed, then released without a fork) holds zeros. */
    if (LD(s->state) != SCOREBOARD_FREE)
        retire_ddb(p, s);
    unsigned seq = write_begin(s);
    enum scoreboard_state was = (enum scoreboard_state)LD(s->state);
    /* Its worker is gone: a request it died in no longer runs. */
    if (atomic_exchange(&s->counted, 0) != 0)
        atomic_fetch_sub(&sb->pool->active, 1u);
    ST(s->pid, 0);
    ST(s->state, SCOREBOARD_FREE);
    write_end(s, seq);
    atomic_store_explicit(&p->retired_seq, rseq + 1u, memory_order_release);
    return was;
}

void
scoreboard_set_target(struct scoreboard *sb, unsigned workers)
{
    atomic_store(&sb->pool->target, workers);
}

void
scoreboard_count_slow(struct scoreboard *sb)
{
    atomic_fetch_add(&sb->pool->slow_requests, 1ul);
}

void
scoreboard_count_accept(struct scoreboard *sb, int empty)
{
    atomic_fetch_add_explicit(&sb->pool->accept_attempts, 1ul, memory_order_relaxed);
    if (empty)
        atomic_fetch_add_explicit(&sb->pool->accept_empty, 1ul, memory_order_relaxed);
}

void
scoreboard_worker_start(struct scoreboard *sb, size_t slot, pid_t pid)
{
    struct sb_slot *s = &sb->slots[slot];
    unsigned seq = write_begin(s);
    ST(s->pid, (int)pid);
    write_end(s, seq);
}

static void
set_state(struct scoreboard *sb, size_t slot, enum scoreboard_state state)
{
    struct sb_slot *s = &sb->slots[slot];
    unsigned seq = write_begin(s);
    ST(s->state, (int)state);
    if (state == SCOREBOARD_READING)
        ST(s->request_ms, scoreboard_now_ms());
    write_end(s, seq);
}

void
scoreboard_worker_idle(struct scoreboard *sb, size_t slot)
{
    set_state(sb, slot, SCOREBOARD_IDLE);
}

void
scoreboard_worker_connected(struct scoreboard *sb, size_t slot)
{
    set_state(sb, slot, SCOREBOARD_READING);
}

void
scoreboard_worker_exiting(struct scoreboard *sb, size_t slot)
{
    set_state(sb, slot, SCOREBOARD_EXITING);
}

void
scoreboard_worker_busy(struct scoreboard *sb, size_t slot, const char *method, const char *pattern)
{
    struct sb_pool *p = sb->pool;
    struct sb_slot *s = &sb->slots[slot];

    unsigned seq = write_begin(s);
    ST(s->state, SCOREBOARD_BUSY);
    set_route(s, method, pattern);
    write_end(s, seq);

    atomic_fetch_add(&p->accepted, 1ul);
    /* Counted before flagged: a worker killed in between leaves the figure one too high,
     * never wrapped below zero by the master's correction. */
    unsigned now = atomic_fetch_add(&p->active, 1u) + 1u;
    atomic_store(&s->counted, 1);
    unsigned max = atomic_load(&p->max_active);
    while (now > max && !atomic_compare_exchange_weak(&p->max_active, &max, now))
        ;
    /* Counted once as the pool fills, not once for every request while it is full. */
    if (now == atomic_load(&p->target))
        atomic_fetch_add(&p->max_children_reached, 1ul);
}

void
scoreboard_worker_done(struct scoreboard *sb, size_t slot, const struct ddb_stats *ddb)
{
    struct sb_slot *s = &sb->slots[slot];
    uint64_t bits = 0;

    if (atomic_exchange(&s->counted, 0) != 0)
        atomic_fetch_sub(&sb->pool->active, 1u);
    unsigned seq = write_begin(s);
    ST(s->requests, LD(s->requests) + 1ul);
    ST(s->state, SCOREBOARD_IDLE);
    if (ddb != NULL) {
        ST(s->calls, ddb->calls);
        ST(s->attempts, ddb->attempts);
        ST(s->retries, ddb->retries);
        ST(s->throttles, ddb->throttles);
        for (size_t e = 0; e <= DDB_ERR_CLIENT; e++)
            ST(s->errors[e], ddb->errors[e]);
        memcpy(&bits, &ddb->total_ms, sizeof(bits));
        ST(s->total_ms_bits, (unsigned long long)bits);
        for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++)
            ST(s->latency[b], ddb->latency[b]);
    }
    write_end(s, seq);
}

void
scoreboard_read_slot(const struct scoreboard *sb, size_t slot, struct scoreboard_worker *out)
{
    struct sb_slot *s = &sb->slots[slot];
    unsigned before = 0, after = 1;

    memset(out, 0, sizeof(*out));
    for (int tries = 0; tries < READ_TRIES && before != after; tries++) {
        if (tries > 0)
            sched_yield();
        before = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (before & 1u) {
            after = before + 1u;
            continue;
        }
        out->pid = (pid_t)LD(s->pid);
        out->generation = LD(s->generation);
        out->state = (enum scoreboard_state)LD(s->state);
        out->requests = LD(s->requests);
        out->started_ms = LD(s->started_ms);
        out->request_ms = LD(s->request_ms);
        for (size_t i = 0; i < SCOREBOARD_ROUTE_MAX; i++)
            out->route[i] = LD(s->route[i]);
        out->route[SCOREBOARD_ROUTE_MAX - 1] = '\0';
        out->ddb.calls = LD(s->calls);
        out->ddb.attempts = LD(s->attempts);
        out->ddb.retries = LD(s->retries);
        out->ddb.throttles = LD(s->throttles);
        for (size_t e = 0; e <= DDB_ERR_CLIENT; e++)
            out->ddb.errors[e] = LD(s->errors[e]);
        uint64_t bits = LD(s->total_ms_bits);
        memcpy(&out->ddb.total_ms, &bits, sizeof(bits));
        for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++)
            out->ddb.latency[b] = LD(s->latency[b]);
        atomic_thread_fence(memory_order_acquire);
        after = atomic_load_explicit(&s->seq, memory_order_relaxed);
    }
    out->slot = slot;
    out->consistent = before == after;
    if (!out->consistent) {
        /* Its writer died mid-update (the master frees the slot when it reaps it): report
         * what is there rather than wait for ever. */
        out->pid = (pid_t)LD(s->pid);
        out->generation = LD(s->generation);
        out->state = (enum scoreboard_state)LD(s->state);
    }
}

int
scoreboard_read(const struct scoreboard *sb, struct scoreboard_pool *pool,
                struct scoreboard_worker *workers, size_t cap, size_t *n)
{
    const struct sb_pool *p = sb->pool;
    size_t used = atomic_load(&p->used);
    int rc = 0;

    memset(pool, 0, sizeof(*pool));
    pool->start_time = (time_t)atomic_load(&p->start_time);
    pool->start_ms = atomic_load(&p->start_ms);
    pool->accepted = atomic_load(&p->accepted);
    pool->workers_target = atomic_load(&p->target);
    pool->max_active = atomic_load(&p->max_active);
    pool->max_children_reached = atomic_load(&p->max_children_reached);
    pool->slow_requests = atomic_load(&p->slow_requests);
    pool->accept_attempts = atomic_load(&p->accept_attempts);
    pool->accept_empty = atomic_load(&p->accept_empty);
    *n = 0;
    for (size_t i = 0; i < used && i < sb->nslots; i++) {
        struct scoreboard_worker w;
        scoreboard_read_slot(sb, i, &w);
        if (w.state == SCOREBOARD_FREE)
            continue;
        pool->total++;
        if (w.state == SCOREBOARD_IDLE)
            pool->idle++;
        else if (w.state == SCOREBOARD_READING || w.state == SCOREBOARD_BUSY)
            pool->active++;
        if (*n < cap)
            workers[(*n)++] = w;
        else
            rc = 1;
    }
    return rc;
}

static void
ddb_add(struct ddb_stats *to, const struct ddb_stats *from)
{
    to->calls += from->calls;
    to->attempts += from->attempts;
    to->retries += from->retries;
    to->throttles += from->throttles;
    for (size_t e = 0; e <= DDB_ERR_CLIENT; e++)
        to->errors[e] += from->errors[e];
    to->total_ms += from->total_ms;
    for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++)
        to->latency[b] += from->latency[b];
}

int
scoreboard_read_ddb(const struct scoreboard *sb, struct ddb_stats *out)
{
    const struct sb_pool *p = sb->pool;
    unsigned before = 0, after = 1;

    for (int tries = 0; tries < READ_TRIES && before != after; tries++) {
        if (tries > 0)
            sched_yield();
        memset(out, 0, sizeof(*out));
        before = atomic_load_explicit(&p->retired_seq, memory_order_acquire);
        if (before & 1u) {
            after = before + 1u;
            continue;
        }
        out->calls = LD(p->r_calls);
        out->attempts = LD(p->r_attempts);
        out->retries = LD(p->r_retries);
        out->throttles = LD(p->r_throttles);
        for (size_t e = 0; e <= DDB_ERR_CLIENT; e++)
            out->errors[e] = LD(p->r_errors[e]);
        uint64_t bits = LD(p->r_total_ms_bits);
        memcpy(&out->total_ms, &bits, sizeof(bits));
        for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++)
            out->latency[b] = LD(p->r_latency[b]);
        size_t used = atomic_load(&p->used);
        for (size_t i = 0; i < used && i < sb->nslots; i++) {
            struct scoreboard_worker w;
            scoreboard_read_slot(sb, i, &w);
            if (w.state != SCOREBOARD_FREE)
                ddb_add(out, &w.ddb);
        }
        atomic_thread_fence(memory_order_acquire);
        after = atomic_load_explicit(&p->retired_seq, memory_order_relaxed);
    }
    return before == after ? 0 : -1;
}
