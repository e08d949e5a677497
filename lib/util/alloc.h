/* Memory for the core and every adapter. Each library that links lib/util
 * has its own hooks: the core's are the ones la_set_allocator sets (so the
 * out-of-memory tests can make any allocation of the core fail); an adapter
 * frees what it allocates with la__free of its own copy. */
#ifndef LA_UTIL_ALLOC_H
#define LA_UTIL_ALLOC_H

#include <allocation/common.h> /* la_malloc_fn, la_realloc_fn, la_free_fn */
#include <stddef.h>

/* Install hooks; NULL restores the C library's function. */
void la__allocator_set(la_malloc_fn malloc_fn, la_realloc_fn realloc_fn, la_free_fn free_fn);
void *la__malloc(size_t size);
void *la__calloc(size_t count, size_t size);
void *la__realloc(void *ptr, size_t size);
void la__free(void *ptr);
/* Copy of s (NUL-terminated), or NULL when out of memory. */
char *la__strdup(const char *s);
/* Copy of the first len bytes of s, NUL-terminated. */
char *la__strndup(const char *s, size_t len);
/* Grow *items (of item_size bytes) so that at least need fit: 0, or -1 when
 * out of memory (*items unchanged). */
int la__grow(void **items, size_t *capacity, size_t need, size_t item_size);

#endif
