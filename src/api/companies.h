/* The companies controller: list and read (public), create, update, delete and bulk delete
 * (admin; the dispatcher has checked the token and the media type). app is the worker's
 * struct repo. */
#ifndef SAVEALIFE_API_COMPANIES_H
#define SAVEALIFE_API_COMPANIES_H

#include "http/router.h"

/* Ids a bulk delete takes at most. */
#define COMPANIES_BULK_MAX 100

/* GET /api/companies?limit=&cursor= */
void companies_list(void *app, const struct http_request *req, const struct router_params *params,
                    struct http_response *resp);
/* GET /api/companies/{id} */
void companies_get(void *app, const struct http_request *req, const struct router_params *params,
                   struct http_response *resp);
/* POST /api/companies and PUT /api/companies */
void companies_create(void *app, const struct http_request *req, const struct router_params *params,
                      struct http_response *resp);
/* PUT /api/companies/{id} */
void companies_update(void *app, const struct http_request *req, const struct router_params *params,
                      struct http_response *resp);
/* DELETE /api/companies/{id} */
void companies_delete(void *app, const struct http_request *req, const struct router_params *params,
                      struct http_response *resp);
/* DELETE /api/companies?id=a&id=b or ?filter={"id":[...]} */
void companies_delete_many(void *app, const struct http_request *req,
                           const struct router_params *params, struct http_response *resp);

#endif
