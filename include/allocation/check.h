/**
 * @file allocation/check.h
 * @brief Check a store's invariants and repair its derived figures
 * (docs/check.md).
 *
 * la_store_check() reads a store and reports every invariant it finds
 * broken; la_store_repair() recomputes every derived figure (a batch's
 * allocated quantity and line count, the read model) from the allocations
 * in one transaction and reports what it changed. Repair never deletes an
 * allocation: what only a deletion could fix (an over-allocated batch, a
 * line pointing at a missing batch) stays reported by check.
 *
 * Threads: like a query (views.h), on the thread that uses the store.
 */
#ifndef ALLOCATION_CHECK_H
#define ALLOCATION_CHECK_H

#include "common.h"
#include "store.h"

LA_BEGIN_DECL

/** A list of findings (violations, or repairs), owned by the caller. */
typedef struct la_check_report la_check_report;

/**
 * What a finding is about. Codes are never renumbered; new ones are added
 * at the end, so a program should show an unknown code by its name
 * (la_check_kind_name()).
 */
typedef enum la_check_kind {
	/** A batch's lines add up to more than it holds (batch, sku). */
	LA_CHECK_OVER_ALLOCATED = 1,
	/** A batch's stored allocated quantity differs from its lines' sum (batch, sku). */
	LA_CHECK_ALLOCATED_MISMATCH = 2,
	/** A batch's stored line count differs from its lines (batch, sku). */
	LA_CHECK_LINE_COUNT_MISMATCH = 3,
	/** The read model lacks an allocation, or shows one that is not there (order, sku). */
	LA_CHECK_READ_MODEL_MISMATCH = 4,
	/** A line points at a batch that does not exist (order, sku, batch). */
	LA_CHECK_LINE_WITHOUT_BATCH = 5,
	/** An order's line of a sku is on more than one batch (order, sku). */
	LA_CHECK_DUPLICATE_LINE = 6,
	/** A product's version is not positive (sku). */
	LA_CHECK_VERSION_NOT_POSITIVE = 7,
	/** An outbox row lacks a channel or its payload is not a JSON object (message). */
	LA_CHECK_OUTBOX_MALFORMED = 8,
	/** A line's sku differs from its batch's (order, sku, batch). */
	LA_CHECK_LINE_SKU_MISMATCH = 9,
	/** A batch belongs to a sku that has no product (batch, sku). */
	LA_CHECK_BATCH_WITHOUT_PRODUCT = 10,
	/** A line's quantity is not positive (order, sku, batch). */
	LA_CHECK_QUANTITY_NOT_POSITIVE = 11,
	/** A batch's stored held quantity differs from its held lines' sum (batch, sku). */
	LA_CHECK_HELD_MISMATCH = 12,
	/** An order's line both waits for stock and is allocated (order, sku, batch). */
	LA_CHECK_WAITING_AND_ALLOCATED = 13,
	/** A line waits for a sku that has no product (order, sku). */
	LA_CHECK_WAITING_WITHOUT_PRODUCT = 14
} la_check_kind;

/**
 * Verify every invariant of store (docs/check.md lists them).
 * @param[out] out the violations found (empty when healthy), owned by the
 *        caller (la_check_report_free()).
 * @param store the store to read, outside a unit of work.
 * @return #LA_OK (whatever was found); #LA_EINVAL (NULL out or store);
 *         #LA_EUNSUPPORTED (the store's adapter cannot check); #LA_ENOMEM;
 *         the adapter's #LA_EDB / #LA_EIO.
 */
LA_EXTERN(int) la_store_check(la_check_report **out, la_store *store);

/**
 * Recompute every derived figure of store from its allocations, in one
 * transaction, and say what changed. Never deletes an allocation.
 * @param[out] out one finding per change made (empty when nothing needed
 *        repair), owned by the caller (la_check_report_free()). The kind
 *        names the invariant restored; the message says old and new value.
 * @param store the store to repair, outside a unit of work.
 * @return #LA_OK; #LA_EINVAL; #LA_EUNSUPPORTED; #LA_ENOMEM; the adapter's
 *         #LA_EDB / #LA_EIO / #LA_ECONFLICT (then nothing changed).
 */
LA_EXTERN(int) la_store_repair(la_check_report **out, la_store *store);

/** Number of findings (0 for NULL). */
LA_EXTERN(size_t) la_check_report_count(const la_check_report *report);
/** The #la_check_kind of finding index, or 0 when out of range. */
LA_EXTERN(int) la_check_report_kind(const la_check_report *report, size_t index);
/** The batch finding index names (borrowed), or NULL. */
LA_EXTERN(const char *) la_check_report_batchref(const la_check_report *report, size_t index);
/** The order finding index names (borrowed), or NULL. */
LA_EXTERN(const char *) la_check_report_orderid(const la_check_report *report, size_t index);
/** The sku finding index names (borrowed), or NULL. */
LA_EXTERN(const char *) la_check_report_sku(const la_check_report *report, size_t index);
/** What finding index says, in words (borrowed), or NULL when out of range. */
LA_EXTERN(const char *) la_check_report_message(const la_check_report *report, size_t index);
/** Free a report; NULL is fine. */
LA_EXTERN(void) la_check_report_free(la_check_report *report);

/**
 * The stable name of a #la_check_kind ("over_allocated", ...), static, or
 * "unknown".
 */
LA_EXTERN(const char *) la_check_kind_name(int kind);

LA_END_DECL

#endif
