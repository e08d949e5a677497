/* Internal to the core: the error and log helpers of lib/common that the
 * domain and the service layer share. */
#ifndef LA_COMMON_INTERNAL_H
#define LA_COMMON_INTERNAL_H

#include <allocation/sys/errors.h>
#include <stdint.h>

/* Set LA_ENOMEM with a standard message; returns LA_ENOMEM. */
int la__error_nomem(void);
/* Non-zero when a log callback is installed (skip formatting otherwise). */
int la__log_enabled(void);
/* Validate "YYYY-MM-DD" (a real calendar date) or NULL; field names it in
 * the error. *out_key gets la_date_key's value. */
int la__check_date(int32_t *out_key, const char *eta, const char *field);
/* la_check_string as it was before control characters were refused: what
 * stores load (rows written by an older version stay readable). */
int la__check_stored_string(const char *value, const char *field);

#endif
