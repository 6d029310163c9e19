/* The master of `savealife serve`: owns the listening socket and the scoreboard, forks and
 * supervises the workers, and turns signals into actions: TERM/INT/QUIT stop gracefully, HUP
 * reloads the configuration with a new generation of workers, USR1 reopens the log. */
#ifndef SAVEALIFE_MASTER_H
#define SAVEALIFE_MASTER_H

#include "config.h"

/* Serves until told to stop. cfg is the configuration loaded from the environment and
 * argv[0..argc) (the flags after "serve"), which a reload reads again. Returns the process's
 * exit status: 0 after a graceful stop, 1 if it could not start. In a forked worker it
 * returns the worker's exit status instead, once the worker is done. */
int master_run(const struct config *cfg, int argc, char *const argv[]);

#endif
