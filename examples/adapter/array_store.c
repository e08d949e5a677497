/* The worked example's adapter: one connection to an array_db, filling every
 * operation of la_store_port. docs/adapters.md walks through this file.
 *
 * The shape is the one a SQL adapter has: nothing is written before commit;
 * products are rebuilt from rows in each unit of work (batches with their
 * stored figures, lines only on demand) and freed at end; commit checks the
 * product versions, then writes each product's change log as deltas. */
#include "array_db.h"

#include <allocation/allocation.h>
#include <allocation/sys/ports.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One connection: the database and the unit of work in progress. */
typedef struct connection {
	array_db *db;
	int outbox; /* opened with LA_STORE_OUTBOX */
	int in_unit;
	la_product **products; /* handed out since begin: ours until end */
	size_t product_count, product_capacity;
	outbox_row *pending; /* outbox rows prepared by commit */
	size_t pending_count;
} connection;

static int nomem(void)
{
	(void)la_error_set(LA_ENOMEM, "out of memory");
	return LA_ENOMEM; /* never LA_OK, visibly to the callers' analysis */
}

/* ---- the products of the unit of work (an identity map) ---- */

static la_product *held(const connection *c, const char *sku)
{
	for (size_t i = 0; i < c->product_count; i++) {
		if (strcmp(la_product_sku(c->products[i]), sku) == 0)
			return c->products[i];
	}
	return NULL;
}

static int hold(connection *c, la_product *p)
{
	if (c->product_count == c->product_capacity) {
		size_t capacity = c->product_capacity ? 2 * c->product_capacity : 4;
		la_product **grown = realloc(c->products, capacity * sizeof *grown);
		if (!grown)
			return nomem();
		c->products = grown;
		c->product_capacity = capacity;
	}
	c->products[c->product_count++] = p;
	return LA_OK;
}

static void drop_pending(connection *c)
{
	for (size_t i = 0; i < c->pending_count; i++)
		la_free(c->pending[i].json);
	free(c->pending);
	c->pending = NULL;
	c->pending_count = 0;
}

/* ---- unit of work ---- */

static int array_begin(void *state)
{
	connection *c = state;
	if (c->in_unit)
		return la_error_set(LA_ESTATE, "a unit of work is already in progress");
	c->in_unit = 1;
	return LA_OK;
}

static void array_rollback(void *state)
{
	/* Nothing reached the rows before commit. Undo the products in memory
	 * (they stay valid until end) and drop what commit had prepared. */
	connection *c = state;
	for (size_t i = 0; i < c->product_count; i++)
		la_product_revert_changes(c->products[i]);
	drop_pending(c);
}

static void array_end(void *state)
{
	/* The next unit of work reloads from the rows, so no product can go
	 * stale while another connection commits. */
	connection *c = state;
	for (size_t i = 0; i < c->product_count; i++)
		la_product_free(c->products[i]);
	c->product_count = 0;
	drop_pending(c);
	c->in_unit = 0;
}

/* ---- repository ---- */

/* SELECT the product row and its batch rows (never the lines). Lock held. */
static int load_product(la_product **out, connection *c, const char *sku)
{
	array_db *db = c->db;
	const product_row *row = db_product(db, sku);
	if (!row)
		return LA_ENOTFOUND;
	la_product *p = NULL;
	int rc = la_product_load(&p, row->sku, row->version);
	for (size_t i = 0; rc == LA_OK && i < db->batches.count; i++) {
		const batch_row *b = table_at(&db->batches, i);
		if (strcmp(b->sku, sku) == 0)
			rc = la_product_load_batch(p, b->ref, b->purchased,
			                           b->eta[0] ? b->eta : NULL, b->allocated,
			                           b->lines, b->sequence);
	}
	if (rc == LA_OK)
		rc = hold(c, p);
	if (rc != LA_OK) {
		la_product_free(p);
		return rc;
	}
	*out = p;
	return LA_OK;
}

