/*
 * The CSV folder's content in memory: the rows of batches.csv and
 * allocations.csv with indexes, loaded and validated from the files and
 * serialised back to them. Rows are kept in file order; removed rows are
 * flagged and dropped when the file is written.
 */
#ifndef LA_CSV_DATA_H
#define LA_CSV_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "csv_format.h"
#include "util/alloc.h"
#include "util/strmap.h"
#include "util/text.h"

#define CSV_BATCHES_FILE     "batches.csv"
#define CSV_ALLOCATIONS_FILE "allocations.csv"
#define CSV_ORDERS_FILE      "orders.csv"

typedef struct csv_batch {
	char *ref, *sku, *eta; /* eta NULL: in stock */
	int64_t purchased, allocated, lines, sequence;
	int removed;
} csv_batch;

typedef struct csv_line {
	char *orderid, *sku, *batchref;
	char *key; /* in line_index: "<length of orderid>:<orderid><sku>" */
	int64_t qty, sequence;
	int removed;
} csv_line;

typedef struct csv_version {
	int64_t version;
	char sku[];
} csv_version;

typedef struct csv_data {
	csv_batch *batches;
	size_t batch_count, batch_cap;
	csv_line *lines;
	size_t line_count, line_cap;
	la__strmap batch_index; /* ref → position in batches (+1) */
	la__strmap line_index;  /* csv_line.key → position in lines (+1) */
	la__strmap versions;    /* sku → csv_version, once committed */
	int64_t base_version;   /* version of a product not committed since loading */
} csv_data;

void csv_data_free(csv_data *data);

/* Load the two files' content (allocations may be NULL: no file). On a bad
 * file or row: la_error_set with "file:line: problem", returns the code. */
int csv_data_load(csv_data *data, const char *batches, size_t batches_len, const char *allocations,
                  size_t allocations_len);

/* Parse and check orders.csv (header orderid,sku,qty; qty > 0). On success
 * *t holds the records and col[0..2] the fields of orderid, sku and qty. */
int csv_orders_parse(csv_table *t, size_t col[3], const char *text, size_t len);

/* Serialise the live rows, header first. LA_OK or LA_ENOMEM. */
int csv_data_write_batches(const csv_data *data, csv_buffer *out);
int csv_data_write_allocations(const csv_data *data, csv_buffer *out);

/* Lookups: index or -1. */
long csv_data_find_batch(const csv_data *data, const char *ref);
/* A line's index, -1 when there is none, CSV_FIND_NO_MEMORY when its key
 * (of an orderid and sku too long for the stack) could not be made. */
#define CSV_FIND_NO_MEMORY (-2L)
long csv_data_find_line(const csv_data *data, const char *orderid, const char *sku);
int64_t csv_data_version(const csv_data *data, const char *sku);
/* Non-zero when sku has a live batch (a product exists while it has one). */
int csv_data_has_product(const csv_data *data, const char *sku);

/* Mutations (LA_OK, LA_ENOMEM, or LA_ENOTFOUND / LA_ECONFLICT with a message). */
/* sequence: the domain's (la_change.sequence), or the row number on load. */
int csv_data_add_batch(csv_data *data, const char *ref, const char *sku, int64_t purchased,
                       const char *eta, int64_t sequence);
int csv_data_set_quantity(csv_data *data, const char *ref, int64_t purchased);
int csv_data_remove_batch(csv_data *data, const char *ref);
int csv_data_add_line(csv_data *data, const char *orderid, const char *sku, int64_t qty,
                      const char *batchref, int64_t sequence);
int csv_data_remove_line(csv_data *data, const char *orderid, const char *sku);
int csv_data_set_version(csv_data *data, const char *sku, int64_t version);

#endif
