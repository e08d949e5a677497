/*
 * The write pipeline: one queue and one thread per writer, each with its own
 * store and bus (workers.c), fed by the HTTP threads (pipeline.h).
 */
#include "pipeline.h"

#include "log.h"
#include "metrics.h"
#include "workers.h"

#include <allocation/sys/errors.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct pipeline_job *head, *tail; /* FIFO of waiting jobs */
	int stopping;
	int started;
	int busy;              /* a unit of work is running: on this writer's thread or inline */
	struct worker *worker; /* this writer's store and bus, opened on first use */
	/* one unit of work's jobs and commands (count of them), reused */
	struct pipeline_job *jobs[PIPELINE_MAX_BATCH];
	const la_message *commands[PIPELINE_MAX_BATCH];
	size_t count;
};

static struct writer *writers;
static unsigned int writer_count;
static atomic_int accepting;
static void (*after_batch)(void *);
static void *after_batch_arg;

static void fill(struct command_result *r, int status, const char *batchref, const char *error)
{
	r->status = status;
	r->has_batchref = batchref != NULL;
	(void)snprintf(r->batchref, sizeof r->batchref, "%s", batchref ? batchref : "");
	(void)snprintf(r->error, sizeof r->error, "%s", error ? error : "");
}

void command_result_release(struct command_result *result)
{
	free(result->lines);
	result->lines = NULL;
	result->line_count = 0;
}

/* Command index's result out of the bus, a whole order's lines included. */
static void fill_from_bus(struct command_result *r, la_bus *bus, size_t index,
                          const la_message *command)
{
	fill(r, la_bus_result_status(bus, index), la_bus_result_batchref_at(bus, index),
	     la_bus_result_error(bus, index));
	r->outcome = la_bus_result_outcome(bus, index);
	size_t n = la_bus_result_line_count(bus, index);
	if (r->status != LA_OK || n == 0)
		return;
	r->lines = calloc(n, sizeof *r->lines);
	if (!r->lines) { /* done, but cannot be told: a retry answers (idempotent) */
		fill(r, LA_ENOMEM, NULL, "out of memory copying the order's result");
		return;
	}
	r->line_count = n;
	(void)snprintf(r->orderid, sizeof r->orderid, "%s", la_message_orderid(command));
	for (size_t i = 0; i < n; i++) {
		struct line_result *line = &r->lines[i];
		const char *sku = la_bus_result_line_sku(bus, index, i);
		const char *ref = la_bus_result_line_batchref(bus, index, i);
		(void)snprintf(line->sku, sizeof line->sku, "%s", sku ? sku : "");
		(void)snprintf(line->batchref, sizeof line->batchref, "%s", ref ? ref : "");
		line->is_short = la_bus_result_line_short(bus, index, i);
	}
}

/* Every job of the unit of work gets its result; then they are handed back. */
static void finish(struct writer *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pipeline_job *job = w->jobs[i];
		la_message_free(job->command);
		job->command = NULL;
		job->done(job);
	}
}

static void fail_all(struct writer *w, size_t n, int status, const char *error)
{
	for (size_t i = 0; i < n; i++)
		fill(&w->jobs[i]->result, status, NULL, error);
	finish(w, n);
}

/* Take what is waiting into w->jobs after the w->count there, up to
 * PIPELINE_MAX_BATCH in all (never wait to fill), their commands into out.
 * The caller holds w->lock. */
static size_t take_locked(struct writer *w, const la_message **out)
{
	size_t got = 0;
	while (w->head && w->count < PIPELINE_MAX_BATCH) {
		w->jobs[w->count++] = w->head;
		out[got++] = w->head->command;
		w->head = w->head->next;
	}
	if (!w->head)
		w->tail = NULL;
	return got;
}

