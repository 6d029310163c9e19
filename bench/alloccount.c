/* An LD_PRELOAD shim for bench/allocs: counts the heap allocations of a process (malloc,
 * calloc, realloc, posix_memalign, aligned_alloc, memalign) and, on SIGRTMIN+3, writes the
 * count to $ALLOCCOUNT_DIR/<pid>. The allocations themselves are glibc's; only a counter is
 * added. Counted per process, so a forked worker starts from its parent's figure and the
 * difference of two readings is what happened in between. Not part of the service. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static volatile unsigned long count;

void *
malloc(size_t n)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}

void *
calloc(size_t m, size_t n)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_calloc(m, n);
}

void *
realloc(void *p, size_t n)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}

void *
memalign(size_t a, size_t n)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_memalign(a, n);
}

void *
aligned_alloc(size_t a, size_t n)
{
    return memalign(a, n);
}

int
posix_memalign(void **out, size_t a, size_t n)
{
    void *p = memalign(a, n);

    if (p == NULL)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

/* Only async-signal-safe calls: the signal may come in the middle of a malloc. */
static void
report(int sig)
{
    const char *dir = getenv("ALLOCCOUNT_DIR");
    char path[512], line[32], digits[24];
    unsigned long v = count, pid = (unsigned long)getpid();
    size_t n = 0, d = 0, dl = dir != NULL ? strlen(dir) : 0;
    int fd;

    (void)sig;
    if (dir == NULL || dl + 24 > sizeof(path))
        return;
    memcpy(path, dir, dl);
    path[dl++] = '/';
    do
        digits[d++] = (char)('0' + pid % 10);
    while ((pid /= 10) != 0);
    while (d > 0)
        path[dl++] = digits[--d];
    path[dl] = '\0';
    do
        digits[d++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (d > 0)
        line[n++] = digits[--d];
    line[n++] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, n) < 0) {
        /* nothing to do: the reader sees an empty file */
    }
    close(fd);
}

__attribute__((constructor)) static void
setup(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = report;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGRTMIN + 3, &sa, NULL);
}
