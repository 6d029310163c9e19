/* ppoll(): the master sleeps with its signals unblocked only while it sleeps. */
#define _GNU_SOURCE
#include "server/master.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "api/auth.h"
#include "server/control.h"
#include "server/listen.h"
#include "server/log.h"
#include "server/master_state.h"
#include "server/notify.h"
#include "server/scoreboard.h"
#include "server/worker.h"

/* Set by the handlers, read by the loop: the only state signals touch. */
static volatile sig_atomic_t master_stop_flag;
static volatile sig_atomic_t master_reload_flag;
static volatile sig_atomic_t master_reopen_flag;
static volatile sig_atomic_t master_child_flag;
/* The pids of `savealife reload` commands that asked since the loop last looked. */
static volatile sig_atomic_t master_askers[CONTROL_WAITERS];
static volatile sig_atomic_t master_nasking;

static void
master_on_signal(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    switch (sig) {
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
        master_stop_flag = 1;
        break;
    case SIGHUP:
        if (control_is_reload_ask(si)) {
            if (master_nasking < CONTROL_WAITERS)
                master_askers[master_nasking++] = (sig_atomic_t)si->si_pid;
            else
                control_answer_one(si->si_pid, CONTROL_BUSY);
        }
        master_reload_flag = 1;
        break;
    case SIGUSR2: /* php-fpm's reload signal, which operators send by habit */
        master_reload_flag = 1;
        break;
    case SIGUSR1:
        master_reopen_flag = 1;
        break;
    case SIGCHLD:
        master_child_flag = 1;
        break;
    default:
        break;
    }
}

/* Whether a signal keeps its default action in the master: faults must still end it (and
 * leave a core), job control still stops it, and KILL and STOP cannot be caught. */
static int
master_keeps_default(int sig)
{
    static const int keep[] = {SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT, SIGTRAP, SIGSYS,
                               SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        if (keep[i] == sig)
            return 1;
    }
    return 0;
}

/* Blocks the signals we act on (they are taken only while the loop sleeps) and installs
 * the handlers; every other signal whose default would end the master (ALRM, PIPE, IO, PROF,
 * PWR, XCPU, XFSZ, the realtime ones, ...) and has no handler yet is ignored, and its workers
 * inherit that. *wait_mask is the mask to sleep with, *saved the one to restore. */
static int
master_signals(sigset_t *wait_mask, sigset_t *saved, char *errbuf, size_t errlen)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD};
    struct sigaction sa;
    sigset_t block;

    sigemptyset(&block);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaddset(&block, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &block, saved) != 0)
        goto fail;
    *wait_mask = *saved;
    memset(&sa, 0, sizeof(sa));
    /* Handlers never interrupt one another: the askers' list is filled by one at a time. */
    sa.sa_mask = block;
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = master_on_signal;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigdelset(wait_mask, sigs[i]);
        if (sigaction(sigs[i], &sa, NULL) != 0)
            goto fail;
    }
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sa.sa_handler = SIG_IGN;
    for (int s = 1; s < NSIG; s++) {
        struct sigaction old;

        if (sigismember(&block, s) == 1 || master_keeps_default(s))
            continue;
        /* A handler something else set before us (a preloaded profiler or counter) stays. */
        if (sigaction(s, NULL, &old) == 0 && old.sa_handler != SIG_DFL)
            continue;
        /* The C library keeps a few realtime signals for itself and refuses them. */
        if (sigaction(s, &sa, NULL) != 0 && errno != EINVAL)
            goto fail;
    }
    return 0;
fail:
    snprintf(errbuf, errlen, "cannot set up signals: %s", strerror(errno));
    return -1;
}

/* why: what systemd's STATUS= line says, besides the workers finishing. */
static void
master_begin_stop(struct master *m, int exit_code, const char *why, uint64_t now)
{
    char status[NOTIFY_STATUS_MAX];

    if (m->stopping)
        return;
    m->stopping = 1;
    m->exit_code = exit_code;
    log_msg(&m->log, CONFIG_LOG_INFO, "stopping: %zu worker%s finishing their requests",
            m->nchildren, m->nchildren == 1 ? "" : "s");
    snprintf(status, sizeof(status), "stopping (%s): %zu worker%s finishing in-flight requests",
             why, m->nchildren, m->nchildren == 1 ? "" : "s");
    notify_stopping(&m->notify, status);
    control_answer(&m->reload_waiters, CONTROL_STOPPING);
    children_term_all_but(m, 0, now);
}

