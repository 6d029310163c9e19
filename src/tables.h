/* The create-tables command: CreateTable documents from the schema folder, made idempotent. */
#ifndef SAVEALIFE_TABLES_H
#define SAVEALIFE_TABLES_H

#include <stdio.h>

#include "config.h"
#include "ddb/ddb.h"

/* Creates one table per JSON file in cfg->schema_dir (in name order), naming each table with the
 * configured prefix; an existing table counts as created. Then waits up to wait_ms until
 * every table is ACTIVE, and turns on DynamoDB's TTL for a schema with a
 * "TimeToLiveSpecification" (ours, taken out of the CreateTable document) where the endpoint
 * supports UpdateTimeToLive, saying so where it does not. Reports progress, one line a table,
 * to out. Returns 0, or -1 with err set (a schema that cannot be read is DDB_ERR_CONFIG). */
int tables_create_all(struct ddb_client *client, const struct config *cfg, long wait_ms, FILE *out,
                      struct ddb_error *err);

#endif
