/*
 * la_csv_import_orders: a file in orders.csv form (spec §5) streamed into a
 * bus, so many lines per transaction (la_bus_handle_many), with the results
 * of allocating them one by one in file order.
 *
 * The file is read in chunks; each chunk is cut after its last complete
 * record (a line break outside quotes), parsed with the RFC 4180 reader, and
 * its records are handed to the bus a group at a time: memory stays bounded
 * by the chunk and the group, whatever the size of the file.
 */
#include "csv_data.h"
#include "util/errno_text.h"

#include <allocation/bus.h>
#include <allocation/csv.h>
#include <allocation/sys/errors.h>
#include <allocation/validation.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_BYTES (1u << 20)

/* One line of the group: the command built from it, or why it could not be. */
typedef struct pending_line {
	size_t line;
	char *orderid, *sku; /* copies, for the callback */
	int64_t qty;
	la_message *command; /* NULL: refused before the bus (status, message) */
	int status;
	char *message;
} pending_line;

typedef struct importer {
	la_bus *bus;
	const char *name; /* for messages: the file's path */
	la_csv_line_fn on_line;
	void *payload;
	size_t per_transaction;
	size_t col[3]; /* orderid, sku, qty: from the header */
	int have_header;
	pending_line *group;
	size_t group_count;
	const la_message **commands; /* the group's commands, for la_bus_handle_many */
	size_t allocated, out_of_stock, failed;
} importer;

static void clear_line(pending_line *p)
{
	free(p->orderid);
	free(p->sku);
	free(p->message);
	la_message_free(p->command);
	memset(p, 0, sizeof *p);
}

static int report(importer *im, const pending_line *p, int status, const char *batchref,
                  const char *message)
{
	if (status != LA_OK)
		im->failed++;
	else if (batchref)
		im->allocated++;
	else
		im->out_of_stock++;
	if (!im->on_line)
		return LA_OK;
	int rc = im->on_line(p->line, p->orderid ? p->orderid : "", p->sku ? p->sku : "", p->qty,
	                     status, batchref, status == LA_OK ? "" : message, im->payload);
	return rc == LA_OK ? LA_OK
	                   : la_error_set(LA_EUSER, "%s:%zu: the line callback stopped the import",
	                                  im->name, p->line);
}

/* Hand the group to the bus as one transaction, then report every line in
 * file order. */
static int flush_group(importer *im)
{
	size_t n = 0;
	for (size_t i = 0; i < im->group_count; i++)
		if (im->group[i].command)
			im->commands[n++] = im->group[i].command;
	int rc = n ? la_bus_handle_many(im->bus, im->commands, n) : LA_OK;
	if (rc != LA_OK) {
		char msg[1024];
		(void)snprintf(msg, sizeof msg, "%s", la_error_last()); /* may be cut */
		size_t first = im->group[0].line;
		for (size_t i = 0; i < im->group_count; i++)
			clear_line(&im->group[i]);
		im->group_count = 0;
		return la_error_set(rc,
		                    "%s:%zu: the transaction of this line and the next failed; "
		                    "nothing from here on was imported: %s",
		                    im->name, first, msg);
	}
	size_t k = 0;
	for (size_t i = 0; i < im->group_count && rc == LA_OK; i++) {
		pending_line *p = &im->group[i];
		if (!p->command) {
			rc = report(im, p, p->status, NULL, p->message ? p->message : "");
			continue;
		}
		rc = report(im, p, la_bus_result_status(im->bus, k),
		            la_bus_result_batchref_at(im->bus, k), la_bus_result_error(im->bus, k));
		k++;
	}
	for (size_t i = 0; i < im->group_count; i++)
		clear_line(&im->group[i]);
	im->group_count = 0;
	return rc;
}

static char *copy_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A line the bus never sees: refused with status and the message set now. */
static void refuse(pending_line *p, int status, const char *fmt, const char *detail)
{
	char message[512];
	(void)snprintf(message, sizeof message, fmt, detail); /* a long detail is cut */
	p->status = status;
	p->message = strdup(message);
}

static int add_record(importer *im, const csv_record *record)
{
	pending_line *p = &im->group[im->group_count++];
	memset(p, 0, sizeof *p);
	p->line = record->line;
	if (record->count != 3) {
		char found[24];
		(void)snprintf(found, sizeof found, "%zu", record->count); /* fits */
		refuse(p, LA_EINVAL, "expected 3 fields (orderid,sku,qty), found %s", found);
	} else {
		const char *orderid = record->fields[im->col[0]], *sku = record->fields[im->col[1]];
		const char *qty = record->fields[im->col[2]];
		p->orderid = copy_or_null(orderid);
		p->sku = copy_or_null(sku);
		if (!p->orderid || !p->sku)
			return la_error_set(LA_ENOMEM, "out of memory");
		if (la_parse_int64(&p->qty, qty, "qty") != LA_OK)
			refuse(p, LA_EINVAL, "qty is not a whole number: \"%.40s\"", qty);
		else if (la_command_allocate(&p->command, orderid, sku, p->qty) != LA_OK)
			refuse(p, la_error_last_code(), "%s", la_error_last());
	}
	if (!p->command && !p->message)
		return la_error_set(LA_ENOMEM, "out of memory");
	return im->group_count == im->per_transaction ? flush_group(im) : LA_OK;
}

