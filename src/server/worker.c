/* epoll_pwait(), EPOLLEXCLUSIVE, accept4(), ppoll(): wait with signals unblocked only while
 * waiting. */
#define _GNU_SOURCE
#include "server/worker.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "api/api.h"
#include "http/request.h"
#include "http/response.h"
#include "server/pool_view.h"

/* Set by the handlers, read by the loop: the only state signals touch. */
static volatile sig_atomic_t worker_stop_flag;
static volatile sig_atomic_t worker_reopen_flag;

static void
worker_on_stop(int sig)
{
    (void)sig;
    worker_stop_flag = 1;
}

static void
worker_on_reopen(int sig)
{
    (void)sig;
    worker_reopen_flag = 1;
}

/* Handlers for the signals the master sends; they stay blocked except inside ppoll, so a
 * signal that arrives during a request waits until the request is finished. *wait_mask is
 * the mask to wait with. */
static int
worker_signals(const struct worker_params *p, sigset_t *wait_mask)
{
    static const int stop_signals[] = {SIGTERM, SIGINT, SIGQUIT};
    struct sigaction sa;
    sigset_t block;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &block, wait_mask) != 0)
        goto fail;
    for (int s = 1; s < NSIG; s++) {
        if (sigismember(&block, s) == 1)
            sigdelset(wait_mask, s);
    }

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = worker_on_stop;
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
        if (sigaction(stop_signals[i], &sa, NULL) != 0)
            goto fail;
    }
    /* Set before FCGX_Init, which installs its own USR1 handler (a shutdown request) only
     * where none is set. */
    sa.sa_handler = worker_on_reopen;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        goto fail;
    /* A hang-up or USR2 is the master's to act on (it reloads); a client gone mid-write is an
     * error from write, not a death. The other stray signals stay ignored as the master left
     * them; a child's end is waited for as usual. */
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGHUP, &sa, NULL) != 0 || sigaction(SIGUSR2, &sa, NULL) != 0 ||
        sigaction(SIGPIPE, &sa, NULL) != 0)
        goto fail;
    sa.sa_handler = SIG_DFL;
    if (sigaction(SIGCHLD, &sa, NULL) != 0)
        goto fail;
    /* A master killed outright must not leave workers accepting behind it. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
        goto fail;
    if (getppid() != p->master_pid)
        worker_stop_flag = 1;
    return 0;
fail:
    log_msg(p->log, CONFIG_LOG_ERROR, "worker: cannot set up signals: %s", strerror(errno));
    return -1;
}

/* Runs the handlers of stop or reopen signals that came while the worker was not waiting:
 * epoll_pwait and ppoll report a ready socket without running them, and under steady load the
 * socket is always ready. */
static void
worker_take_signals(const sigset_t *wait_mask)
{
    sigset_t pending, held;

    if (sigpending(&pending) != 0)
        return;
    if (sigismember(&pending, SIGTERM) != 1 && sigismember(&pending, SIGINT) != 1 &&
        sigismember(&pending, SIGQUIT) != 1 && sigismember(&pending, SIGUSR1) != 1)
        return;
    if (sigprocmask(SIG_SETMASK, wait_mask, &held) == 0)
        sigprocmask(SIG_SETMASK, &held, NULL);
}

static long
worker_read_body(void *ctx, char *buf, size_t len)
{
    FCGX_Request *r = ctx;
    int want = len > INT_MAX ? INT_MAX : (int)len;
    int n = FCGX_GetStr(buf, want, r->in);
    if (n <= 0 && FCGX_GetError(r->in) != 0)
        return -1;
    return n;
}

static int
worker_write(void *ctx, const char *data, size_t len)
{
    FCGX_Request *r = ctx;
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        if (FCGX_PutStr(data, chunk, r->out) != chunk)
            return -1;
        data += chunk;
        len -= (size_t)chunk;
    }
    return 0;
}

/* The FastCGI error stream: nginx writes it to its error_log with the request. */
static void
worker_error_line(void *ctx, const char *line)
{
    FCGX_Request *r = ctx;
    /* A line lost with its connection has nowhere else to go. */
    (void)FCGX_FPrintF(r->err, "%s\n", line);
}

