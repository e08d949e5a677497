/*
 * allocation-server — the URL map of spec §3.
 */
#ifndef SERVER_ROUTES_H
#define SERVER_ROUTES_H

#include "handlers.h"

struct route {
	const char *path; /* exact path, or a prefix when it ends with '/' */
	const char *method;
	const char *allow; /* Allow header for 405 */
	handler_fn handler;
	int has_body;
};

/* The route for path, or NULL (404). */
const struct route *route_find(const char *path);

/* Non-zero when method is allowed on route (HEAD is allowed wherever GET is). */
int route_allows(const struct route *route, const char *method);

#endif
