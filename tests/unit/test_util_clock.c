/* Unit tests for src/util/clock.c: the clock is monotonic, in the units it says, and a sleep
 * lasts at least what was asked, even when a signal arrives during it. */
#include "../lib/check_main.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "util/clock.h"

START_TEST(test_clock_units_agree)
{
    int64_t ms = clock_now_ms(), us = clock_now_us(), ms2 = clock_now_ms();

    ck_assert(ms > 0);
    ck_assert(us / 1000 >= ms && us / 1000 <= ms2);
}
END_TEST

START_TEST(test_clock_sleep_lasts)
{
    int64_t start = clock_now_ms();

    clock_sleep_ms(30);
    ck_assert(clock_now_ms() - start >= 30);
    /* Nothing to wait for. */
    start = clock_now_ms();
    clock_sleep_ms(0);
    clock_sleep_ms(-5);
    ck_assert(clock_now_ms() - start < 20);
}
END_TEST

static void
on_alarm(int sig)
{
    (void)sig;
}

/* A timer's signal every 5 ms interrupts the sleep; it must still last the whole time. */
START_TEST(test_clock_sleep_survives_signals)
{
    struct sigaction sa;
    struct itimerval it = {{0, 5000}, {0, 5000}}, off = {{0, 0}, {0, 0}};
    int64_t start;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
    start = clock_now_ms();
    clock_sleep_ms(60);
    ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
    ck_assert(clock_now_ms() - start >= 60);
}
END_TEST

static Suite *
clock_suite(void)
{
    Suite *s = suite_create("util_clock");
    TCase *tc = tcase_create("clock");

    tcase_add_test(tc, test_clock_units_agree);
    tcase_add_test(tc, test_clock_sleep_lasts);
    tcase_add_test(tc, test_clock_sleep_survives_signals);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(clock_suite)
