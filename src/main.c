/* savealife: the command line. `serve` arrives with the service issue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"
#include "ddb/ddb.h"
#include "server/master.h"
#include "tables.h"

#define CREATE_TABLES_WAIT_MS 120000L

static void
usage(FILE *out)
{
    fprintf(out, "usage: savealife COMMAND [--option value ...]\n"
                 "\n"
                 "commands:\n"
                 "  serve           run the FastCGI master and its workers (TERM/INT/QUIT stop\n"
                 "                  gracefully, HUP reloads, USR1 reopens the log)\n"
                 "  create-tables   create the tables from the schema folder (existing ones are\n"
                 "                  kept) and wait until they are ACTIVE\n"
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
