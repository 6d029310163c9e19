/* A worker: one process of the pool, forked by the master. It makes its own API (and so its
 * own DynamoDB client) after fork, accepts FastCGI connections on the shared listening
 * socket one at a time, and keeps its scoreboard slot up to date. */
#ifndef SAVEALIFE_WORKER_H
#define SAVEALIFE_WORKER_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "server/log.h"
#include "server/scoreboard.h"

/* Exit statuses the master reads. */
#define WORKER_EXIT_OK 0   /* max_requests served, or told to stop */
#define WORKER_EXIT_FAIL 1 /* a system call failed */
#define WORKER_EXIT_CONFIG                                                                         \
    78 /* its API could not be made (sysexits' EX_CONFIG): retrying the                            \
          same configuration will not help */

struct worker_params {
    const struct config *cfg;
    const struct log *log;
    int listen_fd;
    pid_t master_pid; /* a worker whose master is gone stops */
    struct scoreboard *sb;
    size_t slot;
    unsigned generation;
};

/* Runs the worker in the process just forked, with the master's signals still blocked as
 * they were at fork. Returns its exit status once it is done; it never returns to serve
 * again. */
int worker_run(const struct worker_params *p);

#endif
