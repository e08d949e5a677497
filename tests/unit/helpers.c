#include "helpers.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const test_bad_utf8[TEST_BAD_UTF8] = {"ab\x80",       "\xC0\xAF",         "x\xE2\x82",
                                                  "\xED\xA0\x80", "\xF4\x90\x80\x80", "ok\xFF"};

const char *test_repeat(char c, size_t n, int slot)
{
	static char buffers[4][1024];
	cr_assert(n < sizeof buffers[0] && slot >= 0 && slot < 4);
	memset(buffers[slot], c, n);
	buffers[slot][n] = '\0';
	return buffers[slot];
}

la_product *test_product(const char *sku)
{
	la_product *p = NULL;
	int rc = la_product_new(&p, sku);
	cr_assert_eq(rc, LA_OK, "la_product_new(%s): %s %s", sku, la_strerror(rc), la_error_last());
	cr_assert_not_null(p);
	return p;
}

void test_add_batch(la_product *p, const char *ref, int64_t qty, const char *eta)
{
	int rc = la_product_add_batch(p, ref, qty, eta);
	cr_assert_eq(rc, LA_OK, "add_batch(%s): %s %s", ref, la_strerror(rc), la_error_last());
}

const char *test_allocate(la_product *p, const char *orderid, int64_t qty)
{
	const char *ref = (const char *)1;
	int rc = la_product_allocate(&ref, p, orderid, qty);
	cr_assert_eq(rc, LA_OK, "allocate(%s): %s %s", orderid, la_strerror(rc), la_error_last());
	cr_assert_neq(ref, (const char *)1, "allocate did not set *out_batchref");
	return ref;
}

/* A growing string buffer. */
typedef struct text {
	char *data;
	size_t len, cap;
} text;

static void text_add(text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* the length first; clang-analyzer 14 misses the va_start above here */
	int n = vsnprintf(NULL, 0, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	cr_assert(n >= 0);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->len + (size_t)n + 1) * 2;
		t->data = realloc(t->data, t->cap);
		cr_assert_not_null(t->data);
	}
	va_start(ap, fmt);
	vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

char *test_event_text(const la_message *e)
{
	text t = {0};
	text_add(&t, "%s", or_none(la_message_name(e)));
	switch (la_message_kind_of(e)) {
	case LA_EVT_ALLOCATED:
		text_add(&t, " %s %s %lld %s", or_none(la_message_orderid(e)),
		         or_none(la_message_sku(e)), (long long)la_message_qty(e),
		         or_none(la_message_batchref(e)));
		break;
	case LA_EVT_DEALLOCATED:
		text_add(&t, " %s %s %lld %s", or_none(la_message_orderid(e)),
		         or_none(la_message_sku(e)), (long long)la_message_qty(e),
		         or_none(la_message_reason_name(e)));
		break;
	case LA_EVT_OUT_OF_STOCK:
		text_add(&t, " %s", or_none(la_message_sku(e)));
		break;
	default:
		text_add(&t, " kind=%d", la_message_kind_of(e));
	}
	return t.data;
}

char *test_product_snapshot(const la_product *p, const char *const *orderids)
{
	text t = {0};
	text_add(&t, "sku=%s version=%lld batches=%zu\n", or_none(la_product_sku(p)),
	         (long long)la_product_version(p), la_product_batch_count(p));
	for (size_t i = 0; i < la_product_batch_count(p); i++) {
		const la_batch *b = la_product_batch_at(p, i);
		cr_assert_not_null(b);
		text_add(&t,
		         "  %s sku=%s eta=%s purchased=%lld allocated=%lld available=%lld "
		         "lines=%lld seq=%lld\n",
		         or_none(la_batch_reference(b)), or_none(la_batch_sku(b)),
		         or_none(la_batch_eta(b)), (long long)la_batch_purchased_quantity(b),
		         (long long)la_batch_allocated_quantity(b),
		         (long long)la_batch_available_quantity(b),
		         (long long)la_batch_line_count(b), (long long)la_batch_sequence(b));
	}
	for (size_t i = 0; orderids && orderids[i]; i++) {
		const la_batch *b = la_product_find_line(p, orderids[i]);
		text_add(&t, "  line %s on %s\n", orderids[i],
		         b ? la_batch_reference(b) : "(none)");
	}
	text_add(&t, "events=%zu\n", la_product_event_count(p));
	for (size_t i = 0; i < la_product_event_count(p); i++) {
		char *e = test_event_text(la_product_event_at(p, i));
		text_add(&t, "  %s\n", e);
		free(e);
	}
	text_add(&t, "changes=%zu\n", la_product_change_count(p));
	for (size_t i = 0; i < la_product_change_count(p); i++) {
		la_change c;
		cr_assert_eq(la_product_change_at(&c, p, i), LA_OK);
		text_add(&t, "  kind=%d ref=%s order=%s eta=%s qty=%lld seq=%lld\n", c.kind,
		         or_none(c.batchref), or_none(c.orderid), or_none(c.eta), (long long)c.qty,
		         (long long)c.sequence);
	}
	return t.data;
}