static int read_header(importer *im, const csv_record *h)
{
	static const char *const names[] = {"orderid", "sku", "qty"};
	int ok = h->count == 3;
	for (size_t k = 0; ok && k < 3; k++) {
		size_t found = 0;
		for (size_t i = 0; i < h->count; i++)
			if (strcmp(h->fields[i], names[k]) == 0) {
				im->col[k] = i;
				found++;
			}
		ok = found == 1;
	}
	if (!ok)
		return la_error_set(LA_EINVAL,
		                    "%s:%zu: header must name the columns orderid,sku,qty",
		                    im->name, h->line);
	im->have_header = 1;
	return LA_OK;
}

/* Parse text (whole records only), its first line being `first_line`. */
static int take_records(importer *im, const char *text, size_t len, size_t first_line)
{
	csv_table table;
	csv_error err;
	int rc = csv_parse(&table, text, len, &err);
	if (rc == CSV_ENOMEM)
		return la_error_set(LA_ENOMEM, "out of memory reading %s", im->name);
	if (rc)
		return la_error_set(LA_EINVAL, "%s:%zu: %s", im->name, first_line + err.line - 1,
		                    err.message);
	for (size_t r = 0; rc == LA_OK && r < table.count; r++) {
		csv_record *record = &table.records[r];
		record->line += first_line - 1;
		rc = im->have_header ? add_record(im, record) : read_header(im, record);
	}
	csv_table_free(&table);
	return rc;
}

/* Length of the complete records at the start of text: up to and with the
 * last line break outside quotes (0 when there is none yet). Counts the
 * line breaks in them into *lines. */
static size_t complete_records(const char *text, size_t len, size_t *lines)
{
	size_t end = 0, breaks = 0, breaks_at_end = 0;
	int quoted = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"')
			quoted = !quoted; /* a doubled quote flips twice */
		else if (text[i] == '\n') {
			breaks++;
			if (!quoted) {
				end = i + 1;
				breaks_at_end = breaks;
			}
		}
	}
	*lines = breaks_at_end;
	return end;
}

static int import_fd(importer *im, int fd)
{
	size_t cap = CHUNK_BYTES, len = 0, line = 1;
	char *buf = malloc(cap);
	if (!buf)
		return la_error_set(LA_ENOMEM, "out of memory");
	int rc = LA_OK, eof = 0;
	while (rc == LA_OK && !eof) {
		if (len == cap) { /* one record longer than the buffer: grow it */
			char *grown = realloc(buf, cap * 2);
			if (!grown) {
				rc = la_error_set(LA_ENOMEM, "out of memory");
				break;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			char why[LA__ERRNO_TEXT_SIZE];
			rc = la_error_set(LA_EIO, "%s: cannot read: %s", im->name,
			                  la__errno_text(errno, why));
			break;
		}
		len += (size_t)got;
		eof = got == 0;
		size_t lines = 0;
		size_t whole = eof ? len : complete_records(buf, len, &lines);
		if (whole == 0)
			continue;
		rc = take_records(im, buf, whole, line);
		if (!eof) {
			memmove(buf, buf + whole, len - whole);
			len -= whole;
			line += lines;
		}
	}
	free(buf);
	if (rc == LA_OK && im->group_count)
		rc = flush_group(im);
	if (rc == LA_OK && !im->have_header)
		rc =
		    la_error_set(LA_EINVAL, "%s:1: missing header row (orderid,sku,qty)", im->name);
	return rc;
}

int la_csv_import_orders(size_t *out_allocated, size_t *out_out_of_stock, size_t *out_failed,
                         la_bus *bus, const char *path, size_t lines_per_transaction,
                         la_csv_line_fn on_line, void *payload)
{
	if (out_allocated)
		*out_allocated = 0;
	if (out_out_of_stock)
		*out_out_of_stock = 0;
	if (out_failed)
		*out_failed = 0;
	if (!bus || !path)
		return la_error_set(LA_EINVAL, "bus and path are required");
	if (lines_per_transaction == 0)
		lines_per_transaction = LA_CSV_IMPORT_DEFAULT_LINES;
	if (lines_per_transaction > LA_CSV_IMPORT_MAX_LINES)
		return la_error_set(LA_EINVAL, "at most %d lines per transaction, not %zu",
		                    LA_CSV_IMPORT_MAX_LINES, lines_per_transaction);
	importer im = {.bus = bus,
	               .name = path,
	               .on_line = on_line,
	               .payload = payload,
	               .per_transaction = lines_per_transaction};
	im.group = calloc(lines_per_transaction, sizeof *im.group);
	im.commands = calloc(lines_per_transaction, sizeof *im.commands);
	int rc = im.group && im.commands ? LA_OK : la_error_set(LA_ENOMEM, "out of memory");
	int fd = -1;
	char why[LA__ERRNO_TEXT_SIZE];
	if (rc == LA_OK && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = la_error_set(LA_EIO, "%s: cannot open: %s", path, la__errno_text(errno, why));
	if (rc == LA_OK)
		rc = import_fd(&im, fd);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < im.group_count; i++)
		clear_line(&im.group[i]);
	free(im.group);
	free(im.commands);
	if (out_allocated)
		*out_allocated = im.allocated;
	if (out_out_of_stock)
		*out_out_of_stock = im.out_of_stock;
	if (out_failed)
		*out_failed = im.failed;
	return rc;
}
