/* The built-in allocation policies (policy.h). Each reads the product only
 * through its const accessors, as an embedder's policy must. */
#include "product_internal.h"

#include <allocation/policy.h>

#include <stdio.h>
#include <string.h>

int la_policy_init(la_policy *policy, unsigned int version)
{
	if (!policy || version < 1 || version > LA_POLICY_VERSION)
		return la_error_set(LA_EUNSUPPORTED, "policy version %u is not supported", version);
	la_policy defaults = LA_POLICY_INIT;
	*policy = defaults;
	policy->version = version;
	return LA_OK;
}

/* Spec §1.1.2: the first batch in preference order that can take the line. */
static int choose_book(size_t *out, const la_product *p, const char *orderid, int64_t qty,
                       const char *promise, void *payload)
{
	*out = LA_POLICY_NONE;
	size_t n = la_product_batch_count(p);
	for (size_t i = 0; i < n; i++) {
		if (la_batch_available_quantity(la_product_batch_at(p, i)) >= qty) {
			*out = i;
			break;
		}
	}
	return LA_OK;
}

/* With a promise date: the latest batch that can take the line and still
 * arrives by then (in stock counts as arriving now), so earlier stock stays
 * for orders that need it sooner. Without one, or when none arrives in time,
 * the book's rule. */
static int choose_latest_in_time(size_t *out, const la_product *p, const char *orderid, int64_t qty,
                                 const char *promise, void *payload)
{
	int32_t by = promise ? la_date_key(promise) : -1;
	*out = LA_POLICY_NONE;
	if (by > 0) {
		size_t n = la_product_batch_count(p);
		for (size_t i = 0; i < n; i++) { /* preference order: ETA ascending */
			const la_batch *b = la_product_batch_at(p, i);
			if (la_date_key(la_batch_eta(b)) > by)
				break;
			if (la_batch_available_quantity(b) >= qty)
				*out = i; /* a later one that fits wins */
		}
		if (*out != LA_POLICY_NONE)
			return LA_OK;
	}
	return choose_book(out, p, orderid, qty, promise, payload);
}

static const la_policy builtins[] = {
    {LA_POLICY_VERSION, "book", choose_book, NULL},
    {LA_POLICY_VERSION, "latest-in-time", choose_latest_in_time, NULL},
};

const la_policy *la_policy_builtin(const char *name)
{
	for (size_t i = 0; name && i < sizeof builtins / sizeof builtins[0]; i++) {
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	}
	return NULL;
}

int la_policy_check(const la_policy *policy)
{
	if (!policy)
		return LA_OK;
	if (policy->version < 1 || policy->version > LA_POLICY_VERSION)
		return la_error_set(LA_EUNSUPPORTED,
		                    "allocation policy %s has version %u, which is not supported",
		                    policy->name ? policy->name : "(unnamed)", policy->version);
	if (!policy->choose)
		return la_error_set(LA_EINVAL, "allocation policy %s has no choose function",
		                    policy->name ? policy->name : "(unnamed)");
	return LA_OK;
}

/* Every answer is checked against the product itself (not what the policy
 * was told), so no policy can place a line where it does not fit. An index
 * can only name a batch of this product: another sku's batch is out of
 * range by construction. */
int la__policy_choose(la_batch **out, const la_product *p, const la__policy_line *line,
                      const la_policy *policy)
{
	if (!policy)
		policy = &builtins[0];
	const char *name = policy->name ? policy->name : "(unnamed)";
	char why[256]; /* la_error_last() copied: formatting reads it */
	int rc = la_policy_check(policy);
	if (rc != LA_OK) {
		(void)snprintf(why, sizeof why, "%s", la_error_last());
		return la_error_set(LA_EUSER, "%s", why);
	}
	size_t index = LA_POLICY_NONE;
	la_error_clear();
	rc = policy->choose(&index, p, line->orderid, line->qty, line->promise, policy->payload);
	if (rc != LA_OK) {
		(void)snprintf(why, sizeof why, "%s",
		               *la_error_last() ? la_error_last() : "no message");
		return la_error_set(LA_EUSER, "allocation policy %s failed (%s) placing %s: %s",
		                    name, la_strerror(rc), line->orderid, why);
	}
	if (index == LA_POLICY_NONE) {
		*out = NULL;
		return LA_OK;
	}
	if (index >= p->batch_count)
		return la_error_set(LA_EUSER,
		                    "allocation policy %s chose batch index %zu for %s, out of "
		                    "range: %s has %zu batches",
		                    name, index, line->orderid, p->sku, p->batch_count);
	la_batch *b = p->batches[index];
	if (b->purchased - b->allocated < line->qty)
		return la_error_set(LA_EUSER,
		                    "allocation policy %s chose batch %s for %s, which has %lld "
		                    "available for a line of %lld",
		                    name, b->ref, line->orderid,
		                    (long long)(b->purchased - b->allocated), (long long)line->qty);
	*out = b;
	return LA_OK;
}
