#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static la_malloc_fn malloc_hook = malloc;
static la_realloc_fn realloc_hook = realloc;
static la_free_fn free_hook = free;

void la__allocator_set(la_malloc_fn malloc_fn, la_realloc_fn realloc_fn, la_free_fn free_fn)
{
	malloc_hook = malloc_fn ? malloc_fn : malloc;
	realloc_hook = realloc_fn ? realloc_fn : realloc;
	free_hook = free_fn ? free_fn : free;
}

void *la__malloc(size_t size)
{
	return malloc_hook(size ? size : 1);
}

void *la__calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = la__malloc(count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

void *la__realloc(void *ptr, size_t size)
{
	return realloc_hook(ptr, size ? size : 1);
}

void la__free(void *ptr)
{
	if (ptr)
		free_hook(ptr);
}

char *la__strndup(const char *s, size_t len)
{
	char *copy = la__malloc(len + 1);
	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

char *la__strdup(const char *s)
{
	return la__strndup(s, strlen(s));
}

int la__grow(void **items, size_t *capacity, size_t need, size_t item_size)
{
	if (need <= *capacity)
		return 0;
	size_t cap = *capacity ? *capacity : 8;
	while (cap < need) {
		if (cap > SIZE_MAX / 2 / item_size)
			return -1;
		cap *= 2;
	}
	void *grown = la__realloc(*items, cap * item_size);
	if (!grown)
		return -1;
	*items = grown;
	*capacity = cap;
	return 0;
}
