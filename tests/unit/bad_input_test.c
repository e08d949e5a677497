/*
 * Bad input for every command constructor and every la_product_* entry
 * point: the documented code, a message naming the field, and no change.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Control characters (C0 and DEL) that identifiers must not carry into log
 * lines and e-mail bodies: a forged log line, an escape sequence, a tab. */
static const char *const control_strings[] = {"o1\nINFO forged", "\x1b[31mred", "a\tb", "\x01",
                                              "x\x7f",           "end\r"};
#define CONTROL_STRINGS (int)(sizeof control_strings / sizeof control_strings[0])

/* The bad strings every string field must reject. */
#define BAD_STRINGS (3 + TEST_BAD_UTF8 + CONTROL_STRINGS)
static const char *bad_string(int i)
{
	switch (i) {
	case 0:
		return NULL;
	case 1:
		return "";
	case 2:
		return test_repeat('x', LONG_BAD_LEN, 3);
	default:
		return i - 3 < TEST_BAD_UTF8 ? test_bad_utf8[i - 3]
		                             : control_strings[i - 3 - TEST_BAD_UTF8];
	}
}

static const char *const bad_dates[] = {"2011-13-40", "2011-02-30", "tomorrow", "", "2011-1-2"};
#define BAD_DATES (sizeof bad_dates / sizeof bad_dates[0])

/* rc is LA_EINVAL and the last error names one of fields ("a|b"). */
static void expect_einval(int rc, const char *fields, const char *what)
{
	cr_assert_eq(rc, LA_EINVAL, "%s: expected LA_EINVAL, got %s", what, la_strerror(rc));
	cr_assert_eq(la_error_last_code(), LA_EINVAL, "%s: la_error_last_code", what);
	const char *msg = la_error_last();
	char names[64];
	snprintf(names, sizeof names, "%s", fields);
	char *rest;
	for (char *name = strtok_r(names, "|", &rest); name; name = strtok_r(NULL, "|", &rest))
		if (strstr(msg, name))
			return;
	cr_assert_fail("%s: message \"%s\" does not name %s", what, msg, fields);
}

/* A constructor's result for bad input: LA_EINVAL and no message made. */
static void expect_no_message(int rc, la_message *m, const char *fields, const char *what)
{
	expect_einval(rc, fields, what);
	cr_assert_null(m, "%s: a message was returned on failure", what);
}

#define REF "ref|reference"
#define QTY "qty|quantity"

Test(bad_input, create_batch)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		la_message *m = NULL;
		snprintf(what, sizeof what, "create_batch ref #%d", i);
		expect_no_message(la_command_create_batch(&m, bad_string(i), "sku", 1, NULL), m,
		                  REF, what);
		snprintf(what, sizeof what, "create_batch sku #%d", i);
		expect_no_message(la_command_create_batch(&m, "ref", bad_string(i), 1, NULL), m,
		                  "sku", what);
	}
	for (size_t i = 0; i < BAD_DATES; i++) {
		la_message *m = NULL;
		expect_no_message(la_command_create_batch(&m, "ref", "sku", 1, bad_dates[i]), m,
		                  "eta", bad_dates[i]);
	}
	la_message *m = NULL;
	expect_no_message(la_command_create_batch(&m, "ref", "sku", -1, NULL), m, QTY, "qty -1");
	expect_no_message(la_command_create_batch(&m, "ref", "sku", INT64_MIN, NULL), m, QTY,
	                  "qty min");
	/* The edges that are fine: qty 0 and 255-byte strings. */
	const char *ok = test_repeat('y', LONG_OK_LEN, 0);
	cr_assert_eq(la_command_create_batch(&m, ok, ok, 0, "2012-02-29"), LA_OK);
	la_message_free(m);
}

Test(bad_input, allocate)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		la_message *m = NULL;
		snprintf(what, sizeof what, "allocate orderid #%d", i);
		expect_no_message(la_command_allocate(&m, bad_string(i), "sku", 1), m, "orderid",
		                  what);
		snprintf(what, sizeof what, "allocate sku #%d", i);
		expect_no_message(la_command_allocate(&m, "o1", bad_string(i), 1), m, "sku", what);
	}
	la_message *m = NULL;
	expect_no_message(la_command_allocate(&m, "o1", "sku", 0), m, QTY, "qty 0");
	expect_no_message(la_command_allocate(&m, "o1", "sku", -1), m, QTY, "qty -1");
	const char *ok = test_repeat('y', LONG_OK_LEN, 0);
	cr_assert_eq(la_command_allocate(&m, ok, ok, 1), LA_OK);
	la_message_free(m);
}

Test(bad_input, deallocate)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		la_message *m = NULL;
		snprintf(what, sizeof what, "deallocate orderid #%d", i);
		expect_no_message(la_command_deallocate(&m, bad_string(i), "sku"), m, "orderid",
		                  what);
		snprintf(what, sizeof what, "deallocate sku #%d", i);
		expect_no_message(la_command_deallocate(&m, "o1", bad_string(i)), m, "sku", what);
	}
}

