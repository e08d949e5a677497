/*
 * The check suite (tests/service/check_test.c) corrupts a store's data on
 * purpose, the way a bug, a manual edit or a half-applied script would; each
 * adapter's test directory implements it with raw SQL on its own connection.
 */
#ifndef TEST_CORRUPT_H
#define TEST_CORRUPT_H

#include <allocation/allocation.h>

enum test_corruption {
	CORRUPT_ALLOCATED,      /* batch b1's stored allocated quantity + 3 */
	CORRUPT_MISSING_BATCH,  /* order o2's line points at batch "gone" */
	CORRUPT_READ_MODEL,     /* the read model loses order o1's row */
	CORRUPT_DUPLICATE_LINE, /* order o1's line of LAMP also on batch b2 */
	CORRUPT_VERSION,        /* product LAMP at version 0 */
	CORRUPT_OUTBOX,         /* an outbox row whose payload is not JSON */
	CORRUPT_HELD,           /* batch b1's stored held quantity + 2 */
	CORRUPT_WAITING         /* order o1's line of LAMP also waits for stock */
};

/* LA_OK; LA_EUNSUPPORTED when the store keeps no such data (memory). */
int test_corrupt(la_store *store, enum test_corruption what);

#endif
