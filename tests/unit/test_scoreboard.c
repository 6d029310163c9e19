/* The scoreboard: slots claimed and released by the master, written by their worker, read as
 * consistent snapshots across processes, and the pool's figures. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/check_main.h"
#include "server/scoreboard.h"

static struct scoreboard *
board(size_t n)
{
    struct scoreboard *sb = NULL;
    char errbuf[256];
    ck_assert_int_eq(scoreboard_new(n, &sb, errbuf, sizeof(errbuf)), 0);
    ck_assert_ptr_nonnull(sb);
    return sb;
}

static void
stats_all(struct ddb_stats *st, unsigned long k)
{
    memset(st, 0, sizeof(*st));
    st->calls = st->attempts = st->retries = st->throttles = k;
    for (size_t e = 0; e <= DDB_ERR_CLIENT; e++)
        st->errors[e] = k;
    st->total_ms = (double)k;
    for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++)
        st->latency[b] = k;
}

START_TEST(test_bad_sizes)
{
    struct scoreboard *sb = NULL;
    char errbuf[256];
    ck_assert_int_eq(scoreboard_new(0, &sb, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_null(sb);
    ck_assert_int_eq(scoreboard_new(1u << 20, &sb, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_null(sb);
    scoreboard_free(NULL);
}
END_TEST

START_TEST(test_claim_until_full)
{
    struct scoreboard *sb = board(3);
    size_t a, b, c, d;
    ck_assert_uint_eq(scoreboard_capacity(sb), 3);
    ck_assert_int_eq(scoreboard_claim(sb, 1, &a), 0);
    ck_assert_int_eq(scoreboard_claim(sb, 1, &b), 0);
    ck_assert_int_eq(scoreboard_claim(sb, 2, &c), 0);
    ck_assert(a != b && b != c && a != c);
    ck_assert_int_eq(scoreboard_claim(sb, 2, &d), -1);
    ck_assert_int_eq(scoreboard_release(sb, b), SCOREBOARD_STARTING);
    ck_assert_int_eq(scoreboard_claim(sb, 3, &d), 0);
    ck_assert_uint_eq(d, b);

    struct scoreboard_worker w;
    scoreboard_read_slot(sb, d, &w);
    ck_assert_int_eq(w.state, SCOREBOARD_STARTING);
    ck_assert_uint_eq(w.generation, 3);
    ck_assert_int_eq(w.pid, 0);
    ck_assert_int_eq(w.consistent, 1);
    scoreboard_free(sb);
}
END_TEST

START_TEST(test_worker_lifecycle)
{
    struct scoreboard *sb = board(4);
    struct scoreboard_worker w;
    struct ddb_stats st;
    size_t slot;

    ck_assert_int_eq(scoreboard_claim(sb, 7, &slot), 0);
    scoreboard_worker_start(sb, slot, 4242);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_int_eq(w.pid, 4242);
    ck_assert_int_eq(w.state, SCOREBOARD_STARTING);
    scoreboard_worker_idle(sb, slot);
    uint64_t before = scoreboard_now_ms();
    scoreboard_worker_connected(sb, slot);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_int_eq(w.state, SCOREBOARD_READING);
    ck_assert_uint_ge(w.request_ms, before);
    ck_assert_uint_le(w.request_ms, scoreboard_now_ms());

    scoreboard_worker_busy(sb, slot, "GET", "/api/companies/acme?cursor=secret");
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_int_eq(w.state, SCOREBOARD_BUSY);
    ck_assert_str_eq(w.route, "GET /api/companies/acme");
    ck_assert_uint_eq(w.requests, 0);

    stats_all(&st, 5);
    st.total_ms = 12.75;
    scoreboard_worker_done(sb, slot, &st);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_int_eq(w.state, SCOREBOARD_IDLE);
    ck_assert_uint_eq(w.requests, 1);
    ck_assert_uint_eq(w.generation, 7);
    ck_assert_uint_eq(w.ddb.calls, 5);
    ck_assert_uint_eq(w.ddb.errors[DDB_ERR_THROTTLED], 5);
    ck_assert_uint_eq(w.ddb.latency[DDB_LATENCY_BUCKETS - 1], 5);
    ck_assert_double_eq(w.ddb.total_ms, 12.75);
    /* The last route stays visible while idle, as php-fpm's "request uri" does. */
    ck_assert_str_eq(w.route, "GET /api/companies/acme");

    scoreboard_worker_exiting(sb, slot);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_int_eq(w.state, SCOREBOARD_EXITING);
    ck_assert_int_eq(scoreboard_release(sb, slot), SCOREBOARD_EXITING);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_int_eq(w.state, SCOREBOARD_FREE);
    scoreboard_free(sb);
}
END_TEST

