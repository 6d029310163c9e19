/* ppoll(): wait on the listening socket with signals unblocked only while waiting. */
#define _GNU_SOURCE
#include "server/worker.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "api/api.h"
#include "http/request.h"
#include "http/response.h"

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
    /* A hang-up is the master's to act on (it reloads); a client gone mid-write is an error
     * from write, not a death. */
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGHUP, &sa, NULL) != 0 || sigaction(SIGPIPE, &sa, NULL) != 0)
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
 * ppoll reports a ready socket without running them, and under steady load the socket is
 * always ready. */
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

    scoreboard_worker_busy(p->sb, p->slot, FCGX_GetParam("REQUEST_METHOD", r->envp),
                           FCGX_GetParam("REQUEST_URI", r->envp));
    memset(&req, 0, sizeof(req));
    req.log_line = worker_error_line;
    req.log_ctx = r;
    http_req_status parsed =
        http_request_parse(&req, r->envp, worker_read_body, r, (size_t)p->cfg->body_limit);
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

/* Waits until a connection may be accepted (1) or a signal came (0); -1 if the socket
 * failed. */
static int
worker_wait(const struct worker_params *p, const FCGX_Request *r, const sigset_t *wait_mask)
{
    /* With a connection kept open by the server (fastcgi_keep_conn), the next request
     * arrives on it rather than on the listening socket. */
    struct pollfd pfd = {.fd = r->ipcFd >= 0 ? r->ipcFd : p->listen_fd, .events = POLLIN};

    int n = ppoll(&pfd, 1, NULL, wait_mask);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: waiting for connections: %s", strerror(errno));
        return -1;
    }
    if (r->ipcFd < 0 && (pfd.revents & (POLLERR | POLLNVAL)) != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: the listening socket failed");
        return -1;
    }
    worker_take_signals(wait_mask);
    return 1;
}

int
worker_run(const struct worker_params *p)
{
    FCGX_Request req;
    struct api *api = NULL;
    sigset_t wait_mask;
    char errbuf[512];
    int have_req = 0;
    long served = 0;
    int rc = WORKER_EXIT_FAIL;

    scoreboard_worker_start(p->sb, p->slot, getpid());
    if (worker_signals(p, &wait_mask) != 0)
        goto out;
    if (FCGX_Init() != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: libfcgi failed to initialise");
        goto out;
    }
    if (api_new(p->cfg, p->sb, &api, errbuf, sizeof(errbuf)) != 0) {
        log_msg(p->log, CONFIG_LOG_ERROR, "worker: cannot start: %s", errbuf);
        rc = WORKER_EXIT_CONFIG;
        goto out;
    }
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
        int ready = worker_wait(p, &req, &wait_mask);
        if (ready < 0) {
            rc = WORKER_EXIT_FAIL;
            break;
        }
        if (ready == 0 || worker_stop_flag)
            continue;
        scoreboard_worker_reading(p->sb, p->slot);
        int accepted = FCGX_Accept_r(&req);
        if (accepted < 0) {
            scoreboard_worker_idle(p->sb, p->slot);
            /* Another worker took the connection first, or the client left early. */
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
    api_free(api);
    return rc;
}
