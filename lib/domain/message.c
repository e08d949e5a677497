#include "message_internal.h"

#include "../util/alloc.h"
#include "../util/buf.h"
#include "../common/common_internal.h"
#include "../util/text.h"

#include <stdio.h>
#include <string.h>

static size_t field_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *place(char **cursor, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	memcpy(*cursor, s, n);
	const char *copy = *cursor;
	*cursor += n;
	return copy;
}

/* One allocation: the struct, the items of an order, then every string. */
int la__message_make(la_message **out, const la__message_fields *f)
{
	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	size_t items = f->item_count * sizeof(la__order_item);
	size_t size = sizeof(la_message) + items + field_size(f->orderid) + field_size(f->sku) +
	              field_size(f->batchref) + field_size(f->eta);
	for (size_t i = 0; i < f->item_count; i++)
		size += field_size(f->items[i].sku);
	la_message *m = la__malloc(size);
	if (!m)
		return la__error_nomem();
	la__order_item *copies = (la__order_item *)(void *)m->storage; /* aligned: first */
	char *cursor = m->storage + items;
	m->kind = f->kind;
	m->reason = f->reason;
	m->qty = f->qty;
	m->hold = f->hold;
	m->time = f->time;
	m->orderid = place(&cursor, f->orderid);
	m->sku = place(&cursor, f->sku);
	m->batchref = place(&cursor, f->batchref);
	m->eta = place(&cursor, f->eta);
	for (size_t i = 0; i < f->item_count; i++)
		copies[i] = (la__order_item){place(&cursor, f->items[i].sku), f->items[i].qty};
	m->item_count = f->item_count;
	m->items = f->item_count ? copies : NULL;
	*out = m;
	return LA_OK;
}

int la__message_build(la_message **out, int kind, const char *orderid, const char *sku,
                      const char *batchref, const char *eta, int64_t qty, int reason)
{
	la__message_fields f = {.kind = kind,
	                        .reason = reason,
	                        .qty = qty,
	                        .orderid = orderid,
	                        .sku = sku,
	                        .batchref = batchref,
	                        .eta = eta};
	return la__message_make(out, &f);
}

int la__reallocation_command(la_message **out, const la_message *deallocated)
{
	la__message_fields f = {.kind = LA_CMD_ALLOCATE,
	                        .qty = deallocated->qty,
	                        .time = deallocated->time, /* a held line keeps its end */
	                        .orderid = deallocated->orderid,
	                        .sku = deallocated->sku};
	return la__message_make(out, &f);
}

static int check_qty(int64_t qty, const char *field, int allow_zero)
{
	if (qty < 0 || (qty == 0 && !allow_zero))
		return la_error_set(LA_EINVAL, "%s must be %s, got %lld", field,
		                    allow_zero ? "zero or more" : "greater than zero",
		                    (long long)qty);
	return LA_OK;
}

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		int check_rc_ = (expr);                                                            \
		if (check_rc_ != LA_OK)                                                            \
			return check_rc_;                                                          \
	} while (0)

int la_command_create_batch(la_message **out, const char *ref, const char *sku, int64_t qty,
                            const char *eta)
{
	int32_t key;
	CHECK(la_check_string(ref, "ref"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 1));
	CHECK(la__check_date(&key, eta, "eta"));
	return la__message_build(out, LA_CMD_CREATE_BATCH, NULL, sku, ref, eta, qty, 0);
}

int la_command_allocate(la_message **out, const char *orderid, const char *sku, int64_t qty)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 0));
	return la__message_build(out, LA_CMD_ALLOCATE, orderid, sku, NULL, NULL, qty, 0);
}

static int check_hold(int64_t hold_seconds)
{
	if (hold_seconds < 0 || hold_seconds > LA_HOLD_MAX_SECONDS)
		return la_error_set(LA_EINVAL, "hold_seconds must be 0 to %d, got %lld",
		                    LA_HOLD_MAX_SECONDS, (long long)hold_seconds);
	return LA_OK;
}

int la_command_allocate_with(la_message **out, const char *orderid, const char *sku, int64_t qty,
                             int64_t hold_seconds, const char *promise)
{
	int32_t key;
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 0));
	CHECK(check_hold(hold_seconds));
	CHECK(la__check_date(&key, promise, "promise"));
	la__message_fields f = {.kind = LA_CMD_ALLOCATE,
	                        .qty = qty,
	                        .hold = hold_seconds,
	                        .orderid = orderid,
	                        .sku = sku,
	                        .eta = promise};
	return la__message_make(out, &f);
}

/* Every line valid, and no sku twice (an order of at most a thousand lines:
 * comparing each pair is cheap and needs no memory). */
