/* What only the tests use of the DynamoDB client: dropping and listing tables, and
 * BatchGetItem. Included by the files that define them and by the tests only. */
#ifndef SAVEALIFE_DDB_TEST_H
#define SAVEALIFE_DDB_TEST_H

#include <json-c/json.h>

#include "ddb.h"

/* DeleteTable. */
ddb_status ddb_delete_table(struct ddb_client *c, const char *table, struct ddb_error *err);
/* Every table name, following pagination; *names is a new JSON array of strings. */
ddb_status ddb_list_tables(struct ddb_client *c, json_object **names, struct ddb_error *err);
/* BatchGetItem for one table: keys is an array of key maps (borrowed). Chunks of 100;
 * unprocessed keys re-sent. *items is a new array, in no particular order. A key given
 * twice (numbers compared by value) is asked for, and answered, once. */
ddb_status ddb_batch_get(struct ddb_client *c, const char *table, json_object *keys, int consistent,
                         json_object **items, struct ddb_error *err);

#endif
