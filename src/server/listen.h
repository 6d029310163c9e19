/* The listening socket the master opens and its workers accept on: "unix:PATH" (mode and
 * group from configuration) or "HOST:PORT" (TCP). We make it ourselves rather than through
 * FCGX_OpenSocket, which exit()s on failure. */
#ifndef SAVEALIFE_LISTEN_H
#define SAVEALIFE_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define LISTEN_BACKLOG 1024

struct listener {
    int fd;         /* listening, non-blocking, close-on-exec; -1 when closed */
    int is_unix;    /* 1 for a unix socket */
    char path[108]; /* the unix socket's path ("" for TCP) */
    dev_t dev;      /* the socket file we created, so that only it is ever removed */
    ino_t ino;
    pid_t owner;        /* the process that created it: only it removes the file */
    char describe[300]; /* for logs: "unix:/run/x.sock (mode 0660, group www-data)" */
};

/* Opens cfg->listen. A unix path where something already accepts connections is refused; a
 * stale socket file is replaced; any other file there is refused. Errors name the variable
 * (SAVEALIFE_LISTEN, SAVEALIFE_SOCKET_GROUP, ...). Returns 0, or -1 with errbuf filled. */
int listen_open(const struct config *cfg, struct listener *out, char *errbuf, size_t errlen);

/* Closes the socket; the process that created a unix socket also removes its file, if the
 * file is still that socket. Safe to call twice and in forked children (which only close). */
void listen_close(struct listener *l);

#endif
