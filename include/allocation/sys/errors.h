/**
 * @file allocation/sys/errors.h
 * @brief Reporting errors and logging, for adapters and programs built on
 * the library: they report through the same per-thread message that
 * la_error_last() reads and the same log callback the user installed.
 */
#ifndef ALLOCATION_SYS_ERRORS_H
#define ALLOCATION_SYS_ERRORS_H

#include "../common.h"

LA_BEGIN_DECL

/**
 * Set the calling thread's last error (la_error_last()).
 * @param code the #la_status to report.
 * @param fmt printf format of the message, naming the problem.
 * @return code, so `return la_error_set(LA_EDB, "...", ...);` reads well.
 */
LA_EXTERN(int)
la_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/**
 * Log through the user's callback, if any (la_set_log_callback()).
 * @param level a #la_log_level.
 * @param fmt printf format of one line.
 */
LA_EXTERN(void)
la_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * Copy text with the secrets a URL or a connection string can hold replaced
 * by "***": the password of "scheme://user:password@host" (the whole user
 * part of redis://, which may be a password alone), and the value of every
 * `password=` — a libpq keyword, quoted or not, or a URL query parameter.
 * For messages and log lines that name a database or service URL
 * ("postgresql://app:***@db/alloc", "host=db password=*** dbname=alloc").
 * The adapters' own messages are redacted already.
 * @param out where to write (NUL-terminated, truncated to fit).
 * @param size bytes at out (0: nothing is written).
 * @param text the text, or NULL (written as "").
 */
LA_EXTERN(void) la_redact_secrets(char *out, size_t size, const char *text);

LA_END_DECL

#endif
