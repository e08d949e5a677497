/* Read-model results (spec §1.4) and the dashboard's cursors. The queries
 * themselves belong to each store: they never load aggregates. */
#include "store_internal.h"

#include "../util/alloc.h"
#include "../util/buf.h"
#include "../common/common_internal.h"
#include "../util/text.h"

#include <stdlib.h>
#include <string.h>

typedef struct allocation_row {
	char *sku, *batchref;
} allocation_row;

struct la_allocation_list {
	allocation_row *rows;
	size_t count, capacity;
};

typedef struct batch_row {
	char *ref, *sku, *eta;
	int64_t purchased, allocated, lines;
} batch_row;

struct la_batch_page {
	batch_row *rows;
	size_t count, capacity;
	char *next;
};

int la_allocation_list_append(la_allocation_list *list, const char *sku, const char *batchref)
{
	int rc;
	if (!list)
		return la_error_set(LA_EINVAL, "list is NULL");
	if ((rc = la_check_string(sku, "sku")) || (rc = la_check_string(batchref, "batchref")))
		return rc;
	if (la__grow((void **)&list->rows, &list->capacity, list->count + 1, sizeof *list->rows))
		return la__error_nomem();
	allocation_row row = {la__strdup(sku), la__strdup(batchref)};
	if (!row.sku || !row.batchref) {
		la_free(row.sku);
		la_free(row.batchref);
		return la__error_nomem();
	}
	list->rows[list->count++] = row;
	return LA_OK;
}

void la_allocation_list_free(la_allocation_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		la_free(list->rows[i].sku);
		la_free(list->rows[i].batchref);
	}
	la_free(list->rows);
	la_free(list);
}

size_t la_allocation_list_count(const la_allocation_list *list)
{
	return list ? list->count : 0;
}

const char *la_allocation_list_sku(const la_allocation_list *list, size_t index)
{
	return list && index < list->count ? list->rows[index].sku : NULL;
}

const char *la_allocation_list_batchref(const la_allocation_list *list, size_t index)
{
	return list && index < list->count ? list->rows[index].batchref : NULL;
}

int la_view_allocations(la_allocation_list **out, la_store *store, const char *orderid)
{
	int rc;
	if (!out || !store)
		return la_error_set(LA_EINVAL, "out and store are required");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK)
		return rc;
	la_allocation_list *list = la__calloc(1, sizeof *list);
	if (!list)
		return la__error_nomem();
	rc = store->port->allocations(list, orderid, store->state);
	if (rc != LA_OK) {
		la_allocation_list_free(list);
		return rc;
	}
	*out = list;
	return LA_OK;
}

int la_batch_page_append(la_batch_page *page, const char *ref, const char *sku, const char *eta,
                         int64_t purchased, int64_t allocated, int64_t lines)
{
	int rc;
	int32_t key;
	if (!page)
		return la_error_set(LA_EINVAL, "page is NULL");
	if ((rc = la_check_string(ref, "ref")) || (rc = la_check_string(sku, "sku")) ||
	    (rc = la__check_date(&key, eta, "eta")))
		return rc;
	if (la__grow((void **)&page->rows, &page->capacity, page->count + 1, sizeof *page->rows))
		return la__error_nomem();
	batch_row row = {la__strdup(ref), la__strdup(sku), eta ? la__strdup(eta) : NULL,
	                 purchased,       allocated,       lines};
	if (!row.ref || !row.sku || (eta && !row.eta)) {
		la_free(row.ref);
		la_free(row.sku);
		la_free(row.eta);
		return la__error_nomem();
	}
	page->rows[page->count++] = row;
	return LA_OK;
}

int la_batch_page_set_next(la_batch_page *page, const char *cursor)
{
	if (!page)
		return la_error_set(LA_EINVAL, "page is NULL");
	char *copy = NULL;
	if (cursor && !(copy = la__strdup(cursor)))
		return la__error_nomem();
	la_free(page->next);
	page->next = copy;
	return LA_OK;
}

void la_batch_page_free(la_batch_page *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->count; i++) {
		la_free(page->rows[i].ref);
		la_free(page->rows[i].sku);
		la_free(page->rows[i].eta);
	}
	la_free(page->rows);
	la_free(page->next);
	la_free(page);
}

static const batch_row *page_row(const la_batch_page *page, size_t index)
{
	return page && index < page->count ? &page->rows[index] : NULL;
}

size_t la_batch_page_count(const la_batch_page *page)
{
	return page ? page->count : 0;
}

const char *la_batch_page_ref(const la_batch_page *page, size_t index)
{
	const batch_row *row = page_row(page, index);
	return row ? row->ref : NULL;
}

const char *la_batch_page_sku(const la_batch_page *page, size_t index)
{
	const batch_row *row = page_row(page, index);
	return row ? row->sku : NULL;
}

const char *la_batch_page_eta(const la_batch_page *page, size_t index)
{
	const batch_row *row = page_row(page, index);
	return row ? row->eta : NULL;
}

int64_t la_batch_page_purchased(const la_batch_page *page, size_t index)
{
	const batch_row *row = page_row(page, index);
	return row ? row->purchased : 0;
}

