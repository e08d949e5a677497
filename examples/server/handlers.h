/*
 * allocation-server — the endpoints of spec §3. A read fills its reply on
 * the HTTP thread, from that thread's store. A command comes in two halves:
 * build (on the HTTP thread) makes the command or fills the reply with a
 * refusal; the write pipeline runs it; respond answers from its result, so a
 * 2xx is only given once the unit of work has committed.
 */
#ifndef SERVER_HANDLERS_H
#define SERVER_HANDLERS_H

#include "reply.h"

#include <allocation/allocation.h>

#include <stddef.h>

struct request {
	const char *path; /* decoded path, without the query */
	const char *body; /* POST body (not NUL-terminated) */
	size_t body_length;
	/* Query argument by name, or NULL. */
	const char *(*query)(void *ctx, const char *name);
	void *query_ctx;
};

struct command_result;

typedef void (*handler_fn)(struct reply *r, const struct request *req);
/* The command, or NULL with r filled (a bad request). */
typedef la_message *(*build_fn)(struct reply *r, const struct request *req);
typedef void (*respond_fn)(struct reply *r, const struct command_result *result);

/* The command a constructor made with status rc (read through *command
 * after the call), or NULL with r filled (400). */
la_message *command_built(struct reply *r, int rc, la_message **command);
/* Result → reply: the success status with "OK", else the error with the
 * library's message. An unknown sku or batch reference answers
 * unknown_status (the spec's 400, "Invalid sku <SKU>"), or 404 when
 * unknown_status is 0. */
void command_finish(struct reply *r, const struct command_result *res, unsigned int success,
                    unsigned int unknown_status);

la_message *build_add_batch(struct reply *r, const struct request *req);
la_message *build_allocate(struct reply *r, const struct request *req);
la_message *build_deallocate(struct reply *r, const struct request *req);
la_message *build_change_batch_quantity(struct reply *r, const struct request *req);
la_message *build_cancel_batch(struct reply *r, const struct request *req);
void respond_add_batch(struct reply *r, const struct command_result *result);
void respond_allocate(struct reply *r, const struct command_result *result);
void respond_deallocate(struct reply *r, const struct command_result *result);
/* change_batch_quantity and cancel_batch: 200, or 400 for an unknown batch. */
void respond_batch_command(struct reply *r, const struct command_result *result);
void handle_allocations(struct reply *r, const struct request *req); /* /allocations/<id> */

/* Whole orders and holds (orders.c): POST /allocate_order, POST /confirm. */
la_message *build_allocate_order(struct reply *r, const struct request *req);
void respond_allocate_order(struct reply *r, const struct command_result *result);
la_message *build_confirm(struct reply *r, const struct request *req);
/* 200, or 404 for an order without lines. */
void respond_confirm(struct reply *r, const struct command_result *result);
void handle_batches(struct reply *r, const struct request *req);

/* Operators' endpoints (ops.c). */
void handle_healthz(struct reply *r, const struct request *req);
void handle_readyz(struct reply *r, const struct request *req);
void handle_metrics(struct reply *r, const struct request *req);
void handle_openapi(struct reply *r, const struct request *req);

/* GET /check: the store's invariants as JSON (check.c). */
void handle_check(struct reply *r, const struct request *req);

#endif
