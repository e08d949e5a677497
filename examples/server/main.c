/*
 * allocation-server: the allocation service over HTTP (spec §3).
 *
 * Signals are blocked in every thread and taken by the main thread with
 * sigwait, so the HTTP threads never run a signal handler mid-request.
 */
#include "access.h"
#include "events.h"
#include "expirer.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "notifier.h"
#include "options.h"
#include "pipeline.h"
#include "readiness.h"
#include "service_manager.h"
#include "workers.h"

#include <allocation/allocation.h>
#include <allocation/sys/errors.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHUTDOWN_GRACE_MS 30000
#define PEM_MAX_BYTES     1048576 /* 1 MiB */

/* A whole PEM file (malloc'ed, NUL-terminated), or NULL after logging why. */
static char *read_pem(const char *path, const char *flag)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		char why[128]; /* strerror_r (POSIX form): strerror is not thread-safe */
		log_message(LA_LOG_ERROR, "%s %s: %s", flag, path,
		            strerror_r(errno, why, sizeof why) == 0 ? why : "cannot open");
		return NULL;
	}
	char *text = malloc(PEM_MAX_BYTES + 1);
	size_t n = text ? fread(text, 1, PEM_MAX_BYTES + 1, f) : 0;
	(void)fclose(f); /* read only: nothing to lose */
	if (text && n <= PEM_MAX_BYTES)
		text[n] = '\0'; /* before strstr reads it */
	if (!text || n == 0 || n > PEM_MAX_BYTES || !strstr(text, "-----BEGIN ")) {
		log_message(LA_LOG_ERROR, "%s %s: not a PEM file of at most 1 MiB", flag, path);
		free(text);
		return NULL;
	}
	return text;
}

/* The secrets and certificates the HTTP front needs; 0 or -1 after logging. */
static int load_files(const struct server_options *opts, char **token, char **cert, char **key)
{
	if (opts->auth_token_file) {
		char why[512];
		if (access_load_token(opts->auth_token_file, token, why, sizeof why) != 0) {
			log_message(LA_LOG_ERROR, "--auth-token-file: %s", why);
			return -1;
		}
	}
	if (opts->tls_cert) {
		*cert = read_pem(opts->tls_cert, "--tls-cert");
		*key = *cert ? read_pem(opts->tls_key, "--tls-key") : NULL;
		if (!*key)
			return -1;
	}
	return 0;
}

static void announce(const struct server_options *opts, const struct http_server *http)
{
	char url[128];
	http_url(http, url, sizeof url);
	unsigned int total, per_ip;
	http_limits(http, &total, &per_ip);
	char redis[512]; /* the URL, without its password */
	la_redact_secrets(redis, sizeof redis, opts->redis);
	log_message(LA_LOG_INFO, "listening on %s (%u thread%s, %u writer%s%s%s%s)", url,
	            opts->threads, opts->threads == 1 ? "" : "s", opts->writers,
	            opts->writers == 1 ? "" : "s", opts->redis ? ", redis " : "", redis,
	            opts->auth_token_file ? ", token required" : "");
	if (per_ip)
		log_message(LA_LOG_INFO,
		            "up to %u connections, %u per client address; %u s for a whole request",
		            total, per_ip, opts->request_timeout);
	else
		log_message(LA_LOG_INFO, "up to %u connections; %u s for a whole request", total,
		            opts->request_timeout);
	if (!http_is_loopback(http) && !opts->auth_token_file)
		log_message(LA_LOG_WARN,
		            "listening beyond this machine (%s) without --auth-token-file: anyone "
		            "who can reach the port can change the stock",
		            opts->listen);
}

