/* A DynamoDB client's running figures, on their own so that the scoreboard and the status page
 * can hold and show them without the client's interface. */
#ifndef SAVEALIFE_DDB_STATS_H
#define SAVEALIFE_DDB_STATS_H

#include "ddb_error.h"

/* Running figures of a client, for logs, response headers and the status page. */
#define DDB_LATENCY_BUCKETS 8
struct ddb_stats {
    unsigned long calls;    /* ddb_call()s made */
    unsigned long attempts; /* HTTP attempts (calls plus retries) */
    unsigned long retries;
    unsigned long throttles;                    /* throttled answers seen, retried or not */
    unsigned long errors[DDB_ERR_CLIENT + 1];   /* failed calls by final status */
    double total_ms;                            /* time spent in calls */
    unsigned long latency[DDB_LATENCY_BUCKETS]; /* calls taking <=5,10,25,50,100,250,1000,+inf ms */
};

#endif
