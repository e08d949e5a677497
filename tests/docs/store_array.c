/* The service-layer suite's store factory for the worked adapter example:
 * tests/service/service_test.c runs unchanged on the array store. */
#include "store_factory.h"

#include "array_store.h"

#include <stdlib.h>

/* The databases made here, freed at exit (after each test freed its stores). */
static array_db **dbs;
static size_t db_count;

static void free_dbs(void)
{
	for (size_t i = 0; i < db_count; i++)
		array_db_free(dbs[i]);
	free(dbs);
}

int test_store_open(la_store **out)
{
	array_db *db;
	int rc = array_db_new(&db);
	if (rc != LA_OK)
		return rc;
	array_db **grown = realloc(dbs, (db_count + 1) * sizeof *grown);
	if (!grown) {
		array_db_free(db);
		return LA_ENOMEM;
	}
	if (!dbs && atexit(free_dbs) != 0) {
		free(grown);
		array_db_free(db);
		return LA_ENOMEM;
	}
	dbs = grown;
	dbs[db_count++] = db;
	return array_store_open(out, db, 0);
}

int test_store_reopen(la_store **out, la_store *store)
{
	/* another connection to the newest database: the one store was opened on */
	(void)store;
	return db_count ? array_store_open(out, dbs[db_count - 1], 0) : LA_EUNSUPPORTED;
}

const char *test_store_name(void)
{
	return "array";
}
