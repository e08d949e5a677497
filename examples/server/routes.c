#include "routes.h"

#include <string.h>

static const struct route routes[] = {
    {"/add_batch", "POST", "POST", handle_add_batch, 1},
    {"/allocate", "POST", "POST", handle_allocate, 1},
    {"/deallocate", "POST", "POST", handle_deallocate, 1},
    {"/change_batch_quantity", "POST", "POST", handle_change_batch_quantity, 1},
    {"/cancel_batch", "POST", "POST", handle_cancel_batch, 1},
    {"/allocations/", "GET", "GET, HEAD", handle_allocations, 0},
    {"/batches", "GET", "GET, HEAD", handle_batches, 0},
};

const struct route *route_find(const char *path)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		if (r->path[n - 1] == '/' ? strncmp(path, r->path, n) == 0 && path[n] != '\0'
		                          : strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

int route_allows(const struct route *route, const char *method)
{
	if (strcmp(method, route->method) == 0)
		return 1;
	return strcmp(route->method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}
