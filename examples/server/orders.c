/*
 * Whole orders and holds over HTTP (issue 13): POST /allocate_order and
 * POST /confirm, in the two halves of every command endpoint (handlers.h).
 */
#include "handlers.h"

#include "body.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The "lines" array: 1 to LA_ORDER_MAX_LINES objects {"sku","qty"}, read
 * into skus and qtys (borrowed from obj). Duplicates are the library's to
 * refuse. Non-zero with r filled on failure. */
static int read_lines(const char ***skus, int64_t **qtys, size_t *count, struct reply *r,
                      json_t *obj)
{
	json_t *lines = json_object_get(obj, "lines");
	if (!lines) {
		reply_message(r, 400, "missing field 'lines'");
		return -1;
	}
	size_t n = json_is_array(lines) ? json_array_size(lines) : 0;
	if (n < 1 || n > LA_ORDER_MAX_LINES) {
		reply_message(r, 400,
		              "field 'lines' must be an array of 1-%d objects {\"sku\",\"qty\"}, "
		              "not %s of %zu",
		              LA_ORDER_MAX_LINES, json_is_array(lines) ? "an array" : "a value",
		              json_is_array(lines) ? n : (size_t)0);
		return -1;
	}
	*skus = calloc(n, sizeof **skus);
	*qtys = calloc(n, sizeof **qtys);
	if (!*skus || !*qtys) {
		reply_message(r, 503, "service unavailable: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *line = json_array_get(lines, i);
		char sku_label[32], qty_label[32], label[32];
		(void)snprintf(label, sizeof label, "lines[%zu]", i);
		(void)snprintf(sku_label, sizeof sku_label, "lines[%zu].sku", i);
		(void)snprintf(qty_label, sizeof qty_label, "lines[%zu].qty", i);
		if (!json_is_object(line)) {
			reply_message(r, 400, "field '%s' must be an object {\"sku\",\"qty\"}",
			              label);
			return -1;
		}
		if (body_string_as(&(*skus)[i], r, line, "sku", sku_label) != 0 ||
		    body_qty_as(&(*qtys)[i], r, line, "qty", 1, qty_label) != 0)
			return -1;
	}
	*count = n;
	return 0;
}

la_message *build_allocate_order(struct reply *r, const struct request *req)
{
	json_t *obj = body_parse(r, req->body, req->body_length);
	if (!obj)
		return NULL;
	const char *orderid;
	const char **skus = NULL;
	int64_t *qtys = NULL;
	int64_t hold;
	size_t count = 0;
	la_message *cmd = NULL;
	if (!body_string(&orderid, r, obj, "orderid") &&
	    !read_lines(&skus, &qtys, &count, r, obj) && !body_hold(&hold, r, obj, "hold_seconds"))
		cmd = command_built(
		    r, la_command_allocate_order(&cmd, orderid, skus, qtys, count, hold), &cmd);
	free(skus);
	free(qtys);
	json_decref(obj);
	return cmd;
}

/* 202 {"orderid","allocations":[{"sku","batchref"},...]}, in the lines' order. */
static json_t *placed_json(const char *orderid, const struct command_result *res)
{
	json_t *allocations = json_array();
	for (size_t i = 0; allocations && i < res->line_count; i++) {
		const struct line_result *line = &res->lines[i];
		json_t *item = json_pack("{s:s,s:s}", "sku", line->sku, "batchref", line->batchref);
		if (!item || json_array_append_new(allocations, item) != 0) {
			json_decref(allocations);
			return NULL;
		}
	}
	return allocations ? json_pack("{s:s,s:o}", "orderid", orderid, "allocations", allocations)
	                   : NULL;
}

/* 409 {"message":"out of stock: A, B","out_of_stock":["A","B"]}, in the lines' order. */
static json_t *short_json(const struct command_result *res)
{
	json_t *skus = json_array();
	size_t length = sizeof "out of stock: ";
	for (size_t i = 0; skus && i < res->line_count; i++) {
		if (!res->lines[i].is_short)
			continue;
		length += strlen(res->lines[i].sku) + 2;
		if (json_array_append_new(skus, json_string(res->lines[i].sku)) != 0) {
			json_decref(skus);
			return NULL;
		}
	}
	char *message = skus ? malloc(length) : NULL;
	if (!message) {
		json_decref(skus);
		return NULL;
	}
	size_t at = (size_t)snprintf(message, length, "out of stock: ");
	for (size_t i = 0; i < json_array_size(skus); i++)
		at += (size_t)snprintf(message + at, length - at, "%s%s", i ? ", " : "",
		                       json_string_value(json_array_get(skus, i)));
	json_t *obj = json_pack("{s:s,s:o}", "message", message, "out_of_stock", skus);
	free(message);
	return obj;
}

void respond_allocate_order(struct reply *r, const struct command_result *res)
{
	if (res->status != LA_OK || res->line_count == 0) {
		command_finish(r, res, 202, 400);
		return;
	}
	int placed = res->outcome == LA_OUTCOME_ALLOCATED;
	json_t *obj = placed ? placed_json(res->orderid, res) : short_json(res);
	r->outcome = placed ? "allocated" : "out_of_stock";
	reply_json_text(r, placed ? 202 : 409, obj ? json_dumps(obj, JSON_COMPACT) : NULL);
	json_decref(obj);
}

la_message *build_confirm(struct reply *r, const struct request *req)
{
	json_t *obj = body_parse(r, req->body, req->body_length);
	if (!obj)
		return NULL;
	const char *orderid;
	la_message *cmd = NULL;
	if (!body_string(&orderid, r, obj, "orderid"))
		cmd = command_built(r, la_command_confirm(&cmd, orderid), &cmd);
	json_decref(obj);
	return cmd;
}

void respond_confirm(struct reply *r, const struct command_result *res)
{
	command_finish(r, res, 200, 0);
}
