/* The master's state, shared by its three files: master.c (the loop, signals, readiness,
 * reload, stop), pool.c (how many workers, forking them, stopping a surplus one) and
 * children.c (each worker as the master sees it: signals, deaths, timeouts). Private to
 * them: nothing else includes it. */
#ifndef SAVEALIFE_MASTER_STATE_H
#define SAVEALIFE_MASTER_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "server/control.h"
#include "server/listen.h"
#include "server/log.h"
#include "server/notify.h"
#include "server/scoreboard.h"

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

/* pool.c */

/* Whether the pool is dynamic (between spare workers and a maximum) rather than fixed. */
int pool_dynamic(const struct master *m);
/* Tells the scoreboard what a full pool is: the fixed count or the maximum. */
void pool_set_target(struct master *m);
/* Logs a static size given with a dynamic pool's bounds, which is not used. */
void pool_warn(const struct master *m);
/* "4 workers" or "up to 5 workers, 2 spare", for logs; returns buf. */
const char *pool_text(const struct master *m, char *buf, size_t len);
/* Stops the surplus idle worker of a dynamic pool idle longest, if any has idled long enough. */
void pool_shrink(struct master *m, uint64_t now);
/* Forks the workers the current generation lacks. Returns 1 in a forked child, whose exit
 * status is then in *child_rc, else 0. */
int pool_spawn(struct master *m, uint64_t now, int *child_rc);

/* children.c */

/* The entry of worker pid, or NULL. */
struct master_child *children_find(struct master *m, pid_t pid);
/* SIGTERM to one worker, once; now stamps when. */
void children_term(struct master *m, struct master_child *c, uint64_t now);
/* SIGTERM to every worker not of generation keep (0: to all). */
void children_term_all_but(struct master *m, unsigned keep, uint64_t now);
/* Counts a death not asked for; fast deaths slow respawning down. */
void children_note_death(struct master *m, uint64_t now);
/* Respawns at once again once no worker has died for a while. */
void children_calm(struct master *m, uint64_t now);
/* "exited with status 1", "was killed by signal 9 (Killed)", for logs. */
void children_describe_exit(int status, char *buf, size_t len);
/* Marks workers whose scoreboard slot has shown them serving. */
void children_mark_ready(struct master *m);
/* Kills workers stuck past the request timeout, or told to stop and still there. */
void children_check_timeouts(struct master *m, uint64_t now);

#endif
