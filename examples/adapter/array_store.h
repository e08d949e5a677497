/*
 * A worked example of a store adapter (docs/adapters.md walks through it):
 * a "database" of three arrays of rows — products, batches, order lines —
 * shared by any number of connections, each connection a la_store.
 *
 * It implements every operation of la_store_port (include/allocation/
 * sys/ports.h) the way a SQL adapter does: products are rebuilt from rows
 * lazily, commit writes the change log as deltas after an optimistic version
 * check, the read models are answered from the rows, and an optional
 * transactional outbox keeps Allocated events for a relay.
 *
 * Threads: a database may be shared by connections in several threads (it
 * has a lock); each connection, like every la_store, is used by one thread
 * at a time.
 */
#ifndef EXAMPLE_ARRAY_STORE_H
#define EXAMPLE_ARRAY_STORE_H

#include <allocation/store.h>

typedef struct array_db array_db;

/* A new empty database. *out owned by the caller (array_db_free). */
int array_db_new(array_db **out);

/* Free the database; free every store opened on it first. NULL is fine. */
void array_db_free(array_db *db);

/* A new connection to db (borrowed: it must outlive the store). flags:
 * LA_STORE_OUTBOX to keep Allocated events in the database's outbox for
 * la_store_relay_outbox. *out owned by the caller (la_store_free). */
int array_store_open(la_store **out, array_db *db, unsigned int flags);

#endif
