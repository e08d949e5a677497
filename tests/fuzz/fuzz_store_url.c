/*
 * libFuzzer target: store URLs and connection strings as the programs take
 * them (--db, ALLOCATION_DB): the dispatch of examples/common/store_url.c
 * (memory:, sqlite:PATH, a bare PATH, csv:FOLDER, postgresql://...,
 * postgres://..., a libpq conninfo "host=... dbname=...", an unknown
 * "scheme://"), the SQLite adapter's URL parser (adapters/sqlite/url.c:
 * sqlite:, sqlite:///, :memory:, ?durability=) and the SMTP adapter's URL
 * and sender checks (la_smtp_new).
 *
 * Input: URL, then optionally a NUL and the SMTP sender address.
 * The adapters are never opened: this target's la_sqlite_store_open_ext,
 * la_pg_store_open and la_csv_store_open record the call (the SQLite one
 * runs the real URL parser) and fail, so no file or connection is made.
 * A PostgreSQL URL or conninfo is parsed by libpq, not by this project.
 */
#include "sqlite_store.h"
#include "store_url.h"
#include "fuzz_input.h"

#include <allocation/csv.h>
#include <allocation/postgres.h>
#include <allocation/smtp.h>
#include <allocation/sqlite.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *opened;   /* the adapter la_example_open_store chose */
static const char *argument; /* what it was given */
static int calls;

static int not_opened(const char *adapter, const char *arg)
{
	opened = adapter;
	argument = arg;
	calls++;
	return la_error_set(LA_EUNSUPPORTED, "fuzz: %s store not opened", adapter);
}

int la_sqlite_store_open_ext(la_store **out, const char *url, const la_sqlite_options *opts)
{
	(void)out;
	(void)opts;
	struct sq_url parsed;
	int rc = sq_url_parse(&parsed, url);
	if (rc == LA_OK) {
		/* the path is what follows "sqlite:" or "sqlite://", up to a '?' */
		size_t at = strncmp(url, "sqlite://", 9) == 0 ? 9
		            : strncmp(url, "sqlite:", 7) == 0 ? 7
		                                              : 0;
		size_t n = strlen(parsed.path);
		if (n == 0 || strncmp(url + at, parsed.path, n) != 0 ||
		    (url[at + n] != '\0' && url[at + n] != '?') || memchr(parsed.path, '?', n))
			FAIL("sqlite URL \"%s\" parsed to path \"%s\"", url, parsed.path);
		if (parsed.memory != (strcmp(parsed.path, ":memory:") == 0) ||
		    parsed.durability < LA_SQLITE_DURABILITY_DEFAULT ||
		    parsed.durability > LA_SQLITE_DURABILITY_FULL)
			FAIL("sqlite URL \"%s\": memory %d durability %d", url, parsed.memory,
			     parsed.durability);
		if (parsed.durability == LA_SQLITE_DURABILITY_FULL &&
		    !strstr(url, "durability=full"))
			FAIL("sqlite URL \"%s\": durability=full from nowhere", url);
		if (parsed.durability == LA_SQLITE_DURABILITY_NORMAL &&
		    !strstr(url, "durability=normal"))
			FAIL("sqlite URL \"%s\": durability=normal from nowhere", url);
		sq_url_clear(&parsed);
	} else if (rc != LA_ENOMEM &&
	           (rc != LA_EINVAL || strncmp(la_error_last(), "Invalid sqlite URL", 18) != 0)) {
		FAIL("sqlite URL \"%s\": %d %s", url, rc, la_error_last());
	} else if (parsed.path) {
		FAIL("sqlite URL \"%s\" refused but left a path", url);
	}
	return not_opened("sqlite", url);
}

int la_pg_store_open(la_store **out, const char *conninfo, unsigned int flags)
{
	(void)out;
	(void)flags;
	return not_opened("postgres", conninfo);
}

int la_csv_store_open(la_store **out, const char *folder)
{
	(void)out;
	return not_opened("csv", folder);
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void check_dispatch(const char *url)
{
	la_store *store = NULL;
	opened = argument = NULL;
	calls = 0;
	int rc = la_example_open_store(&store, url, 0);
	if (calls > 1)
		FAIL("\"%s\" opened %d stores", url, calls);
	if (rc != LA_OK && (store || !*la_error_last()))
		FAIL("\"%s\": failure %d with a store or without a message", url, rc);
	if (!*url) {
		if (rc != LA_EINVAL || calls)
			FAIL("empty URL: %d, %d calls", rc, calls);
	} else if (strcmp(url, "memory:") == 0) {
		if (rc != LA_OK || !store || calls)
			FAIL("memory: gave %d", rc);
	} else if (starts_with(url, "sqlite:")) {
		if (!opened || strcmp(opened, "sqlite") != 0 || strcmp(argument, url) != 0)
			FAIL("\"%s\" went to %s", url, opened ? opened : "nothing");
	} else if (starts_with(url, "csv:")) {
		if (!opened || strcmp(opened, "csv") != 0 || strcmp(argument, url + 4) != 0)
			FAIL("\"%s\" went to %s", url, opened ? opened : "nothing");
	} else if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
		if (!opened || strcmp(opened, "postgres") != 0 || strcmp(argument, url) != 0)
			FAIL("\"%s\" went to %s", url, opened ? opened : "nothing");
	} else if (!opened) {
		if (rc != LA_EINVAL || !strstr(url, "://") ||
		    !starts_with(la_error_last(), "unknown database URL"))
			FAIL("\"%s\" went nowhere: %d %s", url, rc, la_error_last());
	} else if (strcmp(argument, url) != 0) {
		FAIL("\"%s\" reached %s as \"%s\"", url, opened, argument);
	}
	la_store_free(store);
}

static void check_smtp(const char *url, const char *from)
{
	la_smtp *smtp = NULL;
	int rc = la_smtp_new(&smtp, url, from);
	if ((rc == LA_OK) != (smtp != NULL))
		FAIL("la_smtp_new(\"%s\"): %d with handle %p", url, rc, (void *)smtp);
	if (rc == LA_OK && ((!starts_with(url, "smtp://") && !starts_with(url, "smtps://")) ||
	                    strpbrk(url, "\r\n") || (from && !strchr(from, '@'))))
		FAIL("la_smtp_new accepted \"%s\" from \"%s\"", url, from ? from : "(default)");
	if (rc != LA_OK && rc != LA_EINVAL && rc != LA_ENOMEM)
		FAIL("la_smtp_new(\"%s\"): %d %s", url, rc, la_error_last());
	la_smtp_free(smtp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_input_string(data, size);
	if (!copy)
		return 0;
	size_t url_len = strlen(copy);
	const char *from = url_len < size ? copy + url_len + 1 : NULL;
	check_dispatch(copy);
	check_smtp(copy, from);
	free(copy);
	return 0;
}
