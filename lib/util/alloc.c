#include "alloc.h"

#include <allocation/common.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static la_malloc_fn malloc_hook = malloc;
static la_realloc_fn realloc_hook = realloc;
static la_free_fn free_hook = free;

int la_set_allocator(la_malloc_fn malloc_fn, la_realloc_fn realloc_fn, la_free_fn free_fn)
{
	if (!malloc_fn && !realloc_fn && !free_fn) {
		malloc_hook = malloc;
		realloc_hook = realloc;
		free_hook = free;
		return LA_OK;
	}
	if (!malloc_fn || !realloc_fn || !free_fn)
		return LA_EINVAL;
	malloc_hook = malloc_fn;
	realloc_hook = realloc_fn;
	free_hook = free_fn;
	return LA_OK;
}

void *la_malloc(size_t size)
{
	return malloc_hook(size ? size : 1);
}

void *la_calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = la_malloc(count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

void *la_realloc(void *ptr, size_t size)
{
	return realloc_hook(ptr, size ? size : 1);
}

void la_free(void *ptr)
{
	if (ptr)
		free_hook(ptr);
}

char *la_strndup(const char *s, size_t len)
{
	char *copy = la_malloc(len + 1);
	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

char *la_strdup(const char *s)
{
	return la_strndup(s, strlen(s));
}

int la_grow(void **items, size_t *capacity, size_t need, size_t item_size)
{
	if (need <= *capacity)
		return LA_OK;
	size_t cap = *capacity ? *capacity : 8;
	while (cap < need) {
		if (cap > SIZE_MAX / 2 / item_size)
			return LA_ENOMEM;
		cap *= 2;
	}
	void *grown = la_realloc(*items, cap * item_size);
	if (!grown)
		return LA_ENOMEM;
	*items = grown;
	*capacity = cap;
	return LA_OK;
}
