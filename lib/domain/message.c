#include "message_internal.h"

#include "../util/alloc.h"
#include "../util/buf.h"
#include "../common/common_internal.h"
#include "../util/text.h"

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

int la__message_build(la_message **out, int kind, const char *orderid, const char *sku,
                      const char *batchref, const char *eta, int64_t qty, int reason)
{
	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	size_t size = sizeof(la_message) + field_size(orderid) + field_size(sku) +
	              field_size(batchref) + field_size(eta);
	la_message *m = la__malloc(size);
	if (!m)
		return la__error_nomem();
	char *cursor = m->storage;
	m->kind = kind;
	m->reason = reason;
	m->qty = qty;
	m->orderid = place(&cursor, orderid);
	m->sku = place(&cursor, sku);
	m->batchref = place(&cursor, batchref);
	m->eta = place(&cursor, eta);
	*out = m;
	return LA_OK;
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
	if (reason != LA_REASON_REQUESTED && reason != LA_REASON_STOCK_REDUCED)
		return la_error_set(LA_EINVAL, "reason must be requested or stock_reduced");
	return la__message_build(out, LA_EVT_DEALLOCATED, orderid, sku, NULL, NULL, qty, reason);
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
	return la__message_build(out, m->kind, m->orderid, m->sku, m->batchref, m->eta, m->qty,
	                         m->reason);
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
	switch (la_message_kind_of(m)) {
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
	return m ? m->eta : NULL;
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
	switch (la_message_reason(m)) {
	case LA_REASON_REQUESTED:
		return "requested";
	case LA_REASON_STOCK_REDUCED:
		return "stock_reduced";
	default:
		return NULL;
	}
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