/* The reload's new generation cannot start: go on with the one still serving. */
static void
master_undo_reload(struct master *m, uint64_t now)
{
    char status[NOTIFY_STATUS_MAX];
    unsigned failed = m->generation;
    log_msg(&m->log, CONFIG_LOG_ERROR,
            "reload failed: workers of generation %u cannot start; generation %u goes on serving",
            failed, m->prev_generation);
    /* systemd must not be left thinking the reload still runs. */
    snprintf(m->status_note, sizeof(m->status_note),
             "last reload failed: its workers could not start (see the log)");
    snprintf(status, sizeof(status),
             "reload failed: workers of generation %u cannot start; generation %u goes on serving",
             failed, m->prev_generation);
    if (m->phase == MASTER_STARTING) {
        /* The first generation is not ready yet: its READY=1 is still to come. */
        notify_status(&m->notify, status);
    } else {
        notify_ready(&m->notify, status);
        m->phase = MASTER_READY;
    }
    control_answer(&m->reload_waiters, CONTROL_FAILED);
    m->generation = m->prev_generation;
    m->cfg = m->prev_cfg;
    m->log.level = m->cfg.log_level;
    m->prev_generation = 0;
    pool_set_target(m);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->children[i].pid != 0 && m->children[i].generation == failed)
            children_term(m, &m->children[i], now);
    }
}

static void
master_reap(struct master *m, uint64_t now)
{
    struct scoreboard_worker w;
    char how[96];
    int status;
    pid_t pid;

    /* Whether any worker served yet decides what a worker that cannot start means. */
    children_mark_ready(m);
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct master_child *c = children_find(m, pid);
        if (c == NULL)
            continue;
        scoreboard_read_slot(m->sb, c->slot, &w);
        scoreboard_release(m->sb, c->slot);
        int clean = WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_OK;
        int asked = c->term_ms != 0 || c->killed;
        int current = c->generation == m->generation && !m->stopping;
        children_describe_exit(status, how, sizeof(how));
        if (clean && !asked)
            log_msg(&m->log, CONFIG_LOG_INFO,
                    "worker %ld served its %lu requests (generation %u)%s", (long)pid, w.requests,
                    c->generation, current ? ": replacing it" : "");
        else if (clean || (asked && !c->killed))
            log_msg(&m->log, CONFIG_LOG_INFO,
                    "worker %ld stopped after %lu requests "
                    "(generation %u)",
                    (long)pid, w.requests, c->generation);
        else if (c->killed)
            log_msg(&m->log, CONFIG_LOG_INFO, "worker %ld %s (generation %u)%s", (long)pid, how,
                    c->generation, current ? ": replacing it" : "");
        else
            log_msg(&m->log, CONFIG_LOG_WARN, "worker %ld %s (generation %u)%s", (long)pid, how,
                    c->generation, current ? ": replacing it" : "");

        int config_failure = WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_CONFIG;
        unsigned gen = c->generation;
        memset(c, 0, sizeof(*c));
        m->nchildren--;
        if (config_failure && !asked && gen == m->generation && !m->stopping) {
            if (m->prev_generation != 0) {
                master_undo_reload(m, now);
                continue;
            }
            if (!m->ever_ready) {
                log_msg(&m->log, CONFIG_LOG_ERROR, "workers cannot start: giving up");
                master_begin_stop(m, EXIT_FAILURE, "workers cannot start: giving up", now);
                continue;
            }
        }
        if (!clean && !asked)
            children_note_death(m, now);
    }
}

/* Once the first workers all serve, systemd is told the service is ready. Once every worker
 * of a reload's generation serves, the generations before it are told to stop, and systemd
 * that the reload is done. */
