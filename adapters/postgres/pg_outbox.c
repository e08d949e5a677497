/*
 * The transactional outbox: Allocated events are written in the committing
 * transaction (so a rolled-back unit of work leaves none, a committed one
 * cannot lose its event), and the relay publishes them in id order and marks
 * them sent. Delivery is at least once: a crash between publish and the
 * mark publishes again, and every message carries a unique "id".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

#define RELAY_CHUNK 500

int pg_outbox_queue(struct pg_store *store, const la_product *const *changed, size_t count)
{
	struct pg_array channel = PG_ARRAY_INIT, payload = PG_ARRAY_INIT;
	int rc = LA_OK;
	for (size_t k = 0; rc == LA_OK && k < count; k++) {
		const la_product *product = changed[k];
		for (size_t i = 0; rc == LA_OK && i < la_product_event_count(product); i++) {
			const la_message *event = la_product_event_at(product, i);
			if (la_message_kind_of(event) != LA_EVT_ALLOCATED)
				continue;
			char id[48];
			(void)snprintf(id, sizeof id, "%016" PRIx64 "-%" PRIu64, store->id_prefix,
			               ++store->id_counter);
			char *json = NULL;
			rc = la_message_to_json(&json, event, id);
			if (rc == LA_OK) {
				pg_array_text(&channel, "line_allocated");
				pg_array_text(&payload, json);
			}
			la_free(json);
		}
	}
	struct pg_array *columns[2] = {&channel, &payload};
	if (rc == LA_OK)
		return pg_queue_arrays(store, PG_OUTBOX_INSERT, columns, 2);
	pg_array_dispose(&channel);
	pg_array_dispose(&payload);
	return rc;
}

/* "{1,2,3}": the ids published, for one UPDATE. */
static char *id_array(const PGresult *res, int count)
{
	size_t cap = 3, used = 0;
	for (int i = 0; i < count; i++)
		cap += strlen(PQgetvalue(res, i, 0)) + 1;
	char *text = malloc(cap);
	if (!text)
		return NULL;
	text[used++] = '{';
	for (int i = 0; i < count; i++) {
		size_t len = strlen(PQgetvalue(res, i, 0));
		if (i > 0)
			text[used++] = ',';
		memcpy(text + used, PQgetvalue(res, i, 0), len);
		used += len;
	}
	text[used++] = '}';
	text[used] = '\0';
	return text;
}

/* Mark the first count rows sent and commit. */
static int mark_sent(struct pg_store *store, const PGresult *res, int count)
{
	int rc = LA_OK;
	if (count > 0) {
		char *ids = id_array(res, count);
		if (!ids)
			return la_error_set(LA_ENOMEM, "out of memory");
		const char *p[1] = {ids};
		rc = pg_queue(store, PG_OUTBOX_MARK_SENT, 1, p);
		free(ids);
	}
	if (rc == LA_OK)
		rc = pg_queue_sql(store, "COMMIT");
	if (rc == LA_OK)
		rc = pg_round_trip(store, NULL, 0, "marking outbox messages sent");
	return rc;
}

/* One chunk: *out_rows read, *out_sent published (and marked). */
static int relay_chunk(struct pg_store *store, size_t limit, la_publish_fn publish, void *payload,
                       size_t *out_rows, size_t *out_sent)
{
	char n[24];
	const char *p[1] = {pg_fmt_int(n, (int64_t)limit)};
	PGresult *results[2] = {NULL, NULL};
	int rc = pg_queue_sql(store, "BEGIN");
	if (rc == LA_OK)
		rc = pg_queue(store, PG_OUTBOX_PENDING, 1, p);
	if (rc == LA_OK)
		rc = pg_round_trip(store, results, 2, "reading the outbox");
	if (rc != LA_OK) {
		pg_clear_results(results, 2);
		if (!store->broken && pg_queue_sql(store, "ROLLBACK") == LA_OK)
			pg_send_deferred(store);
		return rc;
	}
	PGresult *res = results[1];
	int rows = PQntuples(res), sent = 0, failed = LA_OK;
	while (sent < rows && failed == LA_OK) {
		failed = publish(PQgetvalue(res, sent, 1), PQgetvalue(res, sent, 2), payload);
		if (failed == LA_OK)
			sent++;
	}
	rc = mark_sent(store, res, sent);
	pg_clear_results(results, 2);
	*out_rows = (size_t)rows;
	*out_sent = rc == LA_OK ? (size_t)sent : 0;
	return failed != LA_OK ? failed : rc;
}

int pg_outbox_relay(size_t *out_sent, size_t max, la_publish_fn publish, void *payload, void *state)
{
	struct pg_store *store = state;
	size_t total = 0;
	if (out_sent)
		*out_sent = 0;
	if (store->in_unit)
		return la_error_set(LA_ESTATE, "postgres: relay called inside a unit of work");
	int rc = pg_ensure_connected(store);
	while (rc == LA_OK) {
		size_t limit = RELAY_CHUNK;
		if (max > 0 && max - total < limit)
			limit = max - total;
		size_t rows = 0, sent = 0;
		rc = relay_chunk(store, limit, publish, payload, &rows, &sent);
		total += sent;
		if (rows < limit || (max > 0 && total >= max))
			break;
	}
	if (out_sent)
		*out_sent = total;
	return rc;
}

int pg_outbox_status(size_t *out_pending, double *out_oldest_age_seconds, void *state)
{
	struct pg_store *store = state;
	if (store->in_unit)
		return la_error_set(LA_ESTATE, "postgres: outbox status inside a unit of work");
	PGresult *res = NULL;
	int rc = pg_ensure_connected(store);
	if (rc == LA_OK)
		rc = pg_queue(store, PG_OUTBOX_STATUS, 0, NULL);
	if (rc == LA_OK)
		rc = pg_round_trip(store, &res, 1, "reading the outbox backlog");
	if (rc == LA_OK && PQntuples(res) == 1) {
		int64_t count = pg_int(res, 0, 0);
		*out_pending = count > 0 ? (size_t)count : 0;
		*out_oldest_age_seconds = strtod(PQgetvalue(res, 0, 1), NULL);
	} else if (rc == LA_OK) {
		rc = la_error_set(LA_EDB, "postgres: the outbox backlog query returned %d rows",
		                  PQntuples(res));
	}
	PQclear(res);
	return rc;
}
