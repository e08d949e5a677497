/*
 * allocation-server — the URL map: spec §3's endpoints and the operators'
 * (/healthz, /readyz, /metrics, /openapi.json, /check).
 */
#ifndef SERVER_ROUTES_H
#define SERVER_ROUTES_H

#include "handlers.h"

/* 15 entries: 8 bytes of padding each are not worth reordering the table */
// NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding)
struct route {
	const char *path; /* exact path, a prefix when it ends with '/', or a pattern
	                     with one '*' standing for a non-empty segment */
	const char *method;
	const char *allow;  /* Allow header for 405 */
	handler_fn handler; /* a read (or operators' endpoint); NULL for a command */
	build_fn build;     /* a command: its two halves (handlers.h) */
	respond_fn respond;
	int has_body;       /* a write: JSON body required */
	int is_command;     /* counted in the commands metric */
	int public;         /* answered without the bearer token (/healthz) */
	const char *name;   /* label in metrics: "allocate", "allocations", ... */
	unsigned int index; /* position in the table, 0..ROUTE_COUNT-1 */
};

/* Routes in the table; metrics count unknown paths under ROUTE_COUNT. */
#define ROUTE_COUNT 15

/* The route for path, or NULL (404). */
const struct route *route_find(const char *path);

/* The index-th route, 0 <= index < ROUTE_COUNT. */
const struct route *route_at(unsigned int index);

/* Non-zero when method is allowed on route (HEAD is allowed wherever GET is). */
int route_allows(const struct route *route, const char *method);

#endif