static int array_get(la_product **out, const char *sku, void *state)
{
	connection *c = state;
	la_product *p = held(c, sku); /* one object per product per unit of work */
	if (p) {
		*out = p;
		return LA_OK;
	}
	pthread_mutex_lock(&c->db->lock);
	int rc = load_product(out, c, sku);
	pthread_mutex_unlock(&c->db->lock);
	return rc;
}

static int array_get_by_batchref(la_product **out, const char *ref, void *state)
{
	connection *c = state;
	/* first the products in hand: they know the batches added since begin */
	for (size_t i = 0; i < c->product_count; i++) {
		if (la_product_find_batch(c->products[i], ref)) {
			*out = c->products[i];
			return LA_OK;
		}
	}
	pthread_mutex_lock(&c->db->lock);
	const batch_row *b = db_batch(c->db, ref);
	la_product *p = b ? held(c, b->sku) : NULL;
	int rc = LA_OK;
	if (p)
		*out = p; /* in hand, but the batch was removed since begin */
	else
		rc = b ? load_product(out, c, b->sku) : LA_ENOTFOUND;
	pthread_mutex_unlock(&c->db->lock);
	return rc;
}

static int array_add(la_product *product, void *state)
{
	connection *c = state;
	const char *sku = la_product_sku(product);
	pthread_mutex_lock(&c->db->lock);
	int exists = held(c, sku) || db_product(c->db, sku);
	pthread_mutex_unlock(&c->db->lock);
	int rc = exists ? la_error_set(LA_ECONFLICT, "product %s exists already", sku)
	                : hold(c, product);
	if (rc != LA_OK)
		la_product_free(product); /* the store owns it, also on failure */
	return rc;
}

/* Lines are read after their product: if another connection committed in
 * between, they may not match the batches loaded. Then the command must
 * start again, which is what LA_ECONFLICT asks the bus to do. Lock held. */
static int still_current(connection *c, const la_product *p)
{
	if (la_product_is_new(p))
		return LA_OK;
	const product_row *row = db_product(c->db, la_product_sku(p));
	if (row && row->version == la_product_saved_version(p))
		return LA_OK;
	return la_error_set(LA_ECONFLICT, "product %s changed while it was loaded",
	                    la_product_sku(p));
}

/* A line this unit of work deallocated stays in the rows until commit:
 * loading it again would bring it back. */
static int deallocated_since_load(const la_product *p, const char *orderid)
{
	for (size_t k = 0; k < la_product_change_count(p); k++) {
		la_change ch;
		la_product_change_at(&ch, p, k);
		if (ch.kind == LA_CHANGE_LINE_DEALLOCATED && strcmp(ch.orderid, orderid) == 0)
			return 1;
	}
	return 0;
}

static int array_load_line(la_product *product, const char *orderid, void *state)
{
	connection *c = state;
	pthread_mutex_lock(&c->db->lock);
	int rc = still_current(c, product);
	const line_row *line =
	    rc == LA_OK ? db_line(c->db, la_product_sku(product), orderid) : NULL;
	if (line && !deallocated_since_load(product, orderid))
		rc = la_product_load_line(product, line->batchref, orderid, line->qty,
		                          line->sequence);
	pthread_mutex_unlock(&c->db->lock);
	return rc;
}

static int array_load_batch_lines(la_product *product, const char *ref, void *state)
{
	connection *c = state;
	array_db *db = c->db;
	pthread_mutex_lock(&db->lock);
	int rc = still_current(c, product);
	for (size_t i = 0; rc == LA_OK && i < db->lines.count; i++) {
		const line_row *line = table_at(&db->lines, i);
		if (strcmp(line->batchref, ref) == 0 &&
		    !deallocated_since_load(product, line->orderid))
			rc = la_product_load_line(product, ref, line->orderid, line->qty,
			                          line->sequence);
	}
	pthread_mutex_unlock(&db->lock);
	return rc == LA_OK ? la_product_batch_lines_loaded(product, ref) : rc;
}

/* ---- commit: phase one checks and allocates, phase two cannot fail ---- */

