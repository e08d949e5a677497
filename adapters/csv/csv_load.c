/*
 * Reading batches.csv and allocations.csv into csv_data, row by row, with
 * errors that name the file and line, and writing them back.
 */
#include "csv_data.h"

#include <allocation/sys/ports.h>

#include <stdio.h>
#include <string.h>

/* A value made safe for a one-line message: control bytes shown as '?',
 * at most 40 bytes. */
static const char *shown(char out[48], const char *value)
{
	size_t n = 0;
	for (; value[n] && n < 40; n++)
		out[n] = (char)((unsigned char)value[n] < 0x20 ? '?' : value[n]);
	out[n] = '\0';
	if (value[n])
		memcpy(out + (n > 37 ? 37 : n), "...", 4);
	return out;
}

/* Re-issue the last error (set by la_check_string etc.) as "file:line: msg". */
static int at_line(const char *file, size_t line, int code)
{
	char msg[512];
	(void)snprintf(msg, sizeof(msg), "%s", la_error_last()); /* may be cut */
	return la_error_set(code, "%s:%zu: %s", file, line, msg);
}

/* Map the header's columns onto the expected names: col[k] = index of
 * names[k] in the header. The header must hold exactly these names. */
static int read_header(size_t *col, const csv_table *t, const char *file, const char *const *names,
                       size_t count, const char *expected)
{
	if (t->count == 0)
		return la_error_set(LA_EINVAL, "%s:1: missing header row (%s)", file, expected);
	const csv_record *h = &t->records[0];
	int ok = h->count == count;
	for (size_t k = 0; ok && k < count; k++) {
		size_t found = 0;
		for (size_t i = 0; i < h->count; i++)
			if (strcmp(h->fields[i], names[k]) == 0) {
				col[k] = i;
				found++;
			}
		ok = found == 1;
	}
	if (!ok)
		return la_error_set(LA_EINVAL, "%s:%zu: header must name the columns %s", file,
		                    h->line, expected);
	return LA_OK;
}

static int read_qty(int64_t *out, const char *text, int64_t min, const char *file, size_t line)
{
	char buf[48];
	if (la__parse_int64(text, out) != 0)
		return la_error_set(LA_EINVAL, "%s:%zu: qty is not a number: \"%s\"", file, line,
		                    shown(buf, text));
	if (*out < min)
		return la_error_set(LA_EINVAL, "%s:%zu: qty must be %s: %s", file, line,
		                    min > 0 ? "> 0" : ">= 0", text);
	return LA_OK;
}

static int load_batches(csv_data *data, const csv_table *t)
{
	static const char *const names[] = {"ref", "sku", "qty", "eta"};
	const char *file = CSV_BATCHES_FILE;
	size_t col[4];
	int rc = read_header(col, t, file, names, 4, "ref,sku,qty,eta");
	for (size_t r = 1; rc == LA_OK && r < t->count; r++) {
		const csv_record *row = &t->records[r];
		char buf[48];
		if (row->count != 4)
			return la_error_set(LA_EINVAL, "%s:%zu: expected 4 fields, found %zu", file,
			                    row->line, row->count);
		const char *ref = row->fields[col[0]], *sku = row->fields[col[1]];
		const char *eta = row->fields[col[3]];
		int64_t qty;
		if (la_check_string(ref, "ref") || la_check_string(sku, "sku"))
			return at_line(file, row->line, LA_EINVAL);
		rc = read_qty(&qty, row->fields[col[2]], 0, file, row->line);
		if (rc)
			return rc;
		if (*eta && la_date_key(eta) <= 0)
			return la_error_set(LA_EINVAL,
			                    "%s:%zu: eta is not a date (YYYY-MM-DD): \"%s\"", file,
			                    row->line, shown(buf, eta));
		long dup = csv_data_find_batch(data, ref);
		if (dup >= 0)
			return la_error_set(LA_EINVAL, "%s:%zu: duplicate batch reference %s", file,
			                    row->line, ref);
		rc = csv_data_add_batch(data, ref, sku, qty, *eta ? eta : NULL,
		                        (int64_t)data->batch_count + 1); /* row order */
	}
	return rc;
}

static int load_allocations(csv_data *data, const csv_table *t)
{
	static const char *const names[] = {"orderid", "sku", "qty", "batchref"};
	const char *file = CSV_ALLOCATIONS_FILE;
	size_t col[4];
	int rc = read_header(col, t, file, names, 4, "orderid,sku,qty,batchref");
	for (size_t r = 1; rc == LA_OK && r < t->count; r++) {
		const csv_record *row = &t->records[r];
		if (row->count != 4)
			return la_error_set(LA_EINVAL, "%s:%zu: expected 4 fields, found %zu", file,
			                    row->line, row->count);
		const char *orderid = row->fields[col[0]], *sku = row->fields[col[1]];
		const char *batchref = row->fields[col[3]];
		int64_t qty;
		if (la_check_string(orderid, "orderid") || la_check_string(sku, "sku") ||
		    la_check_string(batchref, "batchref"))
			return at_line(file, row->line, LA_EINVAL);
		rc = read_qty(&qty, row->fields[col[2]], 1, file, row->line);
		if (rc)
			return rc;
		long b = csv_data_find_batch(data, batchref);
		if (b < 0)
			return la_error_set(LA_EINVAL, "%s:%zu: unknown batch reference %s", file,
			                    row->line, batchref);
		if (strcmp(data->batches[b].sku, sku) != 0)
			return la_error_set(LA_EINVAL, "%s:%zu: batch %s holds sku %s, not %s",
			                    file, row->line, batchref, data->batches[b].sku, sku);
		long found = csv_data_find_line(data, orderid, sku);
		if (found == CSV_FIND_NO_MEMORY)
			return la_error_set(LA_ENOMEM, "out of memory");
		if (found >= 0)
			return la_error_set(LA_EINVAL,
			                    "%s:%zu: order %s already has a line for sku %s", file,
			                    row->line, orderid, sku);
		if (qty > INT64_MAX - data->batches[b].allocated) /* the sum would overflow */
			return la_error_set(LA_EINVAL, "%s:%zu: batch %s would hold more than %lld",
			                    file, row->line, batchref, (long long)INT64_MAX);
		/* row order is allocation order: the sequence of a loaded line */
		rc = csv_data_add_line(data, orderid, sku, qty, batchref, (int64_t)r);
	}
	return rc;
}