START_TEST(test_route_is_bounded_and_printable)
{
    struct scoreboard *sb = board(1);
    struct scoreboard_worker w;
    char uri[300];
    size_t slot;

    ck_assert_int_eq(scoreboard_claim(sb, 1, &slot), 0);
    memset(uri, 'a', sizeof(uri) - 1);
    uri[0] = '/';
    uri[sizeof(uri) - 1] = '\0';
    scoreboard_worker_busy(sb, slot, "DELETE", uri);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_uint_eq(strlen(w.route), SCOREBOARD_ROUTE_MAX - 1);
    ck_assert_int_eq(strncmp(w.route, "DELETE /aaaa", 12), 0);

    scoreboard_worker_busy(sb, slot, "GET", "/a\nb\x1b[31m\x7f");
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_str_eq(w.route, "GET /a?b?[31m?");
    scoreboard_worker_busy(sb, slot, NULL, NULL);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_str_eq(w.route, "- -");
    scoreboard_free(sb);
}
END_TEST

START_TEST(test_pool_figures)
{
    struct scoreboard *sb = board(4);
    struct scoreboard_pool pool;
    struct scoreboard_worker ws[4];
    size_t a, b, c, n;

    scoreboard_set_target(sb, 2);
    ck_assert_int_eq(scoreboard_claim(sb, 1, &a), 0);
    ck_assert_int_eq(scoreboard_claim(sb, 1, &b), 0);
    ck_assert_int_eq(scoreboard_claim(sb, 1, &c), 0);
    scoreboard_worker_idle(sb, a);
    scoreboard_worker_idle(sb, b);
    scoreboard_worker_idle(sb, c);

    scoreboard_worker_busy(sb, a, "GET", "/api/health");
    scoreboard_worker_busy(sb, b, "GET", "/api/health");
    ck_assert_int_eq(scoreboard_read(sb, &pool, ws, 4, &n), 0);
    ck_assert_uint_eq(pool.max_children_reached, 1);
    ck_assert_uint_eq(pool.active, 2);
    ck_assert_uint_eq(pool.idle, 1);
    ck_assert_uint_eq(pool.total, 3);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(pool.workers_target, 2);
    ck_assert_uint_eq(pool.accept_attempts, 0);

    /* Accept attempts, and those that found nothing. */
    scoreboard_count_accept(sb, 0);
    scoreboard_count_accept(sb, 1);
    scoreboard_count_accept(sb, 0);
    ck_assert_int_eq(scoreboard_read(sb, &pool, ws, 4, &n), 0);
    ck_assert_uint_eq(pool.accept_attempts, 3);
    ck_assert_uint_eq(pool.accept_empty, 1);

    /* A third request while full is not a new time the pool filled up. */
    scoreboard_worker_busy(sb, c, "GET", "/api/health");
    scoreboard_worker_done(sb, a, NULL);
    scoreboard_worker_done(sb, b, NULL);
    scoreboard_worker_done(sb, c, NULL);
    ck_assert_int_eq(scoreboard_read(sb, &pool, ws, 4, &n), 0);
    ck_assert_uint_eq(pool.max_children_reached, 1);
    ck_assert_uint_eq(pool.max_active, 3);
    ck_assert_uint_eq(pool.accepted, 3);
    ck_assert_uint_eq(pool.active, 0);

    /* A worker killed in a request: the master's release takes it out of the active count,
     * so the next request alone does not count as a full pool. */
    scoreboard_worker_busy(sb, a, "GET", "/api/health");
    ck_assert_int_eq(scoreboard_release(sb, a), SCOREBOARD_BUSY);
    scoreboard_worker_busy(sb, b, "GET", "/api/health");
    ck_assert_int_eq(scoreboard_read(sb, &pool, ws, 4, &n), 0);
    ck_assert_uint_eq(pool.max_children_reached, 1);
    scoreboard_worker_busy(sb, c, "GET", "/api/health");
    ck_assert_int_eq(scoreboard_read(sb, &pool, ws, 4, &n), 0);
    ck_assert_uint_eq(pool.max_children_reached, 2);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ws[0].slot, b);
    ck_assert_uint_eq(ws[1].slot, c);

    scoreboard_count_slow(sb);
    scoreboard_count_slow(sb);
    ck_assert_int_eq(scoreboard_read(sb, &pool, ws, 1, &n), 1);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(pool.slow_requests, 2);
    ck_assert_uint_eq(pool.total, 2);
    ck_assert(pool.start_time > 0);
    ck_assert_uint_le(pool.start_ms, scoreboard_now_ms());
    scoreboard_free(sb);
}
END_TEST

