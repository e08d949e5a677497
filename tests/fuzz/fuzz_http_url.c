/*
 * libFuzzer target: URL paths and query strings of allocation-server's GET
 * endpoints, /allocations/<orderid> and /batches?sku=&limit=&after=, through
 * the server's routes and handlers (the query split and percent-decoded as
 * libmicrohttpd does), on a fresh in-memory store with a fixture. The
 * cursors (after=) reach la_batch_cursor_decode.
 *
 * Input: the request target, e.g. "/batches?sku=LAMP&limit=2&after=1.0.4c414d50".
 * Checked: answered without a 5xx, JSON replies parse, errors carry a message;
 * nothing changes; a page holds at most `limit` rows (default 100), all of
 * the requested sku, each with consistent figures; its `next` cursor decodes
 * to the page's last row; /allocations rows are (sku, batchref) strings.
 */
#include "server_harness.h"

#include <allocation/allocation.h>
#include <allocation/sys/ports.h>
#include <jansson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_page(const struct reply *r)
{
	const char *sku = fuzz_server_query("sku");
	const char *limit_text = fuzz_server_query("limit");
	size_t limit = limit_text ? strtoul(limit_text, NULL, 10) : LA_BATCH_PAGE_DEFAULT;
	json_t *doc = json_loadb(r->body, r->length, 0, NULL);
	json_t *rows = json_object_get(doc, "batches"), *next = json_object_get(doc, "next");
	FUZZ_CHECK(json_is_array(rows) && json_array_size(rows) <= limit,
	           "page of %zu rows for limit %zu: %s", json_array_size(rows), limit, r->body);
	json_t *last = NULL;
	for (size_t i = 0; i < json_array_size(rows); i++) {
		last = json_array_get(rows, i);
		const char *row_sku = json_string_value(json_object_get(last, "sku"));
		FUZZ_CHECK(row_sku && (!sku || !*sku || strcmp(row_sku, sku) == 0),
		           "row of sku %s in a page for sku %s", row_sku, sku);
		json_int_t purchased = json_integer_value(json_object_get(last, "purchased"));
		json_int_t allocated = json_integer_value(json_object_get(last, "allocated"));
		FUZZ_CHECK(allocated >= 0 && allocated <= purchased &&
		               json_integer_value(json_object_get(last, "available")) ==
		                   purchased - allocated,
		           "row figures: %s", r->body);
	}
	if (json_is_string(next)) {
		char *cursor_sku = NULL;
		int32_t key;
		int64_t sequence;
		FUZZ_CHECK(last, "a next cursor after an empty page");
		FUZZ_CHECK(la_batch_cursor_decode(&cursor_sku, &key, &sequence,
		                                  json_string_value(next)) == LA_OK,
		           "the server's own cursor %s does not decode", json_string_value(next));
		json_t *eta = json_object_get(last, "eta");
		FUZZ_CHECK(
		    strcmp(cursor_sku, json_string_value(json_object_get(last, "sku"))) == 0 &&
		        key == la_date_key(json_is_string(eta) ? json_string_value(eta) : NULL),
		    "cursor %s is not the last row of %s", json_string_value(next), r->body);
		la_free(cursor_sku);
	}
	json_decref(doc);
}

static void check_allocations(const struct reply *r)
{
	if (r->status != 200)
		return;
	json_t *doc = json_loadb(r->body, r->length, 0, NULL);
	FUZZ_CHECK(json_is_array(doc) && json_array_size(doc) > 0, "allocations: %s", r->body);
	for (size_t i = 0; i < json_array_size(doc); i++) {
		json_t *row = json_array_get(doc, i);
		FUZZ_CHECK(json_is_string(json_object_get(row, "sku")) &&
		               json_is_string(json_object_get(row, "batchref")),
		           "allocation row: %s", r->body);
	}
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_server_begin();
	const char *before = fuzz_server_fixture_snapshot();
	struct reply r;
	if (fuzz_server_request(&r, "GET", (const char *)data, size, NULL, 0)) {
		if (strcmp(fuzz_server_path(), "/batches") == 0 && r.status == 200)
			check_page(&r);
		else if (strncmp(fuzz_server_path(), "/allocations/", 13) == 0)
			check_allocations(&r);
		reply_release(&r);
		char *after = fuzz_server_snapshot();
		FUZZ_CHECK(strcmp(before, after) == 0, "a GET changed the state");
		free(after);
	}
	fuzz_server_end();
	return 0;
}
