/**
 * @file allocation/store.h
 * @brief Stores: where products and read models live.
 *
 * A store is one connection to one backing store (in memory, a SQLite file,
 * a PostgreSQL database, ...) made by that adapter's open function, e.g.
 * la_memory_store_new or la_sqlite_store_open. The bus runs its units of
 * work on it and the views read from it. A store is used by one thread at a
 * time (one bus per store); open one store per thread for parallelism.
 * The in-memory store is the exception: it serialises its units of work
 * internally, so several buses in several threads may share it.
 */
#ifndef ALLOCATION_STORE_H
#define ALLOCATION_STORE_H

#include "common.h"

LA_BEGIN_DECL

/** One connection to a backing store (opaque); made by an adapter. */
typedef struct la_store la_store;

/** Flags for the adapters' open functions. */
#define LA_STORE_OUTBOX 0x1u /**< keep a transactional outbox of Allocated events */

/**
 * Close the store and free it.
 * @param store the caller's store, or NULL (nothing happens). Free the buses
 *        using it first.
 */
LA_EXTERN(void) la_store_free(la_store *store);

/**
 * Short adapter name of a store.
 * @param store the store (borrowed), or NULL.
 * @return "memory", "sqlite", "postgres", ...; "unknown" for NULL or an
 *         unnamed port. Static string.
 */
LA_EXTERN(const char *) la_store_adapter(const la_store *store);

/**
 * A publisher: send one message on channel.
 * @param channel e.g. "line_allocated" (borrowed for the call).
 * @param json the message as JSON (borrowed for the call).
 * @param payload the pointer given with the callback.
 * @return #LA_OK once the message is delivered, or a negative code.
 */
typedef int (*la_publish_fn)(const char *channel, const char *json, void *payload);

/**
 * Publish what the store's transactional outbox holds (Allocated events of
 * committed units of work), oldest first, through publish(channel, json,
 * payload), marking each sent once publish returns LA_OK. Stops at the first
 * failure of publish and returns it (the message stays queued, so delivery
 * is at least once).
 *
 * @param[out] out_sent when not NULL, the number of messages published.
 * @param store the store.
 * @param max at most this many messages (0: no limit).
 * @param publish the publisher; called on this thread.
 * @param payload passed to publish.
 * @return #LA_OK; #LA_EINVAL when store or publish is NULL;
 *         #LA_EUNSUPPORTED when the store has no outbox; publish's code; the
 *         adapter's #LA_EDB / #LA_EIO.
 * @par Thread safety
 * Uses the store: not while another thread uses it. Relay from a store
 * opened for the purpose to run beside the writers.
 */
LA_EXTERN(int)
la_store_relay_outbox(size_t *out_sent, la_store *store, size_t max, la_publish_fn publish,
                      void *payload);

/**
 * Whether the store keeps a transactional outbox (opened with
 * #LA_STORE_OUTBOX by an adapter that has one).
 * @param store the store, or NULL.
 * @return non-zero when it does.
 */
LA_EXTERN(int) la_store_has_outbox(const la_store *store);

/**
 * The backlog of the store's transactional outbox: what the relay has yet to
 * publish, for monitoring (a relay that stopped shows as a growing age).
 * Since 1.1.
 *
 * @param store the store.
 * @param[out] out_pending when not NULL, the number of messages not yet
 *             published (0 on failure).
 * @param[out] out_oldest_age_seconds when not NULL, the age in seconds of the
 *             oldest of them, 0 when there is none (0 on failure).
 * @return #LA_OK; #LA_EINVAL when store is NULL; #LA_EUNSUPPORTED when the
 *         store has no outbox or its adapter cannot tell; #LA_ESTATE inside a
 *         unit of work; the adapter's #LA_EDB / #LA_EIO.
 * @par Thread safety
 * Uses the store: not while another thread uses it. Ask from a store opened
 * for the purpose (e.g. the relay's) rather than a writer's.
 */
LA_EXTERN(int)
la_store_outbox_status(la_store *store, size_t *out_pending, double *out_oldest_age_seconds);

LA_END_DECL

#endif
