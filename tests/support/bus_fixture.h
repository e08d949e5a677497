/*
 * A bus over a new store of the adapter under test (store_factory.h), for the
 * adapter-neutral suites of tests/service: open it (with a test clock where
 * the suite sets the time), hand it commands one at a time, close it. Header
 * only, like line_socket.h; each suite keeps its store and bus in its own
 * statics and passes them in.
 */
#ifndef LA_TEST_BUS_FIXTURE_H
#define LA_TEST_BUS_FIXTURE_H

#include "store_factory.h"

#include <criterion/criterion.h>

/* The clock port of a test: the time the int64_t at payload holds. */
static inline int64_t test_clock(void *payload)
{
	return *(const int64_t *)payload;
}

/* Open a new, empty store and a bus over it with opts; an error fails the
 * test. */
static inline void test_bus_open(la_store **store, la_bus **bus, const la_bus_options *opts)
{
	cr_assert_eq(test_store_open(store), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_new(bus, *store, opts), LA_OK, "%s", la_error_last());
}

/* The same with the bus's clock reading *now, and flags. */
static inline void test_bus_open_clocked(la_store **store, la_bus **bus, int64_t *now,
                                         unsigned int flags)
{
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.clock = test_clock;
	opts.clock_payload = now;
	opts.flags = flags;
	test_bus_open(store, bus, &opts);
}

static inline void test_bus_close(la_store *store, la_bus *bus)
{
	la_bus_free(bus);
	la_store_free(store);
}

/* Handle one command (owned, freed here) and return its status. */
static inline int test_bus_run(la_bus *bus, la_message *cmd)
{
	cr_assert_not_null(cmd);
	int rc = la_bus_handle(bus, cmd);
	la_message_free(cmd);
	return rc;
}

#endif
