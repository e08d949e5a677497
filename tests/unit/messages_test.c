/* Messages: constructors copy their fields, accessors return them. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static la_message *made(int rc, la_message **mp)
{
	la_message *m = *mp;
	cr_assert_eq(rc, LA_OK, "constructor failed: %s %s", la_strerror(rc), la_error_last());
	cr_assert_not_null(m);
	return m;
}

Test(messages, create_batch)
{
	char ref[] = "batch-1", sku[] = "RED-CHAIR";
	la_message *m = NULL;
	made(la_command_create_batch(&m, ref, sku, 20, "2011-01-02"), &m);
	/* Copied: the caller's buffers may change. */
	ref[0] = sku[0] = 'X';
	cr_assert_eq(la_message_kind_of(m), LA_CMD_CREATE_BATCH);
	cr_assert(la_message_is_command(m));
	cr_assert_str_eq(la_message_name(m), "CreateBatch");
	cr_assert_str_eq(la_message_batchref(m), "batch-1");
	cr_assert_str_eq(la_message_sku(m), "RED-CHAIR");
	cr_assert_eq(la_message_qty(m), 20);
	cr_assert_str_eq(la_message_eta(m), "2011-01-02");
	cr_assert_null(la_message_orderid(m));
	cr_assert_eq(la_message_reason(m), 0);
	cr_assert_null(la_message_reason_name(m));
	la_message_free(m);

	made(la_command_create_batch(&m, "b", "s", 0, NULL), &m);
	cr_assert_null(la_message_eta(m));
	cr_assert_eq(la_message_qty(m), 0);
	la_message_free(m);
}

Test(messages, allocate_and_deallocate)
{
	la_message *m = NULL;
	made(la_command_allocate(&m, "order-1", "RED-CHAIR", 3), &m);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_ALLOCATE);
	cr_assert(la_message_is_command(m));
	cr_assert_str_eq(la_message_name(m), "Allocate");
	cr_assert_str_eq(la_message_orderid(m), "order-1");
	cr_assert_str_eq(la_message_sku(m), "RED-CHAIR");
	cr_assert_eq(la_message_qty(m), 3);
	cr_assert_null(la_message_batchref(m));
	cr_assert_null(la_message_eta(m));
	la_message_free(m);

	made(la_command_deallocate(&m, "order-1", "RED-CHAIR"), &m);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_DEALLOCATE);
	cr_assert_str_eq(la_message_name(m), "Deallocate");
	cr_assert_str_eq(la_message_orderid(m), "order-1");
	cr_assert_str_eq(la_message_sku(m), "RED-CHAIR");
	cr_assert_eq(la_message_qty(m), 0);
	cr_assert_null(la_message_batchref(m));
	la_message_free(m);
}

Test(messages, change_quantity_and_cancel)
{
	la_message *m = NULL;
	made(la_command_change_batch_quantity(&m, "batch-1", 0), &m);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_CHANGE_BATCH_QUANTITY);
	cr_assert(la_message_is_command(m));
	cr_assert_str_eq(la_message_name(m), "ChangeBatchQuantity");
	cr_assert_str_eq(la_message_batchref(m), "batch-1");
	cr_assert_eq(la_message_qty(m), 0);
	cr_assert_null(la_message_sku(m));
	la_message_free(m);

	made(la_command_cancel_batch(&m, "batch-2"), &m);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_CANCEL_BATCH);
	cr_assert_str_eq(la_message_name(m), "CancelBatch");
	cr_assert_str_eq(la_message_batchref(m), "batch-2");
	cr_assert_eq(la_message_qty(m), 0);
	cr_assert_null(la_message_orderid(m));
	la_message_free(m);
}

