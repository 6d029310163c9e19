/* The systemd notify protocol (sd_notify(3)), spoken without libsystemd: one datagram a
 * message, "KEY=VALUE" lines, to the unix socket NOTIFY_SOCKET names (a path, or an abstract
 * address written with a leading '@'). Only the master sends; workers close it after fork.
 * With NOTIFY_SOCKET unset every call returns at once. */
#ifndef SAVEALIFE_NOTIFY_H
#define SAVEALIFE_NOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "server/log.h"

/* Longest STATUS= text sent; longer ones are cut. */
#define NOTIFY_STATUS_MAX 256

struct notify {
    int fd; /* datagram socket; -1: disabled */
    struct sockaddr_un addr;
    socklen_t addrlen;
    char describe[112];       /* NOTIFY_SOCKET as given, for logs */
    uint64_t watchdog_ms;     /* between WATCHDOG=1 messages (half WATCHDOG_USEC); 0: none */
    uint64_t watchdog_due_ms; /* when the next one is due, on the caller's monotonic clock */
    int failing;              /* a failed send was logged; more are not until one succeeds */
    const struct log *log;
};

/* Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, then removes them from the environment
 * so that nothing started later takes them for its own. A malformed value is logged as a
 * warning and disables what it configures; it never stops the program. now_ms is the
 * caller's monotonic clock (scoreboard_now_ms). Returns 1 when messages will be sent, else 0. */
int notify_open(struct notify *n, const struct log *lg, uint64_t now_ms);

/* READY=1, RELOADING=1 (with MONOTONIC_USEC, CLOCK_MONOTONIC in microseconds), STOPPING=1,
 * each with a STATUS= line; or the STATUS= line alone. Control characters in status become
 * spaces. Return 0 when sent (or disabled), -1 when the send failed (logged, first failure
 * only). */
/* READY=1: started, or a reload is over. */
int notify_ready(struct notify *n, const char *status);
/* RELOADING=1 with MONOTONIC_USEC: a reload begins. */
int notify_reloading(struct notify *n, const char *status);
/* STOPPING=1: a graceful stop begins. */
int notify_stopping(struct notify *n, const char *status);
/* The STATUS= line alone. */
int notify_status(struct notify *n, const char *status);

/* Sends WATCHDOG=1 when one is due at now_ms. Returns 1 when it sent one, 0 when none was
 * due (or the watchdog is off), -1 when the send failed. */
int notify_watchdog(struct notify *n, uint64_t now_ms);

/* ms shortened so that a loop sleeping that long wakes up when the next WATCHDOG=1 is due. */
int notify_sleep_ms(const struct notify *n, uint64_t now_ms, int ms);

/* Closes the socket: in a worker after fork, and in the master at exit. Safe to call twice. */
void notify_close(struct notify *n);

#endif
