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
#include "server/notify.h"
#include "server/scoreboard.h"
#include "server/worker.h"

/* Twice the most workers the configuration allows, so two full generations fit at once. */
#define MASTER_SLOTS 2048
#define MASTER_TICK_MS 1000
#define MASTER_FAST_TICK_MS 100
/* A dynamic pool is looked at every POOL_TICK_MS (php-fpm: every second), so that load is
 * seen at once. While spare workers are short, each look forks the spare workers missing or,
 * if more, a burst that doubles with each look still short, up to POOL_MAX_BURST
 * (php-fpm's pm.max_spawn_rate): from idle to 64 busy in well under a second, at the cost of
 * up to one burst more than the load needs, stopped one a second once idle. */
#define MASTER_POOL_TICK_MS 100
#define MASTER_POOL_MAX_BURST 32
/* A dynamic pool stops a surplus worker only once it has served nothing for this long: under
 * steady load every worker the load needs is woken every few milliseconds, so one stopped
 * then would only be started again at the next peak (a fork and a warm-up each time). */
#define MASTER_IDLE_STOP_MS 3000
/* Beyond the request timeout, how long a worker told to stop may take before it is killed. */
#define MASTER_STOP_GRACE_MS 5000
/* More than STORM_DEATHS unexpected deaths within STORM_WINDOW_MS slow respawning down. */
#define STORM_DEATHS 5
#define STORM_WINDOW_MS 10000
#define STORM_FIRST_DELAY_MS 100
#define STORM_MAX_DELAY_MS 5000
#define FORK_RETRY_MS 1000
/* How often systemd's STATUS= line is refreshed. */
#define MASTER_STATUS_MS 5000

/* What systemd has been told of the service's state (Type=notify). */
enum master_phase {
    MASTER_STARTING,  /* no READY=1 yet */
    MASTER_READY,     /* READY=1 sent */
    MASTER_RELOADING, /* RELOADING=1 sent; READY=1 follows whatever the reload's outcome */
};

struct master_child {
    pid_t pid; /* 0: a free entry */
    size_t slot;
    unsigned generation;
    uint64_t term_ms; /* when it was sent SIGTERM; 0 if not */
    int ready;        /* its slot has shown it serving */
    int killed;       /* we sent it SIGKILL */
};

struct master {
    struct config cfg;      /* the current generation's */
    struct config prev_cfg; /* the serving generation's, while a reload waits for its workers */
    int argc;
    char *const *argv;
    struct log log;
    struct listener listener;
    struct scoreboard *sb;
    struct master_child *children;
    size_t nchildren; /* entries in use */
    size_t cap;
    pid_t pid;
    unsigned generation;      /* the generation the pool is made of (or is becoming) */
    unsigned prev_generation; /* while a reload waits: the generation still serving; else 0 */
    unsigned last_generation; /* generations are never reused, even when a reload is undone */
    int stopping;
    int exit_code;
    int ever_ready;
    int slots_full_logged;
    uint64_t deaths[STORM_DEATHS + 1]; /* ring of unexpected deaths' times */
    size_t ndeaths, death_next;
    uint64_t last_death_ms;
    unsigned delay_ms; /* respawn delay while deaths come fast; 0: at once */
    uint64_t next_spawn_ms;
    uint64_t last_shrink_ms;
    int spawn_burst;       /* the next look's burst while spare workers stay short; 0: none */
    uint64_t next_grow_ms; /* when a dynamic pool may next grow for want of spare workers */
    int max_logged;        /* the pool at its maximum was logged */
    struct notify notify;
    enum master_phase phase;
    uint64_t next_status_ms;
    char status_note[160]; /* appended to STATUS= lines: the last reload's failure; "" if none */
    struct control_waiters reload_waiters; /* `savealife reload`s waiting for the reload's end */
};

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

/* Whether the pool is dynamic (php-fpm's pm = dynamic): between a number of spare workers
 * and a maximum, instead of a fixed count. */
