/* The example's "database": see array_db.h. */
#include "array_db.h"

#include <allocation/sys/ports.h>
#include <stdlib.h>
#include <string.h>

int table_reserve(table *t, size_t more)
{
	if (t->count + more <= t->capacity)
		return LA_OK;
	size_t capacity = t->capacity ? t->capacity : 16;
	while (capacity < t->count + more)
		capacity *= 2;
	char *rows = realloc(t->rows, capacity * t->row_size);
	if (!rows)
		return la_error_set(LA_ENOMEM, "out of memory growing a table");
	t->rows = rows;
	t->capacity = capacity;
	return LA_OK;
}

void *table_at(const table *t, size_t index)
{
	return t->rows + index * t->row_size;
}

void *table_append(table *t)
{
	void *row = table_at(t, t->count++);
	memset(row, 0, t->row_size);
	return row;
}

void table_remove(table *t, size_t index)
{
	if (index != --t->count)
		memcpy(table_at(t, index), table_at(t, t->count), t->row_size);
}

void table_remove_first(table *t, size_t n)
{
	memmove(t->rows, table_at(t, n), (t->count - n) * t->row_size);
	t->count -= n;
}

product_row *db_product(array_db *db, const char *sku)
{
	for (size_t i = 0; i < db->products.count; i++) {
		product_row *row = table_at(&db->products, i);
		if (strcmp(row->sku, sku) == 0)
			return row;
	}
	return NULL;
}

batch_row *db_batch(array_db *db, const char *ref)
{
	for (size_t i = 0; i < db->batches.count; i++) {
		batch_row *row = table_at(&db->batches, i);
		if (strcmp(row->ref, ref) == 0)
			return row;
	}
	return NULL;
}

line_row *db_line(array_db *db, const char *sku, const char *orderid)
{
	for (size_t i = 0; i < db->lines.count; i++) {
		line_row *row = table_at(&db->lines, i);
		if (strcmp(row->orderid, orderid) == 0 && strcmp(row->sku, sku) == 0)
			return row;
	}
	return NULL;
}

size_t table_index(const table *t, const void *row)
{
	return (size_t)((const char *)row - t->rows) / t->row_size;
}

void copy_text(char *column, size_t size, const char *value)
{
	size_t n = value ? strlen(value) : 0;
	if (n >= size)
		n = size - 1; /* cannot happen: the core validated the value */
	memcpy(column, value ? value : "", n);
	column[n] = '\0';
}

int array_db_new(array_db **out)
{
	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	array_db *db = calloc(1, sizeof *db);
	if (!db)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (pthread_mutex_init(&db->lock, NULL) != 0) {
		free(db);
		return la_error_set(LA_ENOMEM, "cannot create a mutex");
	}
	db->products.row_size = sizeof(product_row);
	db->batches.row_size = sizeof(batch_row);
	db->lines.row_size = sizeof(line_row);
	db->outbox.row_size = sizeof(outbox_row);
	db->next_position = db->next_message = 1;
	*out = db;
	return LA_OK;
}

void array_db_free(array_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->outbox.count; i++)
		la_free(((outbox_row *)table_at(&db->outbox, i))->json);
	free(db->products.rows);
	free(db->batches.rows);
	free(db->lines.rows);
	free(db->outbox.rows);
	pthread_mutex_destroy(&db->lock);
	free(db);
}
