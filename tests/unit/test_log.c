/* The lifecycle log: line format with pid and level, the journal's format, level filtering, long
 * lines cut and marked, and reopening a rotated file by its name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/check_main.h"
#include "server/log.h"

static char dir[64];
static char log_path[128];

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/savealife-log.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(log_path, sizeof(log_path), "%s/serve.log", dir);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
}

static void
teardown(void)
{
    char rotated[160];
    snprintf(rotated, sizeof(rotated), "%s.1", log_path);
    unlink(rotated);
    unlink(log_path);
    rmdir(dir);
}

/* The whole of a file, NUL-terminated, in buf. */
static size_t
slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

START_TEST(test_line_format)
{
    struct log lg;
    char buf[4096], want[128];

    log_init(&lg, CONFIG_LOG_INFO);
    ck_assert_str_eq(lg.path, log_path);
    log_msg(&lg, CONFIG_LOG_INFO, "worker %d started (generation %u)", 1240, 2u);
    log_msg(&lg, CONFIG_LOG_ERROR, "cannot fork");
    snprintf(want, sizeof(want),
             "savealife[%ld]: info: worker 1240 started (generation 2)\n"
             "savealife[%ld]: error: cannot fork\n",
             (long)getpid(), (long)getpid());
    slurp(log_path, buf, sizeof(buf));
    ck_assert_str_eq(buf, want);
}
END_TEST

/* Under systemd, standard error is the journal when JOURNAL_STREAM names its device and
 * inode: lines then carry a syslog priority and the pid, not the name journald adds. */
START_TEST(test_journal_stream)
{
    struct log lg;
    struct stat st;
    char buf[4096], want[256], env[64];

    ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
    snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
    log_init(&lg, CONFIG_LOG_DEBUG);
    ck_assert_int_eq(lg.journal, 1);
    log_msg(&lg, CONFIG_LOG_DEBUG, "d");
    log_msg(&lg, CONFIG_LOG_INFO, "worker %d started", 1240);
    log_msg(&lg, CONFIG_LOG_WARN, "w");
    log_msg(&lg, CONFIG_LOG_ERROR, "e");
    snprintf(want, sizeof(want),
             "<7>[%ld] debug: d\n<6>[%ld] info: worker 1240 started\n<4>[%ld] warn: w\n"
             "<3>[%ld] error: e\n",
             (long)getpid(), (long)getpid(), (long)getpid(), (long)getpid());
    slurp(log_path, buf, sizeof(buf));
    ck_assert_str_eq(buf, want);

    /* Another file (standard error redirected since), or a malformed value: plain lines. */
    static const char *const others[] = {"1:2", "", "12", "x:y", NULL};
    snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
    log_init(&lg, CONFIG_LOG_INFO);
    ck_assert_int_eq(lg.journal, 0);
    for (size_t i = 0; others[i] != NULL; i++) {
        ck_assert_int_eq(setenv("JOURNAL_STREAM", others[i], 1), 0);
        log_init(&lg, CONFIG_LOG_INFO);
        ck_assert_int_eq(lg.journal, 0);
    }
    snprintf(env, sizeof(env), "%llu:%llux", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
    log_init(&lg, CONFIG_LOG_INFO);
    ck_assert_int_eq(lg.journal, 0);
    log_msg(&lg, CONFIG_LOG_INFO, "plain");
    snprintf(want, sizeof(want), "savealife[%ld]: info: plain\n", (long)getpid());
    slurp(log_path, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, want));
    unsetenv("JOURNAL_STREAM");
}
END_TEST

