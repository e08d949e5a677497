/*
 * allocation-server — the endpoints of spec §3. Each handler reads a request
 * and fills a reply; it runs on the calling thread's worker (bus + store),
 * and a 2xx is only given once the unit of work has committed.
 */
#ifndef SERVER_HANDLERS_H
#define SERVER_HANDLERS_H

#include "reply.h"

#include <stddef.h>

struct request {
	const char *path; /* decoded path, without the query */
	const char *body; /* POST body (not NUL-terminated) */
	size_t body_length;
	/* Query argument by name, or NULL. */
	const char *(*query)(void *ctx, const char *name);
	void *query_ctx;
};

typedef void (*handler_fn)(struct reply *r, const struct request *req);

void handle_add_batch(struct reply *r, const struct request *req);
void handle_allocate(struct reply *r, const struct request *req);
void handle_deallocate(struct reply *r, const struct request *req);
void handle_change_batch_quantity(struct reply *r, const struct request *req);
void handle_cancel_batch(struct reply *r, const struct request *req);
void handle_allocations(struct reply *r, const struct request *req); /* /allocations/<id> */
void handle_batches(struct reply *r, const struct request *req);

/* Operators' endpoints (ops.c). */
void handle_healthz(struct reply *r, const struct request *req);
void handle_readyz(struct reply *r, const struct request *req);
void handle_metrics(struct reply *r, const struct request *req);
void handle_openapi(struct reply *r, const struct request *req);

/* Called after every command that committed (e.g. to wake an outbox relay). */
void handlers_set_after_command(void (*fn)(void *), void *arg);

#endif
