/*
 * liballocation — read models (spec §1.4, CQRS).
 *
 * Queries never load aggregates: each adapter answers them from its
 * denormalised views. Results are new objects owned by the caller; strings
 * read from them are borrowed and live as long as the result.
 */
#ifndef ALLOCATION_VIEWS_H
#define ALLOCATION_VIEWS_H

#include "common.h"
#include "store.h"

LA_BEGIN_DECL

typedef struct la_allocation_list la_allocation_list;
typedef struct la_batch_page la_batch_page;

/**
 * The (sku, batchref) pairs allocated for orderid, in allocation order.
 * Unknown order: an empty list. *out owned by the caller.
 */
LA_EXTERN(int) la_view_allocations(la_allocation_list **out, la_store *store, const char *orderid);

LA_EXTERN(size_t) la_allocation_list_count(const la_allocation_list *list);
LA_EXTERN(const char *) la_allocation_list_sku(const la_allocation_list *list, size_t index);
LA_EXTERN(const char *) la_allocation_list_batchref(const la_allocation_list *list, size_t index);
LA_EXTERN(void) la_allocation_list_free(la_allocation_list *list);

/** Page size used when la_view_batches is given limit 0. */
#define LA_BATCH_PAGE_DEFAULT 100
/** Largest page la_view_batches returns. */
#define LA_BATCH_PAGE_MAX 1000

/**
 * The batch dashboard: every batch (only sku's when sku is not NULL) with
 * its figures, ordered by sku, then allocation preference. At most limit rows
 * (0: LA_BATCH_PAGE_DEFAULT; capped at LA_BATCH_PAGE_MAX), starting after the
 * cursor `after` (NULL: from the start) that a previous page returned.
 * LA_EINVAL for a malformed cursor. *out owned by the caller.
 */
LA_EXTERN(int)
la_view_batches(la_batch_page **out, la_store *store, const char *sku, size_t limit,
                const char *after);

LA_EXTERN(size_t) la_batch_page_count(const la_batch_page *page);
LA_EXTERN(const char *) la_batch_page_ref(const la_batch_page *page, size_t index);
LA_EXTERN(const char *) la_batch_page_sku(const la_batch_page *page, size_t index);
/** "YYYY-MM-DD" or NULL. */
LA_EXTERN(const char *) la_batch_page_eta(const la_batch_page *page, size_t index);
LA_EXTERN(int64_t) la_batch_page_purchased(const la_batch_page *page, size_t index);
LA_EXTERN(int64_t) la_batch_page_allocated(const la_batch_page *page, size_t index);
LA_EXTERN(int64_t) la_batch_page_available(const la_batch_page *page, size_t index);
LA_EXTERN(int64_t) la_batch_page_lines(const la_batch_page *page, size_t index);
/** Cursor for the next page, or NULL when this is the last page. */
LA_EXTERN(const char *) la_batch_page_next(const la_batch_page *page);
LA_EXTERN(void) la_batch_page_free(la_batch_page *page);

LA_END_DECL

#endif
