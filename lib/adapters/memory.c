/* The in-memory store: products, a batch-reference index and the read model
 * in hash maps. A mutex held from begin to end serialises units of work, so
 * buses in several threads may share one store. Rollback undoes the
 * products' change logs; commit updates the index and the read model from
 * the same logs, in two phases so running out of memory changes nothing.
 *
 * An adapter like the others: it sees products only through the public and
 * sys/ API (sys/product.h), never through the domain's internals. */
#include "memory_history.h"

#include "../util/alloc.h"
#include "../util/batch_order.h"
#include "../util/strmap.h"

#include <allocation/memory.h>
#include <allocation/sys/ports.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A row borrows its strings from the product and the batch: a batch is
 * removed only after its lines, and so its rows, are gone. A waiting line
 * (backorder) has no batch: batchref NULL. */
typedef struct order_row {
	const char *sku, *batchref;
} order_row;

typedef struct order_view {
	order_row *rows; /* &first_row until a second row is added */
	size_t count, capacity;
	size_t pending; /* commit: rows about to be added */
	order_row first_row;
	char orderid[];
} order_view;

/* A pending reallocation (sys/store_port.h): the sku is the product's,
 * which lives as long as the store. */
typedef struct pending_record {
	char *orderid; /* owned */
	const char *sku;
	int64_t qty;
} pending_record;

typedef struct memory_store {
	pthread_mutex_t lock;
	la__strmap products;    /* sku → la_product */
	la__strmap batch_index; /* batch ref → la_product */
	la__strmap orders;      /* orderid → order_view */
	la_product **touched;   /* handed out in this unit of work */
	size_t touched_count, touched_capacity;
	la_product **added; /* new in this unit of work */
	size_t added_count, added_capacity;
	order_view **prepared; /* commit: the view of each allocated line, in order */
	size_t prepared_count, prepared_capacity;
	size_t *positions; /* commit: la_products_next_change over touched */
	size_t positions_capacity;
	pending_record *pending; /* pending reallocations, oldest first */
	size_t pending_count, pending_capacity;
	pending_record *staged; /* commit: the records about to be added */
	size_t staged_count, staged_capacity;
	memory_history history; /* what happened to each order (memory_history.c) */
} memory_store;

static int nomem(void)
{
	(void)la_error_set(LA_ENOMEM, "out of memory");
	return LA_ENOMEM; /* never LA_OK, visibly to the callers' analysis */
}

static int push(la_product ***items, size_t *count, size_t *capacity, la_product *p)
{
	for (size_t i = 0; i < *count; i++) {
		if ((*items)[i] == p)
			return LA_OK;
	}
	if (la__grow((void **)items, capacity, *count + 1, sizeof **items) != LA_OK)
		return nomem();
	(*items)[(*count)++] = p;
	return LA_OK;
}

static int memory_begin(void *state)
{
	memory_store *m = state;
	pthread_mutex_lock(&m->lock);
	m->touched_count = m->added_count = 0;
	return LA_OK;
}

static void memory_end(void *state)
{
	memory_store *m = state;
	m->touched_count = m->added_count = 0;
	pthread_mutex_unlock(&m->lock);
}

static int memory_add(la_product *p, void *state)
{
	memory_store *m = state;
	if (la__strmap_get(&m->products, la_product_sku(p))) {
		la_product_free(p);
		return la_error_set(LA_ECONFLICT, "product exists already");
	}
	if (push(&m->touched, &m->touched_count, &m->touched_capacity, p) != LA_OK ||
	    push(&m->added, &m->added_count, &m->added_capacity, p) != LA_OK ||
	    la__strmap_put(&m->products, la_product_sku(p), p) != LA_OK) {
		/* forget it in both lists: the store owns and frees it here */
		if (m->touched_count && m->touched[m->touched_count - 1] == p)
			m->touched_count--;
		if (m->added_count && m->added[m->added_count - 1] == p)
			m->added_count--;
		la_product_free(p);
		return nomem();
	}
	return LA_OK;
}

