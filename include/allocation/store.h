/*
 * liballocation — stores: where products and read models live.
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

typedef struct la_store la_store;

/** Flags for the adapters' open functions. */
#define LA_STORE_OUTBOX 0x1u /**< keep a transactional outbox of Allocated events */

/** Close the store and free it; NULL is fine. Free the buses using it first. */
LA_EXTERN(void) la_store_free(la_store *store);

/** Short adapter name: "memory", "sqlite", "postgres", ... Static string. */
LA_EXTERN(const char *) la_store_adapter(const la_store *store);

/**
 * Publish what the store's transactional outbox holds (Allocated events of
 * committed units of work), oldest first, through publish(channel, json,
 * payload), marking each sent once publish returns LA_OK. Stops at the first
 * failure of publish and returns it (the message stays queued). *out_sent,
 * when not NULL, is the number of messages published. At most max messages
 * (0: no limit). LA_EUNSUPPORTED when the store has no outbox.
 */
typedef int (*la_publish_fn)(const char *channel, const char *json, void *payload);
LA_EXTERN(int)
la_store_relay_outbox(size_t *out_sent, la_store *store, size_t max, la_publish_fn publish,
                      void *payload);

/** Non-zero when the store keeps a transactional outbox. */
LA_EXTERN(int) la_store_has_outbox(const la_store *store);

LA_END_DECL

#endif
