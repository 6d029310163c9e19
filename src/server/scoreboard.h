/* The scoreboard: one shared mapping, made by the master before the first fork, with the
 * pool's figures and one slot a worker. A slot is written by one process at a time (the
 * master while it is free, then its worker until the master reaps it) and read by anyone
 * through a sequence counter, so a reader always sees one consistent state of a slot. The
 * same mapping holds the pool's DynamoDB breaker (server/breaker.h). */
#ifndef SAVEALIFE_SCOREBOARD_H
#define SAVEALIFE_SCOREBOARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ddb/ddb_stats.h"

#define SCOREBOARD_ROUTE_MAX 64

enum scoreboard_state {
    SCOREBOARD_FREE = 0, /* no worker */
    SCOREBOARD_STARTING, /* forked, making its DynamoDB client */
    SCOREBOARD_IDLE,     /* waiting for a connection */
    SCOREBOARD_READING,  /* accepted, reading the request's params (php-fpm's "Reading headers") */
    SCOREBOARD_BUSY,     /* running a request */
    SCOREBOARD_EXITING,  /* stopped accepting, about to exit */
};

struct scoreboard;

/* The pool's figures, as php-fpm's status page names them. */
struct scoreboard_pool {
    time_t start_time;                  /* wall clock when the scoreboard was made */
    uint64_t start_ms;                  /* scoreboard_now_ms() then */
    unsigned long accepted;             /* connections accepted */
    unsigned workers_target;            /* workers the master wants in the pool */
    unsigned active;                    /* slots READING or BUSY (from the snapshot) */
    unsigned idle;                      /* slots IDLE (from the snapshot) */
    unsigned total;                     /* slots in use (from the snapshot) */
    unsigned max_active;                /* most requests running at once */
    unsigned long max_children_reached; /* times every worker became busy */
    unsigned long slow_requests;        /* requests that ran past the timeout */
    unsigned long accept_attempts;      /* accept() calls on the listening socket */
    unsigned long accept_empty;         /* of them, those that found no connection */
};

/* One slot, as copied by a read. */
struct scoreboard_worker {
    size_t slot;
    pid_t pid; /* 0 until the worker has written it */
    unsigned generation;
    enum scoreboard_state state;
    unsigned long requests;           /* requests finished */
    char route[SCOREBOARD_ROUTE_MAX]; /* "GET /api/companies/{id}", current or last */
    uint64_t started_ms;              /* scoreboard_now_ms() when the slot was claimed */
    uint64_t request_ms;              /* scoreboard_now_ms() when the current request began */
    struct ddb_stats ddb;             /* the worker's DynamoDB figures after its last request */
    int consistent;                   /* 0: its writer died in the middle of an update */
};

/* The monotonic clock the scoreboard's times use, in milliseconds. */
uint64_t scoreboard_now_ms(void);

/* Maps a scoreboard of nslots slots (shared with children forked later). Returns 0, or -1
 * with errbuf filled. */
int scoreboard_new(size_t nslots, struct scoreboard **out, char *errbuf, size_t errlen);

/* Unmaps it (in each process that has it). NULL is allowed. */
void scoreboard_free(struct scoreboard *sb);

/* How many slots it has (workers of every generation at once). */
size_t scoreboard_capacity(const struct scoreboard *sb);

/* Master: takes a free slot for a worker about to be forked (state STARTING). Returns 0, or
 * -1 when every slot is in use. */
int scoreboard_claim(struct scoreboard *sb, unsigned generation, size_t *slot);

/* Master: frees the slot of a reaped worker; a request it died in stops counting as active.
 * Returns the state the slot was left in. */
enum scoreboard_state scoreboard_release(struct scoreboard *sb, size_t slot);

/* Master: the number of workers wanted. */
void scoreboard_set_target(struct scoreboard *sb, unsigned workers);
/* Master: one more request that ran past the timeout. */
void scoreboard_count_slow(struct scoreboard *sb);

/* Worker: one accept() on the listening socket, which found no connection when empty. */
void scoreboard_count_accept(struct scoreboard *sb, int empty);

/* Worker, on its own slot only (these six): it has started, with its pid. */
void scoreboard_worker_start(struct scoreboard *sb, size_t slot, pid_t pid);
/* It waits for a connection (IDLE). */
void scoreboard_worker_idle(struct scoreboard *sb, size_t slot);
/* A connection is taken (or a kept one has a request coming): READING while its request's
 * records are read. */
void scoreboard_worker_connected(struct scoreboard *sb, size_t slot);
/* The request is accepted: counts it, and sets its route, "<method> <pattern>" (control
 * bytes become '?'; the pattern is cut at a '?'). */
void scoreboard_worker_busy(struct scoreboard *sb, size_t slot, const char *method,
                            const char *pattern);
/* The request is finished: one more served, the client's figures, back to IDLE. */
void scoreboard_worker_done(struct scoreboard *sb, size_t slot, const struct ddb_stats *ddb);
/* It is about to exit (EXITING). */
void scoreboard_worker_exiting(struct scoreboard *sb, size_t slot);

/* A consistent copy of one slot. */
void scoreboard_read_slot(const struct scoreboard *sb, size_t slot, struct scoreboard_worker *out);

/* The pool's figures and a copy of every slot in use (up to cap, in slot order). *n is set to
 * the number copied. Returns 0, or 1 when more slots were in use than cap. */
int scoreboard_read(const struct scoreboard *sb, struct scoreboard_pool *pool,
                    struct scoreboard_worker *workers, size_t cap, size_t *n);

/* The pool's DynamoDB figures since start: those of every worker reaped so far (added by
 * scoreboard_release) plus the latest of every worker alive. Returns 0, or -1 when the master
 * kept reaping through every try (out then holds the last attempt's sum). */
int scoreboard_read_ddb(const struct scoreboard *sb, struct ddb_stats *out);

#endif