/* The outbox rows of the products' Allocated events, each with a unique id. */
static int prepare_outbox(connection *c, size_t events)
{
	c->pending = calloc(events ? events : 1, sizeof *c->pending);
	if (!c->pending)
		return nomem();
	for (size_t i = 0; i < c->product_count; i++) {
		const la_product *p = c->products[i];
		for (size_t k = 0; k < la_product_event_count(p); k++) {
			const la_message *event = la_product_event_at(p, k);
			if (la_message_kind_of(event) != LA_EVT_ALLOCATED)
				continue;
			char id[32];
			int64_t next = c->db->next_message + (int64_t)c->pending_count;
			(void)snprintf(id, sizeof id, "array-%lld", (long long)next); /* fits */
			int rc = la_message_to_json(&c->pending[c->pending_count].json, event, id);
			if (rc != LA_OK)
				return rc;
			c->pending_count++;
		}
	}
	return LA_OK;
}

static size_t allocated_events(const la_product *p)
{
	size_t n = 0;
	for (size_t k = 0; k < la_product_event_count(p); k++)
		n += la_message_kind_of(la_product_event_at(p, k)) == LA_EVT_ALLOCATED;
	return n;
}

/* Every check, and room for every row commit will write. Lock held. */
static int prepare(connection *c)
{
	array_db *db = c->db;
	size_t products = 0, batches = 0, lines = 0, events = 0;
	for (size_t i = 0; i < c->product_count; i++) {
		const la_product *p = c->products[i];
		const char *sku = la_product_sku(p);
		const product_row *row = db_product(db, sku);
		if (la_product_is_new(p)) {
			if (row) /* INSERT hit the primary key */
				return la_error_set(LA_ECONFLICT, "product %s was added meanwhile",
				                    sku);
			products++;
		} else if (la_product_change_count(p) > 0 &&
		           (!row || row->version != la_product_saved_version(p))) {
			/* UPDATE products SET version_number = new
			 * WHERE sku = ? AND version_number = saved: no row */
			return la_error_set(LA_ECONFLICT, "product %s was changed meanwhile", sku);
		}
		for (size_t k = 0; k < la_product_change_count(p); k++) {
			la_change ch;
			la_product_change_at(&ch, p, k);
			if (ch.kind == LA_CHANGE_BATCH_ADDED && db_batch(db, ch.batchref))
				return la_error_set(LA_ECONFLICT, "Batch %s already exists",
				                    ch.batchref);
			batches += ch.kind == LA_CHANGE_BATCH_ADDED;
			lines += ch.kind == LA_CHANGE_LINE_ALLOCATED;
		}
		if (c->outbox)
			events += allocated_events(p);
	}
	int rc;
	if ((rc = table_reserve(&db->products, products)) != LA_OK ||
	    (rc = table_reserve(&db->batches, batches)) != LA_OK ||
	    (rc = table_reserve(&db->lines, lines)) != LA_OK ||
	    (rc = table_reserve(&db->outbox, events)) != LA_OK)
		return rc;
	return c->outbox ? prepare_outbox(c, events) : LA_OK;
}

/* Write one product's change log as deltas, oldest change first. */
static void write_changes(array_db *db, la_product *p)
{
	const char *sku = la_product_sku(p);
	for (size_t k = 0; k < la_product_change_count(p); k++) {
		la_change ch;
		la_product_change_at(&ch, p, k);
		batch_row *b = db_batch(db, ch.batchref);
		line_row *line;
		if (!b && ch.kind != LA_CHANGE_BATCH_ADDED)
			continue; /* cannot happen: the version check passed */
		switch (ch.kind) {
		case LA_CHANGE_BATCH_ADDED:
			b = table_append(&db->batches);
			copy_text(b->ref, sizeof b->ref, ch.batchref);
			copy_text(b->sku, sizeof b->sku, sku);
			copy_text(b->eta, sizeof b->eta, ch.eta);
			b->purchased = ch.qty;
			b->sequence = ch.sequence;
			break;
		case LA_CHANGE_BATCH_QUANTITY:
			b->purchased = ch.qty;
			break;
		case LA_CHANGE_BATCH_REMOVED:
			table_remove(&db->batches, table_index(&db->batches, b));
			break;
		case LA_CHANGE_LINE_ALLOCATED:
			line = table_append(&db->lines);
			copy_text(line->orderid, sizeof line->orderid, ch.orderid);
			copy_text(line->sku, sizeof line->sku, sku);
			copy_text(line->batchref, sizeof line->batchref, ch.batchref);
			line->qty = ch.qty;
			line->sequence = ch.sequence;
			line->position = db->next_position++;
			b->allocated += ch.qty;
			b->lines++;
			break;
		case LA_CHANGE_LINE_DEALLOCATED:
			line = db_line(db, sku, ch.orderid);
			if (line)
				table_remove(&db->lines, table_index(&db->lines, line));
			b->allocated -= ch.qty;
			b->lines--;
			break;
		}
	}
	product_row *row = db_product(db, sku);
	if (!row) {
		row = table_append(&db->products);
		copy_text(row->sku, sizeof row->sku, sku);
	}
	row->version = la_product_version(p);
	la_product_changes_saved(p);
}

