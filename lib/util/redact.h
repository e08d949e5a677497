/* Internal: secrets out of the text of error messages. The adapters name
 * the URL or connection string they were given when it is wrong or its
 * server cannot be reached; the password it may hold must not follow it
 * into la_error_last(), logs and replies. */
#ifndef LA_UTIL_REDACT_H
#define LA_UTIL_REDACT_H

#include <stddef.h>

/* Copy text into out (size bytes, NUL included; truncated to fit) with
 * every secret replaced by "***": the password of "scheme://user:password@"
 * (the whole user part of redis:// and rediss://, which may be a password
 * alone), and the value of every password= — a libpq keyword, quoted or not,
 * or a URL query parameter. */
void la__redact(char *out, size_t size, const char *text);

/* Copy message into out (size bytes) with every double-quoted fragment
 * that the redacted form of source does not contain replaced by "***": for
 * a library's message that quotes pieces of source (libpq: `invalid
 * percent-encoded token: "s3%zz"`), keeping the pieces that are not secret
 * (keywords, host names) and dropping the ones that came from a password. */
void la__redact_quoted(char *out, size_t size, const char *message, const char *source);

#endif
