/*
 * The schema: created in an empty schema, migrated forward in an older one,
 * refused when newer than this library. Every process that opens a store
 * runs this under a transaction-scoped advisory lock keyed on the schema, so
 * any number of them may start at once: the first creates, the others wait
 * and then find the version current.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

/* migrations[i] takes a schema from version i to i + 1. */
static const char *const migrations[PG_SCHEMA_VERSION] = {
    "CREATE TABLE products ("
    " sku text COLLATE \"C\" PRIMARY KEY,"
    " version_number bigint NOT NULL);"
    /* A batch row stores its allocated quantity and line count, kept in the
     * same transaction as the lines, so neither loading a product nor the
     * dashboard ever reads lines. */
    "CREATE TABLE batches ("
    " ref text COLLATE \"C\" PRIMARY KEY,"
    " sku text COLLATE \"C\" NOT NULL REFERENCES products (sku),"
    " purchased bigint NOT NULL,"
    " eta date,"
    " eta_key integer NOT NULL," /* 0 = in stock, else YYYYMMDD: in stock first */
    " allocated bigint NOT NULL DEFAULT 0,"
    " line_count bigint NOT NULL DEFAULT 0,"
    " sequence bigint NOT NULL);"
    "CREATE INDEX batches_by_sku ON batches (sku, eta_key, sequence);"
    /* sequence: the product version at which the line was allocated;
     * position: allocation order across products, for the read model. */
    "CREATE TABLE allocations ("
    " position bigint GENERATED ALWAYS AS IDENTITY,"
    " orderid text COLLATE \"C\" NOT NULL,"
    " sku text COLLATE \"C\" NOT NULL,"
    " batchref text COLLATE \"C\" NOT NULL,"
    " qty bigint NOT NULL,"
    " sequence bigint NOT NULL,"
    " PRIMARY KEY (orderid, sku));"
    "CREATE INDEX allocations_by_batch ON allocations (batchref);"
    "CREATE VIEW allocations_view AS"
    " SELECT position, orderid, sku, batchref, qty FROM allocations;"
    "CREATE TABLE outbox ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " channel text NOT NULL,"
    " payload text NOT NULL,"
    " created timestamptz NOT NULL DEFAULT now(),"
    " sent timestamptz);" /* NULL until published */
    "CREATE INDEX outbox_unsent ON outbox (id) WHERE sent IS NULL;"
    /* The optimistic check as one statement that fails when it touches no
     * row, so the commit's pipeline stops there and nothing after it runs. */
    "CREATE FUNCTION allocation_save_version(p_sku text, p_old bigint, p_new bigint)"
    " RETURNS void LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  UPDATE products SET version_number = p_new"
    "   WHERE sku = p_sku AND version_number = p_old;"
    "  IF NOT FOUND THEN"
    "   RAISE EXCEPTION 'product % was changed concurrently (version % expected)',"
    "    p_sku, p_old USING ERRCODE = 'serialization_failure';"
    "  END IF;"
    " END $$;",
    /* 2: holds and backorders (issue 13). A held line's end (0: permanent)
     * with a partial index for ExpireHolds; a batch's held figure, kept like
     * allocated; lines waiting for stock, first come first served per sku by
     * their arrival sequence. The read model says when a hold ends. */
    "ALTER TABLE allocations ADD COLUMN expires bigint NOT NULL DEFAULT 0;"
    "CREATE INDEX allocations_by_expiry ON allocations (expires) WHERE expires > 0;"
    "ALTER TABLE batches ADD COLUMN held bigint NOT NULL DEFAULT 0;"
    "CREATE TABLE waiting ("
    " sku text COLLATE \"C\" NOT NULL REFERENCES products (sku),"
    " orderid text COLLATE \"C\" NOT NULL,"
    " qty bigint NOT NULL,"
    " sequence bigint NOT NULL,"
    " PRIMARY KEY (sku, orderid));"
    "CREATE INDEX waiting_by_order ON waiting (orderid);"
    "CREATE OR REPLACE VIEW allocations_view AS"
    " SELECT position, orderid, sku, batchref, qty, expires FROM allocations;",
    /* 3: pending reallocations (docs/reliability.md): a line deallocated with
     * reason stock_reduced that found no room, kept until its OutOfStock
     * has been handled. */
    "CREATE TABLE IF NOT EXISTS pending_reallocations ("
    " id bigserial PRIMARY KEY,"
    " orderid text NOT NULL,"
    " sku text NOT NULL,"
    " qty bigint NOT NULL,"
    " UNIQUE (orderid, sku));",
    /* 4: the order history (docs/history.md): one row per event that changed
     * one of an order's lines, written in the transaction of the change;
     * position is the order things happened in. event a la_message_kind
     * (101 Allocated, 102 Deallocated, 104 Confirmed, 105 Backordered);
     * reason a la_dealloc_reason or NULL; expires the end of a hold. */
    "CREATE TABLE order_history ("
    " position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " orderid text COLLATE \"C\" NOT NULL,"
    " at timestamptz NOT NULL,"
    " event integer NOT NULL,"
    " sku text COLLATE \"C\" NOT NULL,"
    " qty bigint NOT NULL,"
    " batchref text COLLATE \"C\","
    " reason integer,"
    " expires timestamptz);"
    "CREATE INDEX order_history_by_order ON order_history (orderid, position);",
    /* 5: the optimistic check of a whole batch of commands in one statement:
     * each product in the order given (the commit gives sku order, so
     * concurrent commits lock rows in one order), failing as the single
     * check does at the first product that moved. */
    "CREATE OR REPLACE FUNCTION allocation_save_versions(p_skus text[], p_old bigint[],"
    " p_new bigint[])"
    " RETURNS void LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  FOR i IN 1 .. coalesce(array_length(p_skus, 1), 0) LOOP"
    "   UPDATE products SET version_number = p_new[i]"
    "    WHERE sku = p_skus[i] AND version_number = p_old[i];"
    "   IF NOT FOUND THEN"
    "    RAISE EXCEPTION 'product % was changed concurrently (version % expected)',"
    "     p_skus[i], p_old[i] USING ERRCODE = 'serialization_failure';"
    "   END IF;"
    "  END LOOP;"
    " END $$;"
    /* ... and the figures of every batch whose lines it changed, a key
     * lookup each (an UPDATE joined with the arrays would be planned as a
     * scan of batches, whose rows every commit updates). */
    "CREATE OR REPLACE FUNCTION allocation_set_figures(p_refs text[], p_allocated bigint[],"
    " p_lines bigint[], p_held bigint[])"
    " RETURNS void LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  FOR i IN 1 .. coalesce(array_length(p_refs, 1), 0) LOOP"
    "   UPDATE batches SET allocated = p_allocated[i], line_count = p_lines[i],"
    "    held = p_held[i] WHERE ref = p_refs[i];"
    "  END LOOP;"
    " END $$;",
};

