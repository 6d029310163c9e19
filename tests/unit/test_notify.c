/* The systemd notify protocol: the exact datagrams a receiver bound on NOTIFY_SOCKET gets
 * (path and abstract addresses), MONOTONIC_USEC against our own clock reading, the watchdog's
 * timing and ownership (WATCHDOG_USEC, WATCHDOG_PID), malformed settings warned about once
 * and disabled, sends that fail or would block neither stall nor repeat their warning. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../lib/check_main.h"
#include "server/notify.h"

static char dir[64];
static char sock_path[96];
static char log_path[96];
static int saved_stderr = -1;
static struct log lg;

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/savealife-notify.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock_path, sizeof(sock_path), "%.60s/notify.sock", dir);
    snprintf(log_path, sizeof(log_path), "%.60s/stderr.log", dir);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    /* The log's lines go to standard error: into a file the tests read. */
    saved_stderr = dup(STDERR_FILENO);
    ck_assert_int_ge(saved_stderr, 0);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
    log_init(&lg, CONFIG_LOG_INFO);
}

static void
teardown(void)
{
    if (saved_stderr >= 0) {
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
    }
    unlink(sock_path);
    unlink(log_path);
    rmdir(dir);
}

/* How many lines of the captured log contain needle. */
static int
log_count(const char *needle)
{
    char line[1024];
    int count = 0;
    FILE *f = fopen(log_path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, needle) != NULL)
            count++;
    }
    fclose(f);
    return count;
}

/* A datagram receiver at spec ("/path" or "@name"), as systemd binds one. */
static int
receiver(const char *spec)
{
    struct sockaddr_un sa;
    size_t len = strlen(spec);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    ck_assert_uint_lt(len, sizeof(sa.sun_path));
    memcpy(sa.sun_path, spec, len);
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    if (spec[0] == '@') {
        sa.sun_path[0] = '\0';
        salen--;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, salen), 0);
    return fd;
}

/* One datagram, waiting at most 2 s; "" when none came. */
static const char *
receive(int fd)
{
    static char buf[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    buf[0] = '\0';
    if (poll(&p, 1, 2000) != 1)
        return buf;
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    return buf;
}

/* Whether nothing is queued, right now. */
static int
nothing_queued(int fd)
{
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static unsigned long long
monotonic_usec(void)
{
    struct timespec ts;
    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
}

START_TEST(test_unset_is_disabled)
{
    struct notify n;

    ck_assert_int_eq(notify_open(&n, &lg, 1000), 0);
    ck_assert_int_eq(n.fd, -1);
    ck_assert_int_eq(notify_ready(&n, "ready"), 0);
    ck_assert_int_eq(notify_reloading(&n, "reloading"), 0);
    ck_assert_int_eq(notify_watchdog(&n, 5000), 0);
    ck_assert_int_eq(notify_sleep_ms(&n, 5000, 1000), 1000);
    ck_assert_int_eq(log_count("savealife"), 0);
    notify_close(&n);
}
END_TEST

START_TEST(test_messages_on_a_path)
{
    struct notify n;
    int r = receiver(sock_path);

    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 1000), 1);
    /* Nothing started later may take it for its own. */
    ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));

    ck_assert_int_eq(notify_status(&n, "starting 4 workers"), 0);
    ck_assert_str_eq(receive(r), "STATUS=starting 4 workers\n");
    ck_assert_int_eq(notify_ready(&n, "ready: 4 workers"), 0);
    ck_assert_str_eq(receive(r), "READY=1\nSTATUS=ready: 4 workers\n");
    ck_assert_int_eq(notify_stopping(&n, "stopping"), 0);
    ck_assert_str_eq(receive(r), "STOPPING=1\nSTATUS=stopping\n");

    unsigned long long before = monotonic_usec();
    ck_assert_int_eq(notify_reloading(&n, "reloading"), 0);
    unsigned long long after = monotonic_usec();
    const char *msg = receive(r);
    unsigned long long stamp = 0;
    char status[64];
    ck_assert_msg(
        sscanf(msg, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%63[^\n]", &stamp, status) == 2, "%s",
        msg);
    ck_assert_uint_ge(stamp, before);
    ck_assert_uint_le(stamp, after);
    ck_assert_str_eq(status, "reloading");
    ck_assert_ptr_nonnull(strstr(msg, "STATUS=reloading\n"));
    ck_assert(msg[strlen(msg) - 1] == '\n');

    /* A status is one line: control characters cannot add lines of their own. */
    ck_assert_int_eq(notify_status(&n, "a\nREADY=1\tb\r"), 0);
    ck_assert_str_eq(receive(r), "STATUS=a READY=1 b \n");

    /* A worker closes it after fork: it can send nothing. */
    notify_close(&n);
    ck_assert_int_eq(notify_ready(&n, "ready"), 0);
    ck_assert(nothing_queued(r));
    notify_close(&n);
    close(r);
}
END_TEST

