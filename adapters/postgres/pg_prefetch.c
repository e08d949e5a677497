/*
 * The prefetch of a batch of commands (store port version 5): every product
 * the batch names, their waiting lines and the order lines it names, read in
 * one round trip (which also carries the first product's lock and BEGIN).
 * The commands' own get and load_line then find them in memory: a batch
 * spread over n skus costs one round trip before its commit instead of 2n.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

/* What one prefetch asks for: the skus not handed out yet (first named
 * first) with the version remembered of each (-1: none), and the order
 * lines named on them. */
struct wanted {
	const char **skus;
	int64_t *cached;
	size_t sku_count;
	const char **orderids;
	const char **line_skus;
	size_t line_count;
};

static int listed(const struct wanted *w, const char *sku)
{
	for (size_t j = 0; j < w->sku_count; j++)
		if (strcmp(w->skus[j], sku) == 0)
			return 1;
	return 0;
}

static int collect(struct wanted *w, struct pg_store *store, const char *const *skus,
                   const char *const *orderids, size_t count)
{
	memset(w, 0, sizeof *w);
	w->skus = malloc(count * sizeof *w->skus);
	w->cached = malloc(count * sizeof *w->cached);
	w->orderids = malloc(count * sizeof *w->orderids);
	w->line_skus = malloc(count * sizeof *w->line_skus);
	if (!w->skus || !w->cached || !w->orderids || !w->line_skus)
		return la_error_set(LA_ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (pg_repo_seen(store, skus[i]))
			continue; /* the unit of work has it, perhaps changed: left alone */
		if (!listed(w, skus[i])) {
			size_t n = w->sku_count++;
			w->skus[n] = skus[i];
			if (!pg_cache_version(&w->cached[n], store, skus[i]))
				w->cached[n] = -1;
		}
		w->orderids[w->line_count] = orderids[i];
		w->line_skus[w->line_count++] = skus[i];
	}
	return LA_OK;
}

static void release(struct wanted *w)
{
	free(w->skus);
	free(w->cached);
	free(w->orderids);
	free(w->line_skus);
}

/* The reads of the products, their waiting lines and the order lines:
 * arrays of keys; for one product (a hot sku, a single command) the
 * statements a single get uses, which cost the server less than the array
 * forms and answer in the same columns. */
static const enum pg_stmt reads_of_many[3] = {PG_PRODUCTS_GET_MANY, PG_WAITING_GET_MANY,
                                              PG_LINES_OF_PAIRS};
static const enum pg_stmt reads_of_one[3] = {PG_PRODUCT_GET_IF_CHANGED, PG_WAITING_GET_IF_CHANGED,
                                             PG_LINES_OF_ORDERS};

/* The three reads, after BEGIN (and the lock), in one round trip. */
static int read_all(PGresult **out, struct pg_store *store, const struct wanted *w)
{
	char *skus = pg_text_array(w->skus, w->sku_count);
	char *cached = pg_int_array(w->cached, w->sku_count);
	char *orderids = pg_text_array(w->orderids, w->line_count);
	char *line_skus = pg_text_array(w->line_skus, w->line_count);
	int rc = skus && cached && orderids && line_skus ? LA_OK
	                                                 : la_error_set(LA_ENOMEM, "out of memory");
	if (rc == LA_OK)
		rc = pg_repo_lock_first(store, w->skus[0]);
	if (rc == LA_OK)
		rc = pg_begin_if_needed(store);
	int at = store->queued;
	if (rc == LA_OK && at > 4)
		rc = la_error_set(LA_ESTATE, "postgres: too many queued statements");
	char version[24];
	const char *many_products[2] = {skus, cached}, *many_lines[2] = {orderids, line_skus};
	const char *one_product[2] = {w->skus[0], pg_fmt_int(version, w->cached[0])};
	const char *one_lines[2] = {w->skus[0], orderids};
	int one = w->sku_count == 1;
	const char *const *params[3] = {one ? one_product : many_products,
	                                one ? one_product : many_products,
	                                one ? one_lines : many_lines};
	for (int i = 0; rc == LA_OK && i < 3; i++)
		rc = pg_queue(store, one ? reads_of_one[i] : reads_of_many[i], 2, params[i]);
	PGresult *results[8] = {NULL};
	if (rc == LA_OK)
		rc = pg_round_trip(store, results, at + 3, "prefetching products");
	for (int i = 0; i < 3; i++) {
		out[i] = results[at + i];
		results[at + i] = NULL;
	}
	pg_clear_results(results, 8);
	la__free(skus);
	la__free(cached);
	la__free(orderids);
	la__free(line_skus);
	return rc;
}

