/* The text of an errno value, safe in threads (strerror is not: it may
 * share one buffer between threads). */
#ifndef LA_UTIL_ERRNO_TEXT_H
#define LA_UTIL_ERRNO_TEXT_H

#include <stddef.h>

#define LA__ERRNO_TEXT_SIZE 128

/* Write the text of err into buf (LA__ERRNO_TEXT_SIZE bytes) and return buf;
 * "error N" when the C library has no text for it. */
const char *la__errno_text(int err, char buf[LA__ERRNO_TEXT_SIZE]);

#endif