START_TEST(test_long_status_is_cut)
{
    struct notify n;
    char status[NOTIFY_STATUS_MAX * 2];
    char want[NOTIFY_STATUS_MAX + 16];
    int r = receiver(sock_path);

    memset(status, 'x', sizeof(status) - 1);
    status[sizeof(status) - 1] = '\0';
    snprintf(want, sizeof(want), "STATUS=%.*s\n", NOTIFY_STATUS_MAX, status);
    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 0), 1);
    ck_assert_int_eq(notify_status(&n, status), 0);
    ck_assert_str_eq(receive(r), want);
    notify_close(&n);
    close(r);
}
END_TEST

START_TEST(test_abstract_address)
{
    struct notify n;
    char spec[64];

    snprintf(spec, sizeof(spec), "@savealife-test-notify-%ld", (long)getpid());
    int r = receiver(spec);
    ck_assert_int_eq(setenv("NOTIFY_SOCKET", spec, 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 0), 1);
    ck_assert_int_eq(notify_ready(&n, "ok"), 0);
    ck_assert_str_eq(receive(r), "READY=1\nSTATUS=ok\n");
    notify_close(&n);
    close(r);
}
END_TEST

static const char *const bad_sockets[] = {
    "",
    "relative/notify",
    "notify",
    "@",
    /* longer than sun_path */
    "/tmp/"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxx",
};

START_TEST(test_malformed_socket_warns_once_and_disables)
{
    struct notify n;

    ck_assert_int_eq(setenv("NOTIFY_SOCKET", bad_sockets[_i], 1), 0);
    ck_assert_int_eq(setenv("WATCHDOG_USEC", "1000000", 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 0), 0);
    ck_assert_int_eq(n.fd, -1);
    ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));
    ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
    ck_assert_int_eq(notify_ready(&n, "ready"), 0);
    ck_assert_int_eq(notify_stopping(&n, "stopping"), 0);
    ck_assert_int_eq(notify_watchdog(&n, 1000), 0);
    ck_assert_int_eq(notify_sleep_ms(&n, 1000, 700), 700);
    ck_assert_int_eq(log_count("NOTIFY_SOCKET"), 1);
    ck_assert_int_eq(log_count("warn: "), 1);
    notify_close(&n);
}
END_TEST

START_TEST(test_watchdog_timing)
{
    struct notify n;
    int r = receiver(sock_path);

    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(setenv("WATCHDOG_USEC", "1000000", 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 1000), 1);
    ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
    /* Half the interval, the first one at once. */
    ck_assert_uint_eq(n.watchdog_ms, 500);
    ck_assert_int_eq(notify_sleep_ms(&n, 1000, 1000), 0);
    ck_assert_int_eq(notify_watchdog(&n, 1000), 1);
    ck_assert_str_eq(receive(r), "WATCHDOG=1\n");
    ck_assert_int_eq(notify_watchdog(&n, 1200), 0);
    ck_assert(nothing_queued(r));
    /* A loop that sleeps a second must wake up in time. */
    ck_assert_int_eq(notify_sleep_ms(&n, 1200, 1000), 300);
    ck_assert_int_eq(notify_sleep_ms(&n, 1200, 100), 100);
    ck_assert_int_eq(notify_watchdog(&n, 1500), 1);
    ck_assert_str_eq(receive(r), "WATCHDOG=1\n");
    /* Late: one message, the next one half an interval later, no burst. */
    ck_assert_int_eq(notify_watchdog(&n, 4000), 1);
    ck_assert_str_eq(receive(r), "WATCHDOG=1\n");
    ck_assert_int_eq(notify_watchdog(&n, 4001), 0);
    ck_assert(nothing_queued(r));
    notify_close(&n);
    close(r);
}
END_TEST

START_TEST(test_watchdog_pid)
{
    struct notify n;
    char pid[32];
    int r = receiver(sock_path);

    /* Ours. */
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(setenv("WATCHDOG_USEC", "30000000", 1), 0);
    ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 0), 1);
    ck_assert_ptr_null(getenv("WATCHDOG_PID"));
    ck_assert_uint_eq(n.watchdog_ms, 15000);
    ck_assert_int_eq(notify_watchdog(&n, 0), 1);
    ck_assert_str_eq(receive(r), "WATCHDOG=1\n");
    notify_close(&n);

    /* Another process's: not ours to feed, and no warning either. */
    snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(setenv("WATCHDOG_USEC", "30000000", 1), 0);
    ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 0), 1);
    ck_assert_uint_eq(n.watchdog_ms, 0);
    ck_assert_int_eq(notify_watchdog(&n, 0), 0);
    ck_assert_int_eq(notify_watchdog(&n, 100000), 0);
    ck_assert_int_eq(notify_sleep_ms(&n, 0, 1000), 1000);
    ck_assert(nothing_queued(r));
    ck_assert_int_eq(log_count("warn: "), 0);
    notify_close(&n);
    close(r);
}
END_TEST

