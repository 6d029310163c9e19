/* The repositories' side of the worker's DynamoDB client: made and freed with them, the
 * request's deadline and the owner's hooks passed through, the client's figures, table
 * readiness, and failures told in the repositories' own terms, so that the layers above
 * include nothing of ddb/. */
#include <stdio.h>
#include <string.h>

#include "repo/repo.h"

/* The client's connect timeout when the attempt timeout is longer. */
#define REPO_CONNECT_TIMEOUT_MS 3000L

int
repo_open(struct repo *repo, const struct config *cfg, const struct repo_hooks *hooks, char *errbuf,
          size_t errlen)
{
    struct ddb_client *ddb = NULL;
    struct ddb_options opts;
    struct ddb_error err;

    memset(repo, 0, sizeof(*repo));
    memset(&opts, 0, sizeof(opts));
    ddb_error_clear(&err);
    opts.attempt_timeout_ms = cfg->ddb_attempt_timeout;
    /* Connecting is part of an attempt: never allowed longer than the attempt itself. */
    if (cfg->ddb_attempt_timeout < REPO_CONNECT_TIMEOUT_MS)
        opts.connect_timeout_ms = cfg->ddb_attempt_timeout;
    if (ddb_client_new(&opts, &ddb, &err) != DDB_OK) {
        snprintf(errbuf, errlen, "DynamoDB client: %s: %s", ddb_error_name(err.status),
                 err.message);
        return -1;
    }
    if (repo_init(repo, ddb, cfg) != 0) {
        snprintf(errbuf, errlen, "table names too long for prefix \"%s\"", cfg->table_prefix);
        ddb_client_free(ddb);
        memset(repo, 0, sizeof(*repo));
        return -1;
    }
    repo->owns_ddb = 1;
    if (hooks != NULL) {
        struct ddb_hooks h = {hooks->attempt, hooks->go_on, hooks->ctx};

        ddb_client_set_hooks(ddb, &h);
    }
    return 0;
}

void
repo_close(struct repo *repo)
{
    if (repo == NULL || !repo->owns_ddb)
        return;
    ddb_client_free(repo->ddb);
    repo->ddb = NULL;
    repo->owns_ddb = 0;
}

void
repo_set_deadline(struct repo *repo, uint64_t deadline_ms)
{
    ddb_client_set_deadline(repo->ddb, deadline_ms);
}

void
repo_stats(const struct repo *repo, struct ddb_stats *out)
{
    ddb_client_stats(repo->ddb, out);
}

static int
repo_member_is(json_object *obj, const char *member, const char *value)
{
    json_object *v = NULL;

    return json_object_object_get_ex(obj, member, &v) && json_object_is_type(v, json_type_string) &&
           strcmp(json_object_get_string(v), value) == 0;
}

/* Whether a DescribeTable "Table" is ACTIVE, and so is its index when one is named. */
static int
repo_desc_active(json_object *desc, const char *index)
{
    json_object *gsis = NULL;

    if (!repo_member_is(desc, "TableStatus", "ACTIVE"))
        return 0;
    if (index == NULL)
        return 1;
    if (!json_object_object_get_ex(desc, "GlobalSecondaryIndexes", &gsis) ||
        !json_object_is_type(gsis, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(gsis); i++) {
        json_object *gsi = json_object_array_get_idx(gsis, i);
        if (repo_member_is(gsi, "IndexName", index))
            return repo_member_is(gsi, "IndexStatus", "ACTIVE");
    }
    return 0;
}

repo_status
repo_table_ready(struct repo *repo, const char *table, const char *index, int *active,
                 struct repo_error *err)
{
    json_object *desc = NULL;
    ddb_status st;

    *active = 0;
    repo_error_clear(err);
    st = ddb_describe_table(repo->ddb, table, &desc, &err->ddb);
    if (st == DDB_ERR_NOT_FOUND)
        return REPO_NOT_FOUND;
    if (st != DDB_OK)
        return repo_status_from_ddb(st);
    *active = repo_desc_active(desc, index);
    json_object_put(desc);
    return REPO_OK;
}

void
repo_error_clear(struct repo_error *err)
{
    ddb_error_clear(&err->ddb);
}

void
repo_error_text(const struct repo_error *err, char *buf, size_t len)
{
    const struct ddb_error *e = &err->ddb;

    snprintf(buf, len, "ddb %s%s%s, http %d, %d attempts", ddb_error_name(e->status),
             e->type[0] != '\0' ? " " : "", e->type, e->http_status, e->attempts);
}
