/* The monotonic clock every layer measures time on, and a sleep. */
#ifndef SAVEALIFE_UTIL_CLOCK_H
#define SAVEALIFE_UTIL_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (0 if it failed, which it does not on Linux). */
int64_t clock_now_ms(void);

/* Microseconds on CLOCK_MONOTONIC (0 if it failed). */
int64_t clock_now_us(void);

/* Sleeps ms milliseconds, resuming after a signal; nothing for ms <= 0. */
void clock_sleep_ms(int64_t ms);

#endif
