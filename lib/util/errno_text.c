/* strerror_r in its POSIX (XSI) form: this file defines no _GNU_SOURCE. */
#include "errno_text.h"

#include <stdio.h>
#include <string.h>

const char *la__errno_text(int err, char buf[LA__ERRNO_TEXT_SIZE])
{
	if (strerror_r(err, buf, LA__ERRNO_TEXT_SIZE) != 0)
		(void)snprintf(buf, LA__ERRNO_TEXT_SIZE, "error %d", err); /* always fits */
	return buf;
}