static int check_order_lines(const char *const *skus, const int64_t *qtys, size_t count)
{
	if (count == 0 || !skus || !qtys)
		return la_error_set(LA_EINVAL, "lines: an order needs at least one line");
	if (count > LA_ORDER_MAX_LINES)
		return la_error_set(LA_EINVAL, "lines: at most %d lines, got %zu",
		                    LA_ORDER_MAX_LINES, count);
	char field[48];
	for (size_t i = 0; i < count; i++) {
		(void)snprintf(field, sizeof field, "lines[%zu].sku", i);
		CHECK(la_check_string(skus[i], field));
		if (qtys[i] <= 0)
			return la_error_set(LA_EINVAL,
			                    "lines[%zu].qty must be greater than zero, got %lld", i,
			                    (long long)qtys[i]);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(skus[i], skus[j]) == 0)
				return la_error_set(
				    LA_EINVAL,
				    "lines[%zu].sku: %s is already line %zu of the order", i,
				    skus[i], j);
		}
	}
	return LA_OK;
}

int la_command_allocate_order(la_message **out, const char *orderid, const char *const *skus,
                              const int64_t *qtys, size_t count, int64_t hold_seconds)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(check_order_lines(skus, qtys, count));
	CHECK(check_hold(hold_seconds));
	la__order_item *items = la__malloc(count * sizeof *items);
	if (!items)
		return la__error_nomem();
	for (size_t i = 0; i < count; i++)
		items[i] = (la__order_item){skus[i], qtys[i]};
	la__message_fields f = {.kind = LA_CMD_ALLOCATE_ORDER,
	                        .hold = hold_seconds,
	                        .orderid = orderid,
	                        .item_count = count,
	                        .items = items};
	int rc = la__message_make(out, &f);
	la__free(items);
	return rc;
}

int la_command_confirm(la_message **out, const char *orderid)
{
	CHECK(la_check_string(orderid, "orderid"));
	return la__message_build(out, LA_CMD_CONFIRM, orderid, NULL, NULL, NULL, 0, 0);
}

int la_command_expire_holds(la_message **out, int64_t now)
{
	if (now < 0)
		return la_error_set(LA_EINVAL, "now must not be negative, got %lld",
		                    (long long)now);
	la__message_fields f = {.kind = LA_CMD_EXPIRE_HOLDS, .time = now};
	return la__message_make(out, &f);
}

int la_command_deallocate(la_message **out, const char *orderid, const char *sku)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	return la__message_build(out, LA_CMD_DEALLOCATE, orderid, sku, NULL, NULL, 0, 0);
}

int la_command_change_batch_quantity(la_message **out, const char *ref, int64_t qty)
{
	CHECK(la_check_string(ref, "ref"));
	CHECK(check_qty(qty, "qty", 1));
	return la__message_build(out, LA_CMD_CHANGE_BATCH_QUANTITY, NULL, NULL, ref, NULL, qty, 0);
}

int la_command_cancel_batch(la_message **out, const char *ref)
{
	CHECK(la_check_string(ref, "ref"));
	return la__message_build(out, LA_CMD_CANCEL_BATCH, NULL, NULL, ref, NULL, 0, 0);
}

int la_event_allocated(la_message **out, const char *orderid, const char *sku, int64_t qty,
                       const char *batchref)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 0));
	CHECK(la_check_string(batchref, "batchref"));
	return la__message_build(out, LA_EVT_ALLOCATED, orderid, sku, batchref, NULL, qty, 0);
}

int la_event_deallocated(la_message **out, const char *orderid, const char *sku, int64_t qty,
                         int reason)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 0));
	if (reason != LA_REASON_REQUESTED && reason != LA_REASON_STOCK_REDUCED &&
	    reason != LA_REASON_EXPIRED)
		return la_error_set(LA_EINVAL,
		                    "reason must be requested, stock_reduced or expired");
	return la__message_build(out, LA_EVT_DEALLOCATED, orderid, sku, NULL, NULL, qty, reason);
}

int la_event_allocated_held(la_message **out, const char *orderid, const char *sku, int64_t qty,
                            const char *batchref, int64_t expires)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 0));
	CHECK(la_check_string(batchref, "batchref"));
	if (expires <= 0)
		return la_error_set(LA_EINVAL, "expires must be a time after 1970");
	la__message_fields f = {.kind = LA_EVT_ALLOCATED,
	                        .qty = qty,
	                        .time = expires,
	                        .orderid = orderid,
	                        .sku = sku,
	                        .batchref = batchref};
	return la__message_make(out, &f);
}

int la_event_confirmed(la_message **out, const char *orderid, const char *sku, int64_t qty,
                       const char *batchref)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 0));
	CHECK(la_check_string(batchref, "batchref"));
	return la__message_build(out, LA_EVT_CONFIRMED, orderid, sku, batchref, NULL, qty, 0);
}

