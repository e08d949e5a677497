/*
 * The service-layer suite (tests/service/service_test.c) runs unchanged on
 * every adapter: each adapter's test directory links it with its own
 * implementation of this factory.
 */
#ifndef TEST_STORE_FACTORY_H
#define TEST_STORE_FACTORY_H

#include <allocation/allocation.h>

/* A new, empty store of the adapter under test; each call gives a store
 * that shares no data with earlier ones. Returns LA_OK or a code. */
int test_store_open(la_store **out);

/* Another connection to the same data as store (for concurrency tests), or
 * LA_EUNSUPPORTED where the adapter cannot (the memory store may return a
 * second handle only if it shares the data). */
int test_store_reopen(la_store **out, la_store *store);

/* Adapter name for messages: "memory", "sqlite", "postgres". */
const char *test_store_name(void);

#endif
