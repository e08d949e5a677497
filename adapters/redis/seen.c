/* Bounded id set: a FIFO ring of ids plus a chained hash index over it. */
#include "seen.h"

#include <allocation/sys/ports.h>

#include "util/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct seen_node {
	char *id;
	struct seen_node *next; /* hash chain */
} seen_node;

struct redis_seen {
	size_t capacity, count, oldest;
	seen_node *ring; /* capacity nodes; ring[(oldest + i) % capacity] */
	seen_node **buckets;
	size_t nbuckets; /* a power of two */
};

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

int redis_seen_new(redis_seen **out, size_t capacity)
{
	redis_seen *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || capacity == 0)
		goto fail;
	s->capacity = capacity;
	s->nbuckets = 16;
	while (s->nbuckets < capacity * 2)
		s->nbuckets *= 2;
	s->ring = calloc(capacity, sizeof(*s->ring));
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (!s->ring || !s->buckets)
		goto fail;
	*out = s;
	return LA_OK;
fail:
	redis_seen_free(s);
	return capacity ? la_error_set(LA_ENOMEM, "out of memory")
	                : la_error_set(LA_EINVAL, "capacity must be > 0");
}

void redis_seen_free(redis_seen *s)
{
	if (!s)
		return;
	if (s->ring)
		for (size_t i = 0; i < s->capacity; i++)
			free(s->ring[i].id);
	free(s->ring);
	free(s->buckets);
	free(s);
}

int redis_seen_contains(const redis_seen *s, const char *id)
{
	for (seen_node *n = s->buckets[hash(id) & (s->nbuckets - 1)]; n; n = n->next)
		if (strcmp(n->id, id) == 0)
			return 1;
	return 0;
}

static void unlink_node(redis_seen *s, seen_node *node)
{
	seen_node **p = &s->buckets[hash(node->id) & (s->nbuckets - 1)];

	while (*p && *p != node)
		p = &(*p)->next;
	if (*p)
		*p = node->next;
	free(node->id);
	node->id = NULL;
	node->next = NULL;
}

int redis_seen_add(redis_seen *s, const char *id)
{
	seen_node *node;
	char *copy;
	size_t b;

	if (redis_seen_contains(s, id))
		return LA_OK;
	copy = la__strdup(id);
	if (!copy)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (s->count == s->capacity) { /* forget the oldest */
		unlink_node(s, &s->ring[s->oldest]);
		s->oldest = (s->oldest + 1) % s->capacity;
		s->count--;
	}
	node = &s->ring[(s->oldest + s->count) % s->capacity];
	b = hash(copy) & (s->nbuckets - 1);
	node->id = copy;
	node->next = s->buckets[b];
	s->buckets[b] = node;
	s->count++;
	return LA_OK;
}

size_t redis_seen_count(const redis_seen *s)
{
	return s->count;
}
