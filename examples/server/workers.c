/*
 * Per-thread workers: a store and a bus for each thread,
 * opened lazily. The registry lock is taken only when a thread opens its
 * worker, never while a request runs.
 */
#include "workers.h"

#include "log.h"
#include "store_url.h"

#include <allocation/sys/errors.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct worker {
	la_store *store; /* NULL when it is the shared memory store */
	la_bus *bus;
	void *publisher;
	struct worker *next;
};

static struct worker_config config;
static la_store *shared_memory_store;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker *registry;
static _Thread_local struct worker *current;

int worker_open(struct worker **out);

static int is_memory_url(const char *url)
{
	return strcmp(url, "memory:") == 0 || strcmp(url, "sqlite::memory:") == 0;
}

int workers_open_store(la_store **out, unsigned int flags)
{
	return la_example_open_store(out, config.db, flags);
}

int workers_init(const struct worker_config *cfg, const char **out_adapter)
{
	config = *cfg;
	if (is_memory_url(config.db)) {
		int rc = la_memory_store_new(&shared_memory_store);
		if (rc != LA_OK)
			return rc;
	}
	/* A whole worker, opened and closed once: a bad store URL, SMTP URL or
	 * address fails here, at startup, rather than on every request. It also
	 * creates the schema before the threads race to. */
	struct worker *probe;
	int rc = worker_open(&probe);
	if (rc == LA_OK) {
		*out_adapter = la_store_adapter(worker_store(probe)); /* a static string */
		/* Reallocations a previous process left pending (a crash after the
		 * commit): finished before serving; a failure leaves them for the
		 * next start. */
		size_t finished = 0;
		if (la_bus_finish_reallocations(probe->bus, &finished) != LA_OK)
			log_message(LA_LOG_WARN, "pending reallocations not finished: %s",
			            la_error_last());
		else if (finished)
			log_message(LA_LOG_INFO, "finished %zu pending reallocation(s)", finished);
		worker_free(probe);
	}
	return rc;
}

void worker_free(struct worker *worker)
{
	if (!worker)
		return;
	la_bus_free(worker->bus);
	la_store_free(worker->store);
	if (worker->publisher && config.publisher_free)
		config.publisher_free(worker->publisher);
	free(worker);
}

static int worker_route(la_bus *bus, int kind, int enabled)
{
	return la_bus_set_route(bus, kind, enabled ? config.notify_to : NULL);
}

static int open_with(struct worker **out, unsigned int extra_flags)
{
	struct worker *w = calloc(1, sizeof *w);
	if (!w) {
		(void)la_error_set(LA_ENOMEM, "out of memory");
		return LA_ENOMEM; /* never LA_OK, visibly to the callers' analysis */
	}
	la_store *store = shared_memory_store;
	int rc = LA_OK;
	if (!store) {
		rc = workers_open_store(&w->store, config.store_flags | extra_flags);
		store = w->store;
	}
	la_bus_options opts;
	if (rc == LA_OK)
		rc = la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION);
	if (rc == LA_OK) {
		opts.max_retries = config.retries;
		opts.flags = config.bus_flags; /* the clock stays the system's: real time */
		opts.notify = config.notify;
		opts.notify_payload = config.notify_payload;
		opts.policy = config.policy;
	}
	/* With an outbox the relay publishes; otherwise the bus does. */
	if (rc == LA_OK && config.publish && !la_store_has_outbox(store)) {
		rc = config.publisher_new(&w->publisher, config.publisher_arg);
		opts.publish = config.publish;
		opts.publish_payload = w->publisher;
	}
	if (rc == LA_OK)
		rc = la_bus_new(&w->bus, store, &opts);
	if (rc == LA_OK)
		rc = worker_route(w->bus, LA_EVT_OUT_OF_STOCK, config.notify_out_of_stock);
	if (rc == LA_OK)
		rc = worker_route(w->bus, LA_EVT_ALLOCATED, config.notify_allocated);
	if (rc != LA_OK) {
		worker_free(w);
		return rc;
	}
	*out = w;
	return LA_OK;
}

int worker_open(struct worker **out)
{
	return open_with(out, 0);
}

int worker_open_writer(struct worker **out)
{
	return open_with(out, LA_EXAMPLE_WRITER);
}

int worker_current(struct worker **out)
{
	if (current) {
		*out = current;
		return LA_OK;
	}
	struct worker *w;
	int rc = worker_open(&w);
	if (rc != LA_OK)
		return rc;
	pthread_mutex_lock(&registry_lock);
	w->next = registry;
	registry = w;
	pthread_mutex_unlock(&registry_lock);
	current = w;
	*out = w;
	return LA_OK;
}

la_bus *worker_bus(struct worker *worker)
{
	return worker->bus;
}

la_store *worker_store(struct worker *worker)
{
	return la_bus_store(worker->bus);
}

/* Counters of the buses already freed (the writers'): commands, events,
 * conflict retries, failed event handlers. Under registry_lock. */
static uint64_t retired[4];

static void add_stats(uint64_t totals[4], const la_bus *bus)
{
	uint64_t c, e, r, f;
	la_bus_stats(bus, &c, &e, &r, &f);
	totals[0] += c;
	totals[1] += e;
	totals[2] += r;
	totals[3] += f;
}

void worker_retire(struct worker *worker)
{
	if (!worker)
		return;
	pthread_mutex_lock(&registry_lock);
	add_stats(retired, worker->bus);
	pthread_mutex_unlock(&registry_lock);
	worker_free(worker);
}

void workers_shutdown(void)
{
	pthread_mutex_lock(&registry_lock);
	struct worker *w = registry;
	registry = NULL;
	uint64_t totals[4] = {retired[0], retired[1], retired[2], retired[3]};
	memset(retired, 0, sizeof retired);
	pthread_mutex_unlock(&registry_lock);
	for (struct worker *i = w; i; i = i->next)
		add_stats(totals, i->bus);
	if (w || totals[0])
		log_message(LA_LOG_INFO,
		            "%llu commands, %llu events, %llu conflict retries, "
		            "%llu failed event handlers",
		            (unsigned long long)totals[0], (unsigned long long)totals[1],
		            (unsigned long long)totals[2], (unsigned long long)totals[3]);
	while (w) {
		struct worker *next = w->next;
		worker_free(w);
		w = next;
	}
	la_store_free(shared_memory_store);
	shared_memory_store = NULL;
	current = NULL;
}
