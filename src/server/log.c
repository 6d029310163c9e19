#include "server/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

const char *
log_level_name(enum config_log_level level)
{
    switch (level) {
    case CONFIG_LOG_DEBUG:
        return "debug";
    case CONFIG_LOG_INFO:
        return "info";
    case CONFIG_LOG_WARN:
        return "warn";
    case CONFIG_LOG_ERROR:
        return "error";
    }
    return "unknown";
}

/* Syslog priorities (RFC 5424) for journald's "<N>" line prefix. */
static int
log_priority(enum config_log_level level)
{
    switch (level) {
    case CONFIG_LOG_DEBUG:
        return 7;
    case CONFIG_LOG_INFO:
        return 6;
    case CONFIG_LOG_WARN:
        return 4;
    case CONFIG_LOG_ERROR:
        return 3;
    }
    return 6;
}

/* Whether JOURNAL_STREAM ("DEVICE:INODE", systemd.exec(5)) names the file st is: only then
 * is standard error the journal, and not a file or pipe it was redirected to since. */
static int
log_is_journal(const struct stat *st)
{
    const char *v = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    int used = 0;

    if (v == NULL || sscanf(v, "%llu:%llu%n", &dev, &ino, &used) != 2 || v[used] != '\0')
        return 0;
    return (unsigned long long)st->st_dev == dev && (unsigned long long)st->st_ino == ino;
}

void
log_init(struct log *lg, enum config_log_level level)
{
    struct stat st;
    char link[PATH_MAX];

    lg->level = level;
    lg->path[0] = '\0';
    lg->journal = 0;
    if (fstat(STDERR_FILENO, &st) != 0)
        return;
    lg->journal = log_is_journal(&st);
    if (!S_ISREG(st.st_mode))
        return;
    /* Taken now, before any rotation renames the file: afterwards the link names the new
     * name of the old file. */
    ssize_t n = readlink("/proc/self/fd/2", link, sizeof(link) - 1);
    if (n <= 0 || link[0] != '/')
        return;
    link[n] = '\0';
    memcpy(lg->path, link, (size_t)n + 1);
}

void
log_msg(const struct log *lg, enum config_log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    int saved = errno;

    if (level < lg->level)
        return;
    int head = lg->journal ? snprintf(line, sizeof(line), "<%d>[%ld] %s: ", log_priority(level),
                                      (long)getpid(), log_level_name(level))
                           : snprintf(line, sizeof(line), "savealife[%ld]: %s: ", (long)getpid(),
                                      log_level_name(level));
    if (head < 0)
        head = 0;
    va_list ap;
    va_start(ap, fmt);
    int body = vsnprintf(line + head, sizeof(line) - (size_t)head, fmt, ap);
    va_end(ap);
    size_t len = (size_t)head + (body > 0 ? (size_t)body : 0);
    if (len > sizeof(line) - 2) {
        /* Too long: mark the cut so that nobody takes it for the whole message. */
        len = sizeof(line) - 5;
        memcpy(line + len, "...", 3);
        len += 3;
    }
    line[len++] = '\n';
    /* A log line lost to a full disk cannot be reported anywhere else. */
    ssize_t w;
    do {
        w = write(STDERR_FILENO, line, len);
    } while (w < 0 && errno == EINTR);
    errno = saved;
}

int
log_reopen(const struct log *lg, char *errbuf, size_t errlen)
{
    int rc = -1;
    int fd = -1;

    if (lg->path[0] == '\0')
        return 1;
    fd = open(lg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot reopen %s: %s", lg->path, strerror(errno));
        goto out;
    }
    /* Opened close-on-exec so no other descriptor leaks; fd 2 itself must not be. */
    if (fd == STDERR_FILENO ? fcntl(fd, F_SETFD, 0) < 0 : dup2(fd, STDERR_FILENO) < 0) {
        snprintf(errbuf, errlen, "cannot make %s standard error: %s", lg->path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0 && fd != STDERR_FILENO)
        close(fd);
    return rc;
}