static int
master_dynamic(const struct master *m)
{
    return m->cfg.workers_max > 0;
}

/* What the scoreboard counts a full pool against: the fixed count or the maximum. */
static void
master_set_target(struct master *m)
{
    scoreboard_set_target(m->sb,
                          (unsigned)(master_dynamic(m) ? m->cfg.workers_max : m->cfg.workers));
}

/* A static size given with a dynamic pool's bounds is not used: say so. */
static void
master_warn_pool(const struct master *m)
{
    if (master_dynamic(m) && m->cfg.workers > 0)
        log_msg(&m->log, CONFIG_LOG_WARN,
                "SAVEALIFE_WORKERS (%d) is ignored: SAVEALIFE_WORKERS_MIN or "
                "SAVEALIFE_WORKERS_MAX is set, so the pool is dynamic",
                m->cfg.workers);
}

/* "4 workers" or "1 to 5 workers, 2 spare", for logs. */
static const char *
master_pool_text(const struct master *m, char *buf, size_t len)
{
    if (master_dynamic(m))
        snprintf(buf, len, "up to %d workers, %d spare", m->cfg.workers_max, m->cfg.workers_min);
    else
        snprintf(buf, len, "%d workers", m->cfg.workers);
    return buf;
}

static struct master_child *
master_find(struct master *m, pid_t pid)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->children[i].pid == pid)
            return &m->children[i];
    }
    return NULL;
}

static void
master_term(struct master *m, struct master_child *c, uint64_t now)
{
    if (c->term_ms != 0 || c->killed)
        return;
    if (kill(c->pid, SIGTERM) != 0 && errno != ESRCH)
        log_msg(&m->log, CONFIG_LOG_ERROR, "cannot signal worker %ld: %s", (long)c->pid,
                strerror(errno));
    c->term_ms = now != 0 ? now : 1;
}

/* SIGTERM to every worker not of generation keep (0: to all). */
static void
master_term_all_but(struct master *m, unsigned keep, uint64_t now)
{
    for (size_t i = 0; i < m->cap; i++) {
        struct master_child *c = &m->children[i];
        if (c->pid != 0 && (keep == 0 || c->generation != keep))
            master_term(m, c, now);
    }
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
    master_term_all_but(m, 0, now);
}

/* A death we did not ask for: more than STORM_DEATHS within STORM_WINDOW_MS slow respawning,
 * doubling the delay with each further death up to STORM_MAX_DELAY_MS. */
static void
master_note_death(struct master *m, uint64_t now)
{
    m->deaths[m->death_next] = now;
    m->death_next = (m->death_next + 1) % (STORM_DEATHS + 1);
    if (m->ndeaths < STORM_DEATHS + 1)
        m->ndeaths++;
    m->last_death_ms = now;
    /* Full ring: the entry to be overwritten next is the oldest. */
    if (m->ndeaths == STORM_DEATHS + 1 && now - m->deaths[m->death_next] <= STORM_WINDOW_MS) {
        unsigned next = m->delay_ms == 0 ? STORM_FIRST_DELAY_MS : m->delay_ms * 2;
        if (next > STORM_MAX_DELAY_MS)
            next = STORM_MAX_DELAY_MS;
        if (next != m->delay_ms) {
            m->delay_ms = next;
            log_msg(&m->log, CONFIG_LOG_WARN,
                    "workers are dying fast (more than %d within %d s): starting one every %u ms",
                    STORM_DEATHS, STORM_WINDOW_MS / 1000, m->delay_ms);
        }
    }
}

static void
master_calm(struct master *m, uint64_t now)
{
    if (m->delay_ms == 0 || now - m->last_death_ms <= STORM_WINDOW_MS)
        return;
    m->delay_ms = 0;
    m->ndeaths = 0;
    log_msg(&m->log, CONFIG_LOG_INFO, "no worker died for %d s: replacing workers at once again",
            STORM_WINDOW_MS / 1000);
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
    master_set_target(m);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->children[i].pid != 0 && m->children[i].generation == failed)
            master_term(m, &m->children[i], now);
    }
}

