/*
 * A bounded set of message ids already handled: the newest `capacity` ids
 * are remembered, the oldest forgotten first.
 */
#ifndef REDIS_SEEN_H
#define REDIS_SEEN_H

#include <stddef.h>

typedef struct redis_seen redis_seen;

int redis_seen_new(redis_seen **out, size_t capacity);
void redis_seen_free(redis_seen *s);
int redis_seen_contains(const redis_seen *s, const char *id);
/* Remember id (copied); forgets the oldest id when full. LA_OK or LA_ENOMEM. */
int redis_seen_add(redis_seen *s, const char *id);
size_t redis_seen_count(const redis_seen *s);

#endif
