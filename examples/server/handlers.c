/*
 * Endpoints. A command endpoint comes in two halves: build validates the
 * body and makes the command (the library validates again) on the HTTP
 * thread; the write pipeline runs it; respond answers from its result, which
 * the pipeline gives only after the unit of work committed (or failed), so
 * every 2xx is durable. Reads run on the HTTP thread's own store.
 */
#include "handlers.h"

#include "body.h"
#include "metrics.h"
#include "pipeline.h"
#include "utc_time.h"
#include "workers.h"

#include <allocation/sys/errors.h>
#include <allocation/validation.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ALLOCATIONS_PREFIX "/allocations/"

static struct worker *current_worker(struct reply *r)
{
	struct worker *w;
	if (worker_current(&w) != LA_OK) {
		reply_store_unavailable(r, "cannot open the store");
		return NULL;
	}
	return w;
}

la_message *command_built(struct reply *r, int rc, la_message **command)
{
	if (rc == LA_OK)
		return *command;
	la_message_free(*command);
	reply_error(r, rc);
	return NULL;
}

static const char *outcome_of(int rc)
{
	switch (rc) {
	case LA_EINVAL:
	case LA_ENOTFOUND:
		return "rejected";
	case LA_ECONFLICT:
		return "conflict";
	default:
		return "failed";
	}
}

void command_finish(struct reply *r, const struct command_result *res, unsigned int success,
                    unsigned int unknown_status)
{
	if (res->status == LA_OK) {
		r->outcome = "ok";
		reply_text(r, success, "OK");
		return;
	}
	r->outcome = outcome_of(res->status);
	la_error_set(res->status, "%s", res->error); /* what reply_error reads */
	if (res->status == LA_ENOTFOUND && unknown_status)
		reply_message(r, unknown_status, "%s", res->error);
	else
		reply_error(r, res->status);
}

la_message *build_add_batch(struct reply *r, const struct request *req)
{
	json_t *obj = body_parse(r, req->body, req->body_length);
	if (!obj)
		return NULL;
	const char *ref, *sku, *eta;
	int64_t qty;
	la_message *cmd = NULL;
	if (!body_string(&ref, r, obj, "ref") && !body_string(&sku, r, obj, "sku") &&
	    !body_qty(&qty, r, obj, "qty", 1) && !body_date(&eta, r, obj, "eta"))
		cmd = command_built(r, la_command_create_batch(&cmd, ref, sku, qty, eta), &cmd);
	json_decref(obj);
	return cmd;
}

void respond_add_batch(struct reply *r, const struct command_result *res)
{
	command_finish(r, res, 201, 0);
}

la_message *build_allocate(struct reply *r, const struct request *req)
{
	json_t *obj = body_parse(r, req->body, req->body_length);
	if (!obj)
		return NULL;
	const char *orderid, *sku, *promise;
	int64_t qty, hold;
	la_message *cmd = NULL;
	if (!body_string(&orderid, r, obj, "orderid") && !body_string(&sku, r, obj, "sku") &&
	    !body_qty(&qty, r, obj, "qty", 1) && !body_date(&promise, r, obj, "promise") &&
	    !body_hold(&hold, r, obj, "hold_seconds"))
		cmd = command_built(
		    r, la_command_allocate_with(&cmd, orderid, sku, qty, hold, promise), &cmd);
	json_decref(obj);
	return cmd;
}

void respond_allocate(struct reply *r, const struct command_result *res)
{
	command_finish(r, res, 202, 400);
	if (res->status == LA_OK) /* 202 either way (spec §3) */
		r->outcome = res->outcome == LA_OUTCOME_BACKORDERED ? "backordered"
		             : res->has_batchref                    ? "allocated"
		                                                    : "out_of_stock";
}

la_message *build_deallocate(struct reply *r, const struct request *req)
{
	json_t *obj = body_parse(r, req->body, req->body_length);
	if (!obj)
		return NULL;
	const char *orderid, *sku;
	la_message *cmd = NULL;
	if (!body_string(&orderid, r, obj, "orderid") && !body_string(&sku, r, obj, "sku"))
		cmd = command_built(r, la_command_deallocate(&cmd, orderid, sku), &cmd);
	json_decref(obj);
	return cmd;
}

void respond_deallocate(struct reply *r, const struct command_result *res)
{
	/* An unknown sku is a bad request; a known sku without this line is 404. */
	int unknown_sku =
	    res->status == LA_ENOTFOUND && strncmp(res->error, "Invalid sku ", 12) == 0;
	command_finish(r, res, 200, unknown_sku ? 400 : 0);
}

la_message *build_change_batch_quantity(struct reply *r, const struct request *req)
{
	json_t *obj = body_parse(r, req->body, req->body_length);
	if (!obj)
		return NULL;
	const char *ref;
	int64_t qty;
	la_message *cmd = NULL;
	if (!body_string(&ref, r, obj, "ref") && !body_qty(&qty, r, obj, "qty", 0))
		cmd = command_built(r, la_command_change_batch_quantity(&cmd, ref, qty), &cmd);
	json_decref(obj);
	return cmd;
}

void respond_batch_command(struct reply *r, const struct command_result *res)
{
	command_finish(r, res, 200, 400);
}

la_message *build_cancel_batch(struct reply *r, const struct request *req)
{
	json_t *obj = body_parse(r, req->body, req->body_length);
	if (!obj)
		return NULL;
	const char *ref;
	la_message *cmd = NULL;
	if (!body_string(&ref, r, obj, "ref"))
		cmd = command_built(r, la_command_cancel_batch(&cmd, ref), &cmd);
	json_decref(obj);
	return cmd;
}