static void
master_describe_exit(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "ended (wait status %d)", status);
}

/* Marks workers whose slot has shown them serving. */
static void
master_mark_ready(struct master *m)
{
    struct scoreboard_worker w;

    for (size_t i = 0; i < m->cap; i++) {
        struct master_child *c = &m->children[i];
        if (c->pid == 0 || c->ready)
            continue;
        scoreboard_read_slot(m->sb, c->slot, &w);
        if (w.state == SCOREBOARD_IDLE || w.state == SCOREBOARD_READING ||
            w.state == SCOREBOARD_BUSY || (w.state == SCOREBOARD_EXITING && w.requests > 0)) {
            c->ready = 1;
            m->ever_ready = 1;
        }
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
    master_mark_ready(m);
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct master_child *c = master_find(m, pid);
        if (c == NULL)
            continue;
        scoreboard_read_slot(m->sb, c->slot, &w);
        scoreboard_release(m->sb, c->slot);
        int clean = WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_OK;
        int asked = c->term_ms != 0 || c->killed;
        int current = c->generation == m->generation && !m->stopping;
        master_describe_exit(status, how, sizeof(how));
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
            master_note_death(m, now);
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

    master_mark_ready(m);
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
    int need = master_dynamic(m) ? m->cfg.workers_min : m->cfg.workers;
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
    master_term_all_but(m, m->generation, now);
    m->status_note[0] = '\0';
    snprintf(status, sizeof(status), "reloaded: the %d workers of generation %u accept connections",
             ready, m->generation);
    notify_ready(&m->notify, status);
    m->phase = MASTER_READY;
    m->next_status_ms = now + MASTER_STATUS_MS;
    control_answer(&m->reload_waiters, CONTROL_RELOADED);
}

/* Kills workers stuck in a request past the timeout, and workers that were told to stop
 * and did not within the timeout and a grace period. */
static void
master_check_timeouts(struct master *m, uint64_t now)
{
    struct scoreboard_worker w;
    uint64_t limit = (uint64_t)m->cfg.request_timeout * 1000u;

    for (size_t i = 0; i < m->cap; i++) {
        struct master_child *c = &m->children[i];
        if (c->pid == 0 || c->killed)
            continue;
        scoreboard_read_slot(m->sb, c->slot, &w);
        int running = w.state == SCOREBOARD_READING || w.state == SCOREBOARD_BUSY;
        if (running && w.request_ms != 0 && now > w.request_ms && now - w.request_ms > limit) {
            /* SIGTERM would wait for the request it is stuck in. */
            if (kill(c->pid, SIGKILL) == 0 || errno == ESRCH) {
                c->killed = 1;
                scoreboard_count_slow(m->sb);
                log_msg(&m->log, CONFIG_LOG_WARN,
                        "worker %ld: request \"%s\" ran past the %ld s timeout: killed",
                        (long)c->pid, w.state == SCOREBOARD_READING ? "(reading)" : w.route,
                        m->cfg.request_timeout);
            }
        } else if (c->term_ms != 0 && now - c->term_ms > limit + MASTER_STOP_GRACE_MS) {
            if (kill(c->pid, SIGKILL) == 0 || errno == ESRCH) {
                c->killed = 1;
                log_msg(&m->log, CONFIG_LOG_WARN, "worker %ld did not stop within %ld s: killed",
                        (long)c->pid, (long)((limit + MASTER_STOP_GRACE_MS) / 1000u));
            }
        }
    }
}

/* Forks one worker. Returns 0 in the master (or -1 if it could not), 1 in the child after
 * the worker is done, with its exit status in *child_rc. */
static int
master_fork(struct master *m, uint64_t now, int *child_rc)
{
    struct master_child *c = NULL;
    size_t slot;

    if (scoreboard_claim(m->sb, m->generation, &slot) != 0) {
        if (!m->slots_full_logged)
            log_msg(&m->log, CONFIG_LOG_WARN,
                    "every scoreboard slot is in use: new workers wait for old ones to exit");
        m->slots_full_logged = 1;
        return -1;
    }
    m->slots_full_logged = 0;
    for (size_t i = 0; i < m->cap && c == NULL; i++) {
        if (m->children[i].pid == 0)
            c = &m->children[i];
    }
    if (c == NULL) {
        scoreboard_release(m->sb, slot);
        return -1;
    }
    /* Nothing buffered may be written twice. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        log_msg(&m->log, CONFIG_LOG_ERROR, "cannot fork a worker: %s", strerror(errno));
        scoreboard_release(m->sb, slot);
        m->next_spawn_ms = now + FORK_RETRY_MS;
        return -1;
    }
    if (pid == 0) {
        /* Only the master speaks to systemd. */
        notify_close(&m->notify);
        struct worker_params wp = {
            .cfg = &m->cfg,
            .log = &m->log,
            .listen_fd = m->listener.fd,
            .master_pid = m->pid,
            .sb = m->sb,
            .slot = slot,
            .generation = m->generation,
        };
        *child_rc = worker_run(&wp);
        return 1;
    }
    memset(c, 0, sizeof(*c));
    c->pid = pid;
    c->slot = slot;
    c->generation = m->generation;
    m->nchildren++;
    log_msg(&m->log, CONFIG_LOG_INFO, "worker %ld started (generation %u)", (long)pid,
            m->generation);
    return 0;
}

