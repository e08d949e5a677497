/*
 * la_pg_store_open: one store, one connection. Connecting also creates or
 * migrates the schema and prepares every statement (one round trip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <allocation/postgres.h>

#include "pg_store.h"

static void pg_close(void *state)
{
	struct pg_store *store = state;
	if (!store)
		return;
	if (store->in_unit)
		pg_unit_end(store);
	free(store->seen);
	free(store->positions);
	la__strmap_dispose(&store->lines_changed);
	pg_cache_clear(store);
	if (store->conn)
		PQfinish(store->conn);
	free(store->conninfo);
	free(store);
}

/* The two ports differ only by the outbox relay. */
#define PG_PORT(relay, status)                                                                     \
	{                                                                                          \
		.version = LA_STORE_PORT_VERSION, .name = "postgres", .begin = pg_unit_begin,      \
		.commit = pg_unit_commit, .rollback = pg_unit_rollback, .end = pg_unit_end,        \
		.add = pg_repo_add, .get = pg_repo_get,                                            \
		.get_by_batchref = pg_repo_get_by_batchref, .load_line = pg_repo_load_line,        \
		.load_batch_lines = pg_repo_load_batch_lines, .allocations = pg_view_allocations,  \
		.batches = pg_view_batches, .relay_outbox = (relay), .close = pg_close,            \
		.batch = pg_view_batch, .load_lines = pg_repo_load_lines,                          \
		.outbox_status = (status), .lines_of_order = pg_repo_lines_of_order,               \
		.expired_holds = pg_repo_expired_holds,                                            \
		.pending_reallocations = pg_pending_reallocations, .history = pg_view_history,     \
		.check = pg_check, .repair = pg_repair, .prefetch = pg_repo_prefetch               \
	}

static const la_store_port port_plain = PG_PORT(NULL, NULL);
static const la_store_port port_outbox = PG_PORT(pg_outbox_relay, pg_outbox_status);

/* Outbox ids must not collide across connections and processes. */
static uint64_t random_prefix(void)
{
	uint64_t value = 0;
	FILE *f = fopen("/dev/urandom", "rb");
	if (f) {
		if (fread(&value, sizeof value, 1, f) != 1)
			value = 0;
		(void)fclose(f); /* read only: nothing to lose */
	}
	if (value == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		value = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		        ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&value;
	}
	return value;
}

/* A malformed connection string is the caller's mistake, not the database's.
 * (A bare word is a database name, as libpq takes it.) */
static int check_conninfo(const char *conninfo)
{
	if (!strchr(conninfo, '=') && strncmp(conninfo, "postgresql://", 13) != 0 &&
	    strncmp(conninfo, "postgres://", 11) != 0)
		return LA_OK;
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (opts) {
		PQconninfoFree(opts);
		return LA_OK;
	}
	/* libpq says out of memory with no message at all, or with its own */
	if (!err || strncmp(err, "out of memory", 13) == 0) {
		PQfreemem(err);
		return la_error_set(LA_ENOMEM, "out of memory reading the PostgreSQL connection "
		                               "string");
	}
	/* libpq quotes the piece it could not read, which may be the password */
	char why[512];
	la__redact_quoted(why, sizeof why, err, conninfo);
	size_t len = strlen(why);
	while (len > 0 && why[len - 1] == '\n')
		len--;
	int rc =
	    la_error_set(LA_EINVAL, "invalid PostgreSQL connection string: %.*s", (int)len, why);
	PQfreemem(err);
	return rc;
}

int la_pg_options_init(la_pg_options *opts, unsigned int version)
{
	if (!opts || version < 1 || version > LA_PG_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED,
		                    "PostgreSQL options version %u is not supported", version);
	la_pg_options defaults = LA_PG_OPTIONS_INIT;
	*opts = defaults;
	opts->version = version;
	return LA_OK;
}

int la_pg_store_open_ext(la_store **out, const char *conninfo, const la_pg_options *opts)
{
	la_pg_options defaults = LA_PG_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	if (!out)
		return la_error_set(LA_EINVAL, "la_pg_store_open: out is NULL");
	*out = NULL;
	if (opts->version < 1 || opts->version > LA_PG_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED,
		                    "PostgreSQL options version %u is not supported",
		                    opts->version);
	unsigned int flags = opts->flags;
	if (flags & ~LA_STORE_OUTBOX)
		return la_error_set(LA_EINVAL, "la_pg_store_open: unknown flags 0x%x", flags);
	int rc = check_conninfo(conninfo ? conninfo : "");
	if (rc != LA_OK)
		return rc;
	struct pg_store *store = calloc(1, sizeof *store);
	if (!store)
		return la_error_set(LA_ENOMEM, "out of memory");
	store->flags = flags;
	store->conninfo = la__strdup(conninfo ? conninfo : "");
	if (!store->conninfo) {
		free(store);
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	store->id_prefix = random_prefix();
	rc = pg_connect(store);
	if (rc != LA_OK) {
		pg_close(store);
		return rc;
	}
	return la_store_new(out, (flags & LA_STORE_OUTBOX) ? &port_outbox : &port_plain, store);
}

int la_pg_store_open(la_store **out, const char *conninfo, unsigned int flags)
{
	la_pg_options opts = LA_PG_OPTIONS_INIT;
	opts.flags = flags;
	return la_pg_store_open_ext(out, conninfo, &opts);
}