/* A row of an order: the book's {"sku","batchref"} for a permanent line;
 * a held line adds "expires"; a waiting line has no batch and says so. */
static json_t *allocation_json(const la_allocation_list *list, size_t i)
{
	const char *sku = la_allocation_list_sku(list, i);
	switch (la_allocation_list_status(list, i)) {
	case LA_LINE_BACKORDERED:
		return json_pack("{s:s,s:n,s:s}", "sku", sku, "batchref", "status", "backordered");
	case LA_LINE_HELD: {
		char expires[32];
		if (la_example_utc_time(expires, sizeof expires,
		                        la_allocation_list_expires(list, i)) != 0)
			return NULL;
		return json_pack("{s:s,s:s,s:s}", "sku", sku, "batchref",
		                 la_allocation_list_batchref(list, i), "expires", expires);
	}
	default:
		return json_pack("{s:s,s:s}", "sku", sku, "batchref",
		                 la_allocation_list_batchref(list, i));
	}
}

void handle_allocations(struct reply *r, const struct request *req)
{
	const char *orderid = req->path + strlen(ALLOCATIONS_PREFIX);
	if (la_check_string(orderid, "orderid") != LA_OK) {
		reply_error(r, LA_EINVAL);
		return;
	}
	struct worker *w = current_worker(r);
	if (!w)
		return;
	la_allocation_list *list;
	int rc = la_view_allocations(&list, worker_store(w), orderid);
	if (rc != LA_OK) {
		reply_error(r, rc);
		return;
	}
	size_t n = la_allocation_list_count(list);
	if (n == 0) {
		la_allocation_list_free(list);
		reply_text(r, 404, "not found");
		return;
	}
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++) {
		json_t *item = allocation_json(list, i);
		if (!item || json_array_append_new(array, item) != 0) {
			json_decref(array);
			array = NULL;
		}
	}
	la_allocation_list_free(list);
	reply_json_text(r, 200, array ? json_dumps(array, JSON_COMPACT) : NULL);
	json_decref(array);
}

/* ?limit=N: 1..LA_BATCH_PAGE_MAX, absent → the default page. */
static int parse_limit(size_t *out, struct reply *r, const char *text)
{
	*out = 0;
	if (!text)
		return 0;
	char *end;
	errno = 0;
	long long n = strtoll(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || errno || n < 1 || n > LA_BATCH_PAGE_MAX) {
		reply_message(r, 400,
		              "query parameter 'limit' must be an integer 1-%d, not '%.40s'",
		              LA_BATCH_PAGE_MAX, text);
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

/* "held" (of "allocated") and the sku's "waiting" quantity are there only
 * when not zero: a dashboard that uses neither holds nor backorders keeps
 * its shape. */
static json_t *batch_json(const la_batch_page *page, size_t i)
{
	const char *eta = la_batch_page_eta(page, i);
	json_t *row =
	    json_pack("{s:s,s:s,s:o,s:I,s:I,s:I,s:I}", "ref", la_batch_page_ref(page, i), "sku",
	              la_batch_page_sku(page, i), "eta", eta ? json_string(eta) : json_null(),
	              "purchased", (json_int_t)la_batch_page_purchased(page, i), "allocated",
	              (json_int_t)la_batch_page_allocated(page, i), "available",
	              (json_int_t)la_batch_page_available(page, i), "lines",
	              (json_int_t)la_batch_page_lines(page, i));
	int64_t held = la_batch_page_held(page, i);
	int64_t waiting = la_batch_page_waiting(page, i);
	if (row && ((held && json_object_set_new(row, "held", json_integer(held)) != 0) ||
	            (waiting && json_object_set_new(row, "waiting", json_integer(waiting)) != 0))) {
		json_decref(row);
		row = NULL;
	}
	return row;
}

static json_t *page_json(const la_batch_page *page)
{
	json_t *batches = json_array();
	size_t n = la_batch_page_count(page);
	for (size_t i = 0; batches && i < n; i++) {
		json_t *item = batch_json(page, i);
		if (!item || json_array_append_new(batches, item) != 0) {
			json_decref(batches);
			return NULL;
		}
	}
	const char *next = la_batch_page_next(page);
	return json_pack("{s:o,s:o}", "batches", batches, "next",
	                 next ? json_string(next) : json_null());
}

void handle_batches(struct reply *r, const struct request *req)
{
	const char *sku = req->query(req->query_ctx, "sku");
	const char *after = req->query(req->query_ctx, "after");
	size_t limit;
	if (parse_limit(&limit, r, req->query(req->query_ctx, "limit")) != 0)
		return;
	if (sku && !*sku)
		sku = NULL;
	if (sku && la_check_string(sku, "sku") != LA_OK) {
		reply_error(r, LA_EINVAL);
		return;
	}
	if (after && !*after)
		after = NULL;
	struct worker *w = current_worker(r);
	if (!w)
		return;
	la_batch_page *page;
	int rc = la_view_batches(&page, worker_store(w), sku, limit, after);
	if (rc != LA_OK) {
		reply_error(r, rc);
		return;
	}
	json_t *obj = page_json(page);
	la_batch_page_free(page);
	reply_json_text(r, 200, obj ? json_dumps(obj, JSON_COMPACT) : NULL);
	json_decref(obj);
}
