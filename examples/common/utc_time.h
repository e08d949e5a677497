/* Times as the example programs show them: ISO-8601, UTC, whole seconds. */
#ifndef LA_EXAMPLE_UTC_TIME_H
#define LA_EXAMPLE_UTC_TIME_H

#include <stddef.h>
#include <stdint.h>

/* seconds since 1970 → "2026-12-05T03:04:05Z" in out (21 bytes suffice).
 * 0, or -1 for a time the C library cannot show. */
int la_example_utc_time(char *out, size_t size, int64_t seconds);

#endif
