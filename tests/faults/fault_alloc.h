/*
 * Out-of-memory injection for code the tests do not own (the adapters and
 * sqlite3, libpq, hiredis, jansson, libcurl under them): this executable
 * defines malloc, calloc, realloc, free, strdup, strndup and the aligned
 * allocators, forwarding each to the next definition (the C library's, or
 * AddressSanitizer's in the sanitizer build). glibc routes its own
 * allocations through whatever malloc the program defines, so every
 * allocation of the process passes through here.
 *
 * Counting is armed per thread, only around the call under test: while
 * armed, the calling thread's fail_at-th allocation returns NULL (ENOMEM).
 * The number of live blocks is kept for the whole process, so a test can
 * see that a cycle (open, call, close) gave back all it took.
 */
#ifndef TEST_FAULT_ALLOC_H
#define TEST_FAULT_ALLOC_H

#include <stdint.h>

/* Count this thread's allocations from now; the fail_at-th fails (0: none). */
void fault_alloc_arm(uint64_t fail_at);
/* Stop counting on this thread; the allocations counted since arming. */
uint64_t fault_alloc_disarm(void);
/* Non-zero when the armed failure happened (since the last arm). */
int fault_alloc_fired(void);
/* A call under test that runs on a thread of its own: take the failure
 * this thread was armed with (disarming it) to arm that thread with, then
 * give back what happened there, which this thread then reports as its own
 * (fault_alloc_disarm, fault_alloc_fired). */
uint64_t fault_alloc_hand_over(void);
void fault_alloc_take_back(uint64_t calls, int fired);

/* Blocks allocated and not yet freed, process-wide. */
int64_t fault_alloc_live(void);

/* Remember every block allocated from now on (any thread) until freed. */
void fault_alloc_track(void);
/* Stop remembering; how many of the blocks allocated since
 * fault_alloc_track are still allocated (a block moved by realloc counts
 * once; one allocated before and moved since is not counted). */
uint64_t fault_alloc_untrack(void);

#endif
