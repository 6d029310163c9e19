/* Retry policy: exponential backoff with full jitter. */
#include "retry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

/* Any fixed non-zero value: xorshift never leaves the all-zero state. */
#define RETRY_STATE_NONZERO 0x9e3779b97f4a7c15ULL

void
retry_policy_default(struct retry_policy *p)
{
    if (p == NULL)
        return;
    p->max_attempts = 10;
    p->base_ms = 25;
    p->cap_ms = 2000;
    p->total_ms = 20000;
}

/* xorshift64* (Vigna): small, fast, and good enough to spread waits apart. */
static uint64_t
rnd_next(uint64_t *state)
{
    uint64_t x = *state;

    if (x == 0)
        x = RETRY_STATE_NONZERO;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, bound) without modulo bias: redraw the few values of the last, partial
 * block. bound > 0. */
static uint64_t
rnd_below(uint64_t *state, uint64_t bound)
{
    uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
    uint64_t r;

    do {
        r = rnd_next(state);
    } while (r < threshold);
    return r % bound;
}

/* min(limit, base * 2^(retry-1)), doubling with a check so no retry number overflows. */
static long
backoff_ceiling(long base, int retry, long limit)
{
    long ceiling = base < limit ? base : limit;
    int i;

    for (i = 1; i < retry && ceiling < limit; i++) {
        if (ceiling > limit / 2)
            return limit;
        ceiling *= 2;
    }
    return ceiling;
}

long
retry_backoff_ms(const struct retry_policy *p, int retry, uint64_t *rnd)
{
    long limit, ceiling;

    if (p == NULL || retry < 1 || p->base_ms <= 0)
        return 0;
    /* No cap configured: only the range of long bounds the wait (the deadline still does). */
    limit = p->cap_ms > 0 ? p->cap_ms : LONG_MAX;
    ceiling = backoff_ceiling(p->base_ms, retry, limit);
    /* Without a random state there is no jitter: the longest wait, never a shorter one. */
    if (rnd == NULL)
        return ceiling;
    return (long)rnd_below(rnd, (uint64_t)ceiling + 1);
}

/* splitmix64's finalizer: spreads weak inputs (pid, time) over all 64 bits. */
static uint64_t
mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int
read_urandom(uint64_t *out)
{
    unsigned char *p = (unsigned char *)out;
    size_t got = 0;
    int fd, ok = 0;

    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    while (got < sizeof(*out)) {
        ssize_t n = read(fd, p + got, sizeof(*out) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto done;
        got += (size_t)n;
    }
    ok = 1;
done:
    close(fd);
    return ok;
}

void
retry_seed(uint64_t *rnd)
{
    struct timespec ts = {0, 0};
    uint64_t urandom = 0, seed;

    if (rnd == NULL)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* The pid and the time always go in, so forked workers differ even without urandom. */
    seed = mix64((uint64_t)getpid() ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec);
    if (read_urandom(&urandom))
        seed ^= urandom;
    *rnd = seed != 0 ? seed : RETRY_STATE_NONZERO;
}