static int hand_out(la_product **out, memory_store *m, la_product *p)
{
	if (!p)
		return LA_ENOTFOUND;
	if (push(&m->touched, &m->touched_count, &m->touched_capacity, p) != LA_OK)
		return nomem();
	*out = p;
	return LA_OK;
}

static int memory_get(la_product **out, const char *sku, void *state)
{
	memory_store *m = state;
	return hand_out(out, m, la__strmap_get(&m->products, sku));
}

static int memory_get_by_batchref(la_product **out, const char *ref, void *state)
{
	memory_store *m = state;
	/* The index changes only at commit: look at what this unit of work has
	 * changed first (a batch added, or removed, since). */
	for (size_t i = 0; i < m->touched_count; i++) {
		if (la_product_find_batch(m->touched[i], ref))
			return hand_out(out, m, m->touched[i]);
	}
	return hand_out(out, m, la__strmap_get(&m->batch_index, ref));
}

static int memory_load_nothing(la_product *p, const char *key, void *state)
{
	return LA_OK; /* every line is always in memory */
}

static void rollback_products(memory_store *m)
{
	for (size_t i = 0; i < m->touched_count; i++)
		la_product_revert_changes(m->touched[i]);
	for (size_t i = 0; i < m->added_count; i++) {
		la__strmap_remove(&m->products, la_product_sku(m->added[i]));
		la_product_free(m->added[i]);
	}
	m->touched_count = m->added_count = 0;
}

static void memory_rollback(void *state)
{
	rollback_products(state);
}

static order_view *order_view_get(memory_store *m, const char *orderid)
{
	if (la__strmap_reserve(&m->orders, 1) != LA_OK)
		return NULL;
	la__strmap_slot *slot = la__strmap_slot_of(&m->orders, orderid);
	if (slot->key)
		return slot->value;
	size_t size = strlen(orderid) + 1;
	order_view *view = la__calloc(1, sizeof *view + size);
	if (!view)
		return NULL;
	memcpy(view->orderid, orderid, size);
	view->rows = &view->first_row;
	view->capacity = 1;
	la__strmap_fill(&m->orders, slot, view->orderid, view);
	return view;
}

/* Room for one more row; the first lives inside the view. */
static int reserve_row(order_view *view, size_t more)
{
	size_t need = view->count + more;
	if (need <= view->capacity)
		return LA_OK;
	if (view->rows == &view->first_row) {
		order_row *rows = la__malloc(2 * need * sizeof *rows);
		if (!rows)
			return LA_ENOMEM;
		memcpy(rows, view->rows, view->count * sizeof *rows);
		view->rows = rows;
		view->capacity = 2 * need;
		return LA_OK;
	}
	return la__grow((void **)&view->rows, &view->capacity, need, sizeof *view->rows);
}

static void remove_row(order_view *view, const char *sku)
{
	for (size_t i = 0; i < view->count; i++) {
		if (strcmp(view->rows[i].sku, sku) == 0) {
			memmove(view->rows + i, view->rows + i + 1,
			        (view->count - i - 1) * sizeof *view->rows);
			view->count--;
			return;
		}
	}
}

/* Room for the positions of a walk over the touched products' changes. */
static int reserve_positions(memory_store *m)
{
	if (la__grow((void **)&m->positions, &m->positions_capacity, m->touched_count,
	             sizeof *m->positions) != LA_OK)
		return nomem();
	memset(m->positions, 0, m->touched_count * sizeof *m->positions);
	return LA_OK;
}

/* Phase one of a pending reallocation: its record, made ready. */
static int stage_pending(memory_store *m, const char *sku, const la_change *c)
{
	if (la__grow((void **)&m->staged, &m->staged_capacity, m->staged_count + 1,
	             sizeof *m->staged) != LA_OK)
		return nomem();
	char *orderid = la__strdup(c->orderid);
	if (!orderid)
		return nomem();
	m->staged[m->staged_count++] = (pending_record){orderid, sku, c->qty};
	return LA_OK;
}

static void unstage_pending(memory_store *m)
{
	for (size_t i = 0; i < m->staged_count; i++)
		la__free(m->staged[i].orderid);
	m->staged_count = 0;
}

