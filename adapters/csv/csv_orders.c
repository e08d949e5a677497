/*
 * allocate-from-csv (spec §5): allocate every line of orders.csv through the
 * message bus on the folder's store, then rewrite allocations.csv once, with
 * the old rows first and the new ones in order. All or nothing: a bad row or
 * a failed command leaves every file as it was.
 */
#include "csv_store.h"
#include "util/errno_text.h"

#include <allocation/bus.h>
#include <allocation/csv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_orders(csv_table *t, size_t col[3], const csv_store *s)
{
	char *text = NULL;
	size_t len = 0;
	csv_stamp stamp;
	int err = csv_file_read(&text, &len, &stamp, s->dirfd, CSV_ORDERS_FILE);
	char why[LA__ERRNO_TEXT_SIZE];
	if (err)
		return la_error_set(LA_EIO, "%s: cannot read: %s", CSV_ORDERS_FILE,
		                    la__errno_text(-err, why));
	int rc = csv_orders_parse(t, col, text, len);
	free(text);
	return rc;
}

static int allocate_row(size_t *allocated, size_t *out_of_stock, la_bus *bus, const csv_record *row,
                        const size_t col[3])
{
	int64_t qty = 0;
	la__parse_int64(row->fields[col[2]], &qty); /* checked by csv_orders_parse */
	la_message *cmd = NULL;
	int rc = la_command_allocate(&cmd, row->fields[col[0]], row->fields[col[1]], qty);
	if (rc == LA_OK)
		rc = la_bus_handle(bus, cmd);
	la_message_free(cmd);
	if (rc) {
		char msg[512];
		(void)snprintf(msg, sizeof(msg), "%s", la_error_last()); /* may be cut */
		return la_error_set(rc, "%s:%zu: %s", CSV_ORDERS_FILE, row->line, msg);
	}
	if (la_bus_result_batchref(bus))
		(*allocated)++;
	else
		(*out_of_stock)++;
	return LA_OK;
}

LA_EXTERN(int)
la_csv_allocate_orders(size_t *out_allocated, size_t *out_out_of_stock, const char *folder,
                       const la_bus_options *opts)
{
	size_t allocated = 0, out_of_stock = 0;
	la_store *store = NULL;
	csv_store *s = NULL;
	la_bus *bus = NULL;
	csv_table orders = {0};
	size_t col[3];
	int rc = csv_store_create(&store, &s, folder);
	if (rc == LA_OK)
		rc = read_orders(&orders, col, s);
	if (rc == LA_OK)
		rc = la_bus_new(&bus, store, opts);
	if (rc == LA_OK)
		rc = csv_store_defer(s);
	if (rc == LA_OK) {
		for (size_t r = 1; rc == LA_OK && r < orders.count; r++)
			rc = allocate_row(&allocated, &out_of_stock, bus, &orders.records[r], col);
		if (rc == LA_OK)
			rc = csv_store_flush(s);
		else
			csv_store_discard(s);
	}
	csv_table_free(&orders);
	la_bus_free(bus);
	la_store_free(store);
	if (out_allocated)
		*out_allocated = rc ? 0 : allocated;
	if (out_out_of_stock)
		*out_out_of_stock = rc ? 0 : out_of_stock;
	return rc;
}