static int exec(struct pg_store *store, const char *sql, PGresult **keep)
{
	PGresult *res = PQexec(store->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (keep)
			*keep = res;
		else
			PQclear(res);
		return LA_OK;
	}
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(store->conn);
	int len = (int)strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	la_error_set(LA_EDB, "PostgreSQL schema setup failed: %.*s", len, msg);
	PQclear(res);
	return LA_EDB;
}

/* The schema's version: 0 when there is no schema_version table. */
static int read_version(struct pg_store *store, long *out)
{
	PGresult *res = PQexec(store->conn, "SELECT coalesce(max(version), 0) FROM schema_version");
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	*out = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		*out = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		return LA_OK;
	}
	int missing = state && strcmp(state, "42P01") == 0; /* undefined_table */
	PQclear(res);
	return missing ? LA_OK : exec(store, "SELECT 1 FROM schema_version", NULL);
}

static int refuse_newer(long version)
{
	return la_error_set(LA_EUNSUPPORTED,
	                    "PostgreSQL schema has allocation schema version %ld, newer than the "
	                    "%d this library knows; refusing to use it (upgrade liballocation)",
	                    version, PG_SCHEMA_VERSION);
}

/* Under the lock: look again (another process may have just done it), then
 * create or migrate. Runs inside a transaction. */
static int migrate_locked(struct pg_store *store)
{
	PGresult *res = NULL;
	int rc = exec(store, "SELECT to_regclass('schema_version') IS NULL", &res);
	if (rc != LA_OK)
		return rc;
	int missing = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (missing &&
	    (rc = exec(store, "CREATE TABLE schema_version (version integer NOT NULL)", NULL)))
		return rc;
	long version;
	if ((rc = read_version(store, &version)) != LA_OK)
		return rc;
	if (version > PG_SCHEMA_VERSION)
		return refuse_newer(version);
	for (long v = version; v < PG_SCHEMA_VERSION && rc == LA_OK; v++) {
		la_log(LA_LOG_INFO, "postgres: migrating schema to version %ld", v + 1);
		rc = exec(store, migrations[v], NULL);
	}
	if (rc == LA_OK && version < PG_SCHEMA_VERSION) {
		char sql[128];
		(void)snprintf(sql, sizeof sql, /* fits */
		               "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)",
		               PG_SCHEMA_VERSION);
		rc = exec(store, sql, NULL);
	}
	return rc;
}

int pg_schema_migrate(struct pg_store *store)
{
	/* The usual case, a current schema, costs one query and takes no lock
	 * (and needs no CREATE privilege). */
	long version;
	int rc = read_version(store, &version);
	if (rc != LA_OK || version == PG_SCHEMA_VERSION)
		return rc;
	if (version > PG_SCHEMA_VERSION)
		return refuse_newer(version);
	rc = exec(store,
	          "BEGIN; SELECT pg_advisory_xact_lock(19521, hashtext('schema:' || "
	          "current_schema()))",
	          NULL);
	if (rc == LA_OK)
		rc = migrate_locked(store);
	if (rc == LA_OK)
		return exec(store, "COMMIT", NULL);
	PQclear(PQexec(store->conn, "ROLLBACK"));
	return rc;
}
