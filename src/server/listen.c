#include "server/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void
listen_reset(struct listener *l)
{
    memset(l, 0, sizeof(*l));
    l->fd = -1;
}

static int
set_flags(int fd, char *errbuf, size_t errlen)
{
    int fl = fcntl(fd, F_GETFL);
    /* Workers wait in ppoll and then accept: another worker may win the connection, and
     * accept must then fail with EAGAIN rather than block with signals held. */
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(errbuf, errlen, "cannot make the listening socket non-blocking: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* The group by name, or by number when no group has that name. */
static int
lookup_group(const char *name, gid_t *gid, char *errbuf, size_t errlen)
{
    struct group grp, *found = NULL;
    long size = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t len = size > 0 ? (size_t)size : 4096;
    char *buf = NULL;
    int rc = -1;
    int err;

    for (;;) {
        char *nbuf = realloc(buf, len);
        if (nbuf == NULL) {
            snprintf(errbuf, errlen, "SAVEALIFE_SOCKET_GROUP: out of memory");
            goto out;
        }
        buf = nbuf;
        err = getgrnam_r(name, &grp, buf, len, &found);
        if (err != ERANGE || len >= (size_t)1 << 20)
            break;
        len *= 2;
    }
    if (found != NULL) {
        *gid = found->gr_gid;
        rc = 0;
        goto out;
    }
    if (name[0] != '\0' && strspn(name, "0123456789") == strlen(name) && strlen(name) < 10) {
        *gid = (gid_t)strtoul(name, NULL, 10);
        rc = 0;
        goto out;
    }
    if (err != 0)
        snprintf(errbuf, errlen, "SAVEALIFE_SOCKET_GROUP: cannot look up group \"%s\": %s", name,
                 strerror(err));
    else
        snprintf(errbuf, errlen, "SAVEALIFE_SOCKET_GROUP: no group named \"%s\"", name);
out:
    free(buf);
    return rc;
}

/* Whether a process accepts connections on the unix socket at path: 1 yes, 0 no (nothing
 * there, or a stale socket file nobody listens on), -1 on an error worth refusing for. */
static int
unix_in_use(const struct sockaddr_un *sa, char *errbuf, size_t errlen)
{
    struct stat st;
    int in_use = -1;
    int fd = -1;

    if (lstat(sa->sun_path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot inspect %s: %s", sa->sun_path,
                 strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: %s exists and is not a socket; not touching it",
                 sa->sun_path);
        return -1;
    }
    /* Non-blocking: with a full backlog, connect fails with EAGAIN instead of waiting. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot create a unix socket: %s", strerror(errno));
        goto out;
    }
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
        in_use = 1;
    } else if (errno == ECONNREFUSED || errno == ENOENT) {
        in_use = 0;
    } else if (errno == EAGAIN) {
        /* The listener's backlog is full: someone is listening. */
        in_use = 1;
    } else {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot probe %s: %s", sa->sun_path,
                 strerror(errno));
    }
out:
    if (fd >= 0)
        close(fd);
    return in_use;
}

static int
open_unix(const struct config *cfg, const char *path, struct listener *l, char *errbuf,
          size_t errlen)
{
    struct sockaddr_un sa;
    struct stat st;
    gid_t gid = (gid_t)-1;
    int bound = 0;
    int rc = -1;

    if (path[0] != '/') {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: \"unix:%s\" needs an absolute path", path);
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(l->path)) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: the socket path is longer than %zu bytes",
                 sizeof(sa.sun_path) - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (cfg->socket_group[0] != '\0' && lookup_group(cfg->socket_group, &gid, errbuf, errlen) != 0)
        return -1;

    int in_use = unix_in_use(&sa, errbuf, errlen);
    if (in_use < 0)
        return -1;
    if (in_use > 0) {
        snprintf(errbuf, errlen,
                 "SAVEALIFE_LISTEN: %s is in use: another server accepts connections there", path);
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot remove the stale socket %s: %s", path,
                 strerror(errno));
        return -1;
    }

    l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        snprintf(errbuf, errlen, "cannot create a unix socket: %s", strerror(errno));
        goto out;
    }
    /* Nobody but us may connect until mode and group are what the operator asked for. */
    mode_t old = umask(0177);
    int b = bind(l->fd, (const struct sockaddr *)&sa, sizeof(sa));
    int bind_errno = errno;
    umask(old);
    if (b != 0) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot bind %s: %s", path,
                 strerror(bind_errno));
        goto out;
    }
    bound = 1;
    if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) {
        snprintf(errbuf, errlen, "SAVEALIFE_SOCKET_GROUP: cannot give %s to group %s: %s", path,
                 cfg->socket_group, strerror(errno));
        goto out;
    }
    if (chmod(path, (mode_t)cfg->socket_mode) != 0) {
        snprintf(errbuf, errlen, "SAVEALIFE_SOCKET_MODE: cannot set mode %04o on %s: %s",
                 cfg->socket_mode, path, strerror(errno));
        goto out;
    }
    if (lstat(path, &st) != 0) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot inspect %s: %s", path, strerror(errno));
        goto out;
    }
    if (listen(l->fd, cfg->listen_backlog) != 0) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot listen on %s: %s", path,
                 strerror(errno));
        goto out;
    }
    if (set_flags(l->fd, errbuf, errlen) != 0)
        goto out;
    l->is_unix = 1;
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    l->owner = getpid();
    memcpy(l->path, path, strlen(path) + 1);
    snprintf(l->describe, sizeof(l->describe), "unix:%s (mode %04o, group %s)", path,
             cfg->socket_mode, cfg->socket_group[0] != '\0' ? cfg->socket_group : "default");
    rc = 0;
