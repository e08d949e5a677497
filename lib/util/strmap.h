/* Internal: a hash map from NUL-terminated string keys to pointers.
 * Keys are borrowed: each must stay valid (usually it lives inside the value)
 * for as long as it is in the map. Open addressing with linear probing and
 * backward-shift deletion, so there are no tombstones to age. */
#ifndef LA_UTIL_STRMAP_H
#define LA_UTIL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct la__strmap_slot {
	const char *key; /* NULL: empty */
	void *value;
	uint64_t hash;
} la__strmap_slot;

typedef struct la__strmap {
	la__strmap_slot *slots;
	size_t capacity; /* a power of two, or 0 */
	size_t count;
} la__strmap;

#define LA__STRMAP_INIT                                                                            \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void la__strmap_dispose(la__strmap *map);
/* Remove every key, keeping the room (no allocation). */
void la__strmap_clear(la__strmap *map);
void *la__strmap_get(const la__strmap *map, const char *key);
/* Make room for `more` new keys without allocating again; LA_OK or LA_ENOMEM. */
int la__strmap_reserve(la__strmap *map, size_t more);
/* Insert or replace; LA_OK or LA_ENOMEM (map unchanged). */
int la__strmap_put(la__strmap *map, const char *key, void *value);
/* The slot of key: its own if present (slot->key set), else the empty slot
 * where it would go. Call la__strmap_reserve(map, 1) first so one exists.
 * Fill an empty slot with la__strmap_fill: one probe for a lookup-or-insert. */
la__strmap_slot *la__strmap_slot_of(la__strmap *map, const char *key);
void la__strmap_fill(la__strmap *map, la__strmap_slot *slot, const char *key, void *value);
/* Remove key; returns its value, or NULL when absent. */
void *la__strmap_remove(la__strmap *map, const char *key);
/* Iterate: start with *index = 0; returns 0 when done. */
int la__strmap_next(const la__strmap *map, size_t *index, const char **key, void **value);

#endif