int64_t la_batch_page_allocated(const la_batch_page *page, size_t index)
{
	const batch_row *row = page_row(page, index);
	return row ? row->allocated : 0;
}

int64_t la_batch_page_available(const la_batch_page *page, size_t index)
{
	const batch_row *row = page_row(page, index);
	return row ? row->purchased - row->allocated : 0;
}

int64_t la_batch_page_lines(const la_batch_page *page, size_t index)
{
	const batch_row *row = page_row(page, index);
	return row ? row->lines : 0;
}

const char *la_batch_page_next(const la_batch_page *page)
{
	return page ? page->next : NULL;
}

int la_view_batches(la_batch_page **out, la_store *store, const char *sku, size_t limit,
                    const char *after)
{
	int rc;
	if (!out || !store)
		return la_error_set(LA_EINVAL, "out and store are required");
	if (sku && (rc = la_check_string(sku, "sku")) != LA_OK)
		return rc;
	if (after) {
		char *cursor_sku = NULL;
		int32_t key;
		int64_t sequence;
		if ((rc = la_batch_cursor_decode(&cursor_sku, &key, &sequence, after)) != LA_OK)
			return rc;
		la_free(cursor_sku);
	}
	if (limit == 0)
		limit = LA_BATCH_PAGE_DEFAULT;
	if (limit > LA_BATCH_PAGE_MAX)
		limit = LA_BATCH_PAGE_MAX;
	la_batch_page *page = la__calloc(1, sizeof *page);
	if (!page)
		return la__error_nomem();
	rc = store->port->batches(page, sku, limit, after, store->state);
	if (rc != LA_OK) {
		la_batch_page_free(page);
		return rc;
	}
	*out = page;
	return LA_OK;
}

int la_view_batch(la_batch_page **out, la_store *store, const char *ref)
{
	int rc;
	if (!out || !store)
		return la_error_set(LA_EINVAL, "out and store are required");
	if ((rc = la_check_string(ref, "ref")) != LA_OK)
		return rc;
	if (!store->port->batch)
		return la_error_set(LA_EUNSUPPORTED,
		                    "the %s store cannot find a batch by reference",
		                    la_store_adapter(store));
	la_batch_page *page = la__calloc(1, sizeof *page);
	if (!page)
		return la__error_nomem();
	rc = store->port->batch(page, ref, store->state);
	if (rc != LA_OK) {
		la_batch_page_free(page);
		return rc;
	}
	*out = page;
	return LA_OK;
}

/* ---- cursors: "<sequence>.<eta key>.<sku in hex>", safe in a URL ---- */

int la_batch_cursor_encode(char **out, const char *sku, const char *eta, int64_t sequence)
{
	static const char hex[] = "0123456789abcdef";
	int rc;
	int32_t key;
	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	if ((rc = la_check_string(sku, "sku")) || (rc = la__check_date(&key, eta, "eta")))
		return rc;
	la__buf buf = LA__BUF_INIT;
	la__buf_int(&buf, sequence);
	la__buf_puts(&buf, ".");
	la__buf_int(&buf, key);
	la__buf_puts(&buf, ".");
	for (const unsigned char *p = (const unsigned char *)sku; *p; p++) {
		char pair[2] = {hex[*p >> 4], hex[*p & 15]};
		la__buf_append(&buf, pair, 2);
	}
	*out = la__buf_take(&buf);
	return *out ? LA_OK : la__error_nomem();
}

/* A non-negative whole number running from *p up to the next `stop`. */
static int parse_int(int64_t *out, const char **p, char stop)
{
	const char *end = strchr(*p, stop);
	char digits[24];
	size_t len = end ? (size_t)(end - *p) : 0;
	if (len == 0 || len >= sizeof digits || **p == '-')
		return 0;
	memcpy(digits, *p, len);
	digits[len] = '\0';
	if (la__parse_int64(digits, out) != 0)
		return 0;
	*p = end + 1;
	return 1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int la_batch_cursor_decode(char **out_sku, int32_t *out_eta_key, int64_t *out_sequence,
                           const char *cursor)
{
	int64_t sequence, key;
	const char *p = cursor;
	if (!out_sku || !out_eta_key || !out_sequence || !cursor)
		return la_error_set(LA_EINVAL, "cursor is missing");
	size_t hex_len;
	if (!parse_int(&sequence, &p, '.') || !parse_int(&key, &p, '.') || key > 99991231 ||
	    (hex_len = strlen(p)) == 0 || hex_len % 2 || hex_len > (size_t)2 * 255)
		return la_error_set(LA_EINVAL, "cursor is malformed");
	char sku[256];
	for (size_t i = 0; i < hex_len / 2; i++) {
		int hi = hex_value(p[2 * i]), lo = hex_value(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return la_error_set(LA_EINVAL, "cursor is malformed");
		sku[i] = (char)(hi << 4 | lo);
	}
	sku[hex_len / 2] = '\0';
	if (strlen(sku) != hex_len / 2 || la_check_string(sku, "cursor sku") != LA_OK)
		return la_error_set(LA_EINVAL, "cursor is malformed");
	if (!(*out_sku = la__strdup(sku)))
		return la__error_nomem();
	*out_eta_key = (int32_t)key;
	*out_sequence = sequence;
	return LA_OK;
}