static void
master_check_ready(struct master *m, uint64_t now)
{
    char status[NOTIFY_STATUS_MAX];
    int pending = 0, ready = 0;

    children_mark_ready(m);
    for (size_t i = 0; i < m->cap; i++) {
        const struct master_child *c = &m->children[i];
        if (c->pid == 0)
            continue;
        if (c->generation == m->generation && c->term_ms == 0) {
            if (c->ready)
                ready++;
            else
                pending++;
        }
    }
    int need = pool_dynamic(m) ? m->cfg.workers_min : m->cfg.workers;
    if (m->stopping || pending > 0 || ready < need)
        return;
    if (m->prev_generation == 0) {
        if (m->phase != MASTER_STARTING)
            return;
        log_msg(&m->log, CONFIG_LOG_INFO,
                "ready: the %d workers of generation %u accept connections", ready, m->generation);
        snprintf(status, sizeof(status), "ready: %d workers accept connections", ready);
        notify_ready(&m->notify, status);
        m->phase = MASTER_READY;
        m->next_status_ms = now + MASTER_STATUS_MS;
        /* A reload asked for while starting is in this first generation. */
        control_answer(&m->reload_waiters, CONTROL_RELOADED);
        return;
    }
    log_msg(&m->log, CONFIG_LOG_INFO,
            "reload: the %d workers of generation %u accept connections; older workers finish "
            "their requests and exit",
            ready, m->generation);
    m->prev_generation = 0;
    children_term_all_but(m, m->generation, now);
    m->status_note[0] = '\0';
    snprintf(status, sizeof(status), "reloaded: the %d workers of generation %u accept connections",
             ready, m->generation);
    notify_ready(&m->notify, status);
    m->phase = MASTER_READY;
    m->next_status_ms = now + MASTER_STATUS_MS;
    control_answer(&m->reload_waiters, CONTROL_RELOADED);
}

/* A reload that cannot happen: logged, its askers answered, and systemd told that the serving
 * generation is still ready, unless an earlier reload still waits for its workers (its end
 * tells it and its own askers). */
static void
master_refuse_reload(struct master *m, const char *why, struct control_waiters *asking)
{
    char status[NOTIFY_STATUS_MAX];

    log_msg(&m->log, CONFIG_LOG_ERROR, "reload refused: %s; generation %u goes on serving", why,
            m->prev_generation != 0 ? m->prev_generation : m->generation);
    snprintf(m->status_note, sizeof(m->status_note),
             "last reload refused: bad configuration (see the log)");
    snprintf(status, sizeof(status), "reload refused: %s", why);
    control_answer(asking, CONTROL_REFUSED);
    if (m->phase == MASTER_RELOADING && m->prev_generation == 0) {
        notify_ready(&m->notify, status);
        m->phase = MASTER_READY;
    } else {
        notify_status(&m->notify, status);
    }
}

/* asking: the `savealife reload`s that asked for this reload; they wait for its end. */
static void
master_reload(struct master *m, uint64_t now, struct control_waiters *asking)
{
    struct config next;
    struct auth *auth = NULL;
    char errbuf[512], pool[64];

    if (m->stopping) {
        control_answer(asking, CONTROL_STOPPING);
        return;
    }
    log_msg(&m->log, CONFIG_LOG_INFO, "reload: reading the configuration again");
    /* Before starting, the READY=1 still to come covers the reload too. */
    if (m->phase != MASTER_STARTING) {
        notify_reloading(&m->notify, "reloading: reading the configuration again");
        m->phase = MASTER_RELOADING;
    }
    if (config_load(&next, m->argc, m->argv, errbuf, sizeof(errbuf)) != 0) {
        master_refuse_reload(m, errbuf, asking);
        return;
    }
    errbuf[0] = '\0';
    int loaded = auth_load(next.tokens_file, &auth, errbuf, sizeof(errbuf));
    auth_free(auth);
    if (loaded < 0) {
        master_refuse_reload(m, errbuf, asking);
        return;
    }
    if (loaded == 1)
        log_msg(&m->log, CONFIG_LOG_WARN, "reload: %s", errbuf);
    /* The socket stays open through a reload: that is what keeps connections flowing. A
     * socket systemd handed over has the socket unit's settings, not ours. */
    if (strcmp(next.listen, m->cfg.listen) != 0 || next.socket_mode != m->cfg.socket_mode ||
        strcmp(next.socket_group, m->cfg.socket_group) != 0) {
        if (!m->listener.activated)
            log_msg(&m->log, CONFIG_LOG_WARN,
                    "reload: the listening socket's settings changed; a restart applies them");
        memcpy(next.listen, m->cfg.listen, sizeof(next.listen));
        next.socket_mode = m->cfg.socket_mode;
        memcpy(next.socket_group, m->cfg.socket_group, sizeof(next.socket_group));
    }
    if (m->prev_generation == 0) {
        m->prev_generation = m->generation;
        m->prev_cfg = m->cfg;
    } else {
        /* A reload while one waits: its generation is superseded before it served. */
        for (size_t i = 0; i < m->cap; i++) {
            if (m->children[i].pid != 0 && m->children[i].generation == m->generation)
                children_term(m, &m->children[i], now);
        }
    }
    m->cfg = next;
    m->log.level = next.log_level;
    m->generation = ++m->last_generation;
    m->next_spawn_ms = 0;
    pool_set_target(m);
    m->spawn_burst = 0;
    log_msg(&m->log, CONFIG_LOG_INFO,
            "reload: starting generation %u (%s); generation %u serves until they are ready",
            m->generation, pool_text(m, pool, sizeof(pool)), m->prev_generation);
    pool_warn(m);
    /* The askers of a reload this one supersedes wait for this one's end, with its own. */
    control_waiters_take(&m->reload_waiters, asking);
}

