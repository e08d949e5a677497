/*
 * allocation-server: the allocation service over HTTP (spec §3).
 *
 * Signals are blocked in every thread and taken by the main thread with
 * sigwait, so the HTTP threads never run a signal handler mid-request.
 */
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "notifier.h"
#include "options.h"
#include "workers.h"

#include <allocation/allocation.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_MS 30000

static void log_to_stderr(int level, const char *message, void *payload)
{
	static const char *const names[] = {"", "error", "warning", "info", "debug"};
	char line[1200];
	int n = snprintf(line, sizeof line, "allocation: %s: %s\n",
	                 level >= 1 && level <= 4 ? names[level] : "log", message);
	if (n > (int)sizeof line - 1)
		n = (int)sizeof line - 1;
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* stderr is gone: nowhere to report it */
	}
}

static void warn_level_log(int level, const char *message, void *payload)
{
	if (level <= LA_LOG_WARN)
		log_to_stderr(level, message, payload);
}

/* Start everything, serve until SIGINT/SIGTERM, stop everything. Exit status. */
static int serve(struct server_options *opts, const sigset_t *stop_signals)
{
	int status = 1;
	struct notifier *notifier = NULL;
	struct events *events = NULL;
	struct http_server *http = NULL;
	if (opts->smtp && notifier_start(&notifier, opts->smtp) != LA_OK) {
		fprintf(stderr, "allocation-server: --smtp: %s\n", la_error_last());
		return 1;
	}
	struct worker_config config = {
	    .db = opts->db,
	    .retries = opts->retries,
	    .notify = notifier ? notifier_notify : NULL,
	    .notify_payload = notifier,
	    .notify_to = opts->notify_to,
	    .notify_out_of_stock = opts->notify_out_of_stock,
	    .notify_allocated = opts->notify_allocated,
	};
	if (opts->redis && events_configure(&config, opts->redis, opts->redis_streams) != LA_OK) {
		fprintf(stderr, "allocation-server: --redis: %s\n", la_error_last());
		goto out;
	}
	const char *adapter = NULL;
	if (workers_init(&config, &adapter) != LA_OK) {
		fprintf(stderr, "allocation-server: cannot start: %s\n", la_error_last());
		goto out;
	}
	if (!opts->threads)
		opts->threads = options_default_threads(adapter);
	if (opts->redis) {
		if (events_start(&events, opts->redis, opts->redis_streams) != LA_OK) {
			fprintf(stderr, "allocation-server: --redis: %s\n", la_error_last());
			goto out;
		}
		handlers_set_after_command(events_wake, events);
	}
	http = http_start(opts->listen, opts->threads, opts->quiet);
	if (!http)
		goto out;
	char url[128];
	http_url(http, url, sizeof url);
	fprintf(stderr, "allocation-server: listening on %s (%u threads%s%s)\n", url, opts->threads,
	        opts->redis ? ", redis " : "", opts->redis ? opts->redis : "");

	int sig = 0;
	sigwait(stop_signals, &sig);
	fprintf(stderr, "allocation-server: %s: finishing requests in flight\n",
	        sig == SIGINT ? "SIGINT" : "SIGTERM");
	status = 0;
out:
	/* HTTP first (no new commands), then the Redis threads, the stores, and
	 * last the e-mails the final commands queued. */
	http_stop(http, SHUTDOWN_GRACE_MS);
	events_stop(events);
	workers_shutdown();
	notifier_stop(notifier);
	if (status == 0)
		fprintf(stderr, "allocation-server: stopped\n");
	return status;
}

int main(int argc, char **argv)
{
	struct server_options opts;
	switch (options_parse(&opts, argc, argv, stdout, stderr)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_EXIT_USAGE:
		return 2;
	case OPTIONS_RUN:
		break;
	}
	la_set_log_callback(warn_level_log, NULL);

	/* Blocked here, so every thread started later inherits the mask. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	return serve(&opts, &stop_signals);
}
