/* The listening socket: a unix socket with the configured mode and group, refused when
 * someone already listens there, a stale file replaced, other files left alone; TCP on a
 * host and port; malformed addresses refused with the variable named; a socket systemd hands
 * over on fd 3 taken (and checked) instead, never unlinked. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stddef.h>

#include "../lib/check_main.h"
#include "server/listen.h"

static char dir[64];
static char sock_path[96];

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/savealife-listen.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock_path, sizeof(sock_path), "%.60s/fcgi.sock", dir);
}

static void
teardown(void)
{
    unlink(sock_path);
    rmdir(dir);
}

static void
unix_config(struct config *cfg, unsigned mode, const char *group)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen, sizeof(cfg->listen), "unix:%s", sock_path);
    cfg->socket_mode = mode;
    snprintf(cfg->socket_group, sizeof(cfg->socket_group), "%s", group);
    cfg->listen_backlog = 511;
}

/* Connects to the unix socket: 0 when it accepted the connection into its queue. */
static int
connect_unix(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    return rc;
}

/* A group other than our own, so that chown visibly changes it: nogroup when root. */
static const char *
other_group(gid_t *gid)
{
    struct group *g = getgrnam(geteuid() == 0 ? "nogroup" : "");
    if (g == NULL)
        g = getgrgid(getegid());
    ck_assert_ptr_nonnull(g);
    *gid = g->gr_gid;
    static char name[64];
    snprintf(name, sizeof(name), "%s", g->gr_name);
    return name;
}

START_TEST(test_unix_mode_group_and_flags)
{
    struct config cfg;
    struct listener l;
    struct stat st;
    char errbuf[256];
    gid_t gid;
    const char *group = other_group(&gid);

    unix_config(&cfg, 0660, group);
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    ck_assert_int_ge(l.fd, 0);
    ck_assert_int_eq(lstat(sock_path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0660);
    ck_assert_uint_eq(st.st_gid, gid);
    ck_assert(fcntl(l.fd, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(l.fd, F_GETFD) & FD_CLOEXEC);
    ck_assert_ptr_nonnull(strstr(l.describe, "mode 0660"));

    /* It accepts, and a second accept with nothing queued fails at once instead of waiting. */
    ck_assert_int_eq(connect_unix(sock_path), 0);
    int c = accept(l.fd, NULL, NULL);
    ck_assert_int_ge(c, 0);
    close(c);
    ck_assert_int_eq(accept(l.fd, NULL, NULL), -1);
    ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);

    listen_close(&l);
    ck_assert_int_eq(l.fd, -1);
    ck_assert_int_eq(lstat(sock_path, &st), -1);
    ck_assert_int_eq(errno, ENOENT);
    listen_close(&l);
}
END_TEST

/* Non-blocking connects until one is refused because the queue is full (its errno), or up to
 * tries of them queued (0); the connections stay open in fds. */
static int
fill_queue(int *fds, int tries)
{
    struct sockaddr_un sa;
    int err = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock_path);
    for (int i = 0; i < tries; i++) {
        fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ck_assert_int_ge(fds[i], 0);
        if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            err = errno;
            break;
        }
    }
    return err;
}

/* SAVEALIFE_LISTEN_BACKLOG is the listen() backlog: with 1, the third connection nobody
 * accepted is refused at once (EAGAIN: nginx answers 502), with 511 it is queued. */