static void
master_reopen(struct master *m)
{
    char errbuf[512];

    int rc = log_reopen(&m->log, errbuf, sizeof(errbuf));
    if (rc < 0)
        log_msg(&m->log, CONFIG_LOG_ERROR, "%s", errbuf);
    else if (rc == 0)
        log_msg(&m->log, CONFIG_LOG_INFO, "log reopened");
    for (size_t i = 0; i < m->cap; i++) {
        if (m->children[i].pid != 0 && !m->children[i].killed &&
            kill(m->children[i].pid, SIGUSR1) != 0 && errno != ESRCH)
            log_msg(&m->log, CONFIG_LOG_ERROR, "cannot signal worker %ld: %s",
                    (long)m->children[i].pid, strerror(errno));
    }
}

/* systemd's STATUS= line every MASTER_STATUS_MS: the pool's figures as GET /api/status gives
 * them (total_processes, active_processes, idle_processes, accepted_conn). */
static void
master_report_status(struct master *m, uint64_t now)
{
    struct scoreboard_pool pool;
    char status[NOTIFY_STATUS_MAX];
    size_t n;

    if (m->notify.fd < 0 || m->phase == MASTER_STARTING || now < m->next_status_ms)
        return;
    m->next_status_ms = now + MASTER_STATUS_MS;
    (void)scoreboard_read(m->sb, &pool, NULL, 0, &n);
    if (m->stopping)
        snprintf(status, sizeof(status),
                 "stopping: %zu worker%s finishing in-flight requests; %lu requests accepted",
                 m->nchildren, m->nchildren == 1 ? "" : "s", pool.accepted);
    else
        snprintf(status, sizeof(status), "%u worker%s: %u busy, %u idle; %lu requests accepted%s%s",
                 pool.total, pool.total == 1 ? "" : "s", pool.active, pool.idle, pool.accepted,
                 m->status_note[0] != '\0' ? "; " : "", m->status_note);
    notify_status(&m->notify, status);
}

/* How long the loop may sleep. */
static int
master_sleep_ms(const struct master *m, uint64_t now)
{
    uint64_t ms = MASTER_TICK_MS;
    /* While starting, READY=1 should follow the workers closely. */
    if (m->prev_generation != 0 || m->stopping || m->phase == MASTER_STARTING)
        ms = MASTER_FAST_TICK_MS;
    if (pool_dynamic(m) && !m->stopping && ms > MASTER_POOL_TICK_MS)
        ms = MASTER_POOL_TICK_MS;
    if (!m->stopping && m->next_spawn_ms > now && m->next_spawn_ms - now < ms)
        ms = m->next_spawn_ms - now;
    return notify_sleep_ms(&m->notify, now, (int)ms);
}

static void
master_free(struct master *m)
{
    if (m == NULL)
        return;
    listen_close(&m->listener);
    notify_close(&m->notify);
    scoreboard_free(m->sb);
    free(m->children);
    free(m);
}

