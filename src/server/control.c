#include "server/control.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

/* The value that tells the master's SIGHUP handler "answer me"; any constant an unrelated
 * sigqueue is unlikely to carry. */
#define CONTROL_RELOAD_ASK 0x5341564c /* "SAVL" */

/* The answer: the first realtime signal the C library leaves to programs; it carries a value
 * and queues, and the asker blocks it before asking, so it never ends the asker. */
#define CONTROL_ANSWER_SIGNAL (SIGRTMIN)

/* How often the waiting command checks that the master still exists. */
#define CONTROL_LIVENESS_MS 1000L

int
control_is_reload_ask(const siginfo_t *si)
{
    return si != NULL && si->si_code == SI_QUEUE && si->si_value.sival_int == CONTROL_RELOAD_ASK &&
           si->si_pid > 0;
}

void
control_answer_one(pid_t pid, enum control_outcome outcome)
{
    union sigval v;

    v.sival_int = (int)outcome;
    /* An asker gone meanwhile (ESRCH) has no one left to tell. */
    (void)sigqueue(pid, CONTROL_ANSWER_SIGNAL, v);
}

void
control_waiters_take(struct control_waiters *to, struct control_waiters *from)
{
    for (size_t i = 0; i < from->n; i++) {
        if (to->n < CONTROL_WAITERS)
            to->pid[to->n++] = from->pid[i];
        else
            control_answer_one(from->pid[i], CONTROL_BUSY);
    }
    from->n = 0;
}

void
control_answer(struct control_waiters *w, enum control_outcome outcome)
{
    for (size_t i = 0; i < w->n; i++)
        control_answer_one(w->pid[i], outcome);
    w->n = 0;
}

const char *
control_outcome_text(int outcome)
{
    switch (outcome) {
    case CONTROL_RELOADED:
        return "reloaded: the new workers accept connections";
    case CONTROL_REFUSED:
        return "reload refused: the configuration cannot be read; the running one goes on "
               "(see the log)";
    case CONTROL_FAILED:
        return "reload failed: the new workers cannot start; the running ones go on (see the "
               "log)";
    case CONTROL_STOPPING:
        return "reload abandoned: the service is stopping";
    case CONTROL_BUSY:
        return "reload not followed: too many reloads waiting at once";
    default:
        return "reload: the master answered something unknown";
    }
}

int
control_reload(pid_t pid, long timeout_ms, int *outcome, char *errbuf, size_t errlen)
{
    sigset_t answer;
    union sigval v;
    int rc = -1;

    sigemptyset(&answer);
    sigaddset(&answer, CONTROL_ANSWER_SIGNAL);
    /* Blocked before asking: an answer that comes at once waits to be taken. */
    if (sigprocmask(SIG_BLOCK, &answer, NULL) != 0) {
        snprintf(errbuf, errlen, "cannot block the answer signal: %s", strerror(errno));
        goto out;
    }
    v.sival_int = CONTROL_RELOAD_ASK;
    if (sigqueue(pid, SIGHUP, v) != 0) {
        snprintf(errbuf, errlen, "cannot signal process %ld: %s", (long)pid, strerror(errno));
        goto out;
    }
    int64_t deadline = clock_now_ms() + timeout_ms;
    for (;;) {
        int64_t now = clock_now_ms();
        if (now >= deadline) {
            snprintf(errbuf, errlen, "process %ld did not finish the reload within %ld s",
                     (long)pid, timeout_ms / 1000);
            goto out;
        }
        long wait_ms = (long)(deadline - now);
        if (wait_ms > CONTROL_LIVENESS_MS)
            wait_ms = CONTROL_LIVENESS_MS;
        struct timespec ts = {.tv_sec = wait_ms / 1000, .tv_nsec = (wait_ms % 1000) * 1000000L};
        siginfo_t si;
        int sig = sigtimedwait(&answer, &si, &ts);
        if (sig == CONTROL_ANSWER_SIGNAL && si.si_code == SI_QUEUE && si.si_pid == pid) {
            *outcome = si.si_value.sival_int;
            rc = 0;
            goto out;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(errbuf, errlen, "waiting for the answer: %s", strerror(errno));
            goto out;
        }
        if (kill(pid, 0) != 0 && errno == ESRCH) {
            snprintf(errbuf, errlen, "process %ld exited before the reload ended", (long)pid);
            goto out;
        }
    }
out:
    /* The answer signal stays blocked: one that came late would otherwise end the process
     * (its default action) before it could report. */
    return rc;
}