static int array_commit(void *state)
{
	connection *c = state;
	array_db *db = c->db;
	pthread_mutex_lock(&db->lock);
	int rc = prepare(c);
	if (rc == LA_OK) {
		for (size_t i = 0; i < c->product_count; i++)
			write_changes(db, c->products[i]);
		for (size_t i = 0; i < c->pending_count; i++)
			*(outbox_row *)table_append(&db->outbox) = c->pending[i];
		db->next_message += (int64_t)c->pending_count;
		c->pending_count = 0; /* the outbox owns the JSON now */
		drop_pending(c);
	}
	pthread_mutex_unlock(&db->lock);
	if (rc != LA_OK)
		array_rollback(c); /* a failed commit has rolled back */
	return rc;
}

/* ---- read models: straight from the rows, no product is loaded ---- */

static int in_allocation_order(const void *a, const void *b)
{
	const line_row *x = *(const line_row *const *)a, *y = *(const line_row *const *)b;
	return x->position < y->position ? -1 : x->position > y->position;
}

static int array_allocations(la_allocation_list *into, const char *orderid, void *state)
{
	connection *c = state;
	array_db *db = c->db;
	pthread_mutex_lock(&db->lock);
	const line_row **rows = malloc((db->lines.count + 1) * sizeof *rows);
	int rc = rows ? LA_OK : nomem();
	size_t n = 0;
	for (size_t i = 0; rc == LA_OK && i < db->lines.count; i++) {
		const line_row *line = table_at(&db->lines, i);
		if (strcmp(line->orderid, orderid) == 0)
			rows[n++] = line;
	}
	if (rc == LA_OK)
		qsort(rows, n, sizeof *rows, in_allocation_order);
	for (size_t i = 0; rc == LA_OK && i < n; i++)
		rc = la_allocation_list_append(into, rows[i]->sku, rows[i]->batchref);
	pthread_mutex_unlock(&db->lock);
	free(rows);
	return rc;
}

static const char *eta_of(const batch_row *b)
{
	return b->eta[0] ? b->eta : NULL;
}

/* The dashboard order: sku, then in stock first, ETA, creation sequence. */
static int compare_to_key(const batch_row *b, const char *sku, int32_t eta_key, int64_t sequence)
{
	int by_sku = strcmp(b->sku, sku);
	if (by_sku)
		return by_sku;
	int32_t key = la_date_key(eta_of(b));
	if (key != eta_key)
		return key < eta_key ? -1 : 1;
	return b->sequence < sequence ? -1 : b->sequence > sequence;
}

static int in_dashboard_order(const void *a, const void *b)
{
	const batch_row *x = *(const batch_row *const *)a, *y = *(const batch_row *const *)b;
	return compare_to_key(x, y->sku, la_date_key(eta_of(y)), y->sequence);
}

