/* Lifecycle log of the master and its workers: one line a event on standard error,
 * "savealife[1234]: info: worker 1240 started (generation 2)". When standard error is the
 * journal (systemd's JOURNAL_STREAM names it), journald adds the name and the master's pid
 * itself, so the line becomes "<6>[1240] info: ..." instead: a syslog priority journald
 * files the line under (journalctl -p), and the pid, which journald would give as the
 * master's for every worker. What goes wrong inside a request goes to the FastCGI error
 * stream instead (http_request_log). */
#ifndef SAVEALIFE_LOG_H
#define SAVEALIFE_LOG_H

#include <limits.h>
#include <stddef.h>

#include "config.h"

struct log {
    enum config_log_level level; /* lines below it are dropped */
    char path[PATH_MAX];         /* standard error's file when it was a regular file at start,
                                    else "" (nothing to reopen) */
    int journal;                 /* standard error is systemd's journal stream */
};

/* Sets the level and remembers standard error's path if it is a regular file (so that a
 * rotated log can be reopened by name later), or whether it is the journal. */
void log_init(struct log *lg, enum config_log_level level);

/* Writes one line at a level, if the level is enabled. One write(2) a line, so lines from
 * several processes sharing the file never interleave. errno is preserved. */
void log_msg(const struct log *lg, enum config_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reopens the remembered path (O_APPEND, created 0640 if missing) onto standard error.
 * Returns 0 when reopened, 1 when there is no file to reopen, -1 with errbuf filled. */
int log_reopen(const struct log *lg, char *errbuf, size_t errlen);

/* The level's name ("info"). */
const char *log_level_name(enum config_log_level level);

#endif
