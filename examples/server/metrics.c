/*
 * The counters and their exposition. Status codes are counted in a table of
 * every code 100-599 per route, so each code the server answers shows up
 * exactly, and only codes seen are printed.
 */
#include "metrics.h"

#include "events.h"
#include "log.h"
#include "notifier.h"
#include "routes.h"

#include <allocation/allocation.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATUS_MIN   100
#define STATUS_COUNT 500 /* 100-599 */
#define ROUTE_SLOTS  (ROUTE_COUNT + 1)

static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define LATENCY_BUCKETS (sizeof latency_bounds / sizeof latency_bounds[0])

static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
#define BATCH_BUCKETS (sizeof batch_bounds / sizeof batch_bounds[0])

static const char *const outcomes[] = {"allocated", "out_of_stock", "ok",     "invalid",
                                       "rejected",  "conflict",     "failed", "backordered"};
#define OUTCOME_COUNT (sizeof outcomes / sizeof outcomes[0])

struct histogram {
	atomic_uint_fast64_t buckets[16]; /* non-cumulative; the last is +Inf */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_micro; /* sum in millionths of the unit */
};

static atomic_uint_fast64_t requests[ROUTE_SLOTS][STATUS_COUNT];
static struct histogram latency[ROUTE_SLOTS];
static atomic_int in_flight;
static atomic_uint_fast64_t commands[ROUTE_SLOTS][OUTCOME_COUNT];
static atomic_uint_fast64_t conflict_retries;
static atomic_uint_fast64_t store_errors;
static struct histogram write_batches;
static struct notifier *notifier_source;
static struct events *events_source;
static time_t started = 0;

static void observe(struct histogram *h, const double *bounds, size_t n, double value,
                    uint64_t micro)
{
	size_t i = 0;
	while (i < n && value > bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_micro, micro, memory_order_relaxed);
}

void metrics_request(unsigned int route_index, unsigned int status, int64_t duration_us)
{
	if (route_index >= ROUTE_SLOTS)
		route_index = ROUTE_COUNT;
	if (status >= STATUS_MIN && status < STATUS_MIN + STATUS_COUNT)
		atomic_fetch_add_explicit(&requests[route_index][status - STATUS_MIN], 1,
		                          memory_order_relaxed);
	if (duration_us < 0)
		duration_us = 0;
	observe(&latency[route_index], latency_bounds, LATENCY_BUCKETS, (double)duration_us / 1e6,
	        (uint64_t)duration_us);
}

void metrics_in_flight(int delta)
{
	atomic_fetch_add_explicit(&in_flight, delta, memory_order_relaxed);
}

void metrics_command(unsigned int route_index, const char *outcome)
{
	if (route_index >= ROUTE_COUNT || !outcome)
		return;
	for (size_t i = 0; i < OUTCOME_COUNT; i++)
		if (strcmp(outcome, outcomes[i]) == 0) {
			atomic_fetch_add_explicit(&commands[route_index][i], 1,
			                          memory_order_relaxed);
			return;
		}
}

void metrics_conflict_retries(uint64_t retries)
{
	if (retries)
		atomic_fetch_add_explicit(&conflict_retries, retries, memory_order_relaxed);
}

void metrics_store_error(void)
{
	atomic_fetch_add_explicit(&store_errors, 1, memory_order_relaxed);
}

void metrics_observe_write_batch(size_t n)
{
	observe(&write_batches, batch_bounds, BATCH_BUCKETS, (double)n, (uint64_t)n * 1000000u);
}

void metrics_set_sources(struct notifier *notifier, struct events *events)
{
	notifier_source = notifier;
	events_source = events;
	started = time(NULL);
}