static void forget_pending(memory_store *m, const char *sku, const char *orderid)
{
	for (size_t i = 0; i < m->pending_count; i++) {
		pending_record *r = &m->pending[i];
		if (strcmp(r->sku, sku) == 0 && strcmp(r->orderid, orderid) == 0) {
			la__free(r->orderid);
			memmove(r, r + 1, (m->pending_count - i - 1) * sizeof *r);
			m->pending_count--;
			return;
		}
	}
}

/* Phase one: allocate every view and map slot the commit will need. */
static int prepare(memory_store *m)
{
	size_t added_batches = 0, k;
	m->prepared_count = 0;
	if (reserve_positions(m) != LA_OK)
		return nomem();
	while ((k = la_products_next_change(m->touched, m->touched_count, m->positions)) <
	       m->touched_count) {
		la_change c;
		la_product_change_at(&c, m->touched[k], m->positions[k] - 1);
		if (c.kind == LA_CHANGE_BATCH_ADDED)
			added_batches++;
		if (c.kind == LA_CHANGE_REALLOCATION_PENDING &&
		    stage_pending(m, la_product_sku(m->touched[k]), &c) != LA_OK)
			return nomem();
		if (c.kind != LA_CHANGE_LINE_ALLOCATED && c.kind != LA_CHANGE_LINE_WAITING)
			continue;
		order_view *view = order_view_get(m, c.orderid);
		if (!view || la__grow((void **)&m->prepared, &m->prepared_capacity,
		                      m->prepared_count + 1, sizeof *m->prepared) != LA_OK)
			return nomem();
		view->pending++;
		m->prepared[m->prepared_count++] = view;
	}
	if (la__grow((void **)&m->pending, &m->pending_capacity, m->pending_count + m->staged_count,
	             sizeof *m->pending) != LA_OK)
		return nomem();
	for (size_t i = 0; i < m->prepared_count; i++) {
		order_view *view = m->prepared[i];
		if (view->pending && reserve_row(view, view->pending) != LA_OK)
			return nomem();
		view->pending = 0;
	}
	if (la__strmap_reserve(&m->batch_index, added_batches) != LA_OK)
		return nomem();
	return reserve_positions(m);
}

/* The batch's reference at an address that lives as long as the batch; a
 * batch added and removed in one unit of work has only the change's copy,
 * which lives until the end of this commit (its rows go in the same pass). */
static const char *stable_ref(const la_product *p, const la_change *c)
{
	const la_batch *b = la_product_find_batch(p, c->batchref);
	return b ? la_batch_reference(b) : c->batchref;
}

static void apply_change(memory_store *m, la_product *p, const la_change *c, size_t *next_view,
                         size_t *next_staged)
{
	order_view *view;
	switch (c->kind) {
	case LA_CHANGE_BATCH_ADDED:
		if (la_product_find_batch(p, c->batchref))
			la__strmap_put(&m->batch_index, stable_ref(p, c), p); /* room reserved */
		break;
	case LA_CHANGE_BATCH_REMOVED:
		la__strmap_remove(&m->batch_index, c->batchref);
		break;
	case LA_CHANGE_LINE_ALLOCATED:
		view = m->prepared[(*next_view)++];
		view->rows[view->count++] = (order_row){la_product_sku(p), stable_ref(p, c)};
		break;
	case LA_CHANGE_LINE_WAITING:
		view = m->prepared[(*next_view)++];
		view->rows[view->count++] = (order_row){la_product_sku(p), NULL};
		break;
	case LA_CHANGE_LINE_DEALLOCATED:
	case LA_CHANGE_LINE_UNWAITED:
		view = la__strmap_get(&m->orders, c->orderid);
		if (view)
			remove_row(view, la_product_sku(p));
		break;
	case LA_CHANGE_REALLOCATION_PENDING: /* room reserved */
		m->pending[m->pending_count++] = m->staged[(*next_staged)++];
		break;
	case LA_CHANGE_REALLOCATION_DONE:
		forget_pending(m, la_product_sku(p), c->orderid);
		break;
	}
}

