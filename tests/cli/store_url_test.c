/* examples/common/store_url.c: which adapter each database URL reaches. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <criterion/criterion.h>

#include <allocation/allocation.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_url.h"

static void expect_adapter(const char *url, const char *adapter)
{
	la_store *store = NULL;
	int rc = la_example_open_store(&store, url, 0);
	cr_assert_eq(rc, LA_OK, "%s: %s", url, la_error_last());
	cr_expect_str_eq(la_store_adapter(store), adapter, "%s", url);
	la_store_free(store);
}

Test(store_url, memory_sqlite_and_csv)
{
	expect_adapter("memory:", "memory");
	expect_adapter("sqlite::memory:", "sqlite");

	char dir[] = "/tmp/la-url-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char url[128], path[128];
	snprintf(url, sizeof(url), "sqlite:%s/a.db", dir);
	expect_adapter(url, "sqlite");
	/* a bare path, with an option that contains '=' */
	snprintf(url, sizeof(url), "%s/b.db?durability=full", dir);
	expect_adapter(url, "sqlite");

	snprintf(path, sizeof(path), "%s/batches.csv", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("ref,sku,qty,eta\n", f);
	cr_assert_eq(fclose(f), 0);
	snprintf(url, sizeof(url), "csv:%s", dir);
	expect_adapter(url, "csv");

	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(store_url, refused_urls)
{
	la_store *store = (la_store *)1;
	cr_expect_eq(la_example_open_store(&store, "", 0), LA_EINVAL);
	cr_expect_null(store);
	cr_expect_eq(la_example_open_store(&store, NULL, 0), LA_EINVAL);
	cr_expect_eq(la_example_open_store(&store, "mysql://localhost/db", 0), LA_EINVAL);
	cr_expect(strstr(la_error_last(), "unknown database URL") != NULL, "%s", la_error_last());
	cr_expect_eq(la_example_open_store(NULL, "memory:", 0), LA_EINVAL);
}

Test(store_url, postgres_urls_go_to_postgres)
{
	/* Nothing listens on port 1: the PostgreSQL adapter reports a connection
	 * failure; a build without it says it is missing. Either way it was
	 * routed to PostgreSQL, not taken for a file name. */
	const char *urls[] = {"postgresql://127.0.0.1:1/x?connect_timeout=2",
	                      "postgres://127.0.0.1:1/x?connect_timeout=2",
	                      "host=127.0.0.1 port=1 dbname=x connect_timeout=2"};
	for (size_t i = 0; i < 3; i++) {
		la_store *store = NULL;
		int rc = la_example_open_store(&store, urls[i], 0);
		cr_expect_neq(rc, LA_OK, "%s", urls[i]);
		cr_expect_null(store);
		const char *msg = la_error_last();
		cr_expect(strstr(msg, "PostgreSQL") != NULL || strstr(msg, "postgres") != NULL ||
		              strstr(msg, "connect") != NULL,
		          "%s: %s", urls[i], msg);
		cr_expect(access("host=127.0.0.1 port=1 dbname=x connect_timeout=2", F_OK) != 0,
		          "a conninfo must not become a SQLite file");
	}
}