static const char *const bad_watchdogs[][2] = {
    {"0", NULL},        {"abc", NULL},      {"-5", NULL},
    {"", NULL},         {"1000000x", NULL}, {"99999999999999999999999", NULL},
    {"1000000", "abc"}, {"1000000", "0"},   {"1000000", ""},
};

START_TEST(test_malformed_watchdog_warns_and_disables_it)
{
    struct notify n;
    int r = receiver(sock_path);

    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(setenv("WATCHDOG_USEC", bad_watchdogs[_i][0], 1), 0);
    if (bad_watchdogs[_i][1] != NULL)
        ck_assert_int_eq(setenv("WATCHDOG_PID", bad_watchdogs[_i][1], 1), 0);
    /* The rest of the protocol still works. */
    ck_assert_int_eq(notify_open(&n, &lg, 0), 1);
    ck_assert_uint_eq(n.watchdog_ms, 0);
    ck_assert_int_eq(notify_watchdog(&n, 0), 0);
    ck_assert_int_eq(log_count("WATCHDOG_"), 1);
    ck_assert_int_eq(notify_ready(&n, "ready"), 0);
    ck_assert_str_eq(receive(r), "READY=1\nSTATUS=ready\n");
    notify_close(&n);
    close(r);
}
END_TEST

START_TEST(test_failed_sends_warn_once)
{
    struct notify n;
    int r = receiver(sock_path);

    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 0), 1);
    /* systemd went away. */
    close(r);
    ck_assert_int_eq(unlink(sock_path), 0);
    ck_assert_int_eq(notify_ready(&n, "ready"), -1);
    ck_assert_int_eq(notify_status(&n, "status"), -1);
    ck_assert_int_eq(notify_stopping(&n, "stopping"), -1);
    ck_assert_int_eq(log_count("cannot tell systemd"), 1);

    /* Back: messages flow again, and a later failure is worth a warning of its own. */
    r = receiver(sock_path);
    ck_assert_int_eq(notify_status(&n, "back"), 0);
    ck_assert_str_eq(receive(r), "STATUS=back\n");
    close(r);
    ck_assert_int_eq(notify_status(&n, "gone again"), -1);
    ck_assert_int_eq(log_count("cannot tell systemd"), 2);
    notify_close(&n);
}
END_TEST

/* A receiver that stops reading fills its queue: sends fail at once instead of blocking the
 * master (Check's timeout ends the test if one blocks). */
START_TEST(test_full_queue_does_not_block)
{
    struct notify n;
    int r = receiver(sock_path);
    int sent = 0, failed = 0;

    ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
    ck_assert_int_eq(notify_open(&n, &lg, 0), 1);
    for (int i = 0; i < 100000 && failed == 0; i++) {
        if (notify_status(&n, "filling the queue") == 0)
            sent++;
        else
            failed++;
    }
    ck_assert_int_gt(sent, 0);
    ck_assert_int_eq(failed, 1);
    ck_assert_int_eq(log_count("cannot tell systemd"), 1);
    /* The receiver reads one: there is room again. */
    ck_assert_str_eq(receive(r), "STATUS=filling the queue\n");
    ck_assert_int_eq(notify_status(&n, "room"), 0);
    notify_close(&n);
    close(r);
}
END_TEST

static Suite *
notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("notify");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unset_is_disabled);
    tcase_add_test(tc, test_messages_on_a_path);
    tcase_add_test(tc, test_long_status_is_cut);
    tcase_add_test(tc, test_abstract_address);
    tcase_add_loop_test(tc, test_malformed_socket_warns_once_and_disables, 0,
                        (int)(sizeof(bad_sockets) / sizeof(bad_sockets[0])));
    tcase_add_test(tc, test_watchdog_timing);
    tcase_add_test(tc, test_watchdog_pid);
    tcase_add_loop_test(tc, test_malformed_watchdog_warns_and_disables_it, 0,
                        (int)(sizeof(bad_watchdogs) / sizeof(bad_watchdogs[0])));
    tcase_add_test(tc, test_failed_sends_warn_once);
    tcase_add_test(tc, test_full_queue_does_not_block);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(notify_suite)
