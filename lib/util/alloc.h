/* Internal allocation helpers: every allocation of the core goes through the
 * hook installed with la_set_allocator, so tests can make any one of them fail. */
#ifndef LA_UTIL_ALLOC_H
#define LA_UTIL_ALLOC_H

#include <allocation/messages.h> /* la_free is public */
#include <stddef.h>

void *la_malloc(size_t size);
void *la_calloc(size_t count, size_t size);
void *la_realloc(void *ptr, size_t size);
/* Copy of s (NUL-terminated), or NULL when out of memory. */
char *la_strdup(const char *s);
/* Copy of the first len bytes of s, NUL-terminated. */
char *la_strndup(const char *s, size_t len);
/* Grow *items (of item_size bytes) so that at least need fit; LA_OK or LA_ENOMEM. */
int la_grow(void **items, size_t *capacity, size_t need, size_t item_size);

#endif
