/* savealife: the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api/auth.h"
#include "config.h"
#include "ddb/ddb.h"
#include "server/control.h"
#include "server/master.h"
#include "tables.h"

#define CREATE_TABLES_WAIT_MS 120000L
#define TOKEN_MAX 4096
/* Long enough for a generation's workers to start (each makes its DynamoDB client), short
 * enough to end before systemd's own timeout for ExecReload (90 s by default). */
#define RELOAD_WAIT_MS 60000L

static void
usage(FILE *out)
{
    fprintf(out, "usage: savealife COMMAND [--option value ...]\n"
                 "\n"
                 "commands:\n"
                 "  serve           run the FastCGI master and its workers (TERM/INT/QUIT stop\n"
                 "                  gracefully, HUP or USR2 reloads, USR1 reopens the log)\n"
                 "  create-tables   create the tables from the schema folder (existing ones are\n"
                 "                  kept) and wait until they are ACTIVE\n"
                 "  reload PID      ask the master PID to reload and wait until its new workers\n"
                 "                  accept connections (systemd's ExecReload); exits 1 if the\n"
                 "                  reload was refused or failed\n"
                 "  hash-token      read an admin token on standard input, print its SHA-256\n"
                 "                  digest (a line for SAVEALIFE_TOKENS_FILE)\n"
                 "  version         print the version\n"
                 "  --help          print this help\n"
                 "\n"
                 "options (each also read from its environment variable):\n");
    config_print_help(out);
    fprintf(out, "\nThe DynamoDB client reads AWS_REGION, AWS_DEFAULT_REGION,\n"
                 "AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,\n"
                 "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SHARED_CREDENTIALS_FILE,\n"
                 "AWS_PROFILE, AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED\n"
                 "and AWS_CA_BUNDLE, as the AWS SDKs do.\n");
}

static int
cmd_create_tables(const struct config *cfg)
{
    struct ddb_client *client = NULL;
    struct ddb_options opts;
    struct ddb_error err;
    int rc = EXIT_FAILURE;

    memset(&opts, 0, sizeof(opts));
    ddb_error_clear(&err);
    if (ddb_client_new(&opts, &client, &err) != DDB_OK)
        goto out;
    fprintf(stderr, "savealife: creating tables from %s at %s (%s)\n", cfg->schema_dir,
            ddb_client_endpoint(client), ddb_client_region(client));
    if (tables_create_all(client, cfg, CREATE_TABLES_WAIT_MS, stdout, &err) != 0)
        goto out;
    rc = EXIT_SUCCESS;
out:
    if (rc != EXIT_SUCCESS)
        fprintf(stderr, "savealife: create-tables failed: %s%s%s%s\n", ddb_error_name(err.status),
                err.type[0] != '\0' ? " (" : "", err.type, err.type[0] != '\0' ? ")" : "");
    if (rc != EXIT_SUCCESS && err.message[0] != '\0')
        fprintf(stderr, "savealife: %s\n", err.message);
    ddb_client_free(client);
    return rc;
}

static int
cmd_serve(const struct config *cfg, int argc, char *argv[])
{
    return master_run(cfg, argc, argv);
}

/* `savealife reload PID`: SIGHUP that waits for the master's answer (server/control.h). */
static int
cmd_reload(int argc, char *argv[])
{
    char errbuf[256], *end = NULL;
    int outcome = 0;

    if (argc != 3) {
        fprintf(stderr, "savealife: usage: savealife reload PID\n");
        return 2;
    }
    errno = 0;
    long pid = strtol(argv[2], &end, 10);
    if (errno != 0 || end == argv[2] || *end != '\0' || pid <= 1 || (long)(pid_t)pid != pid) {
        fprintf(stderr, "savealife: reload: \"%s\" is not a process id\n", argv[2]);
        return 2;
    }
    if (control_reload((pid_t)pid, RELOAD_WAIT_MS, &outcome, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "savealife: reload: %s\n", errbuf);
        return EXIT_FAILURE;
    }
    if (outcome != CONTROL_RELOADED) {
        fprintf(stderr, "savealife: %s\n", control_outcome_text(outcome));
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

/* The token is the first line of standard input, without its line end. It must be usable in
 * "Authorization: Bearer <token>": printable ASCII with no spaces (RFC 6750's b64token is
 * narrower still, but any such token compares equal byte for byte). */
static int
cmd_hash_token(void)
{
    char token[TOKEN_MAX + 2], hex[AUTH_DIGEST_HEX];
    size_t len = 0;
    int rc = 2;

    if (fgets(token, sizeof(token), stdin) == NULL) {
        fprintf(stderr, "savealife: hash-token: no token on standard input\n");
        goto out;
    }
    len = strlen(token);
    if (len > 0 && token[len - 1] == '\n')
        token[--len] = '\0';
    else if (!feof(stdin)) {
        fprintf(stderr, "savealife: hash-token: the token is longer than %d bytes\n", TOKEN_MAX);
        goto out;
    }
    if (len > 0 && token[len - 1] == '\r')
        token[--len] = '\0';
    if (len == 0) {
        fprintf(stderr, "savealife: hash-token: the token is empty\n");
        goto out;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)token[i];
        if (c <= ' ' || c >= 0x7f) {
            fprintf(stderr, "savealife: hash-token: the token may hold only printable ASCII "
                            "without spaces\n");
            goto out;
        }
    }
    if (auth_hash_token(token, len, hex) != 0) {
        fprintf(stderr, "savealife: hash-token: hashing failed\n");
        rc = 1;
        goto out;
    }
    if (printf("%s\n", hex) < 0 || fflush(stdout) != 0) {
        rc = 1;
        goto out;
    }
    rc = EXIT_SUCCESS;
out:
    explicit_bzero(token, sizeof(token));
    return rc;
}

int
main(int argc, char *argv[])
{
    struct config cfg;
    char errbuf[512];

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("savealife %s (%s)\n", SAVEALIFE_VERSION, curl_version());
        return EXIT_SUCCESS;
    }
    if (strcmp(cmd, "hash-token") == 0) {
        if (argc > 2) {
            fprintf(stderr, "savealife: hash-token takes no options (the token comes on "
                            "standard input)\n");
            return 2;
        }
        return cmd_hash_token();
    }
    if (strcmp(cmd, "reload") == 0)
        return cmd_reload(argc, argv);
    if (config_load(&cfg, argc - 2, argv + 2, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "savealife: %s\n", errbuf);
        return 2;
    }
    if (strcmp(cmd, "create-tables") == 0)
        return cmd_create_tables(&cfg);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(&cfg, argc - 2, argv + 2);
    fprintf(stderr, "savealife: unknown command \"%s\" (see savealife --help)\n", cmd);
    return 2;
}