static void
worker_serve(const struct worker_params *p, struct api *api, FCGX_Request *r)
{
    struct http_request req;
    struct http_response resp;
    struct ddb_stats stats;
    const char *method, *pattern;

    memset(&req, 0, sizeof(req));
    req.log_line = worker_error_line;
    req.log_ctx = r;
    /* Parsed before the slot says busy: the row shows the route the request matched, never
     * its raw URI. nginx has the whole body before it passes the request on, so the parse
     * does not wait on the client. */
    http_req_status parsed =
        http_request_parse(&req, r->envp, worker_read_body, r, (size_t)p->cfg->body_limit);
    api_route_label(api, &req, parsed, &method, &pattern);
    scoreboard_worker_busy(p->sb, p->slot, method, pattern);
    if (parsed == HTTP_REQ_IO) {
        /* The connection broke while the body was coming: nobody is left to answer. */
        log_msg(p->log, CONFIG_LOG_DEBUG, "worker: request %s: connection lost reading the body",
                req.request_id);
    } else {
        http_response_init(&resp);
        api_handle(api, &req, parsed, &resp);
        if (http_response_write(&resp, req.request_id, worker_write, r) != 0)
            log_msg(p->log, CONFIG_LOG_DEBUG, "worker: request %s: connection lost writing",
                    req.request_id);
        http_response_free(&resp);
    }
    http_request_free(&req);
    FCGX_Finish_r(r);
    api_ddb_stats(api, &stats);
    scoreboard_worker_done(p->sb, p->slot, &stats);
}

/* The listening socket, registered once in the worker's own epoll instance with
 * EPOLLEXCLUSIVE: a connection wakes one worker waiting in epoll_pwait, not every idle one as
 * a shared poll did. A worker busy with a request is not waiting, so it never takes a wake
 * from an idle one; back in epoll_pwait it finds a connection still pending at once (level
 * triggered). epoll_pwait unblocks the stop and reopen signals only while waiting, as ppoll
 * did, so none is lost between a check of the flags and the wait; a blocking accept() could
 * not close that window. Returns the epoll descriptor, or -1. */
static int
worker_epoll(const struct worker_params *p)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
    int fd = epoll_create1(EPOLL_CLOEXEC);

    if (fd < 0 || epoll_ctl(fd, EPOLL_CTL_ADD, p->listen_fd, &ev) != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: cannot watch the listening socket: %s",
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Waits until a connection may be accepted, or the kept connection has a request (1), or a
 * signal came (0); -1 if the socket failed. */
static int
worker_wait(const struct worker_params *p, int epfd, const FCGX_Request *r,
            const sigset_t *wait_mask)
{
    if (r->ipcFd >= 0) {
        /* With a connection kept open by the server (fastcgi_keep_conn), the next request
         * arrives on it: this worker's own, so no other wakes for it. */
        struct pollfd pfd = {.fd = r->ipcFd, .events = POLLIN};
        if (ppoll(&pfd, 1, NULL, wait_mask) < 0) {
            if (errno == EINTR)
                return 0;
            log_msg(p->log, CONFIG_LOG_ERROR, "worker: waiting for a request: %s", strerror(errno));
            return -1;
        }
    } else {
        struct epoll_event ev;
        int n = epoll_pwait(epfd, &ev, 1, -1, wait_mask);
        if (n < 0) {
            if (errno == EINTR)
                return 0;
            log_msg(p->log, CONFIG_LOG_ERROR, "worker: waiting for connections: %s",
                    strerror(errno));
            return -1;
        }
        if (n > 0 && (ev.events & EPOLLERR) != 0) {
            log_msg(p->log, CONFIG_LOG_ERROR, "worker: the listening socket failed");
            return -1;
        }
    }
    worker_take_signals(wait_mask);
    return 1;
}

/* Takes a connection from the listening socket into r (1), finds none (0: another worker
 * was faster, or the client left), or fails (-1). The accept is ours rather than libfcgi's so
 * that the worker counts as reading only once it holds a connection, and so that every
 * attempt is counted: FCGX_Accept_r then reads the request from the open connection. */
static int
worker_accept(const struct worker_params *p, FCGX_Request *r)
{
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        scoreboard_count_accept(p->sb, 1);
        /* Nothing waiting, or a connection that failed before it was taken (accept(2) lists
         * the network errors to treat as "try again"). */
        if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED ||
            err == EPROTO || err == ENETDOWN || err == ENOPROTOOPT || err == EHOSTDOWN ||
            err == ENONET || err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH)
            return 0;
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: accept failed: %s", strerror(err));
        return -1;
    }
    scoreboard_count_accept(p->sb, 0);
    r->ipcFd = fd;
    /* FCGX_Accept_r first finishes the previous request, closing its connection unless it
     * was kept: this one is not the previous request's. */
    r->keepConnection = 1;
    return 1;
}