Test(bad_input, change_batch_quantity)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		la_message *m = NULL;
		snprintf(what, sizeof what, "change_batch_quantity ref #%d", i);
		expect_no_message(la_command_change_batch_quantity(&m, bad_string(i), 1), m, REF,
		                  what);
	}
	la_message *m = NULL;
	expect_no_message(la_command_change_batch_quantity(&m, "b1", -1), m, QTY, "qty -1");
	cr_assert_eq(la_command_change_batch_quantity(&m, "b1", 0), LA_OK);
	la_message_free(m);
}

Test(bad_input, cancel_batch)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		la_message *m = NULL;
		snprintf(what, sizeof what, "cancel_batch ref #%d", i);
		expect_no_message(la_command_cancel_batch(&m, bad_string(i)), m, REF, what);
	}
}

Test(bad_input, events)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		la_message *m = NULL;
		snprintf(what, sizeof what, "allocated orderid #%d", i);
		expect_no_message(la_event_allocated(&m, bad_string(i), "s", 1, "b"), m, "orderid",
		                  what);
		snprintf(what, sizeof what, "allocated batchref #%d", i);
		expect_no_message(la_event_allocated(&m, "o", "s", 1, bad_string(i)), m, REF, what);
		snprintf(what, sizeof what, "deallocated sku #%d", i);
		expect_no_message(la_event_deallocated(&m, "o", bad_string(i), 1, 1), m, "sku",
		                  what);
		snprintf(what, sizeof what, "out_of_stock sku #%d", i);
		expect_no_message(la_event_out_of_stock(&m, bad_string(i)), m, "sku", what);
	}
	la_message *m = NULL;
	expect_no_message(la_event_allocated(&m, "o", "s", 0, "b"), m, QTY, "allocated qty 0");
	expect_no_message(la_event_deallocated(&m, "o", "s", -1, 1), m, QTY, "deallocated qty");
	expect_no_message(la_event_deallocated(&m, "o", "s", 1, 0), m, "reason", "reason 0");
	expect_no_message(la_event_deallocated(&m, "o", "s", 1, 3), m, "reason", "reason 3");
}

/* ---- la_product_* ---- */

static la_product *fixture(void)
{
	la_product *p = test_product("SKU");
	test_add_batch(p, "b1", 10, NULL);
	test_add_batch(p, "b2", 10, "2011-01-01");
	test_allocate(p, "o1", 4);
	la_product_clear_events(p);
	return p;
}

static const char *const fixture_orders[] = {"o1", "o2", NULL};

/* Checks that p is exactly as before (a snapshot taken earlier). */
static void expect_unchanged(const la_product *p, const char *before, const char *what)
{
	char *now = test_product_snapshot(p, fixture_orders);
	cr_assert_str_eq(now, before, "%s changed the product", what);
	free(now);
}

Test(bad_input, product_new)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		la_product *p = NULL;
		snprintf(what, sizeof what, "product_new sku #%d", i);
		expect_einval(la_product_new(&p, bad_string(i)), "sku", what);
		cr_assert_null(p);
	}
	cr_assert_eq(la_product_new(NULL, "SKU"), LA_EINVAL);
}

Test(bad_input, product_add_batch)
{
	la_product *p = fixture();
	char *before = test_product_snapshot(p, fixture_orders);
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		snprintf(what, sizeof what, "add_batch ref #%d", i);
		expect_einval(la_product_add_batch(p, bad_string(i), 1, NULL), REF, what);
		expect_unchanged(p, before, what);
	}
	for (size_t i = 0; i < BAD_DATES; i++) {
		expect_einval(la_product_add_batch(p, "b3", 1, bad_dates[i]), "eta", bad_dates[i]);
		expect_unchanged(p, before, bad_dates[i]);
	}
	expect_einval(la_product_add_batch(p, "b3", -1, NULL), QTY, "qty -1");
	expect_unchanged(p, before, "qty -1");

	/* A ref the product has: conflict, whatever the values. */
	cr_assert_eq(la_product_add_batch(p, "b1", 11, NULL), LA_ECONFLICT);
	cr_assert_eq(la_error_last_code(), LA_ECONFLICT);
	expect_unchanged(p, before, "duplicate b1");
	cr_assert_eq(la_product_add_batch(p, "b2", 10, "2011-01-02"), LA_ECONFLICT);
	expect_unchanged(p, before, "duplicate b2");

	cr_assert_eq(la_product_add_batch(NULL, "b3", 1, NULL), LA_EINVAL);
	/* qty 0 is a valid batch. */
	test_add_batch(p, "b0", 0, NULL);
	free(before);
	la_product_free(p);
}

Test(bad_input, product_allocate)
{
	la_product *p = fixture();
	char *before = test_product_snapshot(p, fixture_orders);
	char what[64];
	const char *ref = NULL;
	for (int i = 0; i < BAD_STRINGS; i++) {
		snprintf(what, sizeof what, "allocate orderid #%d", i);
		expect_einval(la_product_allocate(&ref, p, bad_string(i), 1), "orderid", what);
		expect_unchanged(p, before, what);
	}
	expect_einval(la_product_allocate(&ref, p, "o2", 0), QTY, "qty 0");
	expect_unchanged(p, before, "qty 0");
	expect_einval(la_product_allocate(&ref, p, "o2", -1), QTY, "qty -1");
	expect_unchanged(p, before, "qty -1");
	/* Reallocation with another qty. */
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 5), LA_ECONFLICT);
	expect_unchanged(p, before, "reallocation");
	cr_assert_eq(la_product_allocate(&ref, NULL, "o2", 1), LA_EINVAL);
	free(before);
	la_product_free(p);
}

