/* Is a text JSON? Asked when jansson fails: it reports running out of
 * memory as a syntax error ("invalid token near ..."), and a message that
 * failed only for want of memory must not be taken for a malformed one. */
#ifndef REDIS_JSON_VALID_H
#define REDIS_JSON_VALID_H

#include <jansson.h>
#include <stddef.h>

/* Non-zero when the len bytes at text are one JSON value (RFC 8259, nested
 * at most 64 deep), with white space around it. Allocates nothing. */
int redis_json_valid(const char *text, size_t len);

/* jansson failed on text (len bytes) with error for want of memory: the text
 * is JSON as jansson takes it, and the error is one jansson reports running
 * out of memory with (that code, a syntax error, or no message at all). */
int redis_json_out_of_memory(const json_error_t *error, const char *text, size_t len);

#endif
