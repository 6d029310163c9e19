/* The DynamoDB breaker on the scoreboard's shared memory: runs of failures trip it, probes
 * close or re-open it, lost probes are replaced, and every process shares one. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/check_main.h"
#include "server/breaker.h"
#include "server/scoreboard.h"

static struct scoreboard *
board(size_t n)
{
    struct scoreboard *sb = NULL;
    char errbuf[256];

    ck_assert_msg(scoreboard_new(n, &sb, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    return sb;
}

static enum breaker_admit
admit_at(struct scoreboard *sb, uint64_t now, struct breaker_ticket *t)
{
    breaker_admit(sb, now, 30000, t);
    return t->admit;
}

/* One request admitted at now that ended with the outcome; whether it moved the breaker. */
static int
request_at(struct scoreboard *sb, uint64_t now, enum breaker_outcome outcome)
{
    struct breaker_ticket t;

    admit_at(sb, now, &t);
    return breaker_report(sb, now, &t, outcome);
}

static enum breaker_state
read_state(struct scoreboard *sb, struct breaker_figures *b)
{
    breaker_read(sb, b);
    return b->state;
}

START_TEST(test_breaker_trips_on_failures_in_a_row)
{
    struct scoreboard *sb = board(2);
    struct breaker_ticket t;
    struct breaker_figures b;
    uint64_t now = scoreboard_now_ms();

    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert_uint_eq(b.trips, 0);
    ck_assert_int_eq(admit_at(sb, now, &t), BREAKER_PASS);
    /* Two failures, a success: the run starts over. */
    request_at(sb, now, BREAKER_FAILED);
    request_at(sb, now + 10, BREAKER_FAILED);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert_uint_eq(b.failures, 2);
    request_at(sb, now + 20, BREAKER_OK);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert_uint_eq(b.failures, 0);
    /* Requests without a DynamoDB call say nothing either way. */
    request_at(sb, now + 30, BREAKER_FAILED);
    request_at(sb, now + 40, BREAKER_NONE);
    ck_assert_int_eq(request_at(sb, now + 50, BREAKER_FAILED), 0);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert_int_eq(request_at(sb, now + 60, BREAKER_FAILED), 1);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_OPEN);
    ck_assert_uint_eq(b.trips, 1);
    ck_assert_uint_eq(b.since_ms, now + 60);

    /* Open: refused at once, with the cool-down's rest as Retry-After. */
    ck_assert_int_eq(admit_at(sb, now + 100, &t), BREAKER_REJECT);
    ck_assert_uint_eq(t.retry_after_s, 1);
    /* Late outcomes of requests admitted before the trip change nothing. */
    ck_assert_int_eq(request_at(sb, now + 200, BREAKER_FAILED), 0);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_OPEN);
    ck_assert_uint_eq(b.trips, 1);
    scoreboard_free(sb);
}
END_TEST

START_TEST(test_breaker_failures_far_apart_are_no_run)
{
    struct scoreboard *sb = board(1);
    struct breaker_figures b;
    uint64_t now = scoreboard_now_ms();

    for (int i = 0; i < 5; i++)
        request_at(sb, now + (uint64_t)i * 10001, BREAKER_FAILED);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert_uint_eq(b.failures, 1);
    ck_assert_uint_eq(b.trips, 0);
    scoreboard_free(sb);
}
END_TEST

/* Trips the breaker at now. */
static void
trip_at(struct scoreboard *sb, uint64_t now)
{
    for (int i = 0; i < 3; i++)
        request_at(sb, now, BREAKER_FAILED);
}