out:
    if (rc != 0) {
        if (bound)
            unlink(path);
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
    }
    return rc;
}

/* "HOST:PORT", "[V6]:PORT", "*:PORT" or ":PORT" into host (NULL for every address) and
 * port. */
static int
split_host_port(const char *spec, char *host, size_t hostlen, char *port, size_t portlen, int *any)
{
    const char *colon = strrchr(spec, ':');
    if (colon == NULL)
        return -1;
    size_t hlen = (size_t)(colon - spec);
    const char *h = spec;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    } else if (memchr(h, ':', hlen) != NULL) {
        return -1; /* an IPv6 address needs brackets */
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (plen == 0 || plen > 5 || strspn(p, "0123456789") != plen)
        return -1;
    long pn = strtol(p, NULL, 10);
    if (pn < 1 || pn > 65535 || hlen >= hostlen || plen >= portlen)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, p, plen + 1);
    *any = hlen == 0 || strcmp(host, "*") == 0;
    return 0;
}

static int
open_tcp(const char *spec, int backlog, struct listener *l, char *errbuf, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    char host[256], port[8];
    int any = 0;
    int rc = -1;
    int err = 0;

    if (split_host_port(spec, host, sizeof(host), port, sizeof(port), &any) != 0) {
        snprintf(errbuf, errlen,
                 "SAVEALIFE_LISTEN: \"%s\" is neither unix:PATH nor HOST:PORT (port 1-65535, "
                 "IPv6 addresses in brackets)",
                 spec);
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(any ? NULL : host, port, &hints, &res);
    if (gai != 0) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot resolve \"%s\": %s", host,
                 gai_strerror(gai));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int one = 1;
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
            err = errno;
            close(fd);
            continue;
        }
        l->fd = fd;
        break;
    }
    if (l->fd < 0) {
        snprintf(errbuf, errlen, "SAVEALIFE_LISTEN: cannot listen on %s: %s", spec, strerror(err));
        goto out;
    }
    if (set_flags(l->fd, errbuf, errlen) != 0)
        goto out;
    snprintf(l->describe, sizeof(l->describe), "%s (tcp)", spec);
    rc = 0;
out:
    if (rc != 0 && l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
    freeaddrinfo(res);
    return rc;
}

/* A decimal number of digits only, at most max, into *out. */
static int
listen_parse_count(const char *s, long max, long *out)
{
    size_t len = strlen(s);
    if (len == 0 || len > 10 || strspn(s, "0123456789") != len)
        return -1;
    long v = strtol(s, NULL, 10);
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* How many sockets systemd handed this process: LISTEN_FDS when LISTEN_PID is our pid, else
 * 0 (variables meant for another process are not ours to act on). Returns -1 with errbuf
 * filled when they are ours but malformed. */
static int
listen_activation_count(long *nfds, char *errbuf, size_t errlen)
{
    const char *pid_s = getenv("LISTEN_PID");
    const char *fds_s = getenv("LISTEN_FDS");
    long pid = 0;

    *nfds = 0;
    if (pid_s == NULL || fds_s == NULL)
        return 0;
    if (listen_parse_count(pid_s, INT_MAX, &pid) != 0 || pid == 0) {
        snprintf(errbuf, errlen, "LISTEN_PID \"%.32s\" is not a process id", pid_s);
        return -1;
    }
    if ((pid_t)pid != getpid())
        return 0;
    /* fds 3 and up, below INT_MAX */
    if (listen_parse_count(fds_s, INT_MAX - LISTEN_FDS_START, nfds) != 0) {
        snprintf(errbuf, errlen, "LISTEN_FDS \"%.32s\" is not a number of sockets", fds_s);
        return -1;
    }
    return 0;
}

/* "unix:/path", "unix:@abstract", "127.0.0.1:9000" or "[::1]:9000", for logs. */
static void
listen_describe_address(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t buflen)
{
    char host[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? len - offsetof(struct sockaddr_un, sun_path)
                          : 0;
        char path[sizeof(un->sun_path) + 1];
        if (plen == 0) {
            snprintf(buf, buflen, "unix:(unnamed)");
            return;
        }
        if (plen > sizeof(un->sun_path))
            plen = sizeof(un->sun_path);
        /* An abstract name starts with a NUL and may hold any byte: shown printable. */
        for (size_t i = 0; i < plen; i++) {
            unsigned char c = (unsigned char)un->sun_path[i];
            path[i] = i == 0 && c == '\0' ? '@' : (c < 0x20 || c >= 0x7f ? '?' : (char)c);
        }
        path[plen] = '\0';
        if (path[0] != '@')
            path[strnlen(un->sun_path, plen)] = '\0';
        snprintf(buf, buflen, "unix:%s", path);
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)) == NULL)
            snprintf(host, sizeof(host), "?");
        snprintf(buf, buflen, "%s:%u (tcp)", host, (unsigned)ntohs(in->sin_port));
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host)) == NULL)
            snprintf(host, sizeof(host), "?");
        snprintf(buf, buflen, "[%s]:%u (tcp)", host, (unsigned)ntohs(in6->sin6_port));
    }
}

