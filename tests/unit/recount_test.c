/*
 * la_product_walk_lines and la_product_recount (sys/product.h): a product
 * loaded with stored figures that disagree with its lines, as a corrupted
 * store would hand it over, is walked line by line and recounted.
 */
#include <allocation/allocation.h>
#include <allocation/sys/ports.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

typedef struct seen {
	int lines, waiting;
	int64_t qty;
	char first[32];
} seen;

static int visit(const char *orderid, const char *batchref, int64_t qty, int64_t expires, void *arg)
{
	seen *s = arg;
	(void)expires;
	if (!s->lines && !s->waiting)
		(void)snprintf(s->first, sizeof s->first, "%s@%s", orderid,
		               batchref ? batchref : "-");
	if (batchref)
		s->lines++;
	else
		s->waiting++;
	s->qty += qty;
	return LA_OK;
}

static int stop(const char *orderid, const char *batchref, int64_t qty, int64_t expires, void *arg)
{
	(void)orderid, (void)batchref, (void)qty, (void)expires, (void)arg;
	return LA_ECONFLICT;
}

/* LAMP at version 3: b1 (10) stores allocated 7 and 3 lines but holds o1 (2)
 * and o2 (3); b2 (5) stores nothing but holds o3 (1), held until 99. */
static la_product *corrupted(void)
{
	la_product *p = NULL;
	cr_assert_eq(la_product_load(&p, "LAMP", 3), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_product_load_batch(p, "b1", 10, NULL, 7, 3, 1), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(la_product_load_batch(p, "b2", 5, "2031-01-01", 0, 0, 2), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(la_product_load_line(p, "b1", "o1", 2, 2), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_product_load_line(p, "b1", "o2", 3, 3), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_product_batch_lines_loaded(p, "b1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_product_load_held_line(p, "b2", "o3", 1, 3, 99), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(la_product_batch_lines_loaded(p, "b2"), LA_OK, "%s", la_error_last());
	return p;
}

Test(recount, walks_every_line_in_preference_order)
{
	la_product *p = corrupted();
	seen s = {0};
	cr_assert_eq(la_product_walk_lines(p, visit, &s), LA_OK);
	cr_assert_eq(s.lines, 3);
	cr_assert_eq(s.waiting, 0);
	cr_assert_eq(s.qty, 6);
	cr_assert_str_eq(s.first, "o1@b1");
	cr_assert_eq(la_product_walk_lines(p, stop, NULL), LA_ECONFLICT, "visit's answer stops it");
	cr_assert_eq(la_product_walk_lines(NULL, visit, &s), LA_EINVAL);
	la_product_free(p);
}

Test(recount, recomputes_the_stored_figures_from_the_lines)
{
	la_product *p = corrupted();
	const la_batch *b1 = la_product_find_batch(p, "b1");
	const la_batch *b2 = la_product_find_batch(p, "b2");
	/* b1: allocated 7 -> 5, lines 3 -> 2; b2: allocated 0 -> 1, lines 0 -> 1,
	 * held 0 -> 1, if loading kept what was stored */
	int64_t before = la_batch_allocated_quantity(b1);
	int64_t changed = la_product_recount(p);
	cr_assert_gt(changed, 0, "stored %lld", (long long)before);
	cr_assert_eq(la_batch_allocated_quantity(b1), 5);
	cr_assert_eq(la_batch_line_count(b1), 2);
	cr_assert_eq(la_batch_allocated_quantity(b2), 1);
	cr_assert_eq(la_batch_line_count(b2), 1);
	cr_assert_eq(la_batch_held_quantity(b2), 1);
	cr_assert_eq(la_product_recount(p), 0, "a second recount changes nothing");
	cr_assert_eq(la_product_change_count(p), 0, "a repair is no command: nothing to write");
	cr_assert_eq(la_product_recount(NULL), -1);
	la_product_free(p);
}
