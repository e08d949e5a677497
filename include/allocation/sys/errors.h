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

LA_END_DECL

#endif