/* Start everything, serve until SIGINT/SIGTERM, stop everything. Exit status. */
static int serve(struct server_options *opts, const sigset_t *stop_signals)
{
	int status = 1;
	struct notifier *notifier = NULL;
	struct events *events = NULL;
	struct http_server *http = NULL;
	struct expirer *expirer = NULL;
	char *token = NULL, *cert = NULL, *key = NULL;
	if (load_files(opts, &token, &cert, &key) != 0)
		goto out;
	if (opts->smtp && notifier_start(&notifier, opts->smtp) != LA_OK) {
		log_message(LA_LOG_ERROR, "--smtp: %s", la_error_last());
		goto out;
	}
	struct worker_config config = {
	    .db = opts->db,
	    .retries = opts->retries,
	    .bus_flags = opts->backorders ? LA_BUS_BACKORDERS : 0u,
	    .notify = notifier ? notifier_notify : NULL,
	    .notify_payload = notifier,
	    .notify_to = opts->notify_to,
	    .notify_out_of_stock = opts->notify_out_of_stock,
	    .notify_allocated = opts->notify_allocated,
	    .policy = opts->policy,
	};
	if (opts->redis && events_configure(&config, opts->redis, opts->redis_streams) != LA_OK) {
		log_message(LA_LOG_ERROR, "--redis: %s", la_error_last());
		goto out;
	}
	const char *adapter = NULL;
	if (workers_init(&config, &adapter) != LA_OK) {
		log_message(LA_LOG_ERROR, "cannot start: %s", la_error_last());
		goto out;
	}
	if (!opts->threads)
		opts->threads = options_default_threads(adapter);
	if (opts->redis) {
		if (events_start(&events, opts->redis, opts->redis_streams) != LA_OK) {
			log_message(LA_LOG_ERROR, "--redis: %s", la_error_last());
			goto out;
		}
	}
	metrics_set_sources(notifier, events);
	if (!opts->writers)
		opts->writers = options_default_writers(adapter);
	if (pipeline_start(opts->writers, events ? events_wake : NULL, events) != 0)
		goto out;
	if (expirer_start(&expirer) != 0)
		goto out;
	if (readiness_start() != LA_OK) {
		log_message(LA_LOG_ERROR, "%s", la_error_last());
		goto out;
	}
	struct http_config http_config = {
	    .listen = opts->listen,
	    .threads = opts->threads,
	    .quiet = opts->quiet,
	    .token = token,
	    .allowed_hosts = opts->allowed_hosts,
	    .tls_cert = cert,
	    .tls_key = key,
	    .per_ip = opts->max_connections_per_ip,
	    .request_timeout = opts->request_timeout,
	};
	http = http_start(&http_config);
	if (!http)
		goto out;
	announce(opts, http);
	service_manager_ready();

	int sig = 0;
	sigwait(stop_signals, &sig);
	service_manager_stopping();
	log_message(LA_LOG_INFO, "%s: finishing requests in flight",
	            sig == SIGINT ? "SIGINT" : "SIGTERM");
	status = 0;
out:
	/* The expiry of holds, then HTTP (no new commands), then the Redis threads, the stores, and
	 * last the e-mails the final commands queued. */
	expirer_stop(expirer); /* first: the requests' drain and the writers' stop stay as close */
	http_drain(http, SHUTDOWN_GRACE_MS);
	pipeline_stop(); /* runs what is queued: no request is left waiting on it */
	http_stop(http, SHUTDOWN_GRACE_MS);
	readiness_stop();
	metrics_set_sources(NULL, NULL);
	events_stop(events);
	workers_shutdown();
	notifier_stop(notifier);
	free(token);
	free(cert);
	free(key);
	if (status == 0)
		log_message(LA_LOG_INFO, "stopped");
	return status;
}

int main(int argc, char **argv)
{
	struct server_options opts;
	switch (options_parse(&opts, argc, argv, stdout, stderr)) {
	case OPTIONS_EXIT_OK:
		options_free(&opts);
		return 0;
	case OPTIONS_EXIT_USAGE:
		options_free(&opts);
		return 2;
	case OPTIONS_RUN:
		break;
	}
	log_set_format(opts.log_json ? LOG_FORMAT_JSON : LOG_FORMAT_PLAIN);
	la_set_log_callback(log_library, NULL);

	/* Blocked here, so every thread started later inherits the mask. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	int status = serve(&opts, &stop_signals);
	options_free(&opts);
	return status;
}
