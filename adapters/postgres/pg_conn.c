/*
 * The connection: connecting and reconnecting, the pipeline (queue
 * statements, then one round trip for all of them), and mapping server
 * errors to LA_E* codes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

const char *pg_fmt_int(char *buf, int64_t v)
{
	(void)snprintf(buf, 24, "%lld", (long long)v); /* 24 bytes hold any int64 */
	return buf;
}

int64_t pg_int(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

const char *pg_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

void pg_clear_results(PGresult **results, int n)
{
	for (int i = 0; i < n; i++) {
		PQclear(results[i]);
		results[i] = NULL;
	}
}

/* libpq prints notices to stderr by default; a library must not. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	int len = (int)strlen(message);
	while (len > 0 && message[len - 1] == '\n')
		len--;
	la_log(LA_LOG_DEBUG, "postgres: %.*s", len, message);
}

static int trimmed_len(const char *msg)
{
	int len = (int)strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	return len;
}

static int connection_lost(struct pg_store *store, const char *what, const char *msg)
{
	store->broken = 1;
	la_log(LA_LOG_WARN, "postgres: connection lost while %s: %.*s", what, trimmed_len(msg),
	       msg);
	return la_error_set(LA_EDB, "PostgreSQL connection lost while %s: %.*s", what,
	                    trimmed_len(msg), msg);
}

/* A result libpq made itself because it ran out of memory reading the
 * server's answer: the connection is up, but libpq's view of the pipeline
 * is not to be trusted after it (it reports the statements that follow as
 * aborted, whatever the server did with them). */
static int out_of_memory_result(const struct pg_store *store, const PGresult *res)
{
	return PQstatus(store->conn) == CONNECTION_OK &&
	       !PQresultErrorField(res, PG_DIAG_SQLSTATE) &&
	       strstr(PQresultErrorMessage(res), "out of memory");
}

/* The LA_E* code for a failed result, with the server's message. */
static int map_error(struct pg_store *store, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	/* The server's own words, without "ERROR:" and CONTEXT lines. */
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg && res)
		msg = PQresultErrorMessage(res);
	if (!msg || !msg[0])
		msg = PQerrorMessage(store->conn);
	/* No SQLSTATE: libpq's own error (socket closed, out of memory);
	 * class 08 and 57P0x: the server ended the session. */
	if (PQstatus(store->conn) == CONNECTION_BAD || !state || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P0", 4) == 0)
		return connection_lost(store, what, msg);
	/* serialization failure, deadlock, a row created concurrently, and a
	 * lock_timeout the user configured: all worth another try */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "23505") == 0 || strcmp(state, "55P03") == 0) {
		la_log(LA_LOG_DEBUG, "postgres: conflict while %s: %.*s", what, trimmed_len(msg),
		       msg);
		return la_error_set(LA_ECONFLICT, "concurrent change while %s (SQLSTATE %s): %.*s",
		                    what, state, trimmed_len(msg), msg);
	}
	return la_error_set(LA_EDB, "PostgreSQL error while %s (SQLSTATE %s): %.*s", what, state,
	                    trimmed_len(msg), msg);
}

int pg_queue(struct pg_store *store, enum pg_stmt which, int nparams, const char *const *values)
{
	if (store->broken)
		return connection_lost(store, "sending a query", "not connected");
	if (!PQsendQueryPrepared(store->conn, pg_statements[which].name, nparams, values, NULL,
	                         NULL, 0))
		return map_error(store, NULL, "sending a query");
	store->queued++;
	return LA_OK;
}

