/*
 * allocation-server — one bus and one store per HTTP worker thread.
 *
 * Each thread that handles requests opens its own store (a database
 * connection) and bus on first use and keeps them for its lifetime, so
 * requests run in parallel with no lock shared between them. The one
 * exception is the in-memory store ("memory:"), which is shared by every
 * thread and serialises its units of work itself.
 */
#ifndef SERVER_WORKERS_H
#define SERVER_WORKERS_H

#include <allocation/allocation.h>

struct worker;

struct worker_config {
	const char *db;           /* store URL */
	unsigned int store_flags; /* LA_STORE_OUTBOX with Redis */
	unsigned int retries;     /* la_bus_options.max_retries */
	unsigned int bus_flags;   /* la_bus_options.flags: LA_BUS_BACKORDERS */
	la_notify_fn notify;      /* notifications port, or NULL: none */
	void *notify_payload;
	const char *notify_to;
	int notify_out_of_stock;
	int notify_allocated;
	/* Publisher for stores without an outbox (NULL: none): a new payload
	 * per bus, made by publisher_new and freed by publisher_free. */
	la_publish_fn publish;
	int (*publisher_new)(void **out, void *arg);
	void (*publisher_free)(void *publisher);
	void *publisher_arg;
	const la_policy *policy; /* la_bus_options.policy (NULL: book) */
};

/* Copy the configuration; open and close one whole worker (this checks the
 * URLs and creates the schema before the threads race to). *out_adapter is
 * the store's adapter name ("sqlite", ...). LA_OK or a code with
 * la_error_last set. */
int workers_init(const struct worker_config *config, const char **out_adapter);

/* The calling thread's worker, opened on first use. Borrowed until
 * workers_shutdown. A failure is not remembered: the next call retries. */
int worker_current(struct worker **out);

/* A worker owned by the caller (for the Redis consumer and relay threads),
 * freed with worker_free. */
int worker_open(struct worker **out);
/* The same for a writer of the pipeline: a long-lived store that commits
 * (SQLite checkpoints its WAL in a thread of its own). */
int worker_open_writer(struct worker **out);
void worker_free(struct worker *worker);

/* Free a worker after adding its bus's counters to the totals that
 * workers_shutdown logs. */
void worker_retire(struct worker *worker);

la_bus *worker_bus(struct worker *worker);
la_store *worker_store(struct worker *worker);

/* Open a plain store on the configured URL (caller frees it). */
int workers_open_store(la_store **out, unsigned int flags);

/* Free every thread's worker. Call once no thread uses them any more. */
void workers_shutdown(void);

#endif
