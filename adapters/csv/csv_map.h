/*
 * A small string-keyed hash map (separate chaining) for the CSV store's
 * indexes: batch reference → batch, (orderid, sku) → line, sku → version.
 * Keys are byte strings with a length, copied into the map.
 */
#ifndef LA_CSV_MAP_H
#define LA_CSV_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct csv_map_entry csv_map_entry;

typedef struct csv_map {
	csv_map_entry **buckets;
	size_t bucket_count;
	size_t count;
} csv_map;

/* Set key → value (replacing an existing value). 0 or -1 (no memory). */
int csv_map_put(csv_map *map, const char *key, size_t len, int64_t value);
/* 1 and *value when found, else 0. */
int csv_map_get(const csv_map *map, const char *key, size_t len, int64_t *value);
/* Remove key if present. */
void csv_map_remove(csv_map *map, const char *key, size_t len);
void csv_map_free(csv_map *map);

#endif