static uint64_t load(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	(void)fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Buckets of h (cumulative, as the format wants), then _sum and _count. */
static void print_histogram(FILE *f, const char *name, const char *labels, struct histogram *h,
                            const double *bounds, size_t n)
{
	uint64_t cumulative = 0;
	const char *sep = *labels ? "," : "";
	for (size_t i = 0; i <= n; i++) {
		cumulative += load(&h->buckets[i]);
		if (i < n)
			(void)fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
			              bounds[i], (unsigned long long)cumulative);
		else
			(void)fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
			              (unsigned long long)cumulative);
	}
	const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
	(void)fprintf(f, "%s_sum%s%s%s %.6f\n", name, open, labels, close,
	              (double)load(&h->sum_micro) / 1e6);
	(void)fprintf(f, "%s_count%s%s%s %llu\n", name, open, labels, close,
	              (unsigned long long)load(&h->count));
}

static const char *route_label(unsigned int i)
{
	const struct route *r = route_at(i);
	return r ? r->name : "unmatched";
}

static void print_http(FILE *f)
{
	header(f, "allocation_http_requests_total", "counter",
	       "HTTP requests answered, by route and status code.");
	for (unsigned int r = 0; r < ROUTE_SLOTS; r++)
		for (unsigned int s = 0; s < STATUS_COUNT; s++) {
			uint64_t n = load(&requests[r][s]);
			if (n)
				(void)fprintf(
				    f,
				    "allocation_http_requests_total{route=\"%s\",code=\"%u\"} "
				    "%llu\n",
				    route_label(r), s + STATUS_MIN, (unsigned long long)n);
		}
	header(f, "allocation_http_request_duration_seconds", "histogram",
	       "Time from a request's first call to the end of its reply, by route.");
	for (unsigned int r = 0; r < ROUTE_SLOTS; r++) {
		if (!load(&latency[r].count))
			continue;
		char labels[64];
		(void)snprintf(labels, sizeof labels, "route=\"%s\"", route_label(r));
		print_histogram(f, "allocation_http_request_duration_seconds", labels, &latency[r],
		                latency_bounds, LATENCY_BUCKETS);
	}
	header(f, "allocation_http_requests_in_flight", "gauge",
	       "Requests being read or handled now.");
	(void)fprintf(f, "allocation_http_requests_in_flight %d\n",
	              atomic_load_explicit(&in_flight, memory_order_relaxed));
}

static void print_commands(FILE *f)
{
	header(f, "allocation_commands_total", "counter",
	       "Commands by kind and outcome (allocated, out_of_stock, ok, invalid, rejected, "
	       "conflict, failed).");
	for (unsigned int r = 0; r < ROUTE_COUNT; r++) {
		const struct route *route = route_at(r);
		if (!route->is_command)
			continue;
		for (size_t o = 0; o < OUTCOME_COUNT; o++) {
			/* allocated/out_of_stock only for allocate, ok for the others */
			int is_allocate = strcmp(route->name, "allocate") == 0;
			if ((o < 2 && !is_allocate) || (o == 2 && is_allocate))
				continue;
			(void)fprintf(
			    f, "allocation_commands_total{kind=\"%s\",outcome=\"%s\"} %llu\n",
			    route->name, outcomes[o], (unsigned long long)load(&commands[r][o]));
		}
	}
	header(f, "allocation_command_conflict_retries_total", "counter",
	       "Retries of commands that lost a race with a concurrent change (la_bus_stats).");
	(void)fprintf(f, "allocation_command_conflict_retries_total %llu\n",
	              (unsigned long long)load(&conflict_retries));
	header(f, "allocation_store_errors_total", "counter",
	       "Store operations that failed (database unreachable or failing).");
	(void)fprintf(f, "allocation_store_errors_total %llu\n",
	              (unsigned long long)load(&store_errors));
	header(f, "allocation_write_batch_size", "histogram",
	       "Commands per unit of work committed by the write pipeline.");
	print_histogram(f, "allocation_write_batch_size", "", &write_batches, batch_bounds,
	                BATCH_BUCKETS);
}

