/*
 * The transactional outbox: Allocated events are stored by the commit that
 * produced them, and the relay publishes them afterwards in id order (which
 * is commit order: writers are serialised by BEGIN IMMEDIATE), marking them
 * sent once published. A crash between publishing and marking republishes:
 * at least once, and the unique "id" lets consumers drop duplicates. Only
 * one relay per database file publishes at a time (relay_lock).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_store.h"
#include "util/errno_text.h"

#define CHANNEL_ALLOCATED "line_allocated"
#define RELAY_CHUNK       64

void sq_outbox_init_ids(struct sq_store *store)
{
	/* SQLite's PRNG is seeded from the OS; the pid and the clock are mixed
	 * in because a forked child would otherwise draw what its parent does. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sqlite3_randomness(sizeof store->id_prefix, &store->id_prefix);
	store->id_prefix ^=
	    ((uint64_t)getpid() << 40) ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec;
	store->id_counter = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int insert_event(struct sq_store *store, const la_message *event)
{
	char id[48];
	/* 33 bytes at most: fits */
	(void)snprintf(id, sizeof id, "%016" PRIx64 "-%" PRIx64, store->id_prefix,
	               ++store->id_counter);
	char *json = NULL;
	int rc = la_message_to_json(&json, event, id);
	if (rc != LA_OK)
		return rc;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_OUTBOX_INSERT);
	if (!stmt) {
		la_free(json);
		return la_error_last_code();
	}
	sq_bind_text(stmt, 1, CHANNEL_ALLOCATED);
	sq_bind_text(stmt, 2, json);
	sqlite3_bind_int64(stmt, 3, now_ms());
	int step = sqlite3_step(stmt);
	sq_done(stmt);
	la_free(json);
	if (step != SQLITE_DONE)
		return sq_fail(store, step, "writing the outbox");
	return LA_OK;
}

int sq_outbox_write(struct sq_store *store, const la_product *product)
{
	size_t count = la_product_event_count(product);
	for (size_t i = 0; i < count; i++) {
		const la_message *event = la_product_event_at(product, i);
		if (la_message_kind_of(event) != LA_EVT_ALLOCATED)
			continue;
		int rc = insert_event(store, event);
		if (rc != LA_OK)
			return rc;
	}
	return LA_OK;
}

struct pending {
	int64_t id;
	char *channel;
	char *payload;
};

static void free_pending(struct pending *rows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(rows[i].channel);
		free(rows[i].payload);
	}
}

/* Copy up to limit unsent rows, so no read snapshot is held while publishing. */
static int read_pending(struct sq_store *store, struct pending *rows, size_t limit,
                        size_t *out_count)
{
	sqlite3_stmt *stmt = sq_stmt(store, SQ_OUTBOX_PENDING);
	if (!stmt)
		return la_error_last_code();
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)limit);
	size_t count = 0;
	int rc = LA_OK, step = SQLITE_DONE;
	while (count < limit && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct pending *row = &rows[count];
		const char *channel = (const char *)sqlite3_column_text(stmt, 1);
		const char *payload = (const char *)sqlite3_column_text(stmt, 2);
		row->id = sqlite3_column_int64(stmt, 0);
		row->channel = la__strndup(channel ? channel : "", channel ? strlen(channel) : 0);
		row->payload = la__strndup(payload ? payload : "", payload ? strlen(payload) : 0);
		count++;
		if (!row->channel || !row->payload) {
			rc = la_error_set(LA_ENOMEM, "Out of memory");
			break;
		}
	}
	if (rc == LA_OK && count < limit && step != SQLITE_DONE)
		rc = sq_fail(store, step, "reading the outbox");
	sq_done(stmt);
	if (rc != LA_OK) {
		free_pending(rows, count);
		count = 0;
	}
	*out_count = count;
	return rc;
}

/* Mark every row up to last as sent: one small transaction per chunk. */
static int mark_sent(struct sq_store *store, int64_t last)
{
	sqlite3_stmt *stmt = sq_stmt(store, SQ_OUTBOX_MARK_SENT);
	if (!stmt)
		return la_error_last_code();
	sqlite3_bind_int64(stmt, 1, now_ms());
	sqlite3_bind_int64(stmt, 2, last);
	int step = sqlite3_step(stmt);
	sq_done(stmt);
	if (step != SQLITE_DONE)
		return sq_fail(store, step, "marking outbox messages sent");
	return LA_OK;
}

