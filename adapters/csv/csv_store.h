/*
 * The CSV folder store's state, shared by the port (csv_store.c), the
 * commit (csv_commit.c) and the batch command (csv_orders.c).
 */
#ifndef LA_CSV_STORE_H
#define LA_CSV_STORE_H

#include <allocation/sys/ports.h>

#include "csv_data.h"
#include "csv_file.h"

typedef struct csv_store {
	int dirfd; /* the folder: files are opened relative to it, and flock'd */
	csv_data data;
	int loaded; /* data matches the files with these stamps */
	csv_stamp batches_stamp, allocations_stamp;
	la_product **seen; /* products handed out or added in this unit of work */
	size_t seen_count, seen_cap;
	la_product **dropped; /* after a rollback, freed at end */
	size_t dropped_count, dropped_cap;
	int in_unit;
	int deferred; /* commits stay in memory until csv_store_flush */
	int dirty_batches, dirty_allocations;
	int broken; /* a deferred commit failed half-way: flush must refuse */
	/* skus committed through this store: they stay known when their last
	 * batch goes, although batches.csv cannot say so */
	la__strmap known_skus; /* skus committed while open: key and value one copy */
} csv_store;

/* Open a store on folder; *state is borrowed from *out (for csv_orders.c). */
int csv_store_create(la_store **out, csv_store **state, const char *folder);

/* Reload from the files if they changed since loaded (caller holds the lock). */
int csv_store_refresh(csv_store *s);

/* Write the dirty files atomically (batches.csv first). */
int csv_store_write(csv_store *s);

/* Deferred mode: hold the folder's lock, keep commits in memory. flush writes
 * them and leaves the mode; discard forgets them (the files stay as they
 * were) and leaves the mode. */
int csv_store_defer(csv_store *s);
int csv_store_flush(csv_store *s);
void csv_store_discard(csv_store *s);

/* Non-zero when sku names a product: it has a batch, or was committed here. */
int csv_store_knows(const csv_store *s, const char *sku);

/* The port's commit (csv_commit.c). */
int csv_store_commit(void *state);

/* The batch dashboard over data (csv_views.c). */
int csv_store_batches(la_batch_page *into, const csv_data *data, const char *sku, size_t limit,
                      const char *after);

#endif
