/* tests/support/store_factory.h for the CSV folder store: each store is a
 * new folder holding an empty batches.csv (header only). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "store_factory.h"

#include <allocation/csv.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_test_support.h"

#define MAX_STORES 64

/* The service suite frees its stores but cannot remove their folders, and
 * Criterion's workers skip atexit: folders are named after the runner
 * process (the workers' parent), which removes them all when the run ends. */
static struct {
	la_store *store;
	char *folder;
} stores[MAX_STORES];
static size_t store_count;

static void folder_prefix(char *out, size_t size, long runner)
{
	snprintf(out, size, "la-csv-service-%ld-", runner);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	char prefix[64], pattern[512];
	folder_prefix(prefix, sizeof(prefix), (long)getpid());
	const char *tmp = getenv("TMPDIR");
	snprintf(pattern, sizeof(pattern), "%s/%s*", tmp && *tmp ? tmp : "/tmp", prefix);
	glob_t found;
	// NOLINTNEXTLINE(concurrency-mt-unsafe): a cleanup on one thread
	if (glob(pattern, 0, NULL, &found) == 0) {
		for (size_t i = 0; i < found.gl_pathc; i++)
			csv_test_remove_folder(strdup(found.gl_pathv[i]));
		globfree(&found);
	}
}

int test_store_open(la_store **out)
{
	char prefix[64];
	folder_prefix(prefix, sizeof(prefix), (long)getppid());
	char *folder = csv_test_folder_named(prefix);
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\n");
	int rc = la_csv_store_open(out, folder);
	if (rc == LA_OK && store_count < MAX_STORES) {
		stores[store_count].store = *out;
		stores[store_count].folder = folder;
		store_count++;
	} else {
		free(folder);
	}
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