static int64_t cached_version(const struct wanted *w, const char *sku)
{
	for (size_t j = 0; j < w->sku_count; j++)
		if (strcmp(w->skus[j], sku) == 0)
			return w->cached[j];
	return -1;
}

/* The product of rows [from, to) (one sku) and its waiting rows from
 * *waiting_at on (both results list skus in the order asked): from memory
 * when its version is the one remembered, else from the rows. */
static int adopt_group(struct pg_store *store, const struct wanted *w, const PGresult *res,
                       int from, int to, const PGresult *waiting, int *waiting_at)
{
	const char *sku = PQgetvalue(res, from, 7);
	int first_waiting = *waiting_at;
	while (*waiting_at < PQntuples(waiting) &&
	       strcmp(PQgetvalue(waiting, *waiting_at, 3), sku) == 0)
		(*waiting_at)++;
	int64_t cached = cached_version(w, sku);
	la_product *product = NULL;
	int rc;
	if (cached >= 0 && pg_int(res, from, 0) == cached) {
		rc = pg_cache_build(&product, store, sku);
		if (rc == LA_ENOTFOUND) /* only a commit changes what is remembered */
			return la_error_set(LA_ESTATE,
			                    "postgres: product %s was forgotten during a "
			                    "prefetch",
			                    sku);
	} else {
		rc = pg_repo_build(&product, res, from, to, waiting, first_waiting, *waiting_at);
	}
	if (rc == LA_OK && (rc = pg_repo_remember(store, product)) != LA_OK)
		la_product_free(product);
	return rc;
}

static int adopt_products(struct pg_store *store, const struct wanted *w, const PGresult *res,
                          const PGresult *waiting)
{
	int rc = LA_OK, waiting_at = 0;
	for (int from = 0, to; rc == LA_OK && from < PQntuples(res); from = to) {
		const char *sku = PQgetvalue(res, from, 7);
		for (to = from + 1; to < PQntuples(res) && strcmp(PQgetvalue(res, to, 7), sku) == 0;
		     to++)
			;
		rc = adopt_group(store, w, res, from, to, waiting, &waiting_at);
	}
	return rc;
}

/* Each stored line among those named, attached to its product. */
static int attach_lines(struct pg_store *store, const PGresult *res)
{
	int rc = LA_OK;
	for (int row = 0; rc == LA_OK && row < PQntuples(res); row++) {
		la_product *product = pg_repo_seen(store, PQgetvalue(res, row, 2));
		if (product)
			rc = pg_inconsistent(la_product_load_held_line(
			    product, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
			    pg_int(res, row, 3), pg_int(res, row, 4), pg_int(res, row, 5)));
	}
	return rc;
}

int pg_repo_prefetch(const char *const *skus, const char *const *orderids, size_t count,
                     void *state)
{
	struct pg_store *store = state;
	if (!store->in_unit)
		return la_error_set(LA_ESTATE, "postgres: prefetch outside a unit of work");
	struct wanted w;
	int rc = collect(&w, store, skus, orderids, count);
	PGresult *res[3] = {NULL, NULL, NULL};
	if (rc == LA_OK && w.sku_count)
		rc = read_all(res, store, &w);
	if (rc == LA_OK && w.sku_count)
		rc = adopt_products(store, &w, res[0], res[1]);
	if (rc == LA_OK && w.sku_count)
		rc = attach_lines(store, res[2]);
	pg_clear_results(res, 3);
	release(&w);
	return rc;
}