START_TEST(test_breaker_probes_close_it)
{
    struct scoreboard *sb = board(1);
    struct breaker_ticket p1, p2, t;
    struct breaker_figures b;
    uint64_t now = scoreboard_now_ms();

    trip_at(sb, now);
    ck_assert_int_eq(admit_at(sb, now + 999, &t), BREAKER_REJECT);
    /* After the cool-down, two probes and no more. */
    ck_assert_int_eq(admit_at(sb, now + 1000, &p1), BREAKER_PROBE);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_HALF_OPEN);
    ck_assert_int_eq(admit_at(sb, now + 1001, &p2), BREAKER_PROBE);
    ck_assert_int_eq(admit_at(sb, now + 1002, &t), BREAKER_REJECT);
    ck_assert_uint_eq(t.retry_after_s, 1);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_HALF_OPEN);
    ck_assert_uint_eq(b.probes, 2);
    /* A probe that needed no call after all gives its place back. */
    ck_assert_int_eq(breaker_report(sb, now + 1003, &p2, BREAKER_NONE), 0);
    ck_assert_int_eq(admit_at(sb, now + 1004, &p2), BREAKER_PROBE);
    /* One that reached DynamoDB closes it. */
    ck_assert_int_eq(breaker_report(sb, now + 1100, &p1, BREAKER_OK), 1);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert_uint_eq(b.trips, 1);
    ck_assert_int_eq(admit_at(sb, now + 1101, &t), BREAKER_PASS);
    /* The other probe's late failure belongs to a period that is over. */
    ck_assert_int_eq(breaker_report(sb, now + 1200, &p2, BREAKER_FAILED), 0);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert_uint_eq(b.failures, 0);
    scoreboard_free(sb);
}
END_TEST

/* Whether an admitted request may go on with its next DynamoDB attempt: while closed; once
 * open, not any more; half-open, only the probes of the current period. */
START_TEST(test_breaker_allows_admitted_requests_on)
{
    struct scoreboard *sb = board(1);
    struct breaker_ticket pass, p1, p2, t;
    struct breaker_figures b;
    uint64_t now = scoreboard_now_ms();

    ck_assert_int_eq(admit_at(sb, now, &pass), BREAKER_PASS);
    ck_assert(breaker_allows(sb, &pass));
    trip_at(sb, now);
    ck_assert(!breaker_allows(sb, &pass));
    ck_assert_int_eq(admit_at(sb, now + 10, &t), BREAKER_REJECT);
    ck_assert(!breaker_allows(sb, &t));
    ck_assert_int_eq(admit_at(sb, now + 1000, &p1), BREAKER_PROBE);
    ck_assert(breaker_allows(sb, &p1));
    ck_assert(!breaker_allows(sb, &pass));
    /* The probe's first failed attempt opens it again: the probe stops too. */
    ck_assert_int_eq(breaker_report(sb, now + 1500, &p1, BREAKER_FAILED), 1);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_OPEN);
    ck_assert(!breaker_allows(sb, &p1));
    /* A probe of an earlier period is not one of the next. */
    ck_assert_int_eq(admit_at(sb, now + 2500, &p2), BREAKER_PROBE);
    ck_assert(breaker_allows(sb, &p2));
    ck_assert(!breaker_allows(sb, &p1));
    ck_assert_int_eq(breaker_report(sb, now + 2510, &p2, BREAKER_OK), 1);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    ck_assert(breaker_allows(sb, &pass));
    ck_assert(breaker_allows(sb, &p1));
    ck_assert(!breaker_allows(sb, &t));
    scoreboard_free(sb);
}
END_TEST

START_TEST(test_breaker_failed_probe_reopens)
{
    struct scoreboard *sb = board(1);
    struct breaker_ticket p1, p2, t;
    struct breaker_figures b;
    uint64_t now = scoreboard_now_ms();

    trip_at(sb, now);
    ck_assert_int_eq(admit_at(sb, now + 1500, &p1), BREAKER_PROBE);
    ck_assert_int_eq(admit_at(sb, now + 1500, &p2), BREAKER_PROBE);
    ck_assert_int_eq(breaker_report(sb, now + 4000, &p1, BREAKER_FAILED), 1);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_OPEN);
    ck_assert_uint_eq(b.since_ms, now + 4000);
    ck_assert_uint_eq(b.trips, 1); /* a re-open is no new trip */
    ck_assert_int_eq(admit_at(sb, now + 4100, &t), BREAKER_REJECT);
    /* The second probe of the failed period neither closes nor re-opens anything. */
    breaker_report(sb, now + 4200, &p2, BREAKER_OK);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_OPEN);
    /* A new cool-down, new probes. */
    ck_assert_int_eq(admit_at(sb, now + 5000, &p1), BREAKER_PROBE);
    breaker_report(sb, now + 5010, &p1, BREAKER_OK);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    /* It trips again on a new run, and counts it. */
    trip_at(sb, now + 6000);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_OPEN);
    ck_assert_uint_eq(b.trips, 2);
    scoreboard_free(sb);
}
END_TEST