/* The workers of the current generation that count for its size ("have"), those of them
 * that are spare (idle, or starting and so about to be), and of these the starting ones. */
static void
master_census(struct master *m, int *have, int *spare, int *starting)
{
    struct scoreboard_worker w;

    *have = *spare = *starting = 0;
    for (size_t i = 0; i < m->cap; i++) {
        const struct master_child *c = &m->children[i];
        if (c->pid == 0 || c->generation != m->generation || c->term_ms != 0 || c->killed)
            continue;
        (*have)++;
        scoreboard_read_slot(m->sb, c->slot, &w);
        if (w.state == SCOREBOARD_STARTING || w.state == SCOREBOARD_IDLE)
            (*spare)++;
        if (w.state == SCOREBOARD_STARTING)
            (*starting)++;
    }
}

/* How many workers the current generation should have: the fixed count; or, for a dynamic
 * pool short of workers_min spare ones, the missing ones or the burst if larger (see
 * MASTER_POOL_TICK_MS), up to workers_max; *grow is set when that is growth for want of spare
 * workers, at most once a look. */
static int
master_wanted(struct master *m, uint64_t now, int have, int spare, int starting, int *grow)
{
    *grow = 0;
    if (!master_dynamic(m))
        return m->cfg.workers;
    int missing = m->cfg.workers_min - spare;
    int want = have;
    if (missing <= 0) {
        /* Enough spare: the next shortage starts small again, once the new ones serve. */
        if (starting == 0)
            m->spawn_burst = 0;
    } else if (now >= m->next_grow_ms) {
        want = have + (missing > m->spawn_burst ? missing : m->spawn_burst);
        *grow = 1;
    }
    if (want < m->cfg.workers_min)
        want = m->cfg.workers_min;
    return want > m->cfg.workers_max ? m->cfg.workers_max : want;
}

/* A dynamic pool with more spare workers than twice the minimum stops one idle worker a
 * tick, as php-fpm does beyond pm.max_spare_servers: the one idle longest, and only once it
 * has been idle for MASTER_IDLE_STOP_MS. */
