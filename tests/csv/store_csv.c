#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
/* tests/support/store_factory.h for the CSV folder store: each store is a
 * new folder holding an empty batches.csv (header only). */
#include "store_factory.h"

#include <allocation/csv.h>

#include <stdlib.h>
#include <string.h>

#include "csv_test_support.h"

#define MAX_STORES 64

static struct {
	la_store *store;
	char *folder;
} stores[MAX_STORES];
static size_t store_count;

static void remove_folders(void)
{
	for (size_t i = 0; i < store_count; i++)
		csv_test_remove_folder(stores[i].folder);
	store_count = 0;
}

static int remember(la_store *store, const char *folder)
{
	if (store_count == MAX_STORES)
		return LA_ENOMEM;
	if (store_count == 0)
		atexit(remove_folders);
	stores[store_count].store = store;
	stores[store_count].folder = strdup(folder);
	store_count++;
	return LA_OK;
}

int test_store_open(la_store **out)
{
	char *folder = csv_test_folder();
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\n");
	int rc = la_csv_store_open(out, folder);
	if (rc == LA_OK)
		rc = remember(*out, folder);
	free(folder);
	return rc;
}

int test_store_reopen(la_store **out, la_store *store)
{
	for (size_t i = 0; i < store_count; i++)
		if (stores[i].store == store)
			return la_csv_store_open(out, stores[i].folder);
	return LA_EUNSUPPORTED;
}

const char *test_store_name(void)
{
	return "csv";
}