/*
 * Only one relay per database file publishes at a time, across processes and
 * within one (two servers on one file would otherwise publish the same rows;
 * PostgreSQL takes an advisory lock for this): an exclusive flock(2) on
 * "<database>-relay", next to the file as SQLite names its -wal, held for one
 * relay call. flock locks belong to the open file, so two stores of one
 * process exclude each other too, and the kernel releases the lock of a
 * process that dies: no lease to expire. *out_mine is 0 when another relay
 * holds it (nothing to do this time). An in-memory database has no file and
 * no other relay.
 */
static int relay_lock(struct sq_store *store, int *out_mine)
{
	const char *db = sqlite3_db_filename(store->db, "main");
	*out_mine = 1;
	if (!db || !*db)
		return LA_OK;
	if (store->relay_lock_fd < 0) {
		size_t size = strlen(db) + sizeof "-relay";
		char *name = malloc(size);
		if (!name)
			return la_error_set(LA_ENOMEM, "Out of memory");
		(void)snprintf(name, size, "%s-relay", db); /* sized for it */
		store->relay_lock_fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		int rc = LA_OK;
		char why[LA__ERRNO_TEXT_SIZE];
		if (store->relay_lock_fd < 0)
			rc = la_error_set(LA_EIO, "SQLite store: cannot open the relay lock %s: %s",
			                  name, la__errno_text(errno, why));
		free(name);
		if (rc != LA_OK)
			return rc;
	}
	if (flock(store->relay_lock_fd, LOCK_EX | LOCK_NB) == 0)
		return LA_OK;
	*out_mine = 0;
	if (errno == EWOULDBLOCK || errno == EINTR)
		return LA_OK;
	char why[LA__ERRNO_TEXT_SIZE];
	return la_error_set(LA_EIO, "SQLite store: cannot lock the relay lock of %s: %s", db,
	                    la__errno_text(errno, why));
}

static void relay_unlock(struct sq_store *store)
{
	if (store->relay_lock_fd >= 0)
		flock(store->relay_lock_fd, LOCK_UN);
}

void sq_outbox_close(struct sq_store *store)
{
	if (store->relay_lock_fd >= 0)
		close(store->relay_lock_fd);
	store->relay_lock_fd = -1;
}

int sq_outbox_relay(size_t *out_sent, size_t max, la_publish_fn publish, void *payload, void *state)
{
	struct sq_store *store = state;
	size_t sent = 0;
	int rc = LA_OK, mine = 0;
	if (out_sent)
		*out_sent = 0;
	if (store->in_uow)
		return la_error_set(LA_ESTATE, "SQLite store: outbox relay inside a unit of work");
	rc = relay_lock(store, &mine);
	if (rc != LA_OK || !mine)
		return rc;
	while (rc == LA_OK && (max == 0 || sent < max)) {
		struct pending rows[RELAY_CHUNK];
		size_t limit = RELAY_CHUNK, count = 0;
		if (max && max - sent < limit)
			limit = max - sent;
		rc = read_pending(store, rows, limit, &count);
		if (rc != LA_OK || count == 0)
			break;
		int64_t last = 0;
		for (size_t i = 0; i < count && rc == LA_OK; i++) {
			rc = publish(rows[i].channel, rows[i].payload, payload);
			if (rc == LA_OK) {
				last = rows[i].id;
				sent++;
			}
		}
		free_pending(rows, count);
		if (last) {
			int mark = mark_sent(store, last);
			if (rc == LA_OK)
				rc = mark;
		}
		if (count < limit)
			break;
	}
	relay_unlock(store);
	if (out_sent)
		*out_sent = sent;
	return rc;
}

int sq_outbox_status(size_t *out_pending, double *out_oldest_age_seconds, void *state)
{
	struct sq_store *store = state;
	if (store->in_uow)
		return la_error_set(LA_ESTATE, "SQLite store: outbox status inside a unit of work");
	sqlite3_stmt *stmt = sq_stmt(store, SQ_OUTBOX_STATUS);
	if (!stmt)
		return la_error_last_code();
	int step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		int64_t count = sqlite3_column_int64(stmt, 0);
		*out_pending = count > 0 ? (size_t)count : 0;
		*out_oldest_age_seconds =
		    sqlite3_column_type(stmt, 1) == SQLITE_NULL
		        ? 0
		        : (double)(now_ms() - sqlite3_column_int64(stmt, 1)) / 1000.0;
	}
	sq_done(stmt);
	if (step != SQLITE_ROW)
		return sq_fail(store, step, "reading the outbox backlog");
	return LA_OK;
}
