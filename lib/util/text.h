/* Internal: validation of the strings and dates the domain accepts. */
#ifndef LA_UTIL_TEXT_H
#define LA_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Longest identifier (orderid, sku, reference) in bytes. */
#define LA_MAX_ID 255

/* Non-zero when the len bytes at s are well-formed UTF-8. */
int la_utf8_valid(const char *s, size_t len);
/* Validate "YYYY-MM-DD" (a real calendar date) or NULL; field names it in
 * the error. *out_key gets la_date_key's value. */
int la_check_date(int32_t *out_key, const char *eta, const char *field);
/* Write the date of key (YYYYMMDD) as "YYYY-MM-DD" into buf (11 bytes). */
void la_date_format(char buf[11], int32_t key);

#endif
