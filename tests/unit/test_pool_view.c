/* Unit tests for src/server/pool_view.c: the scoreboard as the api sees it (api/pool.h):
 * figures, worker rows and their states, and the breaker driven through the view. */
#include <string.h>

#include "../lib/check_main.h"
#include "server/pool_view.h"

static struct scoreboard *
board(size_t n)
{
    struct scoreboard *sb = NULL;
    char errbuf[256];

    ck_assert_msg(scoreboard_new(n, &sb, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    return sb;
}

START_TEST(test_rows_and_figures)
{
    struct scoreboard *sb = board(3);
    struct api_pool view;
    struct api_pool_figures fig;
    struct api_worker_row rows[3];
    struct ddb_stats ddb;
    size_t a, b, n = 99;

    pool_view_fill(&view, sb);
    ck_assert_uint_eq(view.capacity(view.ctx), 3);
    ck_assert_int_eq(scoreboard_claim(sb, 4, &a), 0);
    ck_assert_int_eq(scoreboard_claim(sb, 4, &b), 0);
    scoreboard_worker_start(sb, a, 1111);
    scoreboard_worker_connected(sb, a);
    scoreboard_worker_start(sb, b, 2222);
    scoreboard_worker_idle(sb, b);
    ck_assert_int_eq(view.read(view.ctx, &fig, rows, 3, &n, &ddb), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(fig.total, 2);
    ck_assert_uint_eq(fig.active, 1);
    ck_assert_uint_eq(fig.idle, 1);
    ck_assert_int_eq(rows[0].pid, 1111);
    ck_assert_int_eq(rows[0].state, API_WORKER_READING);
    ck_assert_uint_eq(rows[0].generation, 4);
    ck_assert_int_eq(rows[1].state, API_WORKER_IDLE);

    scoreboard_worker_busy(sb, a, "GET", "/api/companies/{id}");
    ck_assert_int_eq(view.read(view.ctx, &fig, rows, 3, &n, &ddb), 0);
    ck_assert_int_eq(rows[0].state, API_WORKER_BUSY);
    ck_assert_str_eq(rows[0].route, "GET /api/companies/{id}");
    ck_assert_uint_eq(fig.accepted, 1);
    scoreboard_worker_exiting(sb, b);
    ck_assert_int_eq(view.read(view.ctx, &fig, rows, 3, &n, &ddb), 0);
    ck_assert_int_eq(rows[1].state, API_WORKER_EXITING);
    scoreboard_free(sb);
}
END_TEST

START_TEST(test_breaker_through_the_view)
{
    struct scoreboard *sb = board(1);
    struct api_pool view;
    struct api_breaker_ticket t, probe;
    struct api_breaker_figures br;
    uint64_t now = scoreboard_now_ms();
    int moved = 0;

    pool_view_fill(&view, sb);
    view.breaker(view.ctx, &br);
    ck_assert_int_eq(br.state, API_BREAKER_CLOSED);
    view.admit(view.ctx, now, 10000, &t);
    ck_assert_int_eq(t.admit, API_BREAKER_PASS);
    ck_assert_int_eq(view.allows(view.ctx, &t), 1);
    /* Failed attempts in a row open it: the report that does says so. */
    for (int i = 0; i < 3; i++)
        moved = view.report(view.ctx, now + (uint64_t)i, &t, API_BREAKER_FAILED);
    ck_assert_int_eq(moved, 1);
    view.breaker(view.ctx, &br);
    ck_assert_int_eq(br.state, API_BREAKER_OPEN);
    ck_assert_uint_eq(br.trips, 1);
    ck_assert_int_eq(view.allows(view.ctx, &t), 0);
    view.admit(view.ctx, now + 10, 10000, &t);
    ck_assert_int_eq(t.admit, API_BREAKER_REJECT);
    ck_assert_uint_ge(t.retry_after_s, 1);
    /* After the cool-down a probe goes through; one that reaches DynamoDB closes it. */
    view.admit(view.ctx, now + 5000, 10000, &probe);
    ck_assert_int_eq(probe.admit, API_BREAKER_PROBE);
    view.breaker(view.ctx, &br);
    ck_assert_int_eq(br.state, API_BREAKER_HALF_OPEN);
    ck_assert_int_eq(view.allows(view.ctx, &probe), 1);
    ck_assert_int_eq(view.report(view.ctx, now + 5001, &probe, API_BREAKER_OK), 1);
    view.breaker(view.ctx, &br);
    ck_assert_int_eq(br.state, API_BREAKER_CLOSED);
    scoreboard_free(sb);
}
END_TEST

static Suite *
pool_view_suite(void)
{
    Suite *s = suite_create("pool_view");
    TCase *tc = tcase_create("view");

    tcase_add_test(tc, test_rows_and_figures);
    tcase_add_test(tc, test_breaker_through_the_view);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(pool_view_suite)