int
worker_run(const struct worker_params *p)
{
    FCGX_Request req;
    struct api_pool pool;
    struct api *api = NULL;
    sigset_t wait_mask;
    char errbuf[512];
    int have_req = 0;
    int epfd = -1;
    long served = 0;
    int rc = WORKER_EXIT_FAIL;

    scoreboard_worker_start(p->sb, p->slot, getpid());
    if (worker_signals(p, &wait_mask) != 0)
        goto out;
    if (FCGX_Init() != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: libfcgi failed to initialise");
        goto out;
    }
    /* FCGX_Init replaces an ignored SIGPIPE with a handler that does nothing, installed
     * without SA_RESTART: a SIGPIPE sent to the worker would then interrupt its read of a
     * request, and nginx would answer 502. Ignored, it interrupts nothing, and a write to a
     * client that left still fails with EPIPE. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    if (sigemptyset(&ign.sa_mask) != 0 || sigaction(SIGPIPE, &ign, NULL) != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: cannot ignore SIGPIPE: %s", strerror(errno));
        goto out;
    }
    pool_view_fill(&pool, p->sb);
    if (api_new(p->cfg, p->sb != NULL ? &pool : NULL, &api, errbuf, sizeof(errbuf)) != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: cannot start: %s", errbuf);
        rc = WORKER_EXIT_CONFIG;
        goto out;
    }
    epfd = worker_epoll(p);
    if (epfd < 0)
        goto out;
    if (FCGX_InitRequest(&req, p->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: libfcgi cannot make a request");
        goto out;
    }
    have_req = 1;
    scoreboard_worker_idle(p->sb, p->slot);
    log_msg(p->log, CONFIG_LOG_DEBUG, "worker ready (generation %u)", p->generation);

    rc = WORKER_EXIT_OK;
    while (!worker_stop_flag && served < p->cfg->max_requests) {
        if (worker_reopen_flag) {
            worker_reopen_flag = 0;
            if (log_reopen(p->log, errbuf, sizeof(errbuf)) < 0)
                log_msg(p->log, CONFIG_LOG_ERROR, "worker: %s", errbuf);
        }
        int ready = worker_wait(p, epfd, &req, &wait_mask);
        if (ready < 0) {
            rc = WORKER_EXIT_FAIL;
            break;
        }
        if (ready == 0 || worker_stop_flag)
            continue;
        if (req.ipcFd < 0) {
            int got = worker_accept(p, &req);
            if (got < 0) {
                rc = WORKER_EXIT_FAIL;
                break;
            }
            if (got == 0)
                continue;
        }
        scoreboard_worker_connected(p->sb, p->slot);
        int accepted = FCGX_Accept_r(&req);
        if (accepted < 0) {
            scoreboard_worker_idle(p->sb, p->slot);
            /* The connection ended before a whole request came; libfcgi then tried the
             * listening socket, which had nothing, or the client left early. */
            if (accepted == -EAGAIN || accepted == -EWOULDBLOCK || accepted == -EINTR ||
                accepted == -ECONNABORTED)
                continue;
            log_msg(p->log, CONFIG_LOG_ERROR, "worker: accept failed: %s",
                    accepted > -10000 && accepted < 0 ? strerror(-accepted) : "libfcgi error");
            rc = WORKER_EXIT_FAIL;
            break;
        }
        worker_serve(p, api, &req);
        served++;
    }
    scoreboard_worker_exiting(p->sb, p->slot);
    if (served >= p->cfg->max_requests)
        log_msg(p->log, CONFIG_LOG_DEBUG, "worker: served its %ld requests, exiting", served);
out:
    if (have_req && req.ipcFd >= 0)
        FCGX_Free(&req, 1);
    if (epfd >= 0)
        close(epfd);
    api_free(api);
    return rc;
}
