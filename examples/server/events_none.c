/*
 * --redis in a build without liballocation-redis: a clear error.
 */
#include "events.h"

#include <allocation/sys/errors.h>

int events_available(void)
{
	return 0;
}

int events_configure(struct worker_config *config, const char *url, int streams)
{
	return la_error_set(LA_EUNSUPPORTED,
	                    "--redis: this allocation-server was not built with Redis support "
	                    "(liballocation-redis; Debian libhiredis-dev)");
}

int events_start(struct events **out, const char *url, int streams)
{
	return events_configure(NULL, url, streams);
}

void events_wake(void *events)
{
}

int events_counts(struct events *events, struct events_counts *out)
{
	return 0;
}

int events_outbox_status(struct events *events, size_t *out_pending, double *out_age_seconds)
{
	return la_error_set(LA_EUNSUPPORTED, "this allocation-server has no outbox relay");
}

void events_stop(struct events *events)
{
}