START_TEST(test_levels)
{
    struct log lg;
    char buf[4096];

    log_init(&lg, CONFIG_LOG_WARN);
    log_msg(&lg, CONFIG_LOG_DEBUG, "d");
    log_msg(&lg, CONFIG_LOG_INFO, "i");
    log_msg(&lg, CONFIG_LOG_WARN, "w");
    log_msg(&lg, CONFIG_LOG_ERROR, "e");
    slurp(log_path, buf, sizeof(buf));
    ck_assert_ptr_null(strstr(buf, ": debug: "));
    ck_assert_ptr_null(strstr(buf, ": info: "));
    ck_assert_ptr_nonnull(strstr(buf, ": warn: w\n"));
    ck_assert_ptr_nonnull(strstr(buf, ": error: e\n"));
    ck_assert_str_eq(log_level_name(CONFIG_LOG_DEBUG), "debug");
}
END_TEST

START_TEST(test_long_line_is_cut_and_marked)
{
    struct log lg;
    char buf[8192];
    char big[3000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_init(&lg, CONFIG_LOG_DEBUG);
    errno = EBADF;
    log_msg(&lg, CONFIG_LOG_INFO, "%s", big);
    ck_assert_int_eq(errno, EBADF);
    size_t n = slurp(log_path, buf, sizeof(buf));
    ck_assert_uint_le(n, 1024);
    ck_assert_uint_gt(n, 1000);
    ck_assert_int_eq(buf[n - 1], '\n');
    ck_assert_int_eq(strncmp(buf + n - 4, "...", 3), 0);
    ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
}
END_TEST

/* logrotate renames the file and asks for a reopen: new lines go to a new file of the old
 * name, none to the renamed one. */
START_TEST(test_reopen_after_rotation)
{
    struct log lg;
    char rotated[160], buf[4096], err[256];
    struct stat st;

    log_init(&lg, CONFIG_LOG_INFO);
    log_msg(&lg, CONFIG_LOG_INFO, "before");
    snprintf(rotated, sizeof(rotated), "%s.1", log_path);
    ck_assert_int_eq(rename(log_path, rotated), 0);
    log_msg(&lg, CONFIG_LOG_INFO, "still old");
    ck_assert_int_eq(log_reopen(&lg, err, sizeof(err)), 0);
    log_msg(&lg, CONFIG_LOG_INFO, "after");

    slurp(rotated, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "before"));
    ck_assert_ptr_nonnull(strstr(buf, "still old"));
    ck_assert_ptr_null(strstr(buf, "after"));
    slurp(log_path, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "after"));
    ck_assert_ptr_null(strstr(buf, "before"));
    ck_assert_int_eq(stat(log_path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0640);
    ck_assert(fcntl(STDERR_FILENO, F_GETFL) & O_APPEND);
    ck_assert_int_eq(fcntl(STDERR_FILENO, F_GETFD) & FD_CLOEXEC, 0);
}
END_TEST

START_TEST(test_reopen_unwritable)
{
    struct log lg;
    char err[256];

    log_init(&lg, CONFIG_LOG_INFO);
    snprintf(lg.path, sizeof(lg.path), "%s/missing-dir/serve.log", dir);
    ck_assert_int_eq(log_reopen(&lg, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "missing-dir"));
}
END_TEST

START_TEST(test_pipe_has_nothing_to_reopen)
{
    struct log lg;
    char err[256];
    int fds[2];

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    log_init(&lg, CONFIG_LOG_INFO);
    ck_assert_str_eq(lg.path, "");
    ck_assert_int_eq(log_reopen(&lg, err, sizeof(err)), 1);
    log_msg(&lg, CONFIG_LOG_WARN, "through the pipe");
    char buf[256];
    ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_ptr_nonnull(strstr(buf, ": warn: through the pipe\n"));
}
END_TEST

static Suite *
log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("lines");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_line_format);
    tcase_add_test(tc, test_levels);
    tcase_add_test(tc, test_journal_stream);
    tcase_add_test(tc, test_long_line_is_cut_and_marked);
    tcase_add_test(tc, test_reopen_after_rotation);
    tcase_add_test(tc, test_reopen_unwritable);
    tcase_add_test(tc, test_pipe_has_nothing_to_reopen);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(log_suite)