int la_event_backordered(la_message **out, const char *orderid, const char *sku, int64_t qty)
{
	CHECK(la_check_string(orderid, "orderid"));
	CHECK(la_check_string(sku, "sku"));
	CHECK(check_qty(qty, "qty", 0));
	return la__message_build(out, LA_EVT_BACKORDERED, orderid, sku, NULL, NULL, qty, 0);
}

int la_event_out_of_stock(la_message **out, const char *sku)
{
	CHECK(la_check_string(sku, "sku"));
	return la__message_build(out, LA_EVT_OUT_OF_STOCK, NULL, sku, NULL, NULL, 0, 0);
}

int la_message_copy(la_message **out, const la_message *m)
{
	if (!out || !m)
		return la_error_set(LA_EINVAL, "message is missing");
	la__message_fields f = {.kind = m->kind,
	                        .reason = m->reason,
	                        .qty = m->qty,
	                        .hold = m->hold,
	                        .time = m->time,
	                        .orderid = m->orderid,
	                        .sku = m->sku,
	                        .batchref = m->batchref,
	                        .eta = m->eta,
	                        .item_count = m->item_count,
	                        .items = m->items};
	return la__message_make(out, &f);
}

void la_message_free(la_message *message)
{
	la_free(message);
}

int la_message_kind_of(const la_message *m)
{
	return m ? m->kind : 0;
}

int la_message_is_command(const la_message *m)
{
	return m && m->kind < 100;
}

const char *la_message_name(const la_message *m)
{
	return la__message_kind_name(la_message_kind_of(m));
}

const char *la__message_kind_name(int kind)
{
	switch (kind) {
	case LA_CMD_CREATE_BATCH:
		return "CreateBatch";
	case LA_CMD_ALLOCATE:
		return "Allocate";
	case LA_CMD_DEALLOCATE:
		return "Deallocate";
	case LA_CMD_CHANGE_BATCH_QUANTITY:
		return "ChangeBatchQuantity";
	case LA_CMD_CANCEL_BATCH:
		return "CancelBatch";
	case LA_CMD_ALLOCATE_ORDER:
		return "AllocateOrder";
	case LA_CMD_CONFIRM:
		return "Confirm";
	case LA_CMD_EXPIRE_HOLDS:
		return "ExpireHolds";
	case LA_EVT_CONFIRMED:
		return "Confirmed";
	case LA_EVT_BACKORDERED:
		return "Backordered";
	case LA_EVT_ALLOCATED:
		return "Allocated";
	case LA_EVT_DEALLOCATED:
		return "Deallocated";
	case LA_EVT_OUT_OF_STOCK:
		return "OutOfStock";
	default:
		return "Unknown";
	}
}

const char *la_message_orderid(const la_message *m)
{
	return m ? m->orderid : NULL;
}

const char *la_message_sku(const la_message *m)
{
	return m ? m->sku : NULL;
}

const char *la_message_batchref(const la_message *m)
{
	return m ? m->batchref : NULL;
}

const char *la_message_eta(const la_message *m)
{
	return m && m->kind == LA_CMD_CREATE_BATCH ? m->eta : NULL;
}

int64_t la_message_qty(const la_message *m)
{
	return m ? m->qty : 0;
}

int la_message_reason(const la_message *m)
{
	return m ? m->reason : 0;
}

const char *la_message_reason_name(const la_message *m)
{
	return la__reason_name(la_message_reason(m));
}

const char *la__reason_name(int reason)
{
	switch (reason) {
	case LA_REASON_REQUESTED:
		return "requested";
	case LA_REASON_STOCK_REDUCED:
		return "stock_reduced";
	case LA_REASON_EXPIRED:
		return "expired";
	default:
		return NULL;
	}
}

int64_t la_message_hold_seconds(const la_message *m)
{
	return m ? m->hold : 0;
}

int64_t la_message_expires(const la_message *m)
{
	return m && m->kind == LA_EVT_ALLOCATED ? m->time : 0;
}

const char *la_message_promise(const la_message *m)
{
	return m && m->kind == LA_CMD_ALLOCATE ? m->eta : NULL;
}

int64_t la_message_now(const la_message *m)
{
	return m && m->kind == LA_CMD_EXPIRE_HOLDS ? m->time : 0;
}

size_t la_message_line_count(const la_message *m)
{
	return m ? m->item_count : 0;
}

const char *la_message_line_sku(const la_message *m, size_t index)
{
	return m && index < m->item_count ? m->items[index].sku : NULL;
}

int64_t la_message_line_qty(const la_message *m, size_t index)
{
	return m && index < m->item_count ? m->items[index].qty : 0;
}

