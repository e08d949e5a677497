/*
 * Shared helpers of the unit suites: fixtures and a textual snapshot of a
 * product, so "state unchanged" is one string comparison with a readable
 * diff when it fails.
 */
#ifndef TEST_UNIT_HELPERS_H
#define TEST_UNIT_HELPERS_H

#include <stddef.h>
#include <allocation/allocation.h>
#include <allocation/sys/ports.h>

/* Invalid inputs every string field must reject (and a valid 255-byte one). */
#define LONG_OK_LEN  255
#define LONG_BAD_LEN 256
/* A string of n copies of c (n < 1024) in a static buffer per slot 0..3. */
const char *test_repeat(char c, size_t n, int slot);
/* Invalid UTF-8: a lone continuation byte, an overlong form, a truncated
 * sequence, a surrogate, a code point past U+10FFFF, a 0xFF byte. */
#define TEST_BAD_UTF8 6
extern const char *const test_bad_utf8[TEST_BAD_UTF8];

/* A new product for sku; the test fails if it cannot be made. */
la_product *test_product(const char *sku);
/* Add a batch; the test fails unless LA_OK. */
void test_add_batch(la_product *p, const char *ref, int64_t qty, const char *eta);
/* Allocate; the test fails unless LA_OK. Returns the batch ref (or NULL). */
const char *test_allocate(la_product *p, const char *orderid, int64_t qty);

/* Everything observable about a product as one string (caller frees):
 * version, batches and figures, events, change log, and which batch holds
 * each of orderids (NULL-terminated list, or NULL). */
char *test_product_snapshot(const la_product *p, const char *const *orderids);
/* One event as text: "Allocated o1 sku 10 b1", "Deallocated o1 sku 10 requested", ... */
char *test_event_text(const la_message *event);

#endif