/* What a worker writes after fork is what the master reads: the mapping is shared. */
START_TEST(test_shared_across_fork)
{
    struct scoreboard *sb = board(2);
    struct scoreboard_worker w;
    struct ddb_stats st;
    size_t slot;
    int status;

    ck_assert_int_eq(scoreboard_claim(sb, 1, &slot), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        scoreboard_worker_start(sb, slot, getpid());
        scoreboard_worker_busy(sb, slot, "POST", "/api/donors");
        stats_all(&st, 3);
        scoreboard_worker_done(sb, slot, &st);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    scoreboard_read_slot(sb, slot, &w);
    ck_assert_int_eq(w.pid, pid);
    ck_assert_uint_eq(w.requests, 1);
    ck_assert_str_eq(w.route, "POST /api/donors");
    ck_assert_uint_eq(w.ddb.retries, 3);
    scoreboard_free(sb);
}
END_TEST

/* A reader never sees half of an update: a child rewrites its slot with every figure equal
 * to a counter as fast as it can while the parent checks each copy it takes. */
START_TEST(test_snapshots_are_consistent)
{
    struct scoreboard *sb = board(1);
    struct scoreboard_worker w;
    size_t slot;
    int status;

    ck_assert_int_eq(scoreboard_claim(sb, 1, &slot), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct ddb_stats st;
        for (unsigned long k = 1;; k++) {
            stats_all(&st, k);
            scoreboard_worker_busy(sb, slot, "GET", (k & 1) ? "/odd" : "/even/longer/route");
            scoreboard_worker_done(sb, slot, &st);
        }
    }
    unsigned long changes = 0, last = 0;
    uint64_t start = scoreboard_now_ms();
    int ok = 1;
    /* 1.5 s of reads, longer (up to 20 s) until the writer was seen to change the slot often
     * enough: on a busy machine it may hardly be scheduled at first. */
    while (ok && (scoreboard_now_ms() < start + 1500 ||
                  (changes <= 100 && scoreboard_now_ms() < start + 20000))) {
        scoreboard_read_slot(sb, slot, &w);
        if (!w.consistent)
            continue;
        unsigned long k = w.ddb.calls;
        ok = w.ddb.attempts == k && w.ddb.retries == k && w.ddb.throttles == k &&
             w.ddb.errors[0] == k && w.ddb.errors[DDB_ERR_CLIENT] == k && w.ddb.latency[0] == k &&
             w.ddb.latency[DDB_LATENCY_BUCKETS - 1] == k && w.ddb.total_ms == (double)k;
        /* requests counts the done() calls, which set the figures to k: equal when read
         * between two updates; a busy slot already shows the next route. */
        if (ok && w.state == SCOREBOARD_IDLE)
            ok = w.requests == k &&
                 strcmp(w.route, (k & 1) ? "GET /odd" : "GET /even/longer/route") == 0;
        if (k != last)
            changes++;
        last = k;
    }
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(ok, "a snapshot mixed two updates (k=%lu, attempts=%lu, requests=%lu, route=%s)",
                  w.ddb.calls, w.ddb.attempts, w.requests, w.route);
    /* The writer really ran concurrently. */
    ck_assert_uint_gt(changes, 100);
    scoreboard_free(sb);
}
END_TEST

/* A worker killed at any moment, even mid-update, never makes a reader wait for ever, and
 * the master's release leaves the slot consistent and free. */
START_TEST(test_writer_killed_mid_update)
{
    struct scoreboard *sb = board(1);
    struct scoreboard_worker w;
    size_t slot;
    int status;

    for (int round = 0; round < 20; round++) {
        ck_assert_int_eq(scoreboard_claim(sb, 1, &slot), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            struct ddb_stats st;
            for (unsigned long k = 1;; k++) {
                stats_all(&st, k);
                scoreboard_worker_busy(sb, slot, "GET", "/x");
                scoreboard_worker_done(sb, slot, &st);
            }
        }
        usleep(2000 + (useconds_t)round * 500);
        kill(pid, SIGKILL);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        uint64_t t0 = scoreboard_now_ms();
        scoreboard_read_slot(sb, slot, &w);
        ck_assert_uint_lt(scoreboard_now_ms() - t0, 5000);
        scoreboard_release(sb, slot);
        scoreboard_read_slot(sb, slot, &w);
        ck_assert_int_eq(w.consistent, 1);
        ck_assert_int_eq(w.state, SCOREBOARD_FREE);
    }
    scoreboard_free(sb);
}
END_TEST

static Suite *
scoreboard_suite(void)
{
    Suite *s = suite_create("scoreboard");
    TCase *tc = tcase_create("slots");
    tcase_add_test(tc, test_bad_sizes);
    tcase_add_test(tc, test_claim_until_full);
    tcase_add_test(tc, test_worker_lifecycle);
    tcase_add_test(tc, test_route_is_bounded_and_printable);
    tcase_add_test(tc, test_pool_figures);
    tcase_add_test(tc, test_shared_across_fork);
    tcase_add_test(tc, test_snapshots_are_consistent);
    tcase_add_test(tc, test_writer_killed_mid_update);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(scoreboard_suite)
