/* socket-holder: plays systemd's part for a socket-activated service, for tests.
 *
 *   socket-holder SOCKET_PATH COMMAND [ARGS...]
 *
 * Binds and listens on a unix stream socket at SOCKET_PATH (mode 0666: a test tool; the
 * folder's permissions decide who reaches it), keeps it for its whole life, and runs COMMAND
 * with the socket on fd 3, LISTEN_FDS=1 and LISTEN_PID=<its pid>, as systemd does. On SIGUSR2
 * it SIGTERMs the command, waits for it to exit and starts it again: the socket stays open
 * meanwhile, so connections wait in its queue instead of being refused. On SIGTERM or SIGINT
 * it stops the command the same way, removes the socket and exits 0. If the command exits on
 * its own, it says so and exits 1.
 *
 * Standard output gets one line an event, flushed: "started PID", "exited PID STATUS" (the
 * exit status, or 128 + the signal), "killed PID" (it did not stop within the time allowed). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long the command may take to stop before it is killed. */
#define STOP_TIMEOUT_MS 60000

static volatile sig_atomic_t restart_flag;
static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t child_flag;

static void
on_signal(int sig)
{
    if (sig == SIGUSR2)
        restart_flag = 1;
    else if (sig == SIGCHLD)
        child_flag = 1;
    else
        stop_flag = 1;
}

static int
exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

/* Forks and execs the command with the socket as fd 3. Returns its pid, or -1. */
static pid_t
start(int sock, char *argv[], const sigset_t *orig_mask)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("socket-holder: fork");
        return -1;
    }
    if (pid > 0) {
        printf("started %ld\n", (long)pid);
        fflush(stdout);
        return pid;
    }
    char num[32];
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGUSR2, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGCHLD, &dfl, NULL);
    sigprocmask(SIG_SETMASK, orig_mask, NULL);
    if (sock == 3) {
        /* dup2 onto itself would keep close-on-exec set. */
        int fl = fcntl(sock, F_GETFD);
        if (fl < 0 || fcntl(sock, F_SETFD, fl & ~FD_CLOEXEC) != 0)
            _exit(127);
    } else if (dup2(sock, 3) != 3) {
        _exit(127);
    }
    snprintf(num, sizeof(num), "%ld", (long)getpid());
    if (setenv("LISTEN_FDS", "1", 1) != 0 || setenv("LISTEN_PID", num, 1) != 0)
        _exit(127);
    unsetenv("LISTEN_FDNAMES");
    execvp(argv[0], argv);
    fprintf(stderr, "socket-holder: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGTERM, then waits (polling, bounded); SIGKILL after STOP_TIMEOUT_MS. */
static void
stop(pid_t pid)
{
    int status;
    long long deadline = now_ms() + STOP_TIMEOUT_MS;

    kill(pid, SIGTERM);
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR) {
            perror("socket-holder: waitpid");
            return;
        }
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            printf("killed %ld\n", (long)pid);
            fflush(stdout);
            deadline = now_ms() + STOP_TIMEOUT_MS;
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    printf("exited %ld %d\n", (long)pid, exit_code(status));
    fflush(stdout);
}

int
main(int argc, char *argv[])
{
    struct sockaddr_un sa;
    struct sigaction act;
    sigset_t block, orig;
    int sock = -1;
    int bound = 0;
    int rc = 1;
    pid_t child = -1;

    if (argc < 3) {
        fprintf(stderr, "usage: socket-holder SOCKET_PATH COMMAND [ARGS...]\n");
        return 2;
    }
    const char *path = argv[1];
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "socket-holder: %s: need an absolute path that fits\n", path);
        return 2;
    }
    memcpy(sa.sun_path, path, strlen(path));

    /* Signals are taken only in sigsuspend, so none slips between a check and the wait. */
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &block, &orig) != 0) {
        perror("socket-holder: sigprocmask");
        return 1;
    }
    memset(&act, 0, sizeof(act));
    sigemptyset(&act.sa_mask);
    act.sa_handler = on_signal;
    if (sigaction(SIGUSR2, &act, NULL) != 0 || sigaction(SIGTERM, &act, NULL) != 0 ||
        sigaction(SIGINT, &act, NULL) != 0 || sigaction(SIGCHLD, &act, NULL) != 0) {
        perror("socket-holder: sigaction");
        return 1;
    }

    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        perror("socket-holder: socket");
        goto out;
    }
    if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "socket-holder: bind %s: %s\n", path, strerror(errno));
        goto out;
    }
    bound = 1;
    if (chmod(path, 0666) != 0 || listen(sock, SOMAXCONN) != 0) {
        fprintf(stderr, "socket-holder: %s: %s\n", path, strerror(errno));
        goto out;
    }
    child = start(sock, argv + 2, &orig);
    if (child < 0)
        goto out;

    sigset_t wait_mask = orig;
    sigdelset(&wait_mask, SIGUSR2);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGCHLD);
    for (;;) {
        if (stop_flag) {
            stop(child);
            rc = 0;
            break;
        }
        if (restart_flag) {
            restart_flag = 0;
            stop(child);
            child_flag = 0;
            child = start(sock, argv + 2, &orig);
            if (child < 0)
                goto out;
            continue;
        }
        if (child_flag) {
            int status;
            child_flag = 0;
            if (waitpid(child, &status, WNOHANG) == child) {
                printf("exited %ld %d\n", (long)child, exit_code(status));
                fflush(stdout);
                fprintf(stderr, "socket-holder: the command exited on its own\n");
                goto out;
            }
            continue;
        }
        sigsuspend(&wait_mask);
    }
out:
    if (sock >= 0)
        close(sock);
    if (bound)
        unlink(path);
    return rc;
}
