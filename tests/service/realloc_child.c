/*
 * The process tests/service/realloc_crash_test.c kills. It opens the store,
 * finishes the reallocations an earlier process left pending (as the
 * server does at start), then changes the quantity of or cancels the batch
 * of every sku s-I in turn (realloc_crash_test.c's setup says which lines
 * move and which find no room), four commands at a time, every other group
 * in one unit of work (la_bus_handle_many). Each notification is written
 * to stdout as "N <text>" in one write; with DIE_AT > 0 the process kills
 * itself at its DIE_AT-th notification, before writing it: after the
 * commit, before the OutOfStock is handled.
 *
 * usage: realloc_child sqlite|postgres URL SKUS DIE_AT
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <allocation/allocation.h>
#include <allocation/sqlite.h>
#ifdef REALLOC_CHILD_PG
#include <allocation/postgres.h>
#endif

static long die_at, notified;

static int notify(const char *destination, const char *text, void *payload)
{
	(void)destination;
	(void)payload;
	if (die_at > 0 && ++notified == die_at)
		(void)raise(SIGKILL);
	char line[600];
	int len = snprintf(line, sizeof line, "N %s\n", text);
	if (len > 0 && write(STDOUT_FILENO, line, (size_t)len) != len)
		_Exit(3);
	return LA_OK;
}

static void fail(const char *what, int rc)
{
	(void)fprintf(stderr, "realloc_child: %s: %s: %s\n", what, la_strerror(rc),
	              la_error_last());
	_Exit(2);
}

/* The command for sku I: even I cancel their first batch, odd I change its
 * quantity to 0 (the setup gives I % 4 == 0 or 2 a second batch). */
static la_message *command_for(long i)
{
	char ref[32];
	la_message *m = NULL;
	(void)snprintf(ref, sizeof ref, "a-%ld", i);
	int rc = i % 2 == 0 ? la_command_cancel_batch(&m, ref)
	                    : la_command_change_batch_quantity(&m, ref, 0);
	if (rc != LA_OK)
		fail("building a command", rc);
	return m;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return 64;
	char *end;
	long skus = strtol(argv[3], &end, 10);
	die_at = strtol(argv[4], &end, 10);
	la_store *store;
	int rc;
#ifdef REALLOC_CHILD_PG
	if (strcmp(argv[1], "postgres") == 0)
		rc = la_pg_store_open(&store, argv[2], 0);
	else
#endif
		rc = la_sqlite_store_open(&store, argv[2], 0);
	if (rc != LA_OK)
		fail("opening the store", rc);
	la_bus_options opts;
	la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION);
	opts.notify = notify;
	la_bus *bus;
	if ((rc = la_bus_new(&bus, store, &opts)) != LA_OK)
		fail("making the bus", rc);
	if ((rc = la_bus_finish_reallocations(bus, NULL)) != LA_OK)
		fail("finishing pending reallocations", rc);
	for (long at = 0; at < skus; at += 4) {
		la_message *group[4];
		long n = skus - at < 4 ? skus - at : 4;
		for (long k = 0; k < n; k++)
			group[k] = command_for(at + k);
		if ((at / 4) % 2 == 0) {
			if ((rc = la_bus_handle_many(bus, (const la_message *const *)group,
			                             (size_t)n)) != LA_OK)
				fail("a group of commands", rc);
		} else {
			/* one at a time; a batch already cancelled by an earlier
			 * process is not found, which is fine */
			for (long k = 0; k < n; k++)
				if ((rc = la_bus_handle(bus, group[k])) != LA_OK &&
				    rc != LA_ENOTFOUND)
					fail("a command", rc);
		}
		for (long k = 0; k < n; k++)
			la_message_free(group[k]);
	}
	la_bus_free(bus);
	la_store_free(store);
	return 0;
}
