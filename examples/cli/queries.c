/* The read models, printed as JSON (the same shapes as the HTTP API). */
#include "cli.h"

#include "utc_time.h"

#include <jansson.h>

#include <string.h>

/* Print value on one line and free it; NULL means building it failed. */
int cli_print_json(json_t *value)
{
	if (!value)
		return cli_fail(CLI_EXIT_FAILED, "cannot build the JSON output (invalid UTF-8?)");
	int rc = json_dumpf(value, stdout, JSON_COMPACT);
	json_decref(value);
	if (rc != 0 || putchar('\n') == EOF)
		return cli_fail(CLI_EXIT_FAILED, "cannot write the output");
	return CLI_EXIT_OK;
}

/* json_string that keeps NULL as JSON null. */
static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Add key → value to object, taking value; -1 when value is NULL (failed). */
static int put(json_t *object, const char *key, json_t *value)
{
	return value ? json_object_set_new(object, key, value) : -1;
}

/* As GET /allocations: the book's {"sku","batchref"}; a held line adds
 * "expires"; a waiting line has "batchref": null and "status". */
static json_t *allocation_row(const la_allocation_list *list, size_t i)
{
	json_t *row = json_object();
	int status = la_allocation_list_status(list, i);
	char expires[32];
	int bad = !row || put(row, "sku", json_string(la_allocation_list_sku(list, i))) ||
	          put(row, "batchref", string_or_null(la_allocation_list_batchref(list, i)));
	if (!bad && status == LA_LINE_HELD)
		bad = la_example_utc_time(expires, sizeof expires,
		                          la_allocation_list_expires(list, i)) != 0 ||
		      put(row, "expires", json_string(expires));
	if (!bad && status == LA_LINE_BACKORDERED)
		bad = put(row, "status", json_string("backordered"));
	if (bad) {
		json_decref(row);
		return NULL;
	}
	return row;
}

int cli_print_allocations(cli_context *ctx)
{
	la_allocation_list *list = NULL;
	int rc = la_view_allocations(&list, ctx->store, ctx->argv[0]);
	if (rc != LA_OK)
		return cli_fail_library(rc, NULL);
	json_t *array = json_array();
	size_t n = la_allocation_list_count(list);
	for (size_t i = 0; array && i < n; i++) {
		json_t *row = allocation_row(list, i);
		if (!row || json_array_append_new(array, row)) {
			json_decref(array);
			array = NULL;
		}
	}
	la_allocation_list_free(list);
	return cli_print_json(array);
}

static json_t *batch_row(const la_batch_page *page, size_t i)
{
	json_t *row = json_object();
	if (!row || put(row, "ref", json_string(la_batch_page_ref(page, i))) ||
	    put(row, "sku", json_string(la_batch_page_sku(page, i))) ||
	    put(row, "eta", string_or_null(la_batch_page_eta(page, i))) ||
	    put(row, "purchased", json_integer(la_batch_page_purchased(page, i))) ||
	    put(row, "allocated", json_integer(la_batch_page_allocated(page, i))) ||
	    put(row, "available", json_integer(la_batch_page_available(page, i))) ||
	    put(row, "lines", json_integer(la_batch_page_lines(page, i))) ||
	    (la_batch_page_held(page, i) &&
	     put(row, "held", json_integer(la_batch_page_held(page, i)))) ||
	    (la_batch_page_waiting(page, i) &&
	     put(row, "waiting", json_integer(la_batch_page_waiting(page, i))))) {
		json_decref(row);
		return NULL;
	}
	return row;
}

/* Option value: "--name VALUE" or "--name=VALUE"; advances *i. */
int cli_print_batches(cli_context *ctx)
{
	const char *sku = NULL, *after = NULL;
	int64_t limit = 0;
	int options = 1;
	for (int i = 0; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (options && strcmp(a, "--") == 0) {
			options = 0;
		} else if (options && cli_is_option(a, "--limit")) {
			const char *v = cli_option_value(ctx, &i, "--limit");
			if (!v)
				return cli_fail(CLI_EXIT_USAGE, "--limit needs a number");
			int status = cli_number_arg(&limit, v, "--limit");
			if (status)
				return status;
			if (limit < 1 || limit > LA_BATCH_PAGE_MAX)
				return cli_fail(CLI_EXIT_USAGE, "--limit must be between 1 and %d",
				                LA_BATCH_PAGE_MAX);
		} else if (options && cli_is_option(a, "--after")) {
			if (!(after = cli_option_value(ctx, &i, "--after")))
				return cli_fail(CLI_EXIT_USAGE, "--after needs a cursor");
		} else if (options && a[0] == '-' && a[1] == '-') {
			return cli_fail(CLI_EXIT_USAGE, "batches: unknown option %s", a);
		} else if (!sku) {
			sku = a;
		} else {
			return cli_fail(
			    CLI_EXIT_USAGE,
			    "usage: allocation batches [SKU] [--limit N] [--after CURSOR]");
		}
	}
	la_batch_page *page = NULL;
	int rc = la_view_batches(&page, ctx->store, sku, (size_t)limit, after);
	if (rc != LA_OK)
		return cli_fail_library(rc, NULL);
	json_t *root = json_object(), *rows = json_array();
	size_t n = la_batch_page_count(page);
	int bad = !root || !rows;
	for (size_t i = 0; !bad && i < n; i++)
		bad = json_array_append_new(rows, batch_row(page, i)) != 0;
	if (!bad)
		bad = put(root, "batches", rows) ||
		      put(root, "next", string_or_null(la_batch_page_next(page)));
	else
		json_decref(rows);
	la_batch_page_free(page);
	if (bad) {
		json_decref(root);
		root = NULL;
	}
	return cli_print_json(root);
}
