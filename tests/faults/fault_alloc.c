/*
 * The allocation interposer of fault_alloc.h. The next malloc and friends
 * are found with dlsym(RTLD_NEXT); dlsym may itself allocate, so while it
 * runs requests are served from a small static arena that free ignores.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fault_alloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h> /* the prototypes of what is defined here */
#include <stdlib.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Seen by every library even where the build hides symbols by default. */
#define INTERPOSED __attribute__((visibility("default")))

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);
static void *(*next_memalign)(size_t, size_t);

static _Alignas(max_align_t) char arena[16384];
static size_t arena_used;
static int resolving;

static _Thread_local int armed;
static _Thread_local uint64_t calls, fail_at;
static _Thread_local int fired;
static atomic_llong live;

static void *arena_take(size_t size)
{
	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (arena_used + size > sizeof arena)
		return NULL;
	void *p = arena + arena_used;
	arena_used += size;
	return p;
}

static int in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof arena;
}

static void resolve(void)
{
	if (next_free)
		return;
	resolving = 1;
	next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	next_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
	next_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	next_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
	next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

/* Non-zero when this allocation is the one to fail. */
static int should_fail(void)
{
	if (!armed)
		return 0;
	if (++calls == fail_at) {
		fired = 1;
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void fault_alloc_arm(uint64_t n)
{
	calls = 0;
	fail_at = n;
	fired = 0;
	armed = 1;
}

uint64_t fault_alloc_disarm(void)
{
	armed = 0;
	return calls;
}

int fault_alloc_fired(void)
{
	return fired;
}

int64_t fault_alloc_live(void)
{
	return atomic_load(&live);
}

static void *counted(void *p)
{
	if (p)
		atomic_fetch_add(&live, 1);
	return p;
}

INTERPOSED void *malloc(size_t size)
{
	if (!next_malloc) {
		if (resolving)
			return arena_take(size);
		resolve();
	}
	if (should_fail())
		return NULL;
	return counted(next_malloc(size));
}

INTERPOSED void *calloc(size_t count, size_t size)
{
	if (!next_calloc) {
		if (resolving) {
			if (size && count > SIZE_MAX / size)
				return NULL;
			return arena_take(count * size); /* static: already zero */
		}
		resolve();
	}
	if (should_fail())
		return NULL;
	return counted(next_calloc(count, size));
}

INTERPOSED void *realloc(void *ptr, size_t size)
{
	if (!next_realloc)
		resolve();
	if (in_arena(ptr)) { /* never grown in place: copy out */
		size_t room = (size_t)(arena + sizeof arena - (char *)ptr);
		void *p = malloc(size);
		if (p)
			memcpy(p, ptr, size < room ? size : room);
		return p;
	}
	if (should_fail())
		return NULL;
	void *p = next_realloc(ptr, size);
	if (!ptr && p)
		atomic_fetch_add(&live, 1);
	else if (ptr && size == 0 && !p) /* realloc(p, 0) freed p */
		atomic_fetch_sub(&live, 1);
	return p;
}

INTERPOSED void *reallocarray(void *ptr, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, count * size);
}

INTERPOSED void free(void *ptr)
{
	if (!ptr || in_arena(ptr))
		return;
	if (!next_free)
		resolve();
	atomic_fetch_sub(&live, 1);
	next_free(ptr);
}

INTERPOSED int posix_memalign(void **out, size_t alignment, size_t size)
{
	if (!next_posix_memalign)
		resolve();
	if (should_fail())
		return ENOMEM;
	int rc = next_posix_memalign(out, alignment, size);
	if (rc == 0)
		counted(*out);
	return rc;
}

INTERPOSED void *aligned_alloc(size_t alignment, size_t size)
{
	if (!next_aligned_alloc)
		resolve();
	if (should_fail())
		return NULL;
	return counted(next_aligned_alloc(alignment, size));
}

INTERPOSED void *memalign(size_t alignment, size_t size)
{
	if (!next_memalign)
		resolve();
	if (should_fail())
		return NULL;
	return counted(next_memalign(alignment, size));
}

INTERPOSED char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}

INTERPOSED char *strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *copy = malloc(n + 1);
	if (copy) {
		memcpy(copy, s, n);
		copy[n] = '\0';
	}
	return copy;
}
