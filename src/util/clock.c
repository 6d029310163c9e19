/* Signed milliseconds, so that "deadline - now" is negative once a deadline has passed. */
#include "util/clock.h"

#include <errno.h>
#include <time.h>

static int
clock_read(struct timespec *ts)
{
    return clock_gettime(CLOCK_MONOTONIC, ts);
}

int64_t
clock_now_ms(void)
{
    struct timespec ts;

    if (clock_read(&ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_now_us(void)
{
    struct timespec ts;

    if (clock_read(&ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_sleep_ms(int64_t ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    /* A signal must not cut the wait short and turn a caller's wait into a busy poll. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
