/* What the repositories share: table names, the status type and its mapping from DynamoDB's,
 * timestamps, and the small helpers of repo_item.h. */
#include "repo/repo.h"
#include "repo/repo_item.h"
#include "util/jobj.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int
repo_init(struct repo *repo, struct ddb_client *ddb, const struct config *cfg)
{
    if (repo == NULL || cfg == NULL)
        return -1;
    memset(repo, 0, sizeof(*repo));
    repo->ddb = ddb;
    if (config_table_name(cfg, "companies", repo->companies, sizeof(repo->companies)) != 0 ||
        config_table_name(cfg, "donors", repo->donors, sizeof(repo->donors)) != 0)
        return -1;
    return 0;
}

repo_status
repo_status_from_ddb(ddb_status status)
{
    switch (status) {
    case DDB_OK:
        return REPO_OK;
    case DDB_ERR_THROTTLED:
    case DDB_ERR_CONNECT:
    case DDB_ERR_TIMEOUT:
    case DDB_ERR_TLS:
    case DDB_ERR_TRANSPORT:
    case DDB_ERR_CRC32:
    case DDB_ERR_SERVICE:
    case DDB_ERR_STOPPED: /* the breaker is open: nothing was sent */
    case DDB_ERR_CREDENTIALS:
    case DDB_ERR_AUTH:
    case DDB_ERR_CONFIG:
    case DDB_ERR_BAD_RESPONSE:
    case DDB_ERR_NOT_FOUND: /* a missing table: the deployment, not the request */
        return REPO_UNAVAILABLE;
    case DDB_ERR_VALIDATION:
    case DDB_ERR_ITEM_TOO_LARGE:
    case DDB_ERR_INVALID:
        return REPO_INVALID;
    default:
        /* Conditional failures are the caller's to decide; one left here is unexpected. */
        return REPO_ERROR;
    }
}

const char *
repo_status_name(repo_status status)
{
    switch (status) {
    case REPO_OK:
        return "ok";
    case REPO_NOT_FOUND:
        return "not-found";
    case REPO_EXISTS:
        return "exists";
    case REPO_PRECONDITION:
        return "precondition";
    case REPO_BAD_CURSOR:
        return "bad-cursor";
    case REPO_INVALID:
        return "invalid";
    case REPO_UNAVAILABLE:
        return "unavailable";
    case REPO_ERROR:
        return "error";
    }
    return "unknown";
}

void
repo_timestamp(char buf[32])
{
    struct timespec ts;
    struct tm tm;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL ||
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
        /* Cannot happen with a sane clock; a fixed valid value beats an unset buffer. */
        snprintf(buf, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(buf + 19, 32 - 19, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000L) % 1000u);
}

repo_status
repo_fail(struct ddb_error *err, repo_status rs, ddb_status ds, const char *what)
{
    ddb_error_set(err, ds, "%s", what);
    return rs;
}

repo_status
repo_nomem(struct ddb_error *err)
{
    return repo_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
}

json_object *
repo_av(const char *type, const char *text)
{
    json_object *av = json_object_new_object();

    if (av != NULL && jobj_add(av, type, json_object_new_string(text)) != 0) {
        json_object_put(av);
        return NULL;
    }
    return av;
}

/* The key map of an item: {"<key attribute>": {"S": key}}. */
