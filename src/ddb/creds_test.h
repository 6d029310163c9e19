/* What only the tests (and the fuzz targets) use of the credentials chain: a copy of the
 * current credentials, and the shared-file reader on its own. Included by creds*.c and the
 * tests, never by the service's other code. */
#ifndef SAVEALIFE_CREDS_TEST_H
#define SAVEALIFE_CREDS_TEST_H

#include "creds.h"

/* As creds_provider_current, copying the credentials into out. */
ddb_status creds_provider_get(struct creds_provider *p, struct creds *out, struct ddb_error *err);

/* Reads one profile of a shared credentials file (INI: [profile] sections, key = value,
 * '#' and ';' comments). DDB_ERR_CREDENTIALS if the file or profile or keys are missing. */
ddb_status creds_read_file(const char *path, const char *profile, struct creds *out,
                           struct ddb_error *err);

#endif