/* Takes fd 3 from systemd, after checking it is something workers can accept FastCGI
 * connections on. */
static int
listen_adopt_activated(long nfds, struct listener *l, char *errbuf, size_t errlen)
{
    const int fd = LISTEN_FDS_START;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char where[200];
    int type = 0, accepting = 0;
    socklen_t optlen = sizeof(type);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) != 0) {
        snprintf(errbuf, errlen, "LISTEN_FDS: fd %d from systemd is %s", fd,
                 errno == ENOTSOCK ? "not a socket"
                 : errno == EBADF  ? "not open"
                                   : strerror(errno));
        return -1;
    }
    if (type != SOCK_STREAM) {
        snprintf(errbuf, errlen,
                 "LISTEN_FDS: fd %d from systemd is not a stream socket (the socket unit needs "
                 "ListenStream=)",
                 fd);
        return -1;
    }
    optlen = sizeof(accepting);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &optlen) != 0 || !accepting) {
        snprintf(errbuf, errlen,
                 "LISTEN_FDS: fd %d from systemd is not a listening socket (Accept=no is needed)",
                 fd);
        return -1;
    }
    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(errbuf, errlen, "LISTEN_FDS: cannot read the address of fd %d: %s", fd,
                 strerror(errno));
        return -1;
    }
    if (ss.ss_family != AF_UNIX && ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
        snprintf(errbuf, errlen,
                 "LISTEN_FDS: fd %d from systemd is a socket of family %d, not unix, IPv4 or "
                 "IPv6",
                 fd, (int)ss.ss_family);
        return -1;
    }
    /* As sd_listen_fds does: none of them may leak into a program we would exec. Numbers at
     * or past the open-files limit cannot be open, so a wild LISTEN_FDS costs no time. */
    long open_max = sysconf(_SC_OPEN_MAX);
    for (long i = 0; i < nfds && (open_max < 0 || LISTEN_FDS_START + i < open_max); i++) {
        int flags = fcntl(LISTEN_FDS_START + (int)i, F_GETFD);
        if (flags >= 0 && fcntl(LISTEN_FDS_START + (int)i, F_SETFD, flags | FD_CLOEXEC) != 0)
            flags = -1;
        if (flags < 0 && i == 0) {
            snprintf(errbuf, errlen, "LISTEN_FDS: cannot make fd %d close-on-exec: %s", fd,
                     strerror(errno));
            return -1;
        }
    }
    if (set_flags(fd, errbuf, errlen) != 0)
        return -1;
    l->fd = fd;
    l->activated = 1;
    l->is_unix = ss.ss_family == AF_UNIX;
    listen_describe_address(&ss, sslen, where, sizeof(where));
    snprintf(l->describe, sizeof(l->describe), "fd %d from systemd, %s", fd, where);
    if (nfds > 1)
        snprintf(l->warning, sizeof(l->warning),
                 "LISTEN_FDS=%ld: systemd handed over %ld sockets; only fd %d is used", nfds, nfds,
                 fd);
    return 0;
}

int
listen_open(const struct config *cfg, struct listener *out, char *errbuf, size_t errlen)
{
    long nfds = 0;

    listen_reset(out);
    int rc = listen_activation_count(&nfds, errbuf, errlen);
    /* Whatever they said, nothing we start may take them for its own. */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (rc != 0)
        return -1;
    if (nfds > 0)
        return listen_adopt_activated(nfds, out, errbuf, errlen);
    if (strncmp(cfg->listen, "unix:", 5) == 0)
        return open_unix(cfg, cfg->listen + 5, out, errbuf, errlen);
    return open_tcp(cfg->listen, cfg->listen_backlog, out, errbuf, errlen);
}

void
listen_close(struct listener *l)
{
    struct stat st;

    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    /* A forked worker closes its copy; a newer server may own the path by now; systemd's
     * socket outlives us. */
    if (l->is_unix && !l->activated && l->owner == getpid() && lstat(l->path, &st) == 0 &&
        st.st_dev == l->dev && st.st_ino == l->ino)
        unlink(l->path);
    l->is_unix = 0;
    l->activated = 0;
}
