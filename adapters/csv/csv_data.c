/* In-memory rows of a CSV folder: lookups and the mutations a commit applies. */
#include "csv_data.h"

#include <allocation/sys/ports.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* Key of a line: orderid NUL sku. *key is buf or a heap copy (free if != buf). */
static size_t line_key(char **key, char *buf, size_t size, const char *orderid, const char *sku)
{
	size_t a = strlen(orderid), b = strlen(sku);
	*key = a + b + 1 <= size ? buf : malloc(a + b + 1);
	if (!*key)
		return 0;
	memcpy(*key, orderid, a);
	(*key)[a] = '\0';
	memcpy(*key + a + 1, sku, b);
	return a + b + 1;
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
	}
	free(data->batches);
	free(data->lines);
	csv_map_free(&data->batch_index);
	csv_map_free(&data->line_index);
	csv_map_free(&data->versions);
	memset(data, 0, sizeof(*data));
}

long csv_data_find_batch(const csv_data *data, const char *ref)
{
	int64_t index;
	if (!csv_map_get(&data->batch_index, ref, strlen(ref), &index))
		return -1;
	return (long)index;
}

long csv_data_find_line(const csv_data *data, const char *orderid, const char *sku)
{
	char buf[600], *key;
	size_t len = line_key(&key, buf, sizeof(buf), orderid, sku);
	if (!key)
		return -1;
	int64_t index;
	int found = csv_map_get(&data->line_index, key, len, &index);
	if (key != buf)
		free(key);
	return found ? (long)index : -1;
}

int64_t csv_data_version(const csv_data *data, const char *sku)
{
	int64_t v;
	if (csv_map_get(&data->versions, sku, strlen(sku), &v))
		return v;
	return data->base_version;
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
	if (count < *cap)
		return LA_OK;
	size_t n = *cap ? *cap * 2 : 64;
	void *p = realloc(*ptr, n * size);
	if (!p)
		return la_error_set(LA_ENOMEM, "out of memory");
	*ptr = p;
	*cap = n;
	return LA_OK;
}

int csv_data_add_batch(csv_data *data, const char *ref, const char *sku, int64_t purchased,
                       const char *eta)
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
	    csv_map_put(&data->batch_index, ref, strlen(ref), (int64_t)data->batch_count)) {
		free(b->ref);
		free(b->sku);
		free(b->eta);
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	b->purchased = purchased;
	b->sequence = ++data->next_batch_sequence;
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
	csv_map_remove(&data->batch_index, ref, strlen(ref));
	return LA_OK;
}

int csv_data_add_line(csv_data *data, const char *orderid, const char *sku, int64_t qty,
                      const char *batchref, int64_t sequence)
{
	long bi = csv_data_find_batch(data, batchref);
	if (bi < 0)
		return la_error_set(LA_ENOTFOUND, "Invalid batch reference %s", batchref);
	if (csv_data_find_line(data, orderid, sku) >= 0)
		return la_error_set(LA_ECONFLICT, "order %s already has a line for sku %s", orderid,
		                    sku);
	if (grow((void **)&data->lines, &data->line_cap, data->line_count, sizeof(csv_line)))
		return LA_ENOMEM;
	csv_line *l = &data->lines[data->line_count];
	memset(l, 0, sizeof(*l));
	l->orderid = dup_or_null(orderid);
	l->sku = dup_or_null(sku);
	l->batchref = dup_or_null(batchref);
	char buf[600], *key = NULL;
	size_t len = line_key(&key, buf, sizeof(buf), orderid, sku);
	int bad = !l->orderid || !l->sku || !l->batchref || !key ||
	          csv_map_put(&data->line_index, key, len, (int64_t)data->line_count);
	if (key != buf)
		free(key);
	if (bad) {
		free(l->orderid);
		free(l->sku);
		free(l->batchref);
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
	if (i < 0)
		return la_error_set(LA_ENOTFOUND, "order %s has no line for sku %s", orderid, sku);
	csv_line *l = &data->lines[i];
	long bi = csv_data_find_batch(data, l->batchref);
	if (bi >= 0) {
		data->batches[bi].allocated -= l->qty;
		data->batches[bi].lines--;
	}
	l->removed = 1;
	char buf[600], *key = NULL;
	size_t len = line_key(&key, buf, sizeof(buf), orderid, sku);
	if (!key)
		return la_error_set(LA_ENOMEM, "out of memory");
	csv_map_remove(&data->line_index, key, len);
	if (key != buf)
		free(key);
	return LA_OK;
}

int csv_data_set_version(csv_data *data, const char *sku, int64_t version)
{
	if (csv_map_put(&data->versions, sku, strlen(sku), version))
		return la_error_set(LA_ENOMEM, "out of memory");
	return LA_OK;
}

int csv_parse_int64(const char *text, int64_t *out)
{
	const char *p = text;
	int negative = 0;
	if (*p == '-') {
		negative = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -1;
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned d = (unsigned)(*p - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = negative ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}
