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
#include <link.h>
#include <errno.h>
#include <stdio.h>
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

/* The blocks allocated since fault_alloc_track: an open-addressing set. */
#define TRACK_SLOTS (1u << 18)
#define TOMBSTONE   ((uintptr_t)1)
static uintptr_t tracked[TRACK_SLOTS];
static const void *tracked_from[TRACK_SLOTS]; /* who allocated it */
static _Thread_local const void *caller;      /* of the allocation being made */
static uint64_t tracked_count;
static int tracking;
/* A spin lock: pthread functions may not work yet when the first blocks
 * are allocated (AddressSanitizer intercepts them during its start). */
static atomic_flag track_busy = ATOMIC_FLAG_INIT;

static void track_lock(void)
{
	while (atomic_flag_test_and_set_explicit(&track_busy, memory_order_acquire))
		;
}

static void track_unlock(void)
{
	atomic_flag_clear_explicit(&track_busy, memory_order_release);
}

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

/* FAULT_ALLOC_DEBUG=1: where the failing allocation was made, and where
 * each block still allocated at the end of a run was allocated. */
static void describe(const char *what, const void *from)
{
	Dl_info info;
	if (dladdr(from, &info))
		fprintf(stderr, "fault_alloc: %s %s (%s, offset 0x%lx)\n", what, info.dli_fname,
		        info.dli_sname ? info.dli_sname : "?",
		        (unsigned long)((const char *)from - (const char *)info.dli_fbase));
}

static void report_left(void)
{
	for (size_t i = 0; i < TRACK_SLOTS; i++)
		if (tracked[i] > TOMBSTONE)
			describe("block left, allocated in", tracked_from[i]);
}

/* Non-zero when this allocation (made from the code at from) is the one to
 * fail. */
static int should_fail(const void *from)
{
	if (!armed)
		return 0;
	if (++calls == fail_at) {
		fired = 1;
		errno = ENOMEM;
		if (getenv("FAULT_ALLOC_DEBUG"))
			describe("allocation failed in", from);
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

uint64_t fault_alloc_hand_over(void)
{
	armed = 0;
	return fail_at;
}

void fault_alloc_take_back(uint64_t n, int f)
{
	calls = n;
	fired = f;
	armed = 1;
}

int fault_alloc_fired(void)
{
	return fired;
}

int64_t fault_alloc_live(void)
{
	return atomic_load(&live);
}

static size_t slot_of(uintptr_t p)
{
	return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> 46) & (TRACK_SLOTS - 1);
}

/* Where the dynamic loader's code is: the blocks it allocates for a new
 * thread's TLS stay with the thread's cached stack after the thread ends,
 * which is glibc's business, not a leak of the code under test. */
static uintptr_t loader_lo, loader_hi;

static int find_loader(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size, (void)arg;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "ld-linux"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			loader_lo = info->dlpi_addr + ph->p_vaddr;
			loader_hi = loader_lo + ph->p_memsz;
		}
	}
	return 1;
}

static void track_add(void *ptr)
{
	uintptr_t p = (uintptr_t)ptr, from = (uintptr_t)caller;
	if (from >= loader_lo && from < loader_hi)
		return;
	track_lock();
	if (tracking && tracked_count < TRACK_SLOTS / 2) {
		size_t i = slot_of(p);
		while (tracked[i] > TOMBSTONE)
			i = (i + 1) & (TRACK_SLOTS - 1);
		tracked[i] = p;
		tracked_from[i] = caller;
		tracked_count++;
	}
	track_unlock();
}

/* Forget ptr; non-zero if it was remembered. */
static int track_remove(const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	int found = 0;
	track_lock();
	if (tracking) {
		for (size_t i = slot_of(p); tracked[i]; i = (i + 1) & (TRACK_SLOTS - 1)) {
			if (tracked[i] == p) {
				tracked[i] = TOMBSTONE;
				tracked_count--;
				found = 1;
				break;
			}
		}
	}
	track_unlock();
	return found;
}

void fault_alloc_track(void)
{
	if (!loader_hi)
		dl_iterate_phdr(find_loader, NULL);
	track_lock();
	memset(tracked, 0, sizeof tracked);
	tracked_count = 0;
	tracking = 1;
	track_unlock();
}

uint64_t fault_alloc_untrack(void)
{
	track_lock();
	tracking = 0;
	uint64_t left = tracked_count;
	if (left && getenv("FAULT_ALLOC_DEBUG"))
		report_left();
	track_unlock();
	return left;
}

static void *counted(void *p)
{
	if (p) {
		atomic_fetch_add(&live, 1);
		track_add(p);
	}
	return p;
}

INTERPOSED void *malloc(size_t size)
{
	if (!next_malloc) {
		if (resolving)
			return arena_take(size);
		resolve();
	}
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	caller = __builtin_return_address(0);
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
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	caller = __builtin_return_address(0);
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
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	void *p = next_realloc(ptr, size);
	caller = __builtin_return_address(0);
	if (!ptr)
		return counted(p);
	if (size == 0 && !p) { /* realloc(p, 0) freed p */
		atomic_fetch_sub(&live, 1);
		track_remove(ptr);
	} else if (p && p != ptr && track_remove(ptr)) {
		track_add(p);
	}
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
	track_remove(ptr);
	next_free(ptr);
}

INTERPOSED int posix_memalign(void **out, size_t alignment, size_t size)
{
	if (!next_posix_memalign)
		resolve();
	if (should_fail(__builtin_return_address(0)))
		return ENOMEM;
	caller = __builtin_return_address(0);
	int rc = next_posix_memalign(out, alignment, size);
	if (rc == 0)
		counted(*out);
	return rc;
}

INTERPOSED void *aligned_alloc(size_t alignment, size_t size)
{
	if (!next_aligned_alloc)
		resolve();
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	caller = __builtin_return_address(0);
	return counted(next_aligned_alloc(alignment, size));
}

INTERPOSED void *memalign(size_t alignment, size_t size)
{
	if (!next_memalign)
		resolve();
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	caller = __builtin_return_address(0);
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
