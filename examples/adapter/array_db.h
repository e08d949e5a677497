/*
 * The example's "database": tables of fixed-size rows behind one lock, in
 * the shape a SQL schema would have. Identifiers are at most 255 bytes (the
 * core validates them), so every text column fits in TEXT bytes and writing
 * a row into reserved room never allocates.
 */
#ifndef EXAMPLE_ARRAY_DB_H
#define EXAMPLE_ARRAY_DB_H

#include "array_store.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT 256

/* products(sku PRIMARY KEY, version_number) */
typedef struct product_row {
	char sku[TEXT];
	int64_t version;
} product_row;

/* batches(ref PRIMARY KEY, sku, purchased, eta, allocated, lines, sequence):
 * allocated and lines are kept in step with the lines table at commit, so a
 * product loads without its lines and the dashboard reads one table. */
typedef struct batch_row {
	char ref[TEXT], sku[TEXT];
	char eta[11]; /* "YYYY-MM-DD", or "" when in stock */
	int64_t purchased, allocated, lines, sequence;
} batch_row;

/* lines(sku, orderid, batchref, qty, sequence, position), unique (sku,
 * orderid). position is the allocation order the allocations view keeps. */
typedef struct line_row {
	char orderid[TEXT], sku[TEXT], batchref[TEXT];
	int64_t qty, sequence, position;
} line_row;

/* outbox(json): Allocated events of committed units of work, oldest first. */
typedef struct outbox_row {
	char *json; /* from la_message_to_json: la_free */
} outbox_row;

typedef struct table {
	char *rows;
	size_t count, capacity, row_size;
} table;

struct array_db {
	pthread_mutex_t lock; /* held by each connection for one operation */
	table products, batches, lines, outbox;
	int64_t next_position; /* allocation order of line rows */
	int64_t next_message;  /* ids of outbox messages */
};

/* Room for `more` rows: LA_OK or LA_ENOMEM (message set). */
int table_reserve(table *t, size_t more);
void *table_at(const table *t, size_t index);
/* A new zeroed row at the end, in room reserved before: never fails. */
void *table_append(table *t);
/* Remove row index by moving the last row into its place (order not kept). */
void table_remove(table *t, size_t index);
/* Remove the first n rows, keeping the order of the rest. */
void table_remove_first(table *t, size_t n);
/* The index of a row of t. */
size_t table_index(const table *t, const void *row);

/* Lookups: the row, or NULL. A real database would use an index. */
product_row *db_product(array_db *db, const char *sku);
batch_row *db_batch(array_db *db, const char *ref);
line_row *db_line(array_db *db, const char *sku, const char *orderid);

/* Copy a value the core validated (an identifier, a date; NULL → "") into
 * a column of size bytes. */
void copy_text(char *column, size_t size, const char *value);

#endif
