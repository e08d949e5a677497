#include "strmap.h"

#include "alloc.h"

#include <allocation/common.h>
#include <string.h>

static uint64_t hash_key(const char *key)
{
	/* FNV-1a: keys are short identifiers, so a simple byte hash is enough. */
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

void la__strmap_dispose(la__strmap *map)
{
	la__free(map->slots);
	map->slots = NULL;
	map->capacity = map->count = 0;
}

void la__strmap_clear(la__strmap *map)
{
	if (map->count)
		memset(map->slots, 0, map->capacity * sizeof *map->slots);
	map->count = 0;
}

static size_t find_slot(const la__strmap *map, const char *key, uint64_t hash)
{
	size_t mask = map->capacity - 1;
	size_t i = hash & mask;
	while (map->slots[i].key &&
	       (map->slots[i].hash != hash || strcmp(map->slots[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

void *la__strmap_get(const la__strmap *map, const char *key)
{
	if (!map->count)
		return NULL;
	size_t i = find_slot(map, key, hash_key(key));
	return map->slots[i].key ? map->slots[i].value : NULL;
}

static int rehash(la__strmap *map, size_t capacity)
{
	la__strmap_slot *slots = la__calloc(capacity, sizeof *slots);
	if (!slots)
		return LA_ENOMEM;
	la__strmap bigger = {slots, capacity, map->count};
	for (size_t i = 0; i < map->capacity; i++) {
		if (map->slots[i].key)
			slots[find_slot(&bigger, map->slots[i].key, map->slots[i].hash)] =
			    map->slots[i];
	}
	la__free(map->slots);
	*map = bigger;
	return LA_OK;
}

int la__strmap_reserve(la__strmap *map, size_t more)
{
	size_t need = map->count + more;
	/* keep the load factor at or under 1/2 */
	if (need * 2 <= map->capacity)
		return LA_OK;
	size_t capacity = map->capacity ? map->capacity : 16;
	while (need * 2 > capacity)
		capacity *= 2;
	return rehash(map, capacity);
}

int la__strmap_put(la__strmap *map, const char *key, void *value)
{
	if (la__strmap_reserve(map, 1) != LA_OK)
		return LA_ENOMEM;
	uint64_t hash = hash_key(key);
	size_t i = find_slot(map, key, hash);
	if (!map->slots[i].key)
		map->count++;
	map->slots[i] = (la__strmap_slot){key, value, hash};
	return LA_OK;
}

la__strmap_slot *la__strmap_slot_of(la__strmap *map, const char *key)
{
	uint64_t hash = hash_key(key);
	la__strmap_slot *slot = &map->slots[find_slot(map, key, hash)];
	if (!slot->key)
		slot->hash = hash;
	return slot;
}

void la__strmap_fill(la__strmap *map, la__strmap_slot *slot, const char *key, void *value)
{
	slot->key = key;
	slot->value = value;
	map->count++;
}

void *la__strmap_remove(la__strmap *map, const char *key)
{
	if (!map->count)
		return NULL;
	size_t mask = map->capacity - 1;
	size_t i = find_slot(map, key, hash_key(key));
	if (!map->slots[i].key)
		return NULL;
	void *value = map->slots[i].value;
	/* shift later members of the probe run back so lookups never stop early */
	size_t hole = i;
	for (size_t j = (i + 1) & mask; map->slots[j].key; j = (j + 1) & mask) {
		size_t home = map->slots[j].hash & mask;
		int movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
		if (movable) {
			map->slots[hole] = map->slots[j];
			hole = j;
		}
	}
	map->slots[hole] = (la__strmap_slot){NULL, NULL, 0};
	map->count--;
	return value;
}

int la__strmap_next(const la__strmap *map, size_t *index, const char **key, void **value)
{
	for (size_t i = *index; i < map->capacity; i++) {
		if (map->slots[i].key) {
			*key = map->slots[i].key;
			*value = map->slots[i].value;
			*index = i + 1;
			return 1;
		}
	}
	return 0;
}