int
master_run(const struct config *cfg, int argc, char *const argv[])
{
    struct master *m = NULL;
    sigset_t wait_mask, saved_mask;
    char errbuf[512], pool[64], status[NOTIFY_STATUS_MAX];
    int have_mask = 0;
    int rc = EXIT_FAILURE;
    int in_child = 0;

    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        fprintf(stderr, "savealife: out of memory\n");
        return EXIT_FAILURE;
    }
    m->cfg = *cfg;
    m->argc = argc;
    m->argv = argv;
    m->pid = getpid();
    m->listener.fd = -1;
    log_init(&m->log, cfg->log_level);
    notify_open(&m->notify, &m->log, scoreboard_now_ms());
    errbuf[0] = '\0';
    if (master_signals(&wait_mask, &saved_mask, errbuf, sizeof(errbuf)) != 0)
        goto out;
    have_mask = 1;
    if (listen_open(&m->cfg, &m->listener, errbuf, sizeof(errbuf)) != 0)
        goto out;
    if (m->listener.warning[0] != '\0')
        log_msg(&m->log, CONFIG_LOG_WARN, "%s", m->listener.warning);
    if (scoreboard_new(MASTER_SLOTS, &m->sb, errbuf, sizeof(errbuf)) != 0)
        goto out;
    m->cap = scoreboard_capacity(m->sb);
    m->children = calloc(m->cap, sizeof(*m->children));
    if (m->children == NULL) {
        snprintf(errbuf, sizeof(errbuf), "out of memory");
        goto out;
    }
    errbuf[0] = '\0';
    m->generation = m->last_generation = 1;
    pool_set_target(m);
    log_msg(&m->log, CONFIG_LOG_INFO,
            "listening on %s: %s, %ld requests each, request timeout %ld s", m->listener.describe,
            pool_text(m, pool, sizeof(pool)), m->cfg.max_requests, m->cfg.request_timeout);
    pool_warn(m);
    snprintf(status, sizeof(status), "starting %s", pool_text(m, pool, sizeof(pool)));
    notify_status(&m->notify, status);

    for (;;) {
        uint64_t now = scoreboard_now_ms();
        if (master_child_flag) {
            master_child_flag = 0;
            master_reap(m, now);
        }
        if (master_stop_flag)
            master_begin_stop(m, EXIT_SUCCESS, "asked to stop", now);
        if (master_reload_flag) {
            struct control_waiters asking = {.n = 0};
            /* Signals are blocked here: the handler cannot add an asker meanwhile. */
            for (sig_atomic_t i = 0; i < master_nasking; i++)
                asking.pid[asking.n++] = (pid_t)master_askers[i];
            master_nasking = 0;
            master_reload_flag = 0;
            master_reload(m, now, &asking);
        }
        if (master_reopen_flag) {
            master_reopen_flag = 0;
            master_reopen(m);
        }
        children_calm(m, now);
        master_check_ready(m, now);
        children_check_timeouts(m, now);
        pool_shrink(m, now);
        master_report_status(m, now);
        notify_watchdog(&m->notify, now);
        if (m->stopping && m->nchildren == 0)
            break;
        if (pool_spawn(m, now, &rc) != 0) {
            in_child = 1;
            goto out;
        }
        int ms = master_sleep_ms(m, now);
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        /* Signals are blocked outside this call: one that came meanwhile is pending and
         * interrupts it at once, so none is missed. */
        if (ppoll(NULL, 0, &ts, &wait_mask) < 0 && errno != EINTR) {
            log_msg(&m->log, CONFIG_LOG_ERROR, "waiting: %s", strerror(errno));
            master_begin_stop(m, EXIT_FAILURE, "the master's wait failed", now);
        }
    }
    rc = m->exit_code;
    control_answer(&m->reload_waiters, CONTROL_STOPPING);
    log_msg(&m->log, CONFIG_LOG_INFO, "stopped");
out:
    /* The reason a start failed is the last thing systemd shows for the service. */
    if (!in_child && errbuf[0] != '\0') {
        log_msg(&m->log, CONFIG_LOG_ERROR, "cannot start: %s", errbuf);
        snprintf(status, sizeof(status), "cannot start: %s", errbuf);
        notify_status(&m->notify, status);
    }
    /* Returning to main: nothing is left to act on the signals, so their failure to
     * unblock has no one to tell. */
    if (!in_child && have_mask)
        (void)sigprocmask(SIG_SETMASK, &saved_mask, NULL);
    master_free(m);
    return rc;
}
