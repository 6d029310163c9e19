/* Each worker as the master sees it (server/master_state.h): signalling it, counting its
 * death, seeing it serve, and killing it past its time. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "server/master_state.h"

struct master_child *
children_find(struct master *m, pid_t pid)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->children[i].pid == pid)
            return &m->children[i];
    }
    return NULL;
}

void
children_term(struct master *m, struct master_child *c, uint64_t now)
{
    if (c->term_ms != 0 || c->killed)
        return;
    if (kill(c->pid, SIGTERM) != 0 && errno != ESRCH)
        log_msg(&m->log, CONFIG_LOG_ERROR, "cannot signal worker %ld: %s", (long)c->pid,
                strerror(errno));
    c->term_ms = now != 0 ? now : 1;
}

/* SIGTERM to every worker not of generation keep (0: to all). */
void
children_term_all_but(struct master *m, unsigned keep, uint64_t now)
{
    for (size_t i = 0; i < m->cap; i++) {
        struct master_child *c = &m->children[i];
        if (c->pid != 0 && (keep == 0 || c->generation != keep))
            children_term(m, c, now);
    }
}

/* A death we did not ask for: more than STORM_DEATHS within STORM_WINDOW_MS slow respawning,
 * doubling the delay with each further death up to STORM_MAX_DELAY_MS. */
void
children_note_death(struct master *m, uint64_t now)
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

void
children_calm(struct master *m, uint64_t now)
{
    if (m->delay_ms == 0 || now - m->last_death_ms <= STORM_WINDOW_MS)
        return;
    m->delay_ms = 0;
    m->ndeaths = 0;
    log_msg(&m->log, CONFIG_LOG_INFO, "no worker died for %d s: replacing workers at once again",
            STORM_WINDOW_MS / 1000);
}

void
children_describe_exit(int status, char *buf, size_t len)
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
void
children_mark_ready(struct master *m)
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

/* Kills workers stuck in a request past the timeout, and workers that were told to stop
 * and did not within the timeout and a grace period. */
void
children_check_timeouts(struct master *m, uint64_t now)
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
