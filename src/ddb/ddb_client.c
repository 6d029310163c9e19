/* placeholder */
typedef int savealife_placeholder_ddb_client;
