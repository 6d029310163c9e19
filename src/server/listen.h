/* The listening socket the master opens and its workers accept on: "unix:PATH" (mode and
 * group from configuration) or "HOST:PORT" (TCP), or the one systemd hands over on fd 3
 * (socket activation: LISTEN_PID, LISTEN_FDS). We make it ourselves rather than through
 * FCGX_OpenSocket, which exit()s on failure. */
#ifndef SAVEALIFE_LISTEN_H
#define SAVEALIFE_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* The first socket systemd hands over (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START 3

struct listener {
    int fd;         /* listening, non-blocking, close-on-exec; -1 when closed */
    int is_unix;    /* 1 for a unix socket */
    char path[108]; /* the unix socket's path ("" for TCP) */
    dev_t dev;      /* the socket file we created, so that only it is ever removed */
    ino_t ino;
    pid_t owner;        /* the process that created it: only it removes the file */
    int activated;      /* 1: handed over by systemd; its settings are the socket unit's, and
                           its file is never ours to remove */
    char describe[300]; /* for logs: "unix:/run/x.sock (mode 0660, group www-data)" */
    char warning[160];  /* something to log although the socket is usable; "" if nothing */
};

/* When LISTEN_PID is this process and LISTEN_FDS at least 1, takes fd 3 (it must be a
 * listening stream socket: unix, IPv4 or IPv6) and ignores cfg->listen; otherwise opens
 * cfg->listen. Either way LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the
 * environment. A unix path where something already accepts connections is refused; a stale
 * socket file is replaced; any other file there is refused. A socket it opens queues
 * cfg->listen_backlog connections; one handed over keeps its socket unit's. Errors name the
 * variable (SAVEALIFE_LISTEN, SAVEALIFE_SOCKET_GROUP, LISTEN_FDS, ...). Returns 0, or -1 with
 * errbuf filled. */
int listen_open(const struct config *cfg, struct listener *out, char *errbuf, size_t errlen);

/* Closes the socket; the process that created a unix socket also removes its file, if the
 * file is still that socket (a socket systemd handed over is only closed). Safe to call twice
 * and in forked children (which only close). */
void listen_close(struct listener *l);

#endif
