#include "routes.h"

#include "history.h"

#include <string.h>

static const struct route routes[ROUTE_COUNT] = {
    {"/add_batch", "POST", "POST", NULL, build_add_batch, respond_add_batch, 1, 1, 0, "add_batch",
     0},
    {"/allocate", "POST", "POST", NULL, build_allocate, respond_allocate, 1, 1, 0, "allocate", 1},
    {"/deallocate", "POST", "POST", NULL, build_deallocate, respond_deallocate, 1, 1, 0,
     "deallocate", 2},
    {"/change_batch_quantity", "POST", "POST", NULL, build_change_batch_quantity,
     respond_batch_command, 1, 1, 0, "change_batch_quantity", 3},
    {"/cancel_batch", "POST", "POST", NULL, build_cancel_batch, respond_batch_command, 1, 1, 0,
     "cancel_batch", 4},
    {"/allocations/", "GET", "GET, HEAD", handle_allocations, NULL, NULL, 0, 0, 0, "allocations",
     5},
    {"/batches", "GET", "GET, HEAD", handle_batches, NULL, NULL, 0, 0, 0, "batches", 6},
    {"/healthz", "GET", "GET, HEAD", handle_healthz, NULL, NULL, 0, 0, 1, "healthz", 7},
    {"/readyz", "GET", "GET, HEAD", handle_readyz, NULL, NULL, 0, 0, 0, "readyz", 8},
    {"/metrics", "GET", "GET, HEAD", handle_metrics, NULL, NULL, 0, 0, 0, "metrics", 9},
    {"/openapi.json", "GET", "GET, HEAD", handle_openapi, NULL, NULL, 0, 0, 0, "openapi", 10},
    {"/allocations/*/history", "GET", "GET, HEAD", handle_history, NULL, NULL, 0, 0, 0, "history",
     11},
    {"/check", "GET", "GET, HEAD", handle_check, NULL, NULL, 0, 0, 0, "check", 12},
    {"/allocate_order", "POST", "POST", NULL, build_allocate_order, respond_allocate_order, 1, 1, 0,
     "allocate_order", 13},
    {"/confirm", "POST", "POST", NULL, build_confirm, respond_confirm, 1, 1, 0, "confirm", 14},
};

/* A pattern "HEAD*TAIL" matches a path that starts with HEAD, ends with
 * TAIL and has at least one byte in between (an orderid may hold a '/'). */
static int matches_pattern(const char *pattern, const char *star, const char *path)
{
	size_t head = (size_t)(star - pattern), tail = strlen(star + 1), len = strlen(path);
	return len > head + tail && strncmp(path, pattern, head) == 0 &&
	       strcmp(path + len - tail, star + 1) == 0;
}

const struct route *route_find(const char *path)
{
	/* patterns first: they are longer than the prefixes they start with */
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		const char *star = strchr(routes[i].path, '*');
		if (star && matches_pattern(routes[i].path, star, path))
			return &routes[i];
	}
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		const struct route *r = &routes[i];
		if (strchr(r->path, '*'))
			continue;
		size_t n = strlen(r->path);
		if (r->path[n - 1] == '/' ? strncmp(path, r->path, n) == 0 && path[n] != '\0'
		                          : strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

const struct route *route_at(unsigned int index)
{
	return index < ROUTE_COUNT ? &routes[index] : NULL;
}

int route_allows(const struct route *route, const char *method)
{
	if (strcmp(method, route->method) == 0)
		return 1;
	return strcmp(route->method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}