/* Probes whose workers were killed never report: after stale_ms their places are taken back. */
START_TEST(test_breaker_lost_probes_are_replaced)
{
    struct scoreboard *sb = board(1);
    struct breaker_ticket p1, p2, t;
    struct breaker_figures b;
    uint64_t now = scoreboard_now_ms();

    trip_at(sb, now);
    ck_assert_int_eq(admit_at(sb, now + 1000, &p1), BREAKER_PROBE);
    ck_assert_int_eq(admit_at(sb, now + 1000, &p2), BREAKER_PROBE);
    ck_assert_int_eq(admit_at(sb, now + 1000 + 30000, &t), BREAKER_REJECT);
    ck_assert_int_eq(admit_at(sb, now + 1000 + 30001, &t), BREAKER_PROBE);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_HALF_OPEN);
    ck_assert_uint_eq(b.probes, 1);
    /* A lost probe's very late answer is not this period's. */
    breaker_report(sb, now + 40000, &p1, BREAKER_FAILED);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_HALF_OPEN);
    breaker_report(sb, now + 40001, &t, BREAKER_OK);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_CLOSED);
    scoreboard_free(sb);
}
END_TEST

/* Workers in other processes share one breaker: 16 children race to be probes and at most
 * two win; the failures they report trip it for the parent. */
START_TEST(test_breaker_shared_across_processes)
{
    enum { KIDS = 16 };
    struct scoreboard *sb = board(KIDS);
    struct breaker_figures b;
    pid_t pids[KIDS];
    int status, probes = 0, go[2];
    uint64_t now;

    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            request_at(sb, scoreboard_now_ms(), BREAKER_FAILED);
            _exit(0);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    }
    ck_assert_int_eq(read_state(sb, &b), BREAKER_OPEN);
    ck_assert_uint_eq(b.trips, 1);

    now = scoreboard_now_ms() + 1000;
    ck_assert_int_eq(pipe(go), 0);
    for (int i = 0; i < KIDS; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            struct breaker_ticket t;
            char c;
            close(go[1]);
            /* All start together when the parent closes the pipe. */
            if (read(go[0], &c, 1) < 0)
                _exit(3);
            _exit(admit_at(sb, now, &t) == BREAKER_PROBE ? 1 : 0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int i = 0; i < KIDS; i++) {
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
        probes += WEXITSTATUS(status);
    }
    ck_assert_int_eq(probes, 2);
    ck_assert_int_eq(read_state(sb, &b), BREAKER_HALF_OPEN);
    ck_assert_uint_eq(b.probes, 2);
    scoreboard_free(sb);
}
END_TEST

static Suite *
breaker_suite(void)
{
    Suite *s = suite_create("breaker");
    TCase *tc = tcase_create("breaker");
    tcase_add_test(tc, test_breaker_trips_on_failures_in_a_row);
    tcase_add_test(tc, test_breaker_failures_far_apart_are_no_run);
    tcase_add_test(tc, test_breaker_probes_close_it);
    tcase_add_test(tc, test_breaker_failed_probe_reopens);
    tcase_add_test(tc, test_breaker_allows_admitted_requests_on);
    tcase_add_test(tc, test_breaker_lost_probes_are_replaced);
    tcase_add_test(tc, test_breaker_shared_across_processes);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(breaker_suite)
