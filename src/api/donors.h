/* The donors controller: sign-up (public), read, list by city and blood type, change and
 * remove (admin; the dispatcher has checked the token and the media type). app is the
 * worker's struct repo. */
#ifndef SAVEALIFE_API_DONORS_H
#define SAVEALIFE_API_DONORS_H

#include "http/router.h"

/* POST /api/donors and POST /api/donor/signup */
void donors_create(void *app, const struct http_request *req, const struct router_params *params,
                   struct http_response *resp);
/* GET /api/donors/{email} */
void donors_get(void *app, const struct http_request *req, const struct router_params *params,
                struct http_response *resp);
/* GET /api/donors?city=&type=&limit=&cursor= */
void donors_list(void *app, const struct http_request *req, const struct router_params *params,
                 struct http_response *resp);
/* PATCH /api/donors/{email} */
void donors_update(void *app, const struct http_request *req, const struct router_params *params,
                   struct http_response *resp);
/* DELETE /api/donors/{email} */
void donors_delete(void *app, const struct http_request *req, const struct router_params *params,
                   struct http_response *resp);

#endif