Test(messages, events)
{
	la_message *m = NULL;
	made(la_event_allocated(&m, "o1", "SKU", 4, "b1"), &m);
	cr_assert_eq(la_message_kind_of(m), LA_EVT_ALLOCATED);
	cr_assert_not(la_message_is_command(m));
	cr_assert_str_eq(la_message_name(m), "Allocated");
	cr_assert_str_eq(la_message_orderid(m), "o1");
	cr_assert_str_eq(la_message_sku(m), "SKU");
	cr_assert_eq(la_message_qty(m), 4);
	cr_assert_str_eq(la_message_batchref(m), "b1");
	cr_assert_eq(la_message_reason(m), 0);
	la_message_free(m);

	made(la_event_deallocated(&m, "o1", "SKU", 4, LA_REASON_REQUESTED), &m);
	cr_assert_eq(la_message_kind_of(m), LA_EVT_DEALLOCATED);
	cr_assert_str_eq(la_message_name(m), "Deallocated");
	cr_assert_eq(la_message_reason(m), LA_REASON_REQUESTED);
	cr_assert_str_eq(la_message_reason_name(m), "requested");
	cr_assert_eq(la_message_qty(m), 4);
	cr_assert_null(la_message_batchref(m));
	la_message_free(m);

	made(la_event_deallocated(&m, "o1", "SKU", 4, LA_REASON_STOCK_REDUCED), &m);
	cr_assert_str_eq(la_message_reason_name(m), "stock_reduced");
	la_message_free(m);

	made(la_event_out_of_stock(&m, "SKU"), &m);
	cr_assert_eq(la_message_kind_of(m), LA_EVT_OUT_OF_STOCK);
	cr_assert_str_eq(la_message_name(m), "OutOfStock");
	cr_assert_str_eq(la_message_sku(m), "SKU");
	cr_assert_null(la_message_orderid(m));
	cr_assert_eq(la_message_qty(m), 0);
	la_message_free(m);
}

Test(messages, copy_is_deep)
{
	la_message *m = NULL, *c = NULL;
	made(la_command_create_batch(&m, "b1", "SKU", 7, "2011-03-04"), &m);
	cr_assert_eq(la_message_copy(&c, m), LA_OK);
	la_message_free(m);
	cr_assert_eq(la_message_kind_of(c), LA_CMD_CREATE_BATCH);
	cr_assert_str_eq(la_message_batchref(c), "b1");
	cr_assert_str_eq(la_message_sku(c), "SKU");
	cr_assert_str_eq(la_message_eta(c), "2011-03-04");
	cr_assert_eq(la_message_qty(c), 7);
	la_message_free(c);

	made(la_event_deallocated(&m, "o", "S", 1, LA_REASON_STOCK_REDUCED), &m);
	cr_assert_eq(la_message_copy(&c, m), LA_OK);
	la_message_free(m);
	cr_assert_eq(la_message_reason(c), LA_REASON_STOCK_REDUCED);
	cr_assert_str_eq(la_message_orderid(c), "o");
	la_message_free(c);
}

Test(messages, null_message_reads_as_empty)
{
	cr_assert_eq(la_message_kind_of(NULL), 0);
	cr_assert_null(la_message_sku(NULL));
	cr_assert_eq(la_message_qty(NULL), 0);
	la_message_free(NULL);
	la_free(NULL);
	la_message *c = NULL;
	cr_assert_eq(la_message_copy(&c, NULL), LA_EINVAL);
}

Test(messages, accepts_255_bytes_and_multibyte_utf8)
{
	la_message *m = NULL;
	const char *long_ok = test_repeat('r', LONG_OK_LEN, 0);
	made(la_command_create_batch(&m, long_ok, long_ok, 1, NULL), &m);
	cr_assert_eq(strlen(la_message_batchref(m)), LONG_OK_LEN);
	la_message_free(m);
	made(la_command_allocate(&m, "Bestellung-\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80",
	                         "\xE6\xA4\x85\xE5\xAD\x90", 1),
	     &m);
	cr_assert_str_eq(la_message_orderid(m), "Bestellung-\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80");
	la_message_free(m);
}
