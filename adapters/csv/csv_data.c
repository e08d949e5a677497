/* In-memory rows of a CSV folder: lookups and the mutations a commit applies. */
#include "csv_data.h"

#include <allocation/sys/ports.h>

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? la__strdup(s) : NULL;
}

/* The shared hash map holds pointers; these indexes hold array positions,
 * stored off by one so that position 0 is not NULL (not found). */
static void *position_value(size_t index)
{
	/* never dereferenced: the map's void * carries a number */
	return (void *)(uintptr_t)(index + 1); // NOLINT(performance-no-int-to-ptr)
}

static long value_position(void *value)
{
	return value ? (long)((uintptr_t)value - 1) : -1;
}

/* Key of a line: "<length of orderid>:<orderid><sku>", unambiguous for any
 * two strings. Heap copy (la__free), or NULL when out of memory. */
static char *line_key(const char *orderid, const char *sku)
{
	size_t a = strlen(orderid), b = strlen(sku);
	char *key = la__malloc(a + b + 24);
	if (key)
		(void)snprintf(key, a + b + 24, "%zu:%s%s", a, orderid, sku); /* sized for it */
	return key;
}

static void free_versions(la__strmap *versions)
{
	size_t index = 0;
	const char *key;
	void *value;
	while (la__strmap_next(versions, &index, &key, &value))
		la__free(value);
	la__strmap_dispose(versions);
}

void csv_data_free(csv_data *data)
{
	for (size_t i = 0; i < data->batch_count; i++) {
		free(data->batches[i].ref);
		free(data->batches[i].sku);
		free(data->batches[i].eta);
	}
	for (size_t i = 0; i < data->line_count; i++) {
		free(data->lines[i].orderid);
		free(data->lines[i].sku);
		free(data->lines[i].batchref);
		la__free(data->lines[i].key);
	}
	free(data->batches);
	free(data->lines);
	la__strmap_dispose(&data->batch_index);
	la__strmap_dispose(&data->line_index);
	free_versions(&data->versions);
	memset(data, 0, sizeof(*data));
}

long csv_data_find_batch(const csv_data *data, const char *ref)
{
	return value_position(la__strmap_get(&data->batch_index, ref));
}

long csv_data_find_line(const csv_data *data, const char *orderid, const char *sku)
{
	/* on the stack when it fits (ids are at most 255 bytes): out of memory
	 * must not read as "no such line" */
	char stack[600];
	size_t a = strlen(orderid), b = strlen(sku);
	char *key = a + b + 24 <= sizeof stack ? stack : la__malloc(a + b + 24);
	if (!key)
		return CSV_FIND_NO_MEMORY;
	(void)snprintf(key, a + b + 24, /* sized for it */ "%zu:%s%s", a, orderid, sku);
	long found = value_position(la__strmap_get(&data->line_index, key));
	if (key != stack)
		la__free(key);
	return found;
}

int64_t csv_data_version(const csv_data *data, const char *sku)
{
	const csv_version *v = la__strmap_get(&data->versions, sku);
	return v ? v->version : data->base_version;
}

int csv_data_has_product(const csv_data *data, const char *sku)
{
	for (size_t i = 0; i < data->batch_count; i++)
		if (!data->batches[i].removed && strcmp(data->batches[i].sku, sku) == 0)
			return 1;
	return 0;
}

static int grow(void **ptr, size_t *cap, size_t count, size_t size)
{
	return la__grow(ptr, cap, count + 1, size) == 0 ? LA_OK
	                                                : la_error_set(LA_ENOMEM, "out of memory");
}