/* Asked of the store at scrape time: a relay that stopped (Redis down, the
 * thread dead) shows as a backlog and a lag that keep growing. When the
 * store does not answer, both are left out and the error is counted. */
static void print_outbox_backlog(FILE *f)
{
	size_t pending = 0;
	double age = 0;
	if (events_outbox_status(events_source, &pending, &age) != LA_OK) {
		log_message(LA_LOG_WARN, "metrics: the outbox backlog is unknown: %s",
		            la_error_last());
		metrics_store_error();
		return;
	}
	header(f, "allocation_outbox_backlog", "gauge",
	       "Outbox messages committed and not yet published.");
	(void)fprintf(f, "allocation_outbox_backlog %zu\n", pending);
	header(f, "allocation_outbox_relay_lag_seconds", "gauge",
	       "Age of the oldest outbox message not yet published (0 when none).");
	(void)fprintf(f, "allocation_outbox_relay_lag_seconds %.3f\n", age);
}

static void print_sources(FILE *f)
{
	if (notifier_source) {
		size_t sent, failed, queued;
		notifier_stats(notifier_source, &sent, &failed, &queued);
		header(f, "allocation_smtp_queue_length", "gauge",
		       "E-mail notifications waiting to be sent.");
		(void)fprintf(f, "allocation_smtp_queue_length %zu\n", queued);
		header(f, "allocation_smtp_sent_total", "counter", "E-mail notifications sent.");
		(void)fprintf(f, "allocation_smtp_sent_total %zu\n", sent);
		header(f, "allocation_smtp_failed_total", "counter",
		       "E-mail notifications not sent (failed, dropped or refused by a full "
		       "queue).");
		(void)fprintf(f, "allocation_smtp_failed_total %zu\n", failed);
	}
	struct events_counts ev;
	if (events_source && events_counts(events_source, &ev)) {
		if (ev.has_relay) {
			header(f, "allocation_outbox_published_total", "counter",
			       "Outbox events the relay published to Redis.");
			(void)fprintf(f, "allocation_outbox_published_total %llu\n",
			              (unsigned long long)ev.published);
			header(f, "allocation_outbox_publish_failures_total", "counter",
			       "Failed publish attempts of the outbox relay (retried).");
			(void)fprintf(f, "allocation_outbox_publish_failures_total %llu\n",
			              (unsigned long long)ev.publish_failures);
			print_outbox_backlog(f);
		}
		header(f, "allocation_events_consumed_total", "counter",
		       "Inbound Redis messages by outcome.");
		(void)fprintf(f, "allocation_events_consumed_total{outcome=\"applied\"} %llu\n",
		              (unsigned long long)ev.applied);
		(void)fprintf(f, "allocation_events_consumed_total{outcome=\"malformed\"} %llu\n",
		              (unsigned long long)ev.malformed);
		(void)fprintf(f, "allocation_events_consumed_total{outcome=\"duplicate\"} %llu\n",
		              (unsigned long long)ev.duplicates);
		(void)fprintf(f, "allocation_events_consumed_total{outcome=\"failed\"} %llu\n",
		              (unsigned long long)ev.failed);
	}
}

char *metrics_render(size_t *length)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	header(f, "allocation_build_info", "gauge", "Versions of the server and the library.");
	(void)fprintf(f, "allocation_build_info{version=\"%s\",library=\"%s\"} 1\n", SERVER_VERSION,
	              la_version());
	header(f, "allocation_start_time_seconds", "gauge",
	       "Start time of the process since the Unix epoch.");
	(void)fprintf(f, "allocation_start_time_seconds %lld\n", (long long)started);
	print_http(f);
	print_commands(f);
	print_sources(f);
	int failed = ferror(f);
	if (fclose(f) != 0) /* the last bytes go out (or fail) here */
		failed = 1;
	if (failed) {
		free(text);
		return NULL;
	}
	*length = size;
	return text;
}