static void json_field(la__buf *buf, int *first, const char *name, const char *value)
{
	la__buf_puts(buf, *first ? "{" : ",");
	*first = 0;
	la__buf_json_string(buf, name);
	la__buf_puts(buf, ":");
	if (value)
		la__buf_json_string(buf, value);
	else
		la__buf_puts(buf, "null");
}

static void json_int(la__buf *buf, int *first, const char *name, int64_t value)
{
	la__buf_puts(buf, *first ? "{" : ",");
	*first = 0;
	la__buf_json_string(buf, name);
	la__buf_puts(buf, ":");
	la__buf_int(buf, value);
}

/* "lines":[{"sku":..,"qty":..},...] of an AllocateOrder. */
static void json_lines(la__buf *buf, int *first, const la_message *m)
{
	la__buf_puts(buf, *first ? "{" : ",");
	*first = 0;
	la__buf_puts(buf, "\"lines\":[");
	for (size_t i = 0; i < m->item_count; i++) {
		int line_first = 1;
		if (i)
			la__buf_puts(buf, ",");
		json_field(buf, &line_first, "sku", m->items[i].sku);
		json_int(buf, &line_first, "qty", m->items[i].qty);
		la__buf_puts(buf, "}");
	}
	la__buf_puts(buf, "]");
}

int la_message_to_json(char **out, const la_message *m, const char *id)
{
	if (!out || !m)
		return la_error_set(LA_EINVAL, "message is missing");
	la__buf buf = LA__BUF_INIT;
	int first = 1;
	if (id)
		json_field(&buf, &first, "id", id);
	switch (m->kind) {
	case LA_CMD_CREATE_BATCH:
		json_field(&buf, &first, "ref", m->batchref);
		json_field(&buf, &first, "sku", m->sku);
		json_int(&buf, &first, "qty", m->qty);
		json_field(&buf, &first, "eta", m->eta);
		break;
	case LA_CMD_ALLOCATE:
		json_field(&buf, &first, "orderid", m->orderid);
		json_field(&buf, &first, "sku", m->sku);
		json_int(&buf, &first, "qty", m->qty);
		if (m->hold)
			json_int(&buf, &first, "hold_seconds", m->hold);
		if (m->eta)
			json_field(&buf, &first, "promise", m->eta);
		break;
	case LA_CMD_ALLOCATE_ORDER:
		json_field(&buf, &first, "orderid", m->orderid);
		json_lines(&buf, &first, m);
		if (m->hold)
			json_int(&buf, &first, "hold_seconds", m->hold);
		break;
	case LA_CMD_CONFIRM:
		json_field(&buf, &first, "orderid", m->orderid);
		break;
	case LA_CMD_EXPIRE_HOLDS:
		json_int(&buf, &first, "now", m->time);
		break;
	case LA_EVT_CONFIRMED:
		json_field(&buf, &first, "orderid", m->orderid);
		json_field(&buf, &first, "sku", m->sku);
		json_int(&buf, &first, "qty", m->qty);
		json_field(&buf, &first, "batchref", m->batchref);
		break;
	case LA_EVT_BACKORDERED:
		json_field(&buf, &first, "orderid", m->orderid);
		json_field(&buf, &first, "sku", m->sku);
		json_int(&buf, &first, "qty", m->qty);
		break;
	case LA_CMD_DEALLOCATE:
		json_field(&buf, &first, "orderid", m->orderid);
		json_field(&buf, &first, "sku", m->sku);
		break;
	case LA_CMD_CHANGE_BATCH_QUANTITY:
		json_field(&buf, &first, "ref", m->batchref);
		json_int(&buf, &first, "qty", m->qty);
		break;
	case LA_CMD_CANCEL_BATCH:
		json_field(&buf, &first, "ref", m->batchref);
		break;
	case LA_EVT_ALLOCATED:
		json_field(&buf, &first, "orderid", m->orderid);
		json_field(&buf, &first, "sku", m->sku);
		json_int(&buf, &first, "qty", m->qty);
		json_field(&buf, &first, "batchref", m->batchref);
		if (m->time)
			json_int(&buf, &first, "expires", m->time);
		break;
	case LA_EVT_DEALLOCATED:
		json_field(&buf, &first, "orderid", m->orderid);
		json_field(&buf, &first, "sku", m->sku);
		json_int(&buf, &first, "qty", m->qty);
		json_field(&buf, &first, "reason", la_message_reason_name(m));
		break;
	case LA_EVT_OUT_OF_STOCK:
		json_field(&buf, &first, "sku", m->sku);
		break;
	}
	la__buf_puts(&buf, first ? "{}" : "}");
	*out = la__buf_take(&buf);
	return *out ? LA_OK : la__error_nomem();
}
