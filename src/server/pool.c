/* The pool's size (server/master_state.h): a fixed count, or php-fpm's dynamic pool between
 * spare workers and a maximum; forking the workers missing and stopping a surplus one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/master_state.h"
#include "server/worker.h"

/* Whether the pool is dynamic (php-fpm's pm = dynamic): between a number of spare workers
 * and a maximum, instead of a fixed count. */
int
pool_dynamic(const struct master *m)
{
    return m->cfg.workers_max > 0;
}

/* What the scoreboard counts a full pool against: the fixed count or the maximum. */
void
pool_set_target(struct master *m)
{
    scoreboard_set_target(m->sb, (unsigned)(pool_dynamic(m) ? m->cfg.workers_max : m->cfg.workers));
}

/* A static size given with a dynamic pool's bounds is not used: say so. */
void
pool_warn(const struct master *m)
{
    if (pool_dynamic(m) && m->cfg.workers > 0)
        log_msg(&m->log, CONFIG_LOG_WARN,
                "SAVEALIFE_WORKERS (%d) is ignored: SAVEALIFE_WORKERS_MIN or "
                "SAVEALIFE_WORKERS_MAX is set, so the pool is dynamic",
                m->cfg.workers);
}

/* "4 workers" or "1 to 5 workers, 2 spare", for logs. */
const char *
pool_text(const struct master *m, char *buf, size_t len)
{
    if (pool_dynamic(m))
        snprintf(buf, len, "up to %d workers, %d spare", m->cfg.workers_max, m->cfg.workers_min);
    else
        snprintf(buf, len, "%d workers", m->cfg.workers);
    return buf;
}

/* Forks one worker. Returns 0 in the master (or -1 if it could not), 1 in the child after
 * the worker is done, with its exit status in *child_rc. */
static int
pool_fork(struct master *m, uint64_t now, int *child_rc)
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
pool_census(struct master *m, int *have, int *spare, int *starting)
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
pool_wanted(struct master *m, uint64_t now, int have, int spare, int starting, int *grow)
{
    *grow = 0;
    if (!pool_dynamic(m))
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
void
pool_shrink(struct master *m, uint64_t now)
{
    struct scoreboard_worker w;
    int have, spare, starting;

    if (!pool_dynamic(m) || m->stopping || m->prev_generation != 0 ||
        now - m->last_shrink_ms < MASTER_TICK_MS)
        return;
    pool_census(m, &have, &spare, &starting);
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
    children_term(m, oldest, now);
    m->last_shrink_ms = now;
}

/* Starts the workers the current generation lacks: at once, or one per delay while they
 * die fast. Returns 1 in a forked child (see pool_fork), else 0. */
int
pool_spawn(struct master *m, uint64_t now, int *child_rc)
{
    int have, spare, starting, grow;

    if (m->stopping)
        return 0;
    pool_census(m, &have, &spare, &starting);
    int want = pool_wanted(m, now, have, spare, starting, &grow);
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
        int rc = pool_fork(m, now, child_rc);
        if (rc != 0)
            return rc > 0 ? 1 : 0;
        have++;
        if (m->delay_ms > 0)
            m->next_spawn_ms = now + m->delay_ms;
    }
    return 0;
}
