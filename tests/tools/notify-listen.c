/* notify-listen: the receiving end of the systemd notify protocol, for tests.
 *
 *   notify-listen SOCKET [WATCH_FILE]
 *
 * Binds a unix datagram socket at SOCKET (a path, or "@name" for an abstract address), prints
 * "listening SOCKET" once it is bound, then one line for each KEY=VALUE line of each message:
 *
 *   MESSAGE_NUMBER MONOTONIC_USEC WATCH_SIZE SENDER_PID KEY=VALUE
 *
 * MONOTONIC_USEC is CLOCK_MONOTONIC when the message arrived, WATCH_SIZE the size of
 * WATCH_FILE at that moment (-1 without one), so that a test can tell which log lines were
 * written before a message came; SENDER_PID is the sender's pid as the kernel vouches for it
 * (SCM_CREDENTIALS), as systemd's NotifyAccess= checks it. Output is flushed after each
 * message. Runs until SIGTERM or SIGINT, then removes a socket file it made. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 65536

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static long long
watch_size(const char *path)
{
    struct stat st;
    if (path == NULL || stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}

static unsigned long long
monotonic_usec(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
}

/* Prints every non-empty line of one message, prefixed. */
static void
print_message(unsigned long n, unsigned long long usec, long long size, long pid, const char *msg,
              size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && msg[i] != '\n')
            continue;
        if (i > start)
            printf("%lu %llu %lld %ld %.*s\n", n, usec, size, pid, (int)(i - start), msg + start);
        start = i + 1;
    }
    fflush(stdout);
}

int
main(int argc, char *argv[])
{
    struct sockaddr_un sa;
    socklen_t salen;
    struct sigaction act;
    static char buf[MSG_MAX + 1];
    unsigned long count = 0;
    int one = 1;
    int fd = -1;
    int bound_path = 0;
    int rc = 1;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: notify-listen SOCKET [WATCH_FILE]\n");
        return 2;
    }
    const char *spec = argv[1];
    const char *watch = argc == 3 ? argv[2] : NULL;
    size_t len = strlen(spec);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (len < 2 || len >= sizeof(sa.sun_path) || (spec[0] != '/' && spec[0] != '@')) {
        fprintf(stderr, "notify-listen: %s: need an absolute path or @name that fits\n", spec);
        return 2;
    }
    memcpy(sa.sun_path, spec, len);
    if (spec[0] == '@') {
        sa.sun_path[0] = '\0';
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    }

    memset(&act, 0, sizeof(act));
    sigemptyset(&act.sa_mask);
    act.sa_handler = on_stop;
    /* No SA_RESTART: the signal must interrupt recvmsg. */
    if (sigaction(SIGTERM, &act, NULL) != 0 || sigaction(SIGINT, &act, NULL) != 0) {
        perror("notify-listen: sigaction");
        return 1;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("notify-listen: socket");
        goto out;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) {
        perror("notify-listen: SO_PASSCRED");
        goto out;
    }
    if (bind(fd, (struct sockaddr *)&sa, salen) != 0) {
        fprintf(stderr, "notify-listen: bind %s: %s\n", spec, strerror(errno));
        goto out;
    }
    bound_path = spec[0] == '/';
    printf("listening %s\n", spec);
    fflush(stdout);

    while (!stop_flag) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = MSG_MAX};
        struct msghdr mh;
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("notify-listen: recvmsg");
            goto out;
        }
        unsigned long long usec = monotonic_usec();
        long long size = watch_size(watch);
        long pid = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                pid = (long)cred.pid;
            }
        }
        count++;
        if (mh.msg_flags & MSG_TRUNC)
            printf("%lu %llu %lld %ld TRUNCATED\n", count, usec, size, pid);
        print_message(count, usec, size, pid, buf, (size_t)n);
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (bound_path)
        unlink(spec);
    return rc;
}
