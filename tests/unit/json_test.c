/* la_message_to_json: the spec's field names, escaping and the optional id. */
#include "flat_json.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

typedef struct parsed {
	fj_field fields[16];
	int n;
	char *raw;
} parsed;

static parsed to_json(la_message *m, const char *id)
{
	parsed p;
	memset(&p, 0, sizeof p);
	cr_assert_not_null(m);
	int rc = la_message_to_json(&p.raw, m, id);
	cr_assert_eq(rc, LA_OK, "to_json: %s %s", la_strerror(rc), la_error_last());
	cr_assert_not_null(p.raw);
	p.n = fj_parse(p.raw, p.fields, 16);
	cr_assert_geq(p.n, 0, "not a flat JSON object: %s", p.raw);
	la_message_free(m);
	return p;
}

static void want_string(const parsed *p, const char *key, const char *value)
{
	const fj_field *f = fj_get(p->fields, p->n, key);
	cr_assert_not_null(f, "no \"%s\" in %s", key, p->raw);
	cr_assert_eq(f->type, FJ_STRING, "\"%s\" is not a string in %s", key, p->raw);
	cr_assert_str_eq(f->value, value, "\"%s\" in %s", key, p->raw);
}

static void want_number(const parsed *p, const char *key, const char *value)
{
	const fj_field *f = fj_get(p->fields, p->n, key);
	cr_assert_not_null(f, "no \"%s\" in %s", key, p->raw);
	cr_assert_eq(f->type, FJ_NUMBER, "\"%s\" is not a number in %s", key, p->raw);
	cr_assert_str_eq(f->value, value);
}

static void want_fields(const parsed *p, int n)
{
	cr_assert_eq(p->n, n, "expected %d fields: %s", n, p->raw);
}

static la_message *msg(int rc, la_message **mp)
{
	la_message *m = *mp;
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	return m;
}

Test(json, allocated_has_exactly_the_published_fields)
{
	la_message *m = NULL;
	parsed p = to_json(msg(la_event_allocated(&m, "o1", "SKU-1", 12, "b1"), &m), NULL);
	want_fields(&p, 4);
	want_string(&p, "orderid", "o1");
	want_string(&p, "sku", "SKU-1");
	want_number(&p, "qty", "12");
	want_string(&p, "batchref", "b1");
	la_free(p.raw);
}

Test(json, commands)
{
	la_message *m = NULL;
	parsed p = to_json(msg(la_command_create_batch(&m, "b1", "S", 0, "2011-01-02"), &m), NULL);
	want_string(&p, "ref", "b1");
	want_string(&p, "sku", "S");
	want_number(&p, "qty", "0");
	want_string(&p, "eta", "2011-01-02");
	la_free(p.raw);

	p = to_json(msg(la_command_create_batch(&m, "b1", "S", 5, NULL), &m), NULL);
	const fj_field *eta = fj_get(p.fields, p.n, "eta");
	cr_assert(eta == NULL || eta->type == FJ_NULL, "eta of an in-stock batch: %s", p.raw);
	la_free(p.raw);

	p = to_json(msg(la_command_allocate(&m, "o1", "S", 9), &m), NULL);
	want_fields(&p, 3);
	want_string(&p, "orderid", "o1");
	want_string(&p, "sku", "S");
	want_number(&p, "qty", "9");
	la_free(p.raw);

	p = to_json(msg(la_command_deallocate(&m, "o1", "S"), &m), NULL);
	want_fields(&p, 2);
	want_string(&p, "orderid", "o1");
	want_string(&p, "sku", "S");
	la_free(p.raw);

	/* The HTTP API says "ref", the external event "batchref": either names it. */
	p = to_json(msg(la_command_change_batch_quantity(&m, "b7", 30), &m), NULL);
	want_fields(&p, 2);
	const fj_field *ref = fj_get(p.fields, p.n, "ref");
	if (!ref)
		ref = fj_get(p.fields, p.n, "batchref");
	cr_assert_not_null(ref, "no ref in %s", p.raw);
	cr_assert_str_eq(ref->value, "b7");
	want_number(&p, "qty", "30");
	la_free(p.raw);

	p = to_json(msg(la_command_cancel_batch(&m, "b8"), &m), NULL);
	want_fields(&p, 1);
	want_string(&p, "ref", "b8");
	la_free(p.raw);
}

Test(json, other_events)
{
	la_message *m = NULL;
	parsed p =
	    to_json(msg(la_event_deallocated(&m, "o1", "S", 3, LA_REASON_STOCK_REDUCED), &m), NULL);
	want_string(&p, "orderid", "o1");
	want_string(&p, "sku", "S");
	want_number(&p, "qty", "3");
	want_string(&p, "reason", "stock_reduced");
	la_free(p.raw);

	p = to_json(msg(la_event_out_of_stock(&m, "S"), &m), NULL);
	want_fields(&p, 1);
	want_string(&p, "sku", "S");
	la_free(p.raw);
}

Test(json, id_comes_first)
{
	la_message *m = NULL;
	parsed p = to_json(msg(la_event_allocated(&m, "o1", "S", 1, "b1"), &m), "msg-42");
	want_fields(&p, 5);
	cr_assert_str_eq(p.fields[0].key, "id");
	want_string(&p, "id", "msg-42");
	want_string(&p, "batchref", "b1");
	la_free(p.raw);

	p = to_json(msg(la_event_allocated(&m, "o1", "S", 1, "b1"), &m), "a\"b\\c");
	want_string(&p, "id", "a\"b\\c");
	la_free(p.raw);
}

Test(json, escapes_quotes_backslashes_and_unicode)
{
	const char *quoted = "q\"uo\\te/ end";
	const char *unicode = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
	la_message *m = NULL;
	parsed p = to_json(msg(la_event_allocated(&m, quoted, unicode, 1, "b\"1"), &m), NULL);
	want_string(&p, "orderid", quoted);
	want_string(&p, "sku", unicode);
	want_string(&p, "batchref", "b\"1");
	la_free(p.raw);
}

/* Identifiers with control characters are refused as input, but a store
 * written before that rule may hold one: the events of such a product
 * (here a line deallocated when its batch shrinks) escape them in JSON. */
Test(json, escapes_control_characters_of_stored_identifiers)
{
	const char *nasty = "q\"uo\\te/\x01\x1f\b\f\n\r\t end";
	const char *sku = "\xC3\xA9\x7f";
	la_product *product = NULL;
	cr_assert_eq(la_product_load(&product, sku, 2), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_product_load_batch(product, "b1", 5, NULL, 1, 1, 1), LA_OK);
	cr_assert_eq(la_product_load_line(product, "b1", nasty, 1, 2), LA_OK);
	cr_assert_eq(la_product_batch_lines_loaded(product, "b1"), LA_OK);
	cr_assert_eq(la_product_change_batch_quantity(product, "b1", 0), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(la_product_event_count(product), 1);
	la_message *event = NULL;
	cr_assert_eq(la_message_copy(&event, la_product_event_at(product, 0)), LA_OK);
	parsed p = to_json(event, NULL);
	want_string(&p, "orderid", nasty);
	want_string(&p, "sku", sku);
	for (const unsigned char *c = (const unsigned char *)p.raw; *c; c++)
		cr_assert_geq(*c, 0x20, "raw control character in %s", p.raw);
	la_free(p.raw);
	la_product_free(product);
}

Test(json, large_quantities)
{
	la_message *m = NULL;
	parsed p = to_json(msg(la_command_create_batch(&m, "b", "s", INT64_MAX, NULL), &m), NULL);
	want_number(&p, "qty", "9223372036854775807");
	la_free(p.raw);
}