/*
 * The bus's source of more commands while a unit of work runs
 * (la_command_pull_fn): the waiting commands on the sku of the unit's first
 * one join it, in their order. On a hot sku whose lock another server holds
 * (docs/postgres.md), the requests that arrive during the wait then share
 * the next commit instead of waiting for one more. Commands on other skus
 * keep their place: adding their products to a unit that is already under
 * way would lengthen it and widen its conflicts with the other servers (64
 * skus on two servers got slower). Taking a later command before an earlier
 * one is fine: neither has been answered, so either order is one the
 * clients could have seen.
 */
static size_t pull(void *payload, const la_message **out, size_t room)
{
	struct writer *w = payload;
	const char *sku = la_message_sku(w->commands[0]);
	size_t got = 0;
	if (!sku)
		return 0;
	pthread_mutex_lock(&w->lock);
	struct pipeline_job **link = &w->head, *previous = NULL;
	while (*link && got < room && w->count < PIPELINE_MAX_BATCH) {
		struct pipeline_job *job = *link;
		const char *its = la_message_sku(job->command);
		if (!its || strcmp(its, sku) != 0) {
			previous = job;
			link = &job->next;
			continue;
		}
		*link = job->next;
		if (w->tail == job)
			w->tail = previous;
		w->jobs[w->count++] = job;
		out[got++] = job->command;
	}
	pthread_mutex_unlock(&w->lock);
	return got;
}

/* One unit of work with the w->count jobs taken from the queue, and those
 * that come while it runs. */
static void run(struct writer *w)
{
	size_t n = w->count;
	if (!w->worker) {
		int rc = worker_open_writer(&w->worker);
		if (rc != LA_OK) {
			metrics_store_error();
			log_message(LA_LOG_ERROR, "writer: cannot open the store: %s",
			            la_error_last());
			fail_all(w, n, rc, la_error_last());
			return;
		}
	}
	la_bus *bus = worker_bus(w->worker);
	uint64_t retries_before, retries_after;
	la_bus_stats(bus, NULL, NULL, &retries_before, NULL);
	int rc = la_bus_handle_pull(bus, w->commands, &n, PIPELINE_MAX_BATCH, pull, w);
	n = w->count; /* the bus took every job pulled */
	la_bus_stats(bus, NULL, NULL, &retries_after, NULL);
	metrics_conflict_retries(retries_after - retries_before);
	if (rc != LA_OK) {
		fail_all(w, n, rc, la_error_last());
		return;
	}
	size_t requested = 0; /* the histogram counts the clients' commands */
	int committed = 0;
	for (size_t i = 0; i < n; i++) {
		requested += !w->jobs[i]->background;
		committed |= la_bus_result_status(bus, i) == LA_OK;
		fill_from_bus(&w->jobs[i]->result, bus, i, w->commands[i]);
	}
	if (requested)
		metrics_observe_write_batch(requested);
	if (committed && after_batch)
		after_batch(after_batch_arg);
	finish(w, n);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->busy || (!w->head && !w->stopping))
			pthread_cond_wait(&w->wake, &w->lock);
		w->count = 0;
		if (!take_locked(w, w->commands))
			break; /* stopping, and nothing left */
		w->busy = 1;
		pthread_mutex_unlock(&w->lock);
		run(w);
		pthread_mutex_lock(&w->lock);
		w->busy = 0;
	}
	pthread_mutex_unlock(&w->lock);
	worker_retire(w->worker);
	w->worker = NULL;
	return NULL;
}

int pipeline_start(unsigned int count, void (*after)(void *), void *after_arg)
{
	writers = calloc(count, sizeof *writers);
	if (!writers)
		return -1;
	after_batch = after;
	after_batch_arg = after_arg;
	for (writer_count = 0; writer_count < count; writer_count++) {
		struct writer *w = &writers[writer_count];
		if (pthread_mutex_init(&w->lock, NULL) != 0)
			break;
		if (pthread_cond_init(&w->wake, NULL) != 0) {
			pthread_mutex_destroy(&w->lock);
			break;
		}
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
			pthread_cond_destroy(&w->wake);
			pthread_mutex_destroy(&w->lock);
			break;
		}
		w->started = 1;
	}
	if (writer_count < count) {
		log_message(LA_LOG_ERROR, "cannot start the writer threads");
		pipeline_stop();
		return -1;
	}
	atomic_store(&accepting, 1);
	return 0;
}