static int parse_file(csv_table *t, const char *file, const char *text, size_t len)
{
	csv_error err;
	int rc = csv_parse(t, text, len, &err);
	if (rc == CSV_ENOMEM)
		return la_error_set(LA_ENOMEM, "out of memory reading %s", file);
	if (rc)
		return la_error_set(LA_EINVAL, "%s:%zu: %s", file, err.line, err.message);
	return LA_OK;
}

int csv_data_load(csv_data *data, const char *batches, size_t batches_len, const char *allocations,
                  size_t allocations_len)
{
	memset(data, 0, sizeof(*data));
	csv_table t;
	int rc = parse_file(&t, CSV_BATCHES_FILE, batches, batches_len);
	if (rc == LA_OK) {
		rc = load_batches(data, &t);
		csv_table_free(&t);
	}
	if (rc == LA_OK && allocations) {
		rc = parse_file(&t, CSV_ALLOCATIONS_FILE, allocations, allocations_len);
		if (rc == LA_OK) {
			rc = load_allocations(data, &t);
			csv_table_free(&t);
		}
	}
	if (rc) {
		csv_data_free(data);
		return rc;
	}
	for (size_t i = 0; i < data->batch_count; i++)
		if (data->batches[i].allocated >
		    data->batches[i].purchased) /* e.g. a crash between two renames */
			la_log(LA_LOG_WARN, "%s: batch %s has %lld allocated of %lld purchased",
			       CSV_BATCHES_FILE, data->batches[i].ref,
			       (long long)data->batches[i].allocated,
			       (long long)data->batches[i].purchased);
	/* above every loaded sequence (rows in order), so new batches and lines
	 * sort as the most recent */
	data->base_version =
	    (int64_t)(data->line_count > data->batch_count ? data->line_count : data->batch_count) +
	    1;
	return LA_OK;
}

int csv_orders_parse(csv_table *t, size_t col[3], const char *text, size_t len)
{
	static const char *const names[] = {"orderid", "sku", "qty"};
	const char *file = CSV_ORDERS_FILE;
	int rc = parse_file(t, file, text, len);
	if (rc)
		return rc;
	rc = read_header(col, t, file, names, 3, "orderid,sku,qty");
	for (size_t r = 1; rc == LA_OK && r < t->count; r++) {
		const csv_record *row = &t->records[r];
		int64_t qty;
		if (row->count != 3)
			rc = la_error_set(LA_EINVAL, "%s:%zu: expected 3 fields, found %zu", file,
			                  row->line, row->count);
		else if (la_check_string(row->fields[col[0]], "orderid") ||
		         la_check_string(row->fields[col[1]], "sku"))
			rc = at_line(file, row->line, LA_EINVAL);
		else
			rc = read_qty(&qty, row->fields[col[2]], 1, file, row->line);
	}
	if (rc)
		csv_table_free(t);
	return rc;
}

int csv_data_write_batches(const csv_data *data, csv_buffer *out)
{
	static const char *const header[] = {"ref", "sku", "qty", "eta"};
	if (csv_write_record(out, header, 4))
		return la_error_set(LA_ENOMEM, "out of memory");
	for (size_t i = 0; i < data->batch_count; i++) {
		const csv_batch *b = &data->batches[i];
		if (b->removed)
			continue;
		char qty[24];
		(void)snprintf(qty, sizeof(qty), "%lld", (long long)b->purchased); /* fits */
		const char *row[] = {b->ref, b->sku, qty, b->eta ? b->eta : ""};
		if (csv_write_record(out, row, 4))
			return la_error_set(LA_ENOMEM, "out of memory");
	}
	return LA_OK;
}

int csv_data_write_allocations(const csv_data *data, csv_buffer *out)
{
	static const char *const header[] = {"orderid", "sku", "qty", "batchref"};
	if (csv_write_record(out, header, 4))
		return la_error_set(LA_ENOMEM, "out of memory");
	for (size_t i = 0; i < data->line_count; i++) {
		const csv_line *l = &data->lines[i];
		if (l->removed)
			continue;
		char qty[24];
		(void)snprintf(qty, sizeof(qty), "%lld", (long long)l->qty); /* fits */
		const char *row[] = {l->orderid, l->sku, qty, l->batchref};
		if (csv_write_record(out, row, 4))
			return la_error_set(LA_ENOMEM, "out of memory");
	}
	return LA_OK;
}