int pg_queue_sql(struct pg_store *store, const char *sql)
{
	if (store->broken)
		return connection_lost(store, "sending a query", "not connected");
	if (!PQsendQueryParams(store->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
		return map_error(store, NULL, "sending a query");
	store->queued++;
	return LA_OK;
}

int pg_begin_if_needed(struct pg_store *store)
{
	if (store->begun)
		return LA_OK;
	int rc = pg_queue_sql(store, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (rc == LA_OK)
		store->begun = 1;
	return rc;
}

/*
 * PQgetResult, without waiting for what will never come: libpq (15) that
 * runs out of memory making the result of a pipeline sync drops it, and then
 * waits for a message the server has already sent, for ever. So while libpq
 * waits for input, its error message is checked: after "out of memory",
 * NULL (the caller takes the connection as lost).
 */
static PGresult *next_result(struct pg_store *store)
{
	while (PQisBusy(store->conn)) {
		if (strstr(PQerrorMessage(store->conn), "out of memory"))
			return NULL;
		struct pollfd wait = {.fd = PQsocket(store->conn), .events = POLLIN};
		if (poll(&wait, 1, -1) < 0 && errno != EINTR)
			break;
		if (!PQconsumeInput(store->conn))
			break; /* PQgetResult reports it */
	}
	return PQgetResult(store->conn);
}

/* Read and drop results up to the next sync point (a deferred round trip). */
static int drain_to_sync(struct pg_store *store)
{
	int nulls = 0;
	for (;;) {
		PGresult *res = next_result(store);
		if (!res) {
			if (++nulls > 1 || PQstatus(store->conn) == CONNECTION_BAD)
				return connection_lost(store, "reading results",
				                       PQerrorMessage(store->conn));
			continue;
		}
		nulls = 0;
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			return LA_OK;
		}
		if (st == PGRES_FATAL_ERROR) {
			int rc = map_error(store, res, "finishing a transaction");
			la_log(LA_LOG_WARN, "postgres: %s", la_error_last());
			if (store->broken) {
				PQclear(res);
				return rc;
			}
		}
		PQclear(res);
	}
}

int pg_send_deferred(struct pg_store *store)
{
	store->queued = 0;
	if (store->broken)
		return connection_lost(store, "sending a query", "not connected");
	if (PQpipelineSync(store->conn) != 1)
		return map_error(store, NULL, "sending a query");
	store->deferred++;
	return LA_OK;
}

int pg_round_trip(struct pg_store *store, PGresult **results, int nkeep, const char *what)
{
	for (int i = 0; i < nkeep; i++)
		results[i] = NULL;
	int n = store->queued;
	store->queued = 0;
	store->failed_at = -1;
	store->result_lost = 0;
	if (store->broken)
		return connection_lost(store, what, "not connected");
	if (PQpipelineSync(store->conn) != 1)
		return map_error(store, NULL, what);
	for (; store->deferred > 0; store->deferred--) {
		int rc = drain_to_sync(store);
		if (rc != LA_OK)
			return rc;
	}
	int rc = LA_OK;
	for (int i = 0; i < n; i++) {
		PGresult *res = next_result(store);
		/* no result at all: libpq waits for what it dropped for want of memory */
		int no_memory = res ? PQresultStatus(res) == PGRES_FATAL_ERROR &&
		                          out_of_memory_result(store, res)
		                    : PQstatus(store->conn) == CONNECTION_OK &&
		                          strstr(PQerrorMessage(store->conn), "out of memory");
		if (no_memory && rc == LA_OK) {
			/* The server goes on with the pipeline; this connection
			 * cannot follow it any more. */
			PQclear(res);
			store->result_lost = 1;
			store->broken = 1;
			la_log(LA_LOG_WARN, "postgres: out of memory reading results while %s",
			       what);
			return la_error_set(
			    LA_ENOMEM, "PostgreSQL: out of memory reading results while %s", what);
		}
		if (!res)
			return connection_lost(store, what, PQerrorMessage(store->conn));
		ExecStatusType st = PQresultStatus(res);
		/* libpq's own errors (the connection went) carry no SQLSTATE */
		if (st == PGRES_FATAL_ERROR && store->failed_at < 0 &&
		    PQresultErrorField(res, PG_DIAG_SQLSTATE))
			store->failed_at = i;
		if (st == PGRES_FATAL_ERROR && rc == LA_OK)
			rc = map_error(store, res, what);
		if (i < nkeep && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK))
			results[i] = res;
		else
			PQclear(res);
		if (store->broken)
			return rc;
		/* A NULL ends each statement's results. */
		PGresult *extra = next_result(store);
		if (extra) {
			PQclear(extra);
			return connection_lost(store, what, "unexpected extra result");
		}
	}
	PGresult *sync = next_result(store);
	if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
		PQclear(sync);
		/* Every statement's result is in, so what they did is known; only
		 * the connection is unusable now. */
		int lost = connection_lost(store, what, PQerrorMessage(store->conn));
		if (rc == LA_OK && n == 0)
			rc = lost;
		return rc;
	}
	PQclear(sync);
	return rc;
}

/* Every statement prepared, and planned once for all: the statements of a
 * batch of commands take arrays, and with a custom plan per execution
 * (which PostgreSQL keeps choosing, since it knows each array's length)
 * planning cost a third of the server's work per request. The statements
 * here look rows up by key or read an index in order (the dashboard's
 * pages, expired holds), where the generic plan is the custom one. */
static int prepare_all(struct pg_store *store)
{
	int rc = pg_queue_sql(store, "SET plan_cache_mode = force_generic_plan");
	if (rc != LA_OK)
		return rc;
	for (int i = 0; i < PG_STMT_COUNT; i++) {
		const struct pg_statement *s = &pg_statements[i];
		if (!PQsendPrepare(store->conn, s->name, s->sql, s->nparams, NULL))
			return map_error(store, NULL, "preparing statements");
		store->queued++;
	}
	return pg_round_trip(store, NULL, 0, "preparing statements");
}

static int open_connection(struct pg_store *store)
{
	if (store->conn)
		PQfinish(store->conn);
	store->queued = store->deferred = 0;
	store->broken = 1;
	/* dbname is expanded when it is a connection string or URL; later
	 * keywords override what it says. */
	const char *keys[] = {"dbname", "client_encoding", "fallback_application_name", NULL};
	const char *values[] = {store->conninfo, "UTF8", "liballocation", NULL};
	store->conn = PQconnectdbParams(keys, values, 1);
	if (!store->conn)
		return la_error_set(LA_ENOMEM, "out of memory connecting to PostgreSQL");
	if (PQstatus(store->conn) != CONNECTION_OK) {
		/* libpq may quote a value of the connection string it refused */
		char msg[512];
		la__redact_quoted(msg, sizeof msg, PQerrorMessage(store->conn), store->conninfo);
		return la_error_set(LA_EDB, "cannot connect to PostgreSQL: %.*s", trimmed_len(msg),
		                    msg);
	}
	PQsetNoticeProcessor(store->conn, on_notice, NULL);
	store->broken = 0;
	return LA_OK;
}

static int enter_pipeline(struct pg_store *store)
{
	if (!PQenterPipelineMode(store->conn))
		return map_error(store, NULL, "entering pipeline mode");
	return prepare_all(store);
}

int pg_connect(struct pg_store *store)
{
	int rc = open_connection(store);
	if (rc == LA_OK)
		rc = pg_schema_migrate(store);
	if (rc == LA_OK)
		rc = enter_pipeline(store);
	return rc;
}

int pg_ensure_connected(struct pg_store *store)
{
	if (!store->broken && PQstatus(store->conn) == CONNECTION_OK)
		return LA_OK;
	la_log(LA_LOG_INFO, "postgres: reconnecting");
	int rc = open_connection(store);
	if (rc == LA_OK)
		rc = enter_pipeline(store);
	if (rc != LA_OK)
		store->broken = 1;
	return rc;
}