static void
master_shrink(struct master *m, uint64_t now)
{
    struct scoreboard_worker w;
    int have, spare, starting;

    if (!master_dynamic(m) || m->stopping || m->prev_generation != 0 ||
        now - m->last_shrink_ms < MASTER_TICK_MS)
        return;
    master_census(m, &have, &spare, &starting);
    if (spare <= 2 * m->cfg.workers_min || have <= m->cfg.workers_min)
        return;
    struct master_child *oldest = NULL;
    uint64_t oldest_since = 0;
    for (size_t i = 0; i < m->cap; i++) {
        struct master_child *c = &m->children[i];
        uint64_t since;

        if (c->pid == 0 || c->generation != m->generation || c->term_ms != 0 || c->killed)
            continue;
        scoreboard_read_slot(m->sb, c->slot, &w);
        if (w.state != SCOREBOARD_IDLE)
            continue;
        /* Idle since its last request began, or since it started if it has served none. */
        since = w.request_ms > w.started_ms ? w.request_ms : w.started_ms;
        if (now < since + MASTER_IDLE_STOP_MS || (oldest != NULL && since >= oldest_since))
            continue;
        oldest = c;
        oldest_since = since;
    }
    if (oldest == NULL)
        return;
    log_msg(&m->log, CONFIG_LOG_DEBUG, "pool: %d spare workers: stopping worker %ld", spare,
            (long)oldest->pid);
    master_term(m, oldest, now);
    m->last_shrink_ms = now;
}

/* Starts the workers the current generation lacks: at once, or one per delay while they
 * die fast. Returns 1 in a forked child (see master_fork), else 0. */
static int
master_spawn(struct master *m, uint64_t now, int *child_rc)
{
    int have, spare, starting, grow;

    if (m->stopping)
        return 0;
    master_census(m, &have, &spare, &starting);
    int want = master_wanted(m, now, have, spare, starting, &grow);
    if (grow) {
        if (want > have) {
            log_msg(&m->log, CONFIG_LOG_DEBUG, "pool: %d of %d workers spare: starting %d more",
                    spare, have, want - have);
            int next = 2 * (want - have);
            m->spawn_burst = next > MASTER_POOL_MAX_BURST ? MASTER_POOL_MAX_BURST : next;
            m->max_logged = 0;
        } else if (!m->max_logged) {
            /* php-fpm's "server reached pm.max_children": requests may now wait. */
            log_msg(&m->log, CONFIG_LOG_WARN,
                    "pool: at its maximum of %d workers (SAVEALIFE_WORKERS_MAX) with %d spare: "
                    "requests may wait in the socket's backlog",
                    have, spare);
            m->max_logged = 1;
        }
        m->next_grow_ms = now + MASTER_POOL_TICK_MS;
    }
    while (have < want && now >= m->next_spawn_ms) {
        int rc = master_fork(m, now, child_rc);
        if (rc != 0)
            return rc > 0 ? 1 : 0;
        have++;
        if (m->delay_ms > 0)
            m->next_spawn_ms = now + m->delay_ms;
    }
    return 0;
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
                master_term(m, &m->children[i], now);
        }
    }
    m->cfg = next;
    m->log.level = next.log_level;
    m->generation = ++m->last_generation;
    m->next_spawn_ms = 0;
    master_set_target(m);
    m->spawn_burst = 0;
    log_msg(&m->log, CONFIG_LOG_INFO,
            "reload: starting generation %u (%s); generation %u serves until they are ready",
            m->generation, master_pool_text(m, pool, sizeof(pool)), m->prev_generation);
    master_warn_pool(m);
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
    if (master_dynamic(m) && !m->stopping && ms > MASTER_POOL_TICK_MS)
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
    master_set_target(m);
    log_msg(&m->log, CONFIG_LOG_INFO,
            "listening on %s: %s, %ld requests each, request timeout %ld s", m->listener.describe,
            master_pool_text(m, pool, sizeof(pool)), m->cfg.max_requests, m->cfg.request_timeout);
    master_warn_pool(m);
    snprintf(status, sizeof(status), "starting %s", master_pool_text(m, pool, sizeof(pool)));
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
        master_calm(m, now);
        master_check_ready(m, now);
        master_check_timeouts(m, now);
        master_shrink(m, now);
        master_report_status(m, now);
        notify_watchdog(&m->notify, now);
        if (m->stopping && m->nchildren == 0)
            break;
        if (master_spawn(m, now, &rc) != 0) {
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