static int array_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                         void *state)
{
	connection *c = state;
	array_db *db = c->db;
	char *after_sku = NULL;
	int32_t after_key = 0;
	int64_t after_sequence = 0;
	int rc;
	if (after &&
	    (rc = la_batch_cursor_decode(&after_sku, &after_key, &after_sequence, after)) != LA_OK)
		return rc;
	pthread_mutex_lock(&db->lock);
	/* one pass over the batch rows: their figures are stored, no lines read */
	const batch_row **rows = malloc((db->batches.count + 1) * sizeof *rows);
	rc = rows ? LA_OK : nomem();
	size_t n = 0;
	for (size_t i = 0; rc == LA_OK && i < db->batches.count; i++) {
		const batch_row *b = table_at(&db->batches, i);
		if ((!sku || strcmp(b->sku, sku) == 0) &&
		    (!after_sku || compare_to_key(b, after_sku, after_key, after_sequence) > 0))
			rows[n++] = b;
	}
	if (rc == LA_OK)
		qsort(rows, n, sizeof *rows, in_dashboard_order);
	for (size_t i = 0; rc == LA_OK && i < n && i < limit; i++)
		rc = la_batch_page_append(into, rows[i]->ref, rows[i]->sku, eta_of(rows[i]),
		                          rows[i]->purchased, rows[i]->allocated, rows[i]->lines);
	if (rc == LA_OK && n > limit) { /* more rows follow: say where this page ended */
		char *next;
		const batch_row *last = rows[limit - 1];
		rc = la_batch_cursor_encode(&next, last->sku, eta_of(last), last->sequence);
		if (rc == LA_OK) {
			rc = la_batch_page_set_next(into, next);
			la_free(next);
		}
	}
	pthread_mutex_unlock(&db->lock);
	free(rows);
	la_free(after_sku);
	return rc;
}

/* ---- the transactional outbox ---- */

static int array_relay_outbox(size_t *out_sent, size_t max, la_publish_fn publish, void *payload,
                              void *state)
{
	/* The lock is held while publishing, for brevity: a real adapter marks
	 * rows sent in short transactions of its own. */
	connection *c = state;
	array_db *db = c->db;
	size_t sent = 0;
	int rc = LA_OK;
	pthread_mutex_lock(&db->lock);
	while (sent < db->outbox.count && (max == 0 || sent < max)) {
		outbox_row *row = table_at(&db->outbox, sent);
		if ((rc = publish("line_allocated", row->json, payload)) != LA_OK)
			break; /* it stays queued: delivery is at least once */
		la_free(row->json);
		sent++;
	}
	table_remove_first(&db->outbox, sent);
	pthread_mutex_unlock(&db->lock);
	*out_sent = sent;
	return rc;
}

static void array_close(void *state)
{
	connection *c = state;
	if (c->in_unit)
		array_end(c);
	free(c->products);
	free(c);
}

#define ARRAY_PORT(relay)                                                                          \
	{                                                                                          \
		.version = LA_STORE_PORT_VERSION, .name = "array", .begin = array_begin,           \
		.commit = array_commit, .rollback = array_rollback, .end = array_end,              \
		.add = array_add, .get = array_get, .get_by_batchref = array_get_by_batchref,      \
		.load_line = array_load_line, .load_batch_lines = array_load_batch_lines,          \
		.allocations = array_allocations, .batches = array_batches,                        \
		.relay_outbox = (relay), .close = array_close                                      \
	}

static const la_store_port plain_port = ARRAY_PORT(NULL);
static const la_store_port outbox_port = ARRAY_PORT(array_relay_outbox);

int array_store_open(la_store **out, array_db *db, unsigned int flags)
{
	if (!out || !db)
		return la_error_set(LA_EINVAL, "out and db are required");
	if (flags & ~LA_STORE_OUTBOX)
		return la_error_set(LA_EINVAL, "unknown flags 0x%x", flags);
	connection *c = calloc(1, sizeof *c);
	if (!c)
		return nomem();
	c->db = db;
	c->outbox = (flags & LA_STORE_OUTBOX) != 0;
	/* la_store_new owns c from here: on failure it calls array_close */
	return la_store_new(out, c->outbox ? &outbox_port : &plain_port, c);
}
