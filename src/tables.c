#include "tables.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define TABLES_MAX 32

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of the *.json files in dir; *count of them. */
static int
list_schemas(const char *dir, char *names[TABLES_MAX], size_t *count, struct ddb_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    int rc = -1;

    if (d == NULL) {
        ddb_error_set(err, DDB_ERR_CONFIG, "cannot open schema folder %s", dir);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        if (n == TABLES_MAX) {
            ddb_error_set(err, DDB_ERR_CONFIG, "more than %d schema files in %s", TABLES_MAX, dir);
            goto out;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            ddb_error_set(err, DDB_ERR_NOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    if (n == 0) {
        ddb_error_set(err, DDB_ERR_CONFIG, "no *.json schema files in %s", dir);
        goto out;
    }
    qsort(names, n, sizeof(names[0]), cmp_names);
    rc = 0;
out:
    closedir(d);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        n = 0;
    }
    *count = n;
    return rc;
}

/* Reads one CreateTable document and renames its table with the prefix. Its
 * "TimeToLiveSpecification" member, if any, is ours (CreateTable has none): it is taken out
 * and its attribute name copied into ttl ("" when there is none). */
static int
load_schema(const struct config *cfg, const char *file, json_object **doc, char *table,
            size_t table_len, char *ttl, size_t ttl_len, struct ddb_error *err)
{
    char path[2048];
    json_object *name, *spec = NULL, *attr = NULL;
    json_object *obj = NULL;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", cfg->schema_dir, file) >= sizeof(path)) {
        ddb_error_set(err, DDB_ERR_CONFIG, "schema path too long: %s/%s", cfg->schema_dir, file);
        return -1;
    }
    obj = json_object_from_file(path);
    if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, "TableName", &name) ||
        !json_object_is_type(name, json_type_string)) {
        ddb_error_set(err, DDB_ERR_CONFIG, "%s is not a CreateTable document with a TableName",
                      path);
        goto fail;
    }
    ttl[0] = '\0';
    if (json_object_object_get_ex(obj, "TimeToLiveSpecification", &spec)) {
        if (!json_object_object_get_ex(spec, "AttributeName", &attr) ||
            !json_object_is_type(attr, json_type_string) ||
            (size_t)snprintf(ttl, ttl_len, "%s", json_object_get_string(attr)) >= ttl_len ||
            ttl[0] == '\0') {
            ddb_error_set(err, DDB_ERR_CONFIG, "%s: TimeToLiveSpecification needs an AttributeName",
                          path);
            goto fail;
        }
        json_object_object_del(obj, "TimeToLiveSpecification");
    }
    if (config_table_name(cfg, json_object_get_string(name), table, table_len) != 0) {
        ddb_error_set(err, DDB_ERR_CONFIG, "table name too long in %s", path);
        goto fail;
    }
    if (json_object_object_add(obj, "TableName", json_object_new_string(table)) != 0) {
        ddb_error_set(err, DDB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    *doc = obj;
    return 0;
fail:
    json_object_put(obj);
    return -1;
}

/* A {"TableName": table} request. */
static json_object *
ttl_request(const char *table)
{
    json_object *req = json_object_new_object();
    json_object *v = json_object_new_string(table);

    if (req == NULL || v == NULL || json_object_object_add(req, "TableName", v) != 0) {
        json_object_put(v);
        json_object_put(req);
        return NULL;
    }
    return req;
}

/* Whether a failure means the endpoint does not know the operation (dynalite has no
 * UpdateTimeToLive). */
static int
ttl_unsupported(const struct ddb_error *err)
{
    return strcmp(err->type, "UnknownOperationException") == 0;
}

/* Turns on DynamoDB's TTL on attribute attr of table, where the endpoint supports it; says
 * plainly on out where it does not (the service then still ignores expired items, but nothing
 * deletes them). Returns 0, or -1 with err set. */
static int
enable_ttl(struct ddb_client *client, const char *table, const char *attr, FILE *out,
           struct ddb_error *err)
{
    json_object *req = NULL, *resp = NULL, *desc = NULL, *v = NULL, *spec = NULL;
    const char *status = "", *current = "";
    int rc = -1;

    if ((req = ttl_request(table)) == NULL) {
        ddb_error_set(err, DDB_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (ddb_call(client, "DescribeTimeToLive", req, &resp, err) != DDB_OK) {
        if (!ttl_unsupported(err))
            goto out;
    } else if (json_object_object_get_ex(resp, "TimeToLiveDescription", &desc)) {
        if (json_object_object_get_ex(desc, "TimeToLiveStatus", &v))
            status = json_object_get_string(v);
        if (json_object_object_get_ex(desc, "AttributeName", &v))
            current = json_object_get_string(v);
    }
    if ((strcmp(status, "ENABLED") == 0 || strcmp(status, "ENABLING") == 0) &&
        strcmp(current, attr) == 0) {
        fprintf(out, "%s: TTL on %s: enabled\n", table, attr);
        rc = 0;
        goto out;
    }
    if (strcmp(status, "ENABLED") == 0 || strcmp(status, "ENABLING") == 0) {
        ddb_error_set(err, DDB_ERR_CONFIG, "%s: TTL is on for attribute %s, not %s", table, current,
                      attr);
        goto out;
    }
    ddb_error_clear(err);
    if ((spec = json_object_new_object()) == NULL ||
        json_object_object_add(spec, "AttributeName", json_object_new_string(attr)) != 0 ||
        json_object_object_add(spec, "Enabled", json_object_new_boolean(1)) != 0 ||
        json_object_object_add(req, "TimeToLiveSpecification", json_object_get(spec)) != 0) {
        ddb_error_set(err, DDB_ERR_NOMEM, "out of memory");
        goto out;
    }
    json_object_put(resp);
    resp = NULL;
    if (ddb_call(client, "UpdateTimeToLive", req, &resp, err) != DDB_OK) {
        if (!ttl_unsupported(err))
            goto out;
        fprintf(out,
                "%s: TTL not supported by this endpoint (no UpdateTimeToLive): expired items are "
                "ignored but never deleted\n",
                table);
        ddb_error_clear(err);
        rc = 0;
        goto out;
    }
    fprintf(out, "%s: TTL on %s: enabled\n", table, attr);
    rc = 0;
out:
    json_object_put(spec);
    json_object_put(resp);
    json_object_put(req);
    return rc;
}

int
tables_create_all(struct ddb_client *client, const struct config *cfg, long wait_ms, FILE *out,
                  struct ddb_error *err)
{
    char *files[TABLES_MAX];
    char tables[TABLES_MAX][256];
    char ttls[TABLES_MAX][256];
    size_t n = 0;
    int rc = -1;

    if (list_schemas(cfg->schema_dir, files, &n, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *doc = NULL;
        if (load_schema(cfg, files[i], &doc, tables[i], sizeof(tables[i]), ttls[i], sizeof(ttls[i]),
                        err) != 0)
            goto out;
        ddb_status st = ddb_create_table(client, doc, err);
        json_object_put(doc);
        if (st == DDB_ERR_IN_USE) {
            fprintf(out, "%s: exists\n", tables[i]);
            ddb_error_clear(err);
        } else if (st != DDB_OK) {
            goto out;
        } else {
            fprintf(out, "%s: created\n", tables[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ddb_wait_table_active(client, tables[i], wait_ms, err) != DDB_OK)
            goto out;
        fprintf(out, "%s: ACTIVE\n", tables[i]);
    }
    /* UpdateTimeToLive needs an ACTIVE table. */
    for (size_t i = 0; i < n; i++)
        if (ttls[i][0] != '\0' && enable_ttl(client, tables[i], ttls[i], out, err) != 0)
            goto out;
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    return rc;
}
