/* `savealife reload PID`: a reload that returns only once the master has finished it.
 *
 * systemd before version 253 ends a notify service's reload job when its ExecReload command
 * exits, not at the READY=1 that follows RELOADING=1, so `systemctl reload` with a bare
 * `kill -HUP` returns while the new workers are still starting. This command is what
 * ExecReload runs instead: it queues SIGHUP with CONTROL_RELOAD_ASK as its value
 * (sigqueue(3)), and the master answers the asker's pid with CONTROL_ANSWER_SIGNAL carrying
 * the reload's outcome. A plain SIGHUP (kill -HUP) asks for no answer and gets none. */
#ifndef SAVEALIFE_CONTROL_H
#define SAVEALIFE_CONTROL_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* How a reload ended, as the master answers it. */
enum control_outcome {
    CONTROL_RELOADED = 1, /* the new generation's workers all accept connections */
    CONTROL_REFUSED,      /* the configuration could not be read: the old one goes on */
    CONTROL_FAILED,       /* the new workers could not start: the old ones go on */
    CONTROL_STOPPING,     /* the master is stopping */
    CONTROL_BUSY          /* too many askers waiting at once */
};

/* Askers the master holds at once; systemd queues its reload jobs, so one is the norm. */
#define CONTROL_WAITERS 8

/* The pids waiting for the outcome of one reload. */
struct control_waiters {
    pid_t pid[CONTROL_WAITERS];
    size_t n;
};

/* Whether a SIGHUP's siginfo is a reload asked for by `savealife reload` (async-signal-safe). */
int control_is_reload_ask(const siginfo_t *si);

/* Answers pid at once (async-signal-safe: used by the handler when no slot is left). */
void control_answer_one(pid_t pid, enum control_outcome outcome);

/* Adds the waiters of from to to (answering CONTROL_BUSY to any beyond its room); empties from. */
void control_waiters_take(struct control_waiters *to, struct control_waiters *from);

/* Answers every waiter with outcome and empties w. */
void control_answer(struct control_waiters *w, enum control_outcome outcome);

/* What an outcome means, for the command's message. */
const char *control_outcome_text(int outcome);

/* The command's side: asks the master at pid to reload and waits up to timeout_ms for its
 * answer. Returns 0 with *outcome set, or -1 with the reason in errbuf (the master could not
 * be signalled, exited meanwhile, or did not answer in time). The answer signal is left
 * blocked: the caller is a command that reports and exits. */
int control_reload(pid_t pid, long timeout_ms, int *outcome, char *errbuf, size_t errlen);

#endif