int csv_data_add_batch(csv_data *data, const char *ref, const char *sku, int64_t purchased,
                       const char *eta, int64_t sequence)
{
	if (csv_data_find_batch(data, ref) >= 0)
		return la_error_set(LA_ECONFLICT, "batch reference %s already exists", ref);
	if (grow((void **)&data->batches, &data->batch_cap, data->batch_count, sizeof(csv_batch)))
		return LA_ENOMEM;
	csv_batch *b = &data->batches[data->batch_count];
	memset(b, 0, sizeof(*b));
	b->ref = dup_or_null(ref);
	b->sku = dup_or_null(sku);
	b->eta = dup_or_null(eta);
	if (!b->ref || !b->sku || (eta && !b->eta) ||
	    la__strmap_put(&data->batch_index, b->ref, position_value(data->batch_count))) {
		free(b->ref);
		free(b->sku);
		free(b->eta);
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	b->purchased = purchased;
	b->sequence = sequence;
	data->batch_count++;
	return LA_OK;
}

int csv_data_set_quantity(csv_data *data, const char *ref, int64_t purchased)
{
	long i = csv_data_find_batch(data, ref);
	if (i < 0)
		return la_error_set(LA_ENOTFOUND, "Invalid batch reference %s", ref);
	data->batches[i].purchased = purchased;
	return LA_OK;
}

int csv_data_remove_batch(csv_data *data, const char *ref)
{
	long i = csv_data_find_batch(data, ref);
	if (i < 0)
		return la_error_set(LA_ENOTFOUND, "Invalid batch reference %s", ref);
	data->batches[i].removed = 1;
	la__strmap_remove(&data->batch_index, ref);
	return LA_OK;
}

int csv_data_add_line(csv_data *data, const char *orderid, const char *sku, int64_t qty,
                      const char *batchref, int64_t sequence)
{
	long bi = csv_data_find_batch(data, batchref);
	if (bi < 0)
		return la_error_set(LA_ENOTFOUND, "Invalid batch reference %s", batchref);
	long found = csv_data_find_line(data, orderid, sku);
	if (found == CSV_FIND_NO_MEMORY)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (found >= 0)
		return la_error_set(LA_ECONFLICT, "order %s already has a line for sku %s", orderid,
		                    sku);
	if (grow((void **)&data->lines, &data->line_cap, data->line_count, sizeof(csv_line)))
		return LA_ENOMEM;
	csv_line *l = &data->lines[data->line_count];
	memset(l, 0, sizeof(*l));
	l->orderid = dup_or_null(orderid);
	l->sku = dup_or_null(sku);
	l->batchref = dup_or_null(batchref);
	l->key = line_key(orderid, sku);
	if (!l->orderid || !l->sku || !l->batchref || !l->key ||
	    la__strmap_put(&data->line_index, l->key, position_value(data->line_count))) {
		free(l->orderid);
		free(l->sku);
		free(l->batchref);
		la__free(l->key);
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	l->qty = qty;
	l->sequence = sequence;
	data->line_count++;
	data->batches[bi].allocated += qty;
	data->batches[bi].lines++;
	return LA_OK;
}

int csv_data_remove_line(csv_data *data, const char *orderid, const char *sku)
{
	long i = csv_data_find_line(data, orderid, sku);
	if (i == CSV_FIND_NO_MEMORY)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (i < 0)
		return la_error_set(LA_ENOTFOUND, "order %s has no line for sku %s", orderid, sku);
	csv_line *l = &data->lines[i];
	long bi = csv_data_find_batch(data, l->batchref);
	if (bi >= 0) {
		data->batches[bi].allocated -= l->qty;
		data->batches[bi].lines--;
	}
	l->removed = 1;
	la__strmap_remove(&data->line_index, l->key);
	return LA_OK;
}

int csv_data_set_version(csv_data *data, const char *sku, int64_t version)
{
	csv_version *v = la__strmap_get(&data->versions, sku);
	if (!v) {
		size_t size = strlen(sku) + 1;
		if (!(v = la__malloc(sizeof *v + size)))
			return la_error_set(LA_ENOMEM, "out of memory");
		memcpy(v->sku, sku, size);
		if (la__strmap_put(&data->versions, v->sku, v)) {
			la__free(v);
			return la_error_set(LA_ENOMEM, "out of memory");
		}
	}
	v->version = version;
	return LA_OK;
}