static uint64_t hash(const char *key)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

/* The first of a whole order's skus in sku order: the product it takes
 * first, so orders that start on the same product meet in one writer. */
static const char *first_sku(const la_message *order)
{
	const char *first = NULL;
	for (size_t i = 0; i < la_message_line_count(order); i++) {
		const char *sku = la_message_line_sku(order, i);
		if (!first || strcmp(sku, first) < 0)
			first = sku;
	}
	return first;
}

/* The writer of a command: by its sku; a command naming only a batch goes
 * where that batch's sku goes (a read from this thread's store), or by the
 * reference when there is no such batch (it will fail alone). A whole order
 * goes by its first sku, Confirm by its orderid, ExpireHolds to the first
 * writer: each is one unit of work wherever it runs. */
static struct writer *writer_for(const la_message *command)
{
	if (writer_count == 1)
		return &writers[0];
	int kind = la_message_kind_of(command);
	if (kind == LA_CMD_EXPIRE_HOLDS)
		return &writers[0];
	if (kind == LA_CMD_CONFIRM)
		return &writers[hash(la_message_orderid(command)) % writer_count];
	const char *sku =
	    kind == LA_CMD_ALLOCATE_ORDER ? first_sku(command) : la_message_sku(command);
	if (sku)
		return &writers[hash(sku) % writer_count];
	const char *ref = la_message_batchref(command);
	struct worker *reader;
	la_batch_page *page = NULL;
	uint64_t key = hash(ref ? ref : "");
	if (ref && worker_current(&reader) == LA_OK &&
	    la_view_batch(&page, worker_store(reader), ref) == LA_OK &&
	    la_batch_page_count(page) == 1)
		key = hash(la_batch_page_sku(page, 0));
	la_batch_page_free(page);
	return &writers[key % writer_count];
}

int pipeline_submit(struct pipeline_job *job)
{
	if (!atomic_load(&accepting))
		return la_error_set(LA_ESTATE, "the server is stopping");
	struct writer *w = writer_for(job->command);
	job->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return la_error_set(LA_ESTATE, "the server is stopping");
	}
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return LA_OK;
}

/* done() of a job run inline: its submitter reads the result on return. */
static void ran_inline(struct pipeline_job *job)
{
	(void)job;
}

int pipeline_run_if_idle(struct pipeline_job *job)
{
	if (!atomic_load(&accepting))
		return 0;
	struct writer *w = writer_for(job->command);
	pthread_mutex_lock(&w->lock);
	int idle = !w->busy && !w->head && !w->stopping;
	if (idle)
		w->busy = 1; /* what is queued from now on runs after this job */
	pthread_mutex_unlock(&w->lock);
	if (!idle)
		return 0;
	void (*done)(struct pipeline_job *) = job->done;
	job->done = ran_inline;
	w->jobs[0] = job;
	w->commands[0] = job->command;
	w->count = 1;
	run(w);
	job->done = done;
	pthread_mutex_lock(&w->lock);
	w->busy = 0;
	if (w->head || w->stopping)
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 1;
}

void pipeline_stop(void)
{
	atomic_store(&accepting, 0);
	for (unsigned int i = 0; i < writer_count; i++) {
		struct writer *w = &writers[i];
		pthread_mutex_lock(&w->lock);
		w->stopping = 1;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
	}
	for (unsigned int i = 0; i < writer_count; i++) {
		struct writer *w = &writers[i];
		if (!w->started)
			continue;
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
	}
	free(writers);
	writers = NULL;
	writer_count = 0;
}
