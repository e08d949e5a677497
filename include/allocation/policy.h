/**
 * @file allocation/policy.h
 * @brief Allocation policies: the rule that chooses the batch a line goes to.
 *
 * The default, "book", is spec §1.1.2: the first batch that can take the line
 * in preference order (in stock first, then by ETA, then creation order).
 * An embedder may give its own rule as a la_policy (in la_bus_options, or to
 * la_product_allocate_with). The policy reads the product through the const
 * accessors of model.h — its batches in preference order
 * (la_product_batch_at(): reference, ETA, purchased, available, creation
 * sequence) — and answers the index of its choice, or #LA_POLICY_NONE.
 *
 * The library checks every answer against the product itself: an index out
 * of range (the only way to name another sku's batch, as the index counts
 * this product's batches only), a batch without room for the line, or a
 * choose that returns an error is refused with #LA_EUSER naming the policy,
 * and the command fails without changing anything; a policy can never
 * oversell. A backordered line placed later is offered without its promise
 * date (the queue keeps only order, qty and arrival).
 *
 * Threads: a policy is called on the thread that handles the command; give
 * it a payload that thread may use.
 */
#ifndef ALLOCATION_POLICY_H
#define ALLOCATION_POLICY_H

#include "common.h"
#include "model.h"

LA_BEGIN_DECL

/** A policy's answer when no batch should take the line (out of stock). */
#define LA_POLICY_NONE ((size_t)-1)

/**
 * Choose a batch for a line.
 * @param[out] out_index the chosen batch's index in preference order
 *        (la_product_batch_at()), or #LA_POLICY_NONE.
 * @param product the product, read-only: its batches and their figures.
 * @param orderid the line's order.
 * @param qty the line's quantity.
 * @param promise the line's promise date "YYYY-MM-DD", or NULL.
 * @param payload la_policy.payload.
 * @return #LA_OK with *out_index set; any other code fails the command
 *         (reported as #LA_EUSER, with the policy's name).
 */
typedef int (*la_policy_choose_fn)(size_t *out_index, const la_product *product,
                                   const char *orderid, int64_t qty, const char *promise,
                                   void *payload);

/**
 * An allocation policy. Members are only ever added at the end; fill with
 * #LA_POLICY_INIT or la_policy_init().
 */
typedef struct la_policy {
	unsigned int version;       /**< #LA_POLICY_VERSION */
	const char *name;           /**< for messages, e.g. "fefo"; static or as long as used */
	la_policy_choose_fn choose; /**< required */
	void *payload;              /**< passed to choose */
} la_policy;

/** The version of la_policy these headers describe. */
#define LA_POLICY_VERSION 1
/** Initialiser of la_policy: no rule yet (set name and choose). */
#define LA_POLICY_INIT                                                                             \
	{                                                                                          \
		LA_POLICY_VERSION, NULL, NULL, NULL                                                \
	}

/**
 * Fill policy with the defaults of that version (ctypes cannot expand macros).
 * @param[out] policy the caller's struct.
 * @param version #LA_POLICY_VERSION (or an older version).
 * @return #LA_OK; #LA_EUNSUPPORTED for NULL or an unknown version.
 */
LA_EXTERN(int) la_policy_init(la_policy *policy, unsigned int version);

/**
 * A built-in policy by name: "book" (the default: in stock first, then
 * earliest ETA, creation order on ties) or "latest-in-time" (a line with a
 * promise date takes the latest-arriving batch that still arrives by that
 * date, keeping earlier stock free for urgent orders; without a promise
 * date, or when no batch arrives in time, as "book").
 * @param name the policy's name.
 * @return the policy (static storage), or NULL for an unknown name.
 */
LA_EXTERN(const la_policy *) la_policy_builtin(const char *name);

/**
 * Check a policy before use: a known version and a choose function.
 * la_bus_new() runs it on la_bus_options.policy.
 * @param policy the policy, or NULL (the default, "book": fine).
 * @return #LA_OK; #LA_EUNSUPPORTED for an unknown version; #LA_EINVAL when
 *         choose is NULL. Each message names the policy.
 */
LA_EXTERN(int) la_policy_check(const la_policy *policy);

LA_END_DECL

#endif
