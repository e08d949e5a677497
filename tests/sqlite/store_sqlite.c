/*
 * tests/support/store_factory.h for SQLite: every store is a new file in
 * this process's temporary folder; reopen opens a second connection to the
 * same file.
 */
#include <stdio.h>
#include <string.h>

#include <allocation/sqlite.h>

#include "sqlite_test_support.h"
#include "store_factory.h"

#define MAX_STORES 256

static struct {
	la_store *store;
	char path[512];
} opened[MAX_STORES];
static unsigned opened_count;

int test_store_open(la_store **out)
{
	char name[32];
	snprintf(name, sizeof name, "service-%u", opened_count);
	const char *path = sqlt_path(name);
	int rc = la_sqlite_store_open(out, path, 0);
	if (rc == LA_OK && opened_count < MAX_STORES) {
		opened[opened_count].store = *out;
		snprintf(opened[opened_count].path, sizeof opened[0].path, "%s", path);
		opened_count++;
	}
	return rc;
}

int test_store_reopen(la_store **out, la_store *store)
{
	*out = NULL;
	for (unsigned i = opened_count; i-- > 0;) /* newest first: addresses get reused */
		if (opened[i].store == store)
			return la_sqlite_store_open(out, opened[i].path, 0);
	return LA_EUNSUPPORTED;
}

const char *test_store_name(void)
{
	return "sqlite";
}

/* The file of a store this factory opened (corrupt_sqlite.c), or NULL. */
const char *test_sqlite_store_path(la_store *store);
const char *test_sqlite_store_path(la_store *store)
{
	for (unsigned i = opened_count; i-- > 0;)
		if (opened[i].store == store)
			return opened[i].path;
	return NULL;
}
