/* Internal: a hash map from NUL-terminated string keys to pointers.
 * Keys are borrowed: each must stay valid (usually it lives inside the value)
 * for as long as it is in the map. Open addressing with linear probing and
 * backward-shift deletion, so there are no tombstones to age. */
#ifndef LA_UTIL_STRMAP_H
#define LA_UTIL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct la_strmap_slot {
	const char *key; /* NULL: empty */
	void *value;
	uint64_t hash;
} la_strmap_slot;

typedef struct la_strmap {
	la_strmap_slot *slots;
	size_t capacity; /* a power of two, or 0 */
	size_t count;
} la_strmap;

#define LA_STRMAP_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void la_strmap_dispose(la_strmap *map);
void *la_strmap_get(const la_strmap *map, const char *key);
/* Make room for `more` new keys without allocating again; LA_OK or LA_ENOMEM. */
int la_strmap_reserve(la_strmap *map, size_t more);
/* Insert or replace; LA_OK or LA_ENOMEM (map unchanged). */
int la_strmap_put(la_strmap *map, const char *key, void *value);
/* The slot of key: its own if present (slot->key set), else the empty slot
 * where it would go. Call la_strmap_reserve(map, 1) first so one exists.
 * Fill an empty slot with la_strmap_fill: one probe for a lookup-or-insert. */
la_strmap_slot *la_strmap_slot_of(la_strmap *map, const char *key);
void la_strmap_fill(la_strmap *map, la_strmap_slot *slot, const char *key, void *value);
/* Remove key; returns its value, or NULL when absent. */
void *la_strmap_remove(la_strmap *map, const char *key);
/* Iterate: start with *index = 0; returns 0 when done. */
int la_strmap_next(const la_strmap *map, size_t *index, const char **key, void **value);

#endif