START_TEST(test_unix_backlog)
{
    struct config cfg;
    struct listener l;
    char errbuf[256];
    int fds[8];
    gid_t gid;

    unix_config(&cfg, 0660, other_group(&gid));
    cfg.listen_backlog = 1;
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    memset(fds, -1, sizeof(fds));
    ck_assert_int_eq(fill_queue(fds, 8), EAGAIN);
    /* The first two were queued, the third refused. */
    ck_assert_int_ge(fds[2], 0);
    ck_assert_int_eq(fds[3], -1);
    for (int i = 0; i < 8; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    listen_close(&l);

    cfg.listen_backlog = 511;
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    memset(fds, -1, sizeof(fds));
    ck_assert_int_eq(fill_queue(fds, 8), 0);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    listen_close(&l);
}
END_TEST

START_TEST(test_unix_mode_is_exact)
{
    struct config cfg;
    struct listener l;
    struct stat st;
    char errbuf[256];

    umask(0);
    unix_config(&cfg, 0600, "");
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    ck_assert_int_eq(lstat(sock_path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_uint_eq(st.st_gid, getegid());
    /* The process's umask is left as it was. */
    ck_assert_uint_eq(umask(022), 0);
    listen_close(&l);
}
END_TEST

START_TEST(test_unix_in_use_is_refused)
{
    struct config cfg;
    struct listener first, second;
    struct stat before, after;
    char errbuf[256];

    unix_config(&cfg, 0660, "");
    ck_assert_msg(listen_open(&cfg, &first, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    ck_assert_int_eq(lstat(sock_path, &before), 0);
    ck_assert_int_eq(listen_open(&cfg, &second, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "SAVEALIFE_LISTEN"));
    ck_assert_ptr_nonnull(strstr(errbuf, "in use"));
    ck_assert_int_eq(second.fd, -1);
    /* The first one's file is untouched and it still takes connections. */
    ck_assert_int_eq(lstat(sock_path, &after), 0);
    ck_assert_uint_eq(before.st_ino, after.st_ino);
    ck_assert_int_eq(connect_unix(sock_path), 0);
    listen_close(&second);
    ck_assert_int_eq(lstat(sock_path, &after), 0);
    listen_close(&first);
}
END_TEST

START_TEST(test_unix_stale_file_is_replaced)
{
    struct config cfg;
    struct listener l;
    struct sockaddr_un sa;
    char errbuf[256];

    /* A socket file left by a server that died without removing it. */
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock_path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    ck_assert_int_eq(connect_unix(sock_path), -1);

    unix_config(&cfg, 0660, "");
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    ck_assert_int_eq(connect_unix(sock_path), 0);
    listen_close(&l);
}
END_TEST

START_TEST(test_unix_other_file_is_left_alone)
{
    struct config cfg;
    struct listener l;
    struct stat st;
    char errbuf[256];

    FILE *f = fopen(sock_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("precious\n", f);
    fclose(f);
    unix_config(&cfg, 0660, "");
    ck_assert_int_eq(listen_open(&cfg, &l, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "not a socket"));
    ck_assert_int_eq(lstat(sock_path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_size, 9);
}
END_TEST

START_TEST(test_unix_unknown_group)
{
    struct config cfg;
    struct listener l;
    struct stat st;
    char errbuf[256];

    unix_config(&cfg, 0660, "no-such-group-savealife");
    ck_assert_int_eq(listen_open(&cfg, &l, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "SAVEALIFE_SOCKET_GROUP"));
    ck_assert_ptr_nonnull(strstr(errbuf, "no-such-group-savealife"));
    /* Refused before anything was made. */
    ck_assert_int_eq(lstat(sock_path, &st), -1);
}
END_TEST

START_TEST(test_unix_numeric_group)
{
    struct config cfg;
    struct listener l;
    struct stat st;
    char errbuf[256], num[16];
    gid_t gid;

    other_group(&gid);
    snprintf(num, sizeof(num), "%u", (unsigned)gid);
    unix_config(&cfg, 0640, num);
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    ck_assert_int_eq(lstat(sock_path, &st), 0);
    ck_assert_uint_eq(st.st_gid, gid);
    ck_assert_uint_eq(st.st_mode & 07777, 0640);
    listen_close(&l);
}
END_TEST

/* Only the process that made the socket removes it, and only while it is still that socket. */
START_TEST(test_unix_close_removes_only_its_own)
{
    struct config cfg;
    struct listener l;
    struct stat st;
    char errbuf[256];
    int status;

    unix_config(&cfg, 0660, "");
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        listen_close(&l);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(lstat(sock_path, &st), 0);
    ck_assert_int_eq(connect_unix(sock_path), 0);

    /* Someone replaced the file meanwhile: it is not ours to remove. */
    ck_assert_int_eq(unlink(sock_path), 0);
    FILE *f = fopen(sock_path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    listen_close(&l);
    ck_assert_int_eq(lstat(sock_path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
}
END_TEST

static const char *const bad_specs[] = {
    "nonsense",     "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",    "127.0.0.1:http",
    "127.0.0.1:-1", "::1:9000",  "[::1]:",      "unix:relative.sock", "unix:",
};

START_TEST(test_bad_addresses)
{
    struct config cfg;
    struct listener l;
    char errbuf[256];

    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.listen, sizeof(cfg.listen), "%s", bad_specs[_i]);
    cfg.socket_mode = 0660;
    errbuf[0] = '\0';
    ck_assert_int_eq(listen_open(&cfg, &l, errbuf, sizeof(errbuf)), -1);
    ck_assert_msg(strstr(errbuf, "SAVEALIFE_LISTEN") != NULL, "%s: %s", bad_specs[_i], errbuf);
    ck_assert_int_eq(l.fd, -1);
}
END_TEST

START_TEST(test_unix_path_too_long)
{
    struct config cfg;
    struct listener l;
    char errbuf[256];

    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.listen, "unix:/", 6);
    memset(cfg.listen + 6, 'x', 150);
    ck_assert_int_eq(listen_open(&cfg, &l, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "longer than"));
}
END_TEST

/* A port the kernel just handed out and took back, free for the test to use. */
static int
free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static const char *const tcp_hosts[] = {"127.0.0.1", "localhost", "*", ""};

START_TEST(test_tcp)
{
    struct config cfg;
    struct listener l;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char errbuf[256];
    int port = free_port();
    int one = 0;
    socklen_t olen = sizeof(one);

    memset(&cfg, 0, sizeof(cfg));
    cfg.listen_backlog = 511;
    snprintf(cfg.listen, sizeof(cfg.listen), "%s:%d", tcp_hosts[_i], port);
    ck_assert_msg(listen_open(&cfg, &l, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    ck_assert_int_eq(getsockname(l.fd, (struct sockaddr *)&ss, &len), 0);
    int got = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                      : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    ck_assert_int_eq(got, port);
    ck_assert_int_eq(getsockopt(l.fd, SOL_SOCKET, SO_REUSEADDR, &one, &olen), 0);
    ck_assert_int_ne(one, 0);
    ck_assert(fcntl(l.fd, F_GETFL) & O_NONBLOCK);
    ck_assert_int_eq(l.is_unix, 0);
    listen_close(&l);
}
END_TEST

START_TEST(test_tcp_in_use)
{
    struct config cfg;
    struct listener a, b;
    char errbuf[256];

    memset(&cfg, 0, sizeof(cfg));
    cfg.listen_backlog = 511;
    snprintf(cfg.listen, sizeof(cfg.listen), "127.0.0.1:%d", free_port());
    ck_assert_msg(listen_open(&cfg, &a, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
    ck_assert_int_eq(listen_open(&cfg, &b, errbuf, sizeof(errbuf)), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "SAVEALIFE_LISTEN"));
    listen_close(&a);
}
END_TEST

/* ---- socket activation: each case runs in a child that puts a socket on fd 3, as systemd
 * does, and reports the first failed check through a pipe. */

enum fd3_kind {
    FD3_UNIX,          /* a listening unix socket at sock_path */
    FD3_ABSTRACT,      /* a listening unix socket at an abstract address */
    FD3_TCP,           /* a listening TCP socket on 127.0.0.1 */
    FD3_FILE,          /* /dev/null */
    FD3_CLOSED,        /* nothing */
    FD3_DGRAM,         /* a unix datagram socket */
    FD3_NOT_LISTENING, /* a bound unix stream socket nobody called listen() on */
};

struct activation_case {
    const char *name;
    enum fd3_kind kind;
    const char *fds;     /* LISTEN_FDS */
    int pid;             /* LISTEN_PID: 1 ours, 0 another process's, -1 malformed */
    int activated;       /* 1: fd 3 taken; 0: cfg->listen opened; -1: refused */
    const char *message; /* in describe (taken), errbuf (refused) or warning */
};

static const struct activation_case activation_cases[] = {
    {"unix socket", FD3_UNIX, "1", 1, 1, "fd 3 from systemd, unix:"},
    {"abstract socket", FD3_ABSTRACT, "1", 1, 1, "fd 3 from systemd, unix:@savealife-test"},
    {"tcp socket", FD3_TCP, "1", 1, 1, "fd 3 from systemd, 127.0.0.1:"},
    {"two sockets: the first used, a warning", FD3_UNIX, "2", 1, 1, "LISTEN_FDS=2"},
    {"a file", FD3_FILE, "1", 1, -1, "fd 3 from systemd is not a socket"},
    {"nothing open", FD3_CLOSED, "1", 1, -1, "fd 3 from systemd is not open"},
    {"a datagram socket", FD3_DGRAM, "1", 1, -1, "not a stream socket"},
    {"a socket not listening", FD3_NOT_LISTENING, "1", 1, -1, "not a listening socket"},
    {"another process's", FD3_UNIX, "1", 0, 0, NULL},
    {"no sockets", FD3_UNIX, "0", 1, 0, NULL},
    {"malformed LISTEN_PID", FD3_UNIX, "1", -1, -1, "LISTEN_PID"},
    {"malformed LISTEN_FDS", FD3_UNIX, "one", 1, -1, "LISTEN_FDS"},
    {"negative LISTEN_FDS", FD3_UNIX, "-1", 1, -1, "LISTEN_FDS"},
};

static int child_report = -1;

/* In the child: a failed check goes to the parent, and the child ends. */
#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            dprintf(child_report, "line %d: %s", __LINE__, #cond);                                 \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

/* A socket of the kind asked for, on fd 3 (or fd 3 closed / a file). */
static void
child_fd3(enum fd3_kind kind, char *abstract, size_t abstract_len)
{
    struct sockaddr_un sa;
    socklen_t salen = sizeof(sa);
    int fd = -1;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock_path);
    switch (kind) {
    case FD3_UNIX:
    case FD3_NOT_LISTENING:
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        CHILD_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        CHILD_CHECK(kind == FD3_NOT_LISTENING || listen(fd, 16) == 0);
        break;
    case FD3_ABSTRACT:
        snprintf(abstract, abstract_len, "savealife-test-%ld", (long)getpid());
        memset(sa.sun_path, 0, sizeof(sa.sun_path));
        memcpy(sa.sun_path + 1, abstract, strlen(abstract));
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(abstract));
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        CHILD_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, salen) == 0);
        CHILD_CHECK(listen(fd, 16) == 0);
        break;
    case FD3_TCP: {
        struct sockaddr_in in;
        memset(&in, 0, sizeof(in));
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        CHILD_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&in, sizeof(in)) == 0);
        CHILD_CHECK(listen(fd, 16) == 0);
        break;
    }
    case FD3_FILE:
        fd = open("/dev/null", O_RDONLY);
        CHILD_CHECK(fd >= 0);
        break;
    case FD3_CLOSED:
        close(3);
        return;
    case FD3_DGRAM:
        fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        CHILD_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        break;
    }
    if (fd != 3) {
        CHILD_CHECK(dup2(fd, 3) == 3);
        close(fd);
    }
}

static void
child_activation(const struct activation_case *c)
{
    struct config cfg;
    struct listener l;
    struct stat st;
    char errbuf[256], pid[32], abstract[64] = "";
    char other_path[128];

    snprintf(other_path, sizeof(other_path), "%.60s/own.sock", dir);
    /* The pipe to the parent must not sit on fd 3. */
    if (child_report == 3) {
        child_report = dup(3);
        CHILD_CHECK(child_report > 3);
    }
    child_fd3(c->kind, abstract, sizeof(abstract));
    if (c->pid == 1)
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    else if (c->pid == 0)
        snprintf(pid, sizeof(pid), "%ld", (long)getppid());
    else
        snprintf(pid, sizeof(pid), "12ab");
    CHILD_CHECK(setenv("LISTEN_PID", pid, 1) == 0);
    CHILD_CHECK(setenv("LISTEN_FDS", c->fds, 1) == 0);
    CHILD_CHECK(setenv("LISTEN_FDNAMES", "fcgi", 1) == 0);

    /* The configured address is another path: opened only when fd 3 is not ours. */
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.listen, sizeof(cfg.listen), "unix:%s", other_path);
    cfg.socket_mode = 0660;
    errbuf[0] = '\0';
    int rc = listen_open(&cfg, &l, errbuf, sizeof(errbuf));
    /* Whatever they said, nothing started later sees them. */
    CHILD_CHECK(getenv("LISTEN_PID") == NULL);
    CHILD_CHECK(getenv("LISTEN_FDS") == NULL);
    CHILD_CHECK(getenv("LISTEN_FDNAMES") == NULL);
    if (c->activated < 0) {
        CHILD_CHECK(rc == -1);
        CHILD_CHECK(l.fd == -1);
        CHILD_CHECK(strstr(errbuf, c->message) != NULL);
        CHILD_CHECK(lstat(other_path, &st) == -1);
        _exit(0);
    }
    CHILD_CHECK(rc == 0);
    if (c->activated == 0) {
        CHILD_CHECK(l.fd >= 0 && l.fd != 3);
        CHILD_CHECK(!l.activated);
        CHILD_CHECK(lstat(other_path, &st) == 0 && S_ISSOCK(st.st_mode));
        listen_close(&l);
        CHILD_CHECK(lstat(other_path, &st) == -1);
        _exit(0);
    }
    CHILD_CHECK(l.fd == 3);
    CHILD_CHECK(l.activated);
    CHILD_CHECK(strstr(c->message, "LISTEN_FDS=") == c->message
                    ? strstr(l.warning, c->message) != NULL
                    : strstr(l.describe, c->message) != NULL && l.warning[0] == '\0');
    if (c->kind == FD3_UNIX)
        CHILD_CHECK(strstr(l.describe, sock_path) != NULL);
    CHILD_CHECK(fcntl(3, F_GETFL) & O_NONBLOCK);
    CHILD_CHECK(fcntl(3, F_GETFD) & FD_CLOEXEC);
    /* The configured address was left alone. */
    CHILD_CHECK(lstat(other_path, &st) == -1);
    if (c->kind == FD3_UNIX) {
        /* It accepts, and closing never removes a file systemd made. */
        CHILD_CHECK(connect_unix(sock_path) == 0);
        int a = accept(3, NULL, NULL);
        CHILD_CHECK(a >= 0);
        close(a);
        listen_close(&l);
        CHILD_CHECK(fcntl(3, F_GETFD) == -1);
        CHILD_CHECK(lstat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode));
    } else {
        listen_close(&l);
    }
    _exit(0);
}

START_TEST(test_activation)
{
    const struct activation_case *c = &activation_cases[_i];
    char report[256] = "";
    int pipefd[2], status;

    ck_assert_int_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(pipefd[0]);
        child_report = pipefd[1];
        child_activation(c);
        _exit(2);
    }
    close(pipefd[1]);
    ssize_t n = read(pipefd[0], report, sizeof(report) - 1);
    close(pipefd[0]);
    if (n > 0)
        report[n] = '\0';
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: %s", c->name,
                  report[0] != '\0' ? report : "the child failed");
}
END_TEST

static Suite *
listen_suite(void)
{
    Suite *s = suite_create("listen");
    TCase *tc = tcase_create("unix");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unix_mode_group_and_flags);
    tcase_add_test(tc, test_unix_backlog);
    tcase_add_test(tc, test_unix_mode_is_exact);
    tcase_add_test(tc, test_unix_in_use_is_refused);
    tcase_add_test(tc, test_unix_stale_file_is_replaced);
    tcase_add_test(tc, test_unix_other_file_is_left_alone);
    tcase_add_test(tc, test_unix_unknown_group);
    tcase_add_test(tc, test_unix_numeric_group);
    tcase_add_test(tc, test_unix_close_removes_only_its_own);
    tcase_add_test(tc, test_unix_path_too_long);
    suite_add_tcase(s, tc);
    TCase *tcp = tcase_create("tcp");
    tcase_add_loop_test(tcp, test_bad_addresses, 0,
                        (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
    tcase_add_loop_test(tcp, test_tcp, 0, (int)(sizeof(tcp_hosts) / sizeof(tcp_hosts[0])));
    tcase_add_test(tcp, test_tcp_in_use);
    suite_add_tcase(s, tcp);
    TCase *act = tcase_create("activation");
    tcase_add_checked_fixture(act, setup, teardown);
    tcase_add_loop_test(act, test_activation, 0,
                        (int)(sizeof(activation_cases) / sizeof(activation_cases[0])));
    suite_add_tcase(s, act);
    return s;
}

CHECK_MAIN(listen_suite)
