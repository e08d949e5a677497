/* String-keyed hash map with separate chaining (FNV-1a hash). */
#include "csv_map.h"

#include <stdlib.h>
#include <string.h>

struct csv_map_entry {
	csv_map_entry *next;
	uint64_t hash;
	int64_t value;
	size_t len;
	char key[];
};

static uint64_t hash_bytes(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ull;
	}
	return h;
}

static csv_map_entry **find_slot(const csv_map *map, const char *key, size_t len, uint64_t h)
{
	csv_map_entry **slot = &map->buckets[h % map->bucket_count];
	while (*slot &&
	       !((*slot)->hash == h && (*slot)->len == len && memcmp((*slot)->key, key, len) == 0))
		slot = &(*slot)->next;
	return slot;
}

static int rehash(csv_map *map)
{
	size_t n = map->bucket_count ? map->bucket_count * 2 : 64;
	csv_map_entry **buckets = calloc(n, sizeof(*buckets));
	if (!buckets)
		return -1;
	for (size_t i = 0; i < map->bucket_count; i++) {
		csv_map_entry *e = map->buckets[i];
		while (e) {
			csv_map_entry *next = e->next;
			e->next = buckets[e->hash % n];
			buckets[e->hash % n] = e;
			e = next;
		}
	}
	free(map->buckets);
	map->buckets = buckets;
	map->bucket_count = n;
	return 0;
}

int csv_map_put(csv_map *map, const char *key, size_t len, int64_t value)
{
	if (map->count >= map->bucket_count && rehash(map))
		return -1;
	uint64_t h = hash_bytes(key, len);
	csv_map_entry **slot = find_slot(map, key, len, h);
	if (*slot) {
		(*slot)->value = value;
		return 0;
	}
	csv_map_entry *e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return -1;
	e->next = NULL;
	e->hash = h;
	e->value = value;
	e->len = len;
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	*slot = e;
	map->count++;
	return 0;
}

int csv_map_get(const csv_map *map, const char *key, size_t len, int64_t *value)
{
	if (!map->bucket_count)
		return 0;
	csv_map_entry **slot = find_slot(map, key, len, hash_bytes(key, len));
	if (!*slot)
		return 0;
	*value = (*slot)->value;
	return 1;
}

void csv_map_remove(csv_map *map, const char *key, size_t len)
{
	if (!map->bucket_count)
		return;
	csv_map_entry **slot = find_slot(map, key, len, hash_bytes(key, len));
	if (*slot) {
		csv_map_entry *e = *slot;
		*slot = e->next;
		free(e);
		map->count--;
	}
}

void csv_map_free(csv_map *map)
{
	for (size_t i = 0; i < map->bucket_count; i++) {
		csv_map_entry *e = map->buckets[i];
		while (e) {
			csv_map_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(map->buckets);
	memset(map, 0, sizeof(*map));
}