static int memory_commit(void *state)
{
	memory_store *m = state;
	m->staged_count = 0;
	int rc = prepare(m);
	if (rc == LA_OK)
		rc = memory_history_prepare(&m->history, m->touched, m->touched_count);
	if (rc != LA_OK) {
		unstage_pending(m);
		rollback_products(m); /* a failed commit has rolled back */
		return rc;
	}
	/* Phase two: nothing below allocates. Changes go in the order they
	 * were made, across products (an order's rows in allocation order). */
	size_t next_view = 0, next_staged = 0, k;
	while ((k = la_products_next_change(m->touched, m->touched_count, m->positions)) <
	       m->touched_count) {
		la_change c;
		la_product_change_at(&c, m->touched[k], m->positions[k] - 1);
		apply_change(m, m->touched[k], &c, &next_view, &next_staged);
	}
	m->staged_count = 0;
	memory_history_keep(&m->history);
	for (size_t t = 0; t < m->touched_count; t++)
		la_product_changes_saved(m->touched[t]);
	m->added_count = 0;
	return LA_OK;
}

static int memory_allocations(la_allocation_list *into, const char *orderid, void *state)
{
	memory_store *m = state;
	int rc = LA_OK;
	pthread_mutex_lock(&m->lock);
	order_view *view = la__strmap_get(&m->orders, orderid);
	for (size_t i = 0; view && i < view->count && rc == LA_OK; i++) {
		const order_row *row = &view->rows[i];
		const la_product *p = la__strmap_get(&m->products, row->sku);
		int64_t expires = row->batchref && p ? la_product_line_expires(p, orderid) : 0;
		int status = !row->batchref ? LA_LINE_BACKORDERED
		             : expires      ? LA_LINE_HELD
		                            : LA_LINE_ALLOCATED;
		rc = la_allocation_list_append_line(into, row->sku, row->batchref, status, expires);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* The skus of orderid's lines, allocated or waiting (Confirm). Called inside a unit of
 * work, which holds the lock already. */
static int memory_lines_of_order(la_order_line_list *into, const char *orderid, void *state)
{
	memory_store *m = state;
	int rc = LA_OK;
	order_view *view = la__strmap_get(&m->orders, orderid);
	for (size_t i = 0; view && i < view->count && rc == LA_OK; i++)
		rc = la_order_line_list_append(into, orderid, view->rows[i].sku);
	return rc;
}

/* Held lines whose hold ended at or before now, up to max. The store keeps
 * no index by expiry: it walks the orders (an embedding's sizes). Inside a
 * unit of work, like lines_of_order. */
static int memory_expired_holds(la_order_line_list *into, int64_t now, size_t max, void *state)
{
	memory_store *m = state;
	int rc = LA_OK;
	size_t found = 0, index = 0;
	const char *key;
	void *value;
	while (rc == LA_OK && found < max && la__strmap_next(&m->orders, &index, &key, &value)) {
		const order_view *view = value;
		for (size_t i = 0; rc == LA_OK && found < max && i < view->count; i++) {
			const order_row *row = &view->rows[i];
			const la_product *p = la__strmap_get(&m->products, row->sku);
			int64_t expires = row->batchref && p ? la_product_line_expires(p, key) : 0;
			if (expires > 0 && expires <= now) {
				rc = la_order_line_list_append(into, key, row->sku);
				found++;
			}
		}
	}
	return rc;
}

/* Outside units of work, like the read model. */
static int memory_pending_reallocations(la_order_line_list *into, size_t max, void *state)
{
	memory_store *m = state;
	int rc = LA_OK;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; rc == LA_OK && i < m->pending_count && i < max; i++)
		rc = la_order_line_list_append_qty(into, m->pending[i].orderid, m->pending[i].sku,
		                                   m->pending[i].qty);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int memory_history_of(la_history_list *into, const char *orderid, void *state)
{
	memory_store *m = state;
	pthread_mutex_lock(&m->lock);
	int rc = memory_history_view(into, &m->history, orderid);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* A dashboard row's sort key: sku, ETA key, creation sequence. */
typedef struct batch_entry {
	const la_batch *batch;
	const char *sku;
	int32_t eta_key;
	int64_t sequence;
} batch_entry;

static int compare_batches(const void *a, const void *b)
{
	const batch_entry *x = a, *y = b;
	return la__batch_order_compare(x->sku, x->eta_key, x->sequence, y->sku, y->eta_key,
	                               y->sequence);
}

static int page_next(la_batch_page *into, const batch_entry *last)
{
	char *next;
	int rc =
	    la_batch_cursor_encode(&next, last->sku, la_batch_eta(last->batch), last->sequence);
	if (rc == LA_OK) {
		rc = la_batch_page_set_next(into, next);
		la_free(next);
	}
	return rc;
}

static int memory_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                          void *state)
{
	memory_store *m = state;
	char *cursor_sku = NULL;
	int32_t cursor_key = 0;
	int64_t cursor_sequence = 0;
	int rc;
	if (after &&
	    (rc = la_batch_cursor_decode(&cursor_sku, &cursor_key, &cursor_sequence, after)))
		return rc;
	pthread_mutex_lock(&m->lock);
	batch_entry *all = la__malloc((m->batch_index.count + 1) * sizeof *all);
	size_t n = 0;
	rc = all ? LA_OK : nomem();
	size_t index = 0;
	const char *key;
	void *value;
	while (rc == LA_OK && la__strmap_next(&m->products, &index, &key, &value)) {
		const la_product *p = value;
		if (sku && strcmp(la_product_sku(p), sku) != 0)
			continue;
		for (size_t i = 0; i < la_product_batch_count(p); i++) {
			const la_batch *b = la_product_batch_at(p, i);
			batch_entry e = {b, la_product_sku(p), la_date_key(la_batch_eta(b)),
			                 la_batch_sequence(b)};
			if (!cursor_sku ||
			    la__batch_order_compare(e.sku, e.eta_key, e.sequence, cursor_sku,
			                            cursor_key, cursor_sequence) > 0)
				all[n++] = e;
		}
	}
	if (rc == LA_OK)
		qsort(all, n, sizeof *all, compare_batches);
	for (size_t i = 0; rc == LA_OK && i < n && i < limit; i++) {
		const la_batch *b = all[i].batch;
		const la_product *p = la__strmap_get(&m->products, all[i].sku);
		rc = la_batch_page_append_row(into, la_batch_reference(b), all[i].sku,
		                              la_batch_eta(b), la_batch_purchased_quantity(b),
		                              la_batch_allocated_quantity(b),
		                              la_batch_line_count(b), la_batch_held_quantity(b),
		                              la_product_waiting_quantity(p));
	}
	if (rc == LA_OK && n > limit)
		rc = page_next(into, &all[limit - 1]);
	pthread_mutex_unlock(&m->lock);
	la__free(all);
	la_free(cursor_sku); /* the core allocated it */
	return rc;
}

static int memory_batch(la_batch_page *into, const char *ref, void *state)
{
	memory_store *m = state;
	int rc = LA_OK;
	pthread_mutex_lock(&m->lock);
	const la_product *p = la__strmap_get(&m->batch_index, ref);
	const la_batch *b = p ? la_product_find_batch(p, ref) : NULL;
	if (b)
		rc = la_batch_page_append_row(
		    into, ref, la_product_sku(p), la_batch_eta(b), la_batch_purchased_quantity(b),
		    la_batch_allocated_quantity(b), la_batch_line_count(b),
		    la_batch_held_quantity(b), la_product_waiting_quantity(p));
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ---- check and repair (check.h) ---- */

/* The read-model row of orderid's line of sku, or NULL. */
static order_row *find_row(memory_store *m, const char *orderid, const char *sku)
{
	order_view *view = la__strmap_get(&m->orders, orderid);
	for (size_t i = 0; view && i < view->count; i++) {
		if (strcmp(view->rows[i].sku, sku) == 0)
			return &view->rows[i];
	}
	return NULL;
}

static int same_ref(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* What a batch's lines add up to. */
typedef struct batch_sums {
	const la_batch *batch;
	int64_t allocated, lines, held;
} batch_sums;

typedef struct line_walk {
	memory_store *m;
	la_product *product;
	la_check_report *into;
	int repair;
	batch_sums *sums; /* one per batch, in preference order (the walk's) */
	size_t count, cursor;
	int64_t waiting;
} line_walk;

static const char *shown(const char *ref)
{
	return ref ? ref : "(waiting)";
}

/* The line's own invariants; its batch's sums. */
static int check_line(line_walk *w, const char *orderid, const char *batchref, int64_t qty,
                      int64_t expires)
{
	const char *sku = la_product_sku(w->product);
	const la_batch *indexed = la_product_find_line(w->product, orderid);
	int rc = LA_OK;
	if (!batchref) {
		w->waiting += qty;
	} else {
		while (w->cursor < w->count &&
		       strcmp(la_batch_reference(w->sums[w->cursor].batch), batchref) != 0)
			w->cursor++;
		if (w->cursor < w->count) {
			batch_sums *b = &w->sums[w->cursor];
			b->allocated += qty;
			b->lines++;
			b->held += expires ? qty : 0;
		}
	}
	if (w->repair)
		return LA_OK;
	if (qty <= 0)
		rc = la_check_report_append(w->into, LA_CHECK_QUANTITY_NOT_POSITIVE, batchref,
		                            orderid, sku,
		                            "order %s's line of %s on %s has quantity %lld",
		                            orderid, sku, shown(batchref), (long long)qty);
	if (rc == LA_OK && !batchref && indexed)
		rc =
		    la_check_report_append(w->into, LA_CHECK_WAITING_AND_ALLOCATED,
		                           la_batch_reference(indexed), orderid, sku,
		                           "order %s's line of %s waits for stock and is allocated "
		                           "on %s",
		                           orderid, sku, la_batch_reference(indexed));
	if (rc == LA_OK && batchref &&
	    (!indexed || strcmp(la_batch_reference(indexed), batchref) != 0))
		rc = la_check_report_append(
		    w->into, LA_CHECK_DUPLICATE_LINE, batchref, orderid, sku,
		    "order %s has more than one line of %s (one on %s)", orderid, sku, batchref);
	return rc;
}

/* Every line of the product has its row in the read model, on its batch. */
static int visit_line(const char *orderid, const char *batchref, int64_t qty, int64_t expires,
                      void *arg)
{
	line_walk *w = arg;
	int rc = check_line(w, orderid, batchref, qty, expires);
	const char *sku = la_product_sku(w->product);
	order_row *row = find_row(w->m, orderid, sku);
	if (rc != LA_OK || (row && same_ref(row->batchref, batchref)))
		return rc;
	if (!w->repair)
		return la_check_report_append(
		    w->into, LA_CHECK_READ_MODEL_MISMATCH, batchref, orderid, sku,
		    "order %s's line of %s is on %s but the read model %s%s", orderid, sku,
		    shown(batchref), row ? "shows it on " : "lacks it",
		    row ? shown(row->batchref) : "");
	const la_batch *b = batchref ? la_product_find_batch(w->product, batchref) : NULL;
	const char *stable = b ? la_batch_reference(b) : NULL;
	if (row) {
		row->batchref = stable;
	} else {
		order_view *view = order_view_get(w->m, orderid);
		if (!view || reserve_row(view, 1) != LA_OK)
			return nomem();
		view->rows[view->count++] = (order_row){sku, stable};
	}
	return la_check_report_append(w->into, LA_CHECK_READ_MODEL_MISMATCH, batchref, orderid, sku,
	                              "read model: order %s's line of %s %s %s", orderid, sku,
	                              row ? "moved to" : "added on", shown(batchref));
}

/* One figure a product keeps against what its lines give: a violation, or
 * (repair) the change about to be made. */
static int compare(line_walk *w, int kind, const char *ref, const char *what, int64_t stored,
                   int64_t computed)
{
	if (stored == computed)
		return LA_OK;
	const char *sku = la_product_sku(w->product);
	if (w->repair)
		return la_check_report_append(w->into, kind, ref, NULL, sku,
		                              "%s %s: %s %lld -> %lld", ref ? "batch" : "product",
		                              ref ? ref : sku, what, (long long)stored,
		                              (long long)computed);
	return la_check_report_append(w->into, kind, ref, NULL, sku,
	                              "%s %s stores %s %lld but its lines give %lld",
	                              ref ? "batch" : "product", ref ? ref : sku, what,
	                              (long long)stored, (long long)computed);
}

static int compare_figures(line_walk *w)
{
	int rc = LA_OK;
	for (size_t i = 0; rc == LA_OK && i < w->count; i++) {
		const batch_sums *s = &w->sums[i];
		const char *ref = la_batch_reference(s->batch);
		rc = compare(w, LA_CHECK_ALLOCATED_MISMATCH, ref, "allocated",
		             la_batch_allocated_quantity(s->batch), s->allocated);
		if (rc == LA_OK)
			rc = compare(w, LA_CHECK_LINE_COUNT_MISMATCH, ref, "line count",
			             la_batch_line_count(s->batch), s->lines);
		if (rc == LA_OK)
			rc = compare(w, LA_CHECK_HELD_MISMATCH, ref, "held",
			             la_batch_held_quantity(s->batch), s->held);
		if (rc == LA_OK && !w->repair &&
		    s->allocated > la_batch_purchased_quantity(s->batch))
			rc = la_check_report_append(
			    w->into, LA_CHECK_OVER_ALLOCATED, ref, NULL, la_product_sku(w->product),
			    "batch %s has %lld allocated of %lld purchased", ref,
			    (long long)s->allocated,
			    (long long)la_batch_purchased_quantity(s->batch));
	}
	if (rc == LA_OK)
		rc = compare(w, LA_CHECK_ALLOCATED_MISMATCH, NULL, "waiting",
		             la_product_waiting_quantity(w->product), w->waiting);
	return rc;
}

/* A product: its version, its lines, its figures, its read-model rows. */
static int check_product(memory_store *m, la_product *p, la_check_report *into, int repair)
{
	const char *sku = la_product_sku(p);
	if (!repair && la_product_version(p) <= 0) {
		int rc = la_check_report_append(into, LA_CHECK_VERSION_NOT_POSITIVE, NULL, NULL,
		                                sku, "product %s has version %lld", sku,
		                                (long long)la_product_version(p));
		if (rc != LA_OK)
			return rc;
	}
	size_t count = la_product_batch_count(p);
	line_walk w = {m, p, into, repair, la__calloc(count + 1, sizeof *w.sums), count, 0, 0};
	if (!w.sums)
		return nomem();
	for (size_t i = 0; i < count; i++)
		w.sums[i].batch = la_product_batch_at(p, i);
	int rc = la_product_walk_lines(p, visit_line, &w);
	if (rc == LA_OK)
		rc = compare_figures(&w);
	if (rc == LA_OK && repair)
		(void)la_product_recount(p); /* the changes just reported */
	la__free(w.sums);
	return rc;
}

/* The line a read-model row shows exists, where the row says. */
static int row_has_line(memory_store *m, const char *orderid, const order_row *row)
{
	const la_product *p = la__strmap_get(&m->products, row->sku);
	if (!p)
		return 0;
	if (!row->batchref)
		return la_product_find_waiting(p, orderid) > 0;
	const la_batch *b = la_product_find_line(p, orderid);
	return b && strcmp(la_batch_reference(b), row->batchref) == 0;
}

/* Rows that show a line the products do not have (or twice). */
static int check_rows(memory_store *m, la_check_report *into, int repair)
{
	size_t index = 0;
	const char *key;
	void *value;
	int rc = LA_OK;
	while (rc == LA_OK && la__strmap_next(&m->orders, &index, &key, &value)) {
		order_view *view = value;
		for (size_t i = 0; rc == LA_OK && i < view->count;) {
			order_row row = view->rows[i];
			int twice = find_row(m, key, row.sku) != &view->rows[i];
			if (row_has_line(m, key, &row) && !twice) {
				i++;
				continue;
			}
			rc = la_check_report_append(
			    into, LA_CHECK_READ_MODEL_MISMATCH, row.batchref, key, row.sku,
			    repair ? "read model: removed order %s's row of %s on %s%s"
			           : "the read model shows order %s's line of %s on %s%s",
			    key, row.sku, shown(row.batchref),
			    twice ? " twice" : (repair ? "" : ", where there is none"));
			if (!repair) {
				i++;
				continue;
			}
			memmove(view->rows + i, view->rows + i + 1,
			        (view->count - i - 1) * sizeof *view->rows);
			view->count--;
		}
	}
	return rc;
}

static int memory_check_or_repair(la_check_report *into, memory_store *m, int repair)
{
	pthread_mutex_lock(&m->lock);
	int rc = repair ? check_rows(m, into, 1) : LA_OK;
	size_t index = 0;
	const char *key;
	void *value;
	while (rc == LA_OK && la__strmap_next(&m->products, &index, &key, &value))
		rc = check_product(m, value, into, repair);
	if (rc == LA_OK && !repair)
		rc = check_rows(m, into, 0);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int memory_check(la_check_report *into, void *state)
{
	return memory_check_or_repair(into, state, 0);
}

static int memory_repair(la_check_report *into, void *state)
{
	return memory_check_or_repair(into, state, 1);
}

static void memory_close(void *state)
{
	memory_store *m = state;
	size_t index = 0;
	const char *key;
	void *value;
	while (la__strmap_next(&m->products, &index, &key, &value))
		la_product_free(value);
	index = 0;
	while (la__strmap_next(&m->orders, &index, &key, &value)) {
		order_view *view = value;
		if (view->rows != &view->first_row)
			la__free(view->rows);
		la__free(view);
	}
	for (size_t i = 0; i < m->pending_count; i++)
		la__free(m->pending[i].orderid);
	la__free(m->pending);
	la__free(m->staged);
	la__strmap_dispose(&m->products);
	la__strmap_dispose(&m->batch_index);
	la__strmap_dispose(&m->orders);
	memory_history_dispose(&m->history);
	la__free(m->touched);
	la__free(m->added);
	la__free(m->prepared);
	la__free(m->positions);
	pthread_mutex_destroy(&m->lock);
	la__free(m);
}

static const la_store_port memory_port = {
    .version = LA_STORE_PORT_VERSION,
    .name = "memory",
    .begin = memory_begin,
    .commit = memory_commit,
    .rollback = memory_rollback,
    .end = memory_end,
    .add = memory_add,
    .get = memory_get,
    .get_by_batchref = memory_get_by_batchref,
    .load_line = memory_load_nothing,
    .load_batch_lines = memory_load_nothing,
    .allocations = memory_allocations,
    .batches = memory_batches,
    .relay_outbox = NULL,
    .close = memory_close,
    .batch = memory_batch,
    .lines_of_order = memory_lines_of_order,
    .expired_holds = memory_expired_holds,
    .pending_reallocations = memory_pending_reallocations,
    .history = memory_history_of,
    .check = memory_check,
    .repair = memory_repair,
};

int la_memory_options_init(la_memory_options *opts, unsigned int version)
{
	if (!opts || version < 1 || version > LA_MEMORY_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED, "memory options version %u is not supported",
		                    version);
	la_memory_options defaults = LA_MEMORY_OPTIONS_INIT;
	*opts = defaults;
	opts->version = version;
	return LA_OK;
}

int la_memory_store_new(la_store **out)
{
	return la_memory_store_open(out, NULL);
}

int la_memory_store_open(la_store **out, const la_memory_options *opts)
{
	if (opts && (opts->version < 1 || opts->version > LA_MEMORY_OPTIONS_VERSION))
		return la_error_set(LA_EUNSUPPORTED, "memory options version %u is not supported",
		                    opts->version);
	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	memory_store *m = la__calloc(1, sizeof *m);
	if (!m)
		return nomem();
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		la__free(m);
		return la_error_set(LA_ENOMEM, "cannot create a mutex");
	}
	return la_store_new(out, &memory_port, m);
}