Test(bad_input, product_deallocate)
{
	la_product *p = fixture();
	char *before = test_product_snapshot(p, fixture_orders);
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		snprintf(what, sizeof what, "deallocate orderid #%d", i);
		expect_einval(la_product_deallocate(p, bad_string(i)), "orderid", what);
		expect_unchanged(p, before, what);
	}
	cr_assert_eq(la_product_deallocate(p, "o2"), LA_ENOTFOUND);
	expect_unchanged(p, before, "unknown line");
	cr_assert_eq(la_product_deallocate(NULL, "o1"), LA_EINVAL);
	free(before);
	la_product_free(p);
}

Test(bad_input, product_change_batch_quantity)
{
	la_product *p = fixture();
	char *before = test_product_snapshot(p, fixture_orders);
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		snprintf(what, sizeof what, "change_batch_quantity ref #%d", i);
		expect_einval(la_product_change_batch_quantity(p, bad_string(i), 5), REF, what);
		expect_unchanged(p, before, what);
	}
	expect_einval(la_product_change_batch_quantity(p, "b1", -1), QTY, "qty -1");
	expect_unchanged(p, before, "qty -1");
	cr_assert_eq(la_product_change_batch_quantity(p, "b9", 5), LA_ENOTFOUND);
	expect_unchanged(p, before, "unknown ref");
	cr_assert_eq(la_product_change_batch_quantity(NULL, "b1", 5), LA_EINVAL);
	free(before);
	la_product_free(p);
}

Test(bad_input, product_cancel_batch)
{
	la_product *p = fixture();
	char *before = test_product_snapshot(p, fixture_orders);
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		snprintf(what, sizeof what, "cancel_batch ref #%d", i);
		expect_einval(la_product_cancel_batch(p, bad_string(i)), REF, what);
		expect_unchanged(p, before, what);
	}
	cr_assert_eq(la_product_cancel_batch(p, "b9"), LA_ENOTFOUND);
	expect_unchanged(p, before, "unknown ref");
	cr_assert_eq(la_product_cancel_batch(NULL, "b1"), LA_EINVAL);
	free(before);
	la_product_free(p);
}

Test(bad_input, check_string_names_the_field)
{
	char what[64];
	for (int i = 0; i < BAD_STRINGS; i++) {
		snprintf(what, sizeof what, "check_string #%d", i);
		expect_einval(la_check_string(bad_string(i), "widget"), "widget", what);
	}
	cr_assert_eq(la_check_string(test_repeat('z', LONG_OK_LEN, 0), "widget"), LA_OK);
	cr_assert_eq(la_check_string("\xF0\x9F\x98\x80", "widget"), LA_OK);
}

/* Every C0 control and DEL, anywhere in the identifier; printable ASCII,
 * space and non-ASCII UTF-8 stay accepted. */
Test(bad_input, check_string_refuses_control_characters)
{
	for (int c = 1; c < 0x80; c++) {
		char value[8] = {'a', (char)c, 'b', '\0'};
		int rc = la_check_string(value, "orderid");
		if (c < 0x20 || c == 0x7F) {
			char code[16];
			snprintf(code, sizeof code, "0x%02X", (unsigned int)c);
			expect_einval(rc, "orderid", code);
			cr_assert(strstr(la_error_last(), "control character"), "%s: %s", code,
			          la_error_last());
			cr_assert(strstr(la_error_last(), code), "%s: %s", code, la_error_last());
		} else {
			cr_assert_eq(rc, LA_OK, "byte 0x%02X refused: %s", (unsigned int)c,
			             la_error_last());
		}
	}
	expect_einval(la_check_string("\n", "sku"), "sku", "a newline alone");
	cr_assert_eq(la_check_string("caf\xC3\xA9 lamp", "sku"), LA_OK);
}

/* Rows a store wrote before control characters were refused still load:
 * the rule is for new input, and a product must not become unreadable. */
Test(bad_input, stored_identifiers_with_control_characters_still_load)
{
	la_product *p = NULL;
	cr_assert_eq(la_product_load(&p, "OLD\tSKU", 3), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_product_load_batch(p, "b\n1", 10, NULL, 2, 1, 1), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(la_product_load_line(p, "b\n1",
	                                  "o\x1b"
	                                  "1",
	                                  2, 2),
	             LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_available_quantity(la_product_find_batch(p, "b\n1")), 8);
	la_product_free(p);
}

Test(bad_input, product_lookups_with_bad_keys)
{
	la_product *p = fixture();
	cr_assert_null(la_product_find_batch(p, NULL));
	cr_assert_null(la_product_find_line(p, NULL));
	cr_assert_null(la_product_find_batch(p, ""));
	la_product_free(p);
}
