#include "server/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"

/* "RELOADING=1\nMONOTONIC_USEC=<20 digits>\nSTATUS=<status>\n" and the like. */
#define NOTIFY_MSG_MAX (NOTIFY_STATUS_MAX + 96)

/* A decimal number of digits only, without sign or spaces, into *out. */
static int
notify_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10u)
            return -1;
        v = v * 10u + d;
    }
    *out = v;
    return 0;
}

/* NOTIFY_SOCKET into the address: "/path" or "@abstract". Returns 0, or -1 with why set. */
static int
notify_address(struct notify *n, const char *spec, const char **why)
{
    size_t len = strlen(spec);

    memset(&n->addr, 0, sizeof(n->addr));
    n->addr.sun_family = AF_UNIX;
    if (len == 0 || (spec[0] != '/' && spec[0] != '@')) {
        *why = "it is neither an absolute path nor an abstract address starting with '@'";
        return -1;
    }
    if (len == 1 && spec[0] == '@') {
        *why = "the abstract address is empty";
        return -1;
    }
    /* A path needs its terminating NUL; an abstract address puts a NUL in place of the '@'. */
    if (len >= sizeof(n->addr.sun_path)) {
        *why = "it is longer than a unix socket address can be";
        return -1;
    }
    memcpy(n->addr.sun_path, spec, len);
    if (spec[0] == '@') {
        n->addr.sun_path[0] = '\0';
        n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    }
    return 0;
}

/* WATCHDOG_USEC and WATCHDOG_PID: the watchdog is ours when the interval is set and the pid,
 * if given, is this process. */
static void
notify_watchdog_setup(struct notify *n, uint64_t now_ms)
{
    const char *usec_s = getenv("WATCHDOG_USEC");
    const char *pid_s = getenv("WATCHDOG_PID");
    uint64_t usec = 0, pid = 0;

    n->watchdog_ms = 0;
    if (usec_s == NULL)
        return;
    if (notify_parse_u64(usec_s, &usec) != 0 || usec == 0) {
        log_msg(n->log, CONFIG_LOG_WARN,
                "WATCHDOG_USEC \"%.32s\" is not a positive number of microseconds: no watchdog "
                "messages",
                usec_s);
        return;
    }
    if (pid_s != NULL) {
        if (notify_parse_u64(pid_s, &pid) != 0 || pid == 0) {
            log_msg(n->log, CONFIG_LOG_WARN,
                    "WATCHDOG_PID \"%.32s\" is not a process id: no watchdog messages", pid_s);
            return;
        }
        if (pid != (uint64_t)getpid()) {
            log_msg(n->log, CONFIG_LOG_DEBUG,
                    "WATCHDOG_PID %s is another process: the watchdog is not ours", pid_s);
            return;
        }
    }
    /* Half the interval, as sd_watchdog_enabled(3) advises: a late tick is not a missed one. */
    n->watchdog_ms = usec / 2000u;
    if (n->watchdog_ms == 0)
        n->watchdog_ms = 1;
    n->watchdog_due_ms = now_ms;
}

int
notify_open(struct notify *n, const struct log *lg, uint64_t now_ms)
{
    const char *spec = getenv("NOTIFY_SOCKET");
    const char *why = NULL;

    memset(n, 0, sizeof(*n));
    n->fd = -1;
    n->log = lg;
    if (spec == NULL)
        goto out;
    snprintf(n->describe, sizeof(n->describe), "%s", spec);
    if (notify_address(n, spec, &why) != 0) {
        log_msg(lg, CONFIG_LOG_WARN,
                "NOTIFY_SOCKET \"%.100s\" is unusable: %s; systemd is not told", spec, why);
        goto out;
    }
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (n->fd < 0) {
        log_msg(lg, CONFIG_LOG_WARN,
                "NOTIFY_SOCKET: cannot create a socket: %s; systemd is not told", strerror(errno));
        goto out;
    }
    notify_watchdog_setup(n, now_ms);
    log_msg(lg, CONFIG_LOG_DEBUG, "telling systemd through %s; watchdog every %llu ms", n->describe,
            (unsigned long long)n->watchdog_ms);
out:
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    return n->fd >= 0;
}

/* One datagram. It never waits: a receiver that stopped reading must not stall the master. */
static int
notify_send(struct notify *n, const char *msg, size_t len)
{
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
    struct msghdr mh;

    memset(&mh, 0, sizeof(mh));
    mh.msg_name = &n->addr;
    mh.msg_namelen = n->addrlen;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (sendmsg(n->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
        n->failing = 0;
        return 0;
    }
    if (!n->failing)
        log_msg(n->log, CONFIG_LOG_WARN,
                "cannot tell systemd through %s: %s (further failures are not logged)", n->describe,
                strerror(errno));
    n->failing = 1;
    return -1;
}

/* head, then "STATUS=<status>\n" with control characters as spaces. */
static int
notify_with_status(struct notify *n, const char *head, const char *status)
{
    char msg[NOTIFY_MSG_MAX];

    if (n->fd < 0)
        return 0;
    int len = snprintf(msg, sizeof(msg), "%sSTATUS=", head);
    if (len < 0 || (size_t)len >= sizeof(msg))
        return -1;
    size_t at = (size_t)len;
    for (size_t i = 0; status[i] != '\0' && i < NOTIFY_STATUS_MAX; i++) {
        unsigned char c = (unsigned char)status[i];
        msg[at++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    msg[at++] = '\n';
    return notify_send(n, msg, at);
}

int
notify_ready(struct notify *n, const char *status)
{
    return notify_with_status(n, "READY=1\n", status);
}

int
notify_reloading(struct notify *n, const char *status)
{
    int64_t us;
    char head[64];

    if (n->fd < 0)
        return 0;
    /* systemd 253 and later match the reload to its request by this stamp. */
    if ((us = clock_now_us()) <= 0)
        return notify_with_status(n, "RELOADING=1\n", status);
    snprintf(head, sizeof(head), "RELOADING=1\nMONOTONIC_USEC=%lld\n", (long long)us);
    return notify_with_status(n, head, status);
}

int
notify_stopping(struct notify *n, const char *status)
{
    return notify_with_status(n, "STOPPING=1\n", status);
}

int
notify_status(struct notify *n, const char *status)
{
    return notify_with_status(n, "", status);
}

int
notify_watchdog(struct notify *n, uint64_t now_ms)
{
    static const char msg[] = "WATCHDOG=1\n";

    if (n->fd < 0 || n->watchdog_ms == 0 || now_ms < n->watchdog_due_ms)
        return 0;
    /* From now rather than from when it was due: a late loop does not send a burst. */
    n->watchdog_due_ms = now_ms + n->watchdog_ms;
    return notify_send(n, msg, sizeof(msg) - 1) == 0 ? 1 : -1;
}

int
notify_sleep_ms(const struct notify *n, uint64_t now_ms, int ms)
{
    if (n->fd < 0 || n->watchdog_ms == 0)
        return ms;
    if (n->watchdog_due_ms <= now_ms)
        return 0;
    uint64_t left = n->watchdog_due_ms - now_ms;
    return left < (uint64_t)ms ? (int)left : ms;
}

void
notify_close(struct notify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
