/* Internal: thread-local last error and the log sink. */
#ifndef LA_UTIL_ERROR_H
#define LA_UTIL_ERROR_H

#include <allocation/sys/ports.h>

/* Set LA_ENOMEM with a standard message; returns LA_ENOMEM. */
int la_error_nomem(void);
/* Non-zero when a log callback is installed (skip formatting otherwise). */
int la_log_enabled(void);

#endif
