/*
 * la_sqlite_store_open: one SQLite connection wrapped as a la_store.
 */
#include <stdlib.h>
#include <string.h>

#include <allocation/sqlite.h>

#include "sqlite_store.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000

#ifdef SQLITE_OPEN_EXRESCODE /* 3.37+: extended codes from open too */
#define OPEN_FLAGS                                                                                 \
	(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE)
#else
#define OPEN_FLAGS (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
#endif

void sq_store_close(void *state)
{
	struct sq_store *store = state;
	if (!store)
		return;
	if (store->db && store->in_uow)
		sq_uow_end(store);
	sq_checkpointer_stop(store);
	sq_repo_clear(store);
	free(store->seen);
	free(store->changes);
	la__strmap_dispose(&store->lines_changed);
	la__strmap_dispose(&store->seen_by_sku);
	sq_cache_free(store);
	sq_finalize_all(store);
	sq_outbox_close(store);
	sqlite3_close_v2(store->db);
	free(store->path);
	free(store);
}

#define SQ_PORT(relay, status)                                                                     \
	{                                                                                          \
		LA_STORE_PORT_VERSION, "sqlite", sq_uow_begin, sq_uow_commit, sq_uow_rollback,     \
		    sq_uow_end, sq_repo_add, sq_repo_get, sq_repo_get_by_batchref,                 \
		    sq_repo_load_line, sq_repo_load_batch_lines, sq_view_allocations,              \
		    sq_view_batches, relay, sq_store_close, sq_view_batch,                         \
		    NULL /* load_lines: in process, one lookup per line costs less */, status,     \
		    sq_repo_lines_of_order, sq_repo_expired_holds, sq_pending_reallocations,       \
		    sq_view_history, sq_check, sq_repair, NULL /* prefetch: as load_lines */       \
	}

static const la_store_port port_plain = SQ_PORT(NULL, NULL);
static const la_store_port port_outbox = SQ_PORT(sq_outbox_relay, sq_outbox_status);

static int open_connection(struct sq_store *store, unsigned int busy_timeout_ms)
{
	int rc = sqlite3_open_v2(store->path, &store->db, OPEN_FLAGS, NULL);
	if (rc != SQLITE_OK) {
		if (!store->db)
			return la_error_set(LA_ENOMEM, "Out of memory opening SQLite %s",
			                    store->path);
		return sq_fail(store, rc, "opening the database");
	}
	sqlite3_busy_timeout(store->db, (int)busy_timeout_ms);
	return LA_OK;
}

const la_store_port *sq_store_port(unsigned int flags)
{
	return (flags & LA_STORE_OUTBOX) ? &port_outbox : &port_plain;
}

int la_sqlite_options_init(la_sqlite_options *opts, unsigned int version)
{
	if (!opts || version < 1 || version > LA_SQLITE_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED, "sqlite options version %u is not supported",
		                    version);
	la_sqlite_options defaults = LA_SQLITE_OPTIONS_INIT;
	*opts = defaults;
	opts->version = version;
	return LA_OK;
}

static int check_options(const la_sqlite_options *opts)
{
	if (opts->version < 1 || opts->version > LA_SQLITE_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED, "sqlite options version %u is not supported",
		                    opts->version);
	if (opts->flags & ~LA_STORE_OUTBOX)
		return la_error_set(LA_EINVAL, "SQLite store: unknown flags 0x%x",
		                    opts->flags & ~LA_STORE_OUTBOX);
	if (opts->durability < LA_SQLITE_DURABILITY_DEFAULT ||
	    opts->durability > LA_SQLITE_DURABILITY_FULL)
		return la_error_set(LA_EINVAL, "SQLite store: unknown durability %d",
		                    opts->durability);
	if (opts->checkpoint != LA_SQLITE_CHECKPOINT_IN_COMMIT &&
	    opts->checkpoint != LA_SQLITE_CHECKPOINT_BACKGROUND)
		return la_error_set(LA_EINVAL, "SQLite store: unknown checkpoint mode %d",
		                    opts->checkpoint);
	if (opts->busy_timeout_ms > INT32_MAX)
		return la_error_set(LA_EINVAL, "SQLite store: busy timeout %u ms is too long",
		                    opts->busy_timeout_ms);
	return LA_OK;
}

int sq_store_open_with(struct sq_store **out, const char *url, const la_sqlite_options *opts)
{
	la_sqlite_options defaults = LA_SQLITE_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	int rc = check_options(opts);
	if (rc != LA_OK)
		return rc;
	unsigned int flags = opts->flags;
	struct sq_url parsed;
	rc = sq_url_parse(&parsed, url);
	if (rc != LA_OK)
		return rc;
	int durability =
	    opts->durability != LA_SQLITE_DURABILITY_DEFAULT ? opts->durability : parsed.durability;
	struct sq_store *store = calloc(1, sizeof *store);
	if (!store) {
		sq_url_clear(&parsed);
		(void)la_error_set(LA_ENOMEM, "Out of memory");
		return LA_ENOMEM; /* never LA_OK, visibly to the caller's analysis */
	}
	store->path = parsed.path; /* taken */
	store->flags = flags;
	store->relay_lock_fd = -1;
	rc = open_connection(store, opts->busy_timeout_ms ? opts->busy_timeout_ms
	                                                  : DEFAULT_BUSY_TIMEOUT_MS);
	if (rc == LA_OK)
		rc = sq_schema_prepare(store, durability != LA_SQLITE_DURABILITY_NORMAL,
		                       parsed.memory);
	if (rc == LA_OK && opts->checkpoint == LA_SQLITE_CHECKPOINT_BACKGROUND && !parsed.memory)
		rc = sq_checkpointer_start(store);
	if (rc != LA_OK) {
		sq_store_close(store);
		return rc;
	}
	sq_outbox_init_ids(store);
	*out = store;
	return LA_OK;
}

int la_sqlite_store_open_ext(la_store **out, const char *url, const la_sqlite_options *opts)
{
	if (!out)
		return la_error_set(LA_EINVAL, "la_sqlite_store_open: out is NULL");
	*out = NULL;
	struct sq_store *store;
	int rc = sq_store_open_with(&store, url, opts);
	if (rc != LA_OK)
		return rc;
	return la_store_new(out, sq_store_port(store->flags), store);
}

int sq_store_open(struct sq_store **out, const char *url, unsigned int flags)
{
	la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
	opts.flags = flags;
	return sq_store_open_with(out, url, &opts);
}

int la_sqlite_store_open(la_store **out, const char *url, unsigned int flags)
{
	la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
	opts.flags = flags;
	return la_sqlite_store_open_ext(out, url, &opts);
}
