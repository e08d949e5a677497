/* The fuzzers' shared handling of libFuzzer's input. */
#ifndef LA_FUZZ_INPUT_H
#define LA_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of the input (which may hold NULs of its own, for
 * harnesses that read several strings from it); NULL when out of memory.
 * The caller frees it. */
static inline char *fuzz_input_string(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		return NULL;
	memcpy(copy, data, size);
	copy[size] = '\0';
	return copy;
}

#endif
