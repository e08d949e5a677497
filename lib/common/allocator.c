/* The public face of the core's allocator hooks (lib/util/alloc.c). */
#include "../util/alloc.h"

#include <allocation/messages.h>

int la_set_allocator(la_malloc_fn malloc_fn, la_realloc_fn realloc_fn, la_free_fn free_fn)
{
	int all = malloc_fn && realloc_fn && free_fn;
	int none = !malloc_fn && !realloc_fn && !free_fn;
	if (!all && !none)
		return LA_EINVAL;
	la__allocator_set(malloc_fn, realloc_fn, free_fn);
	return LA_OK;
}

void la_free(void *ptr)
{
	la__free(ptr);
}
