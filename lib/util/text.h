/* Text the domain accepts: identifiers (UTF-8), dates and whole numbers.
 * Pure functions: no error messages (the callers in lib/common say what is
 * wrong), no allocation. */
#ifndef LA_UTIL_TEXT_H
#define LA_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Longest identifier (orderid, sku, reference) in bytes. */
#define LA__MAX_ID 255

/* Non-zero when the len bytes at s are well-formed UTF-8. */
int la__utf8_valid(const char *s, size_t len);
/* 0 for NULL (in stock), YYYYMMDD for a real calendar date "YYYY-MM-DD",
 * else -1. */
int32_t la__date_key(const char *eta);
/* Write the date of key (YYYYMMDD) as "YYYY-MM-DD" into buf (11 bytes). */
void la__date_format(char buf[11], int32_t key);
/* Strict whole number: optional '-', digits only, no overflow. 0, or -1
 * (*out untouched). */
int la__parse_int64(const char *text, int64_t *out);

#endif
