/*
 * A separate process for the crash and concurrency tests: it opens the
 * store at PATH and sends commands in a loop, reporting on stdout, one line
 * per event, only what has been committed:
 *
 *   A ORDERID BATCHREF   allocated (committed)
 *   O ORDERID            out of stock
 *   d ORDERID            about to deallocate (the outcome is uncertain)
 *   D ORDERID            deallocated (committed)
 *   E CODE MESSAGE       a command failed
 *
 *   P JSON               relay: a message published (a slow publisher)
 *
 * usage: sqlite_child PATH crash|race|relay PREFIX COUNT SKU [START_AT_MS]
 *   crash: with the outbox, allocate qty 1..3, and deallocate every fifth
 *          order's predecessor-but-one, until killed or COUNT orders;
 *   race:  wait for the wall clock to reach START_AT_MS (so that several
 *          children start together), then allocate COUNT lines of qty 1;
 *   relay: wait for START_AT_MS, then run the outbox relay for COUNT ms
 *          (PREFIX and SKU unused), publishing each message in 2 ms.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <allocation/allocation.h>
#include <allocation/sqlite.h>

static void report(const char *fmt, const char *a, const char *b)
{
	char line[600];
	int len = snprintf(line, sizeof line, fmt, a, b);
	/* one write per line: atomic on a pipe, and nothing sits in a buffer */
	if (len > 0 && write(STDOUT_FILENO, line, (size_t)len) != len)
		_Exit(3); /* _Exit: a failure may be on any thread */
}

static void report_error(int rc)
{
	char code[16];
	snprintf(code, sizeof code, "%d", rc);
	report("E %s %s\n", code, la_error_last());
}

static int allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty)
{
	la_message *msg;
	int rc = la_command_allocate(&msg, orderid, sku, qty);
	if (rc == LA_OK)
		rc = la_bus_handle(bus, msg);
	la_message_free(msg);
	if (rc != LA_OK) {
		report_error(rc);
		return 0;
	}
	const char *ref = la_bus_result_batchref(bus);
	if (ref)
		report("A %s %s\n", orderid, ref);
	else
		report("O %s%s\n", orderid, "");
	return ref != NULL;
}

static void deallocate(la_bus *bus, const char *orderid, const char *sku)
{
	la_message *msg;
	report("d %s%s\n", orderid, "");
	int rc = la_command_deallocate(&msg, orderid, sku);
	if (rc == LA_OK)
		rc = la_bus_handle(bus, msg);
	la_message_free(msg);
	if (rc != LA_OK)
		report_error(rc);
	else
		report("D %s%s\n", orderid, "");
}

static long long now_ms(void);

static void wait_until(long long start_ms)
{
	for (;;) {
		if (now_ms() >= start_ms)
			return;
		struct timespec pause = {0, 1000000};
		nanosleep(&pause, NULL);
	}
}

static int publish_slowly(const char *channel, const char *json, void *payload)
{
	(void)channel;
	(void)payload;
	struct timespec pause = {0, 2000000};
	nanosleep(&pause, NULL);
	report("P %s%s\n", json, "");
	return LA_OK;
}

static long long now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Relay the outbox until duration_ms have passed since start_ms. */
static int relay(la_store *store, long long start_ms, long duration_ms)
{
	wait_until(start_ms);
	while (now_ms() < start_ms + duration_ms) {
		size_t sent = 0;
		int rc = la_store_relay_outbox(&sent, store, 0, publish_slowly, NULL);
		if (rc != LA_OK) {
			report_error(rc);
			return 1;
		}
		if (sent == 0) {
			struct timespec pause = {0, 5000000};
			nanosleep(&pause, NULL);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: %s PATH crash|race|relay PREFIX COUNT SKU [START_AT_MS]\n",
		        argv[0]);
		return 2;
	}
	const char *path = argv[1], *mode = argv[2], *prefix = argv[3], *sku = argv[5];
	long count = strtol(argv[4], NULL, 10);
	la_store *store;
	la_bus *bus;
	/* crash mode keeps the outbox too: its rows must match the commits */
	unsigned int flags = strcmp(mode, "race") != 0 ? LA_STORE_OUTBOX : 0;
	int rc = la_sqlite_store_open(&store, path, flags);
	if (rc == LA_OK)
		rc = la_bus_new(&bus, store, NULL);
	if (rc != LA_OK) {
		report_error(rc);
		return 1;
	}
	char orderid[64], earlier[64];
	int allocated[5] = {0};
	if (strcmp(mode, "relay") == 0) {
		rc = relay(store, argc > 6 ? strtoll(argv[6], NULL, 10) : 0, count);
		la_bus_free(bus);
		la_store_free(store);
		return rc;
	}
	if (strcmp(mode, "race") == 0) {
		if (argc > 6)
			wait_until(strtoll(argv[6], NULL, 10));
		for (long i = 0; i < count; i++) {
			snprintf(orderid, sizeof orderid, "%s%ld", prefix, i);
			allocate(bus, orderid, sku, 1);
		}
	} else {
		for (long i = 0; i < count; i++) {
			snprintf(orderid, sizeof orderid, "%s%ld", prefix, i);
			allocated[i % 5] = allocate(bus, orderid, sku, 1 + i % 3);
			if (i % 5 == 4 && allocated[(i - 2) % 5]) {
				snprintf(earlier, sizeof earlier, "%s%ld", prefix, i - 2);
				deallocate(bus, earlier, sku);
			}
		}
	}
	la_bus_free(bus);
	la_store_free(store);
	return 0;
}
