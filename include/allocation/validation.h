/**
 * @file allocation/validation.h
 * @brief Checking and parsing the values the domain accepts: identifiers,
 * dates and whole numbers, as programs read them from text (a command line,
 * a request, a file) before they build a command.
 *
 * Threads: safe from any thread; errors go to the calling thread's
 * la_error_last().
 */
#ifndef ALLOCATION_VALIDATION_H
#define ALLOCATION_VALIDATION_H

#include "common.h"

LA_BEGIN_DECL

/**
 * Validate an identifier (orderid, sku, batch reference): 1–255 bytes of
 * UTF-8, no NUL, and no control character (C0, 0x01–0x1F, or DEL, 0x7F:
 * identifiers reach log lines and e-mail bodies). Every command
 * constructor, and so every entrypoint, checks its identifiers with it.
 * @param value the string.
 * @param field the field's name, used in the error message.
 * @return #LA_OK or #LA_EINVAL (message set, naming field).
 */
LA_EXTERN(int) la_check_string(const char *value, const char *field);

/**
 * Sort key of an ETA: 0 for NULL (in stock, sorts first), else YYYYMMDD.
 * @param eta "YYYY-MM-DD" or NULL.
 * @return the key; -1 when eta is not a valid calendar date "YYYY-MM-DD"
 *         (no error message is set).
 */
LA_EXTERN(int32_t) la_date_key(const char *eta);

/**
 * Parse a whole number strictly: an optional '-' and decimal digits only,
 * nothing before or after, within int64_t.
 * @param[out] out the number; untouched on failure.
 * @param text the text (NUL-terminated).
 * @param field the field's name, used in the error message.
 * @return #LA_OK or #LA_EINVAL ("<field> must be a whole number").
 */
LA_EXTERN(int) la_parse_int64(int64_t *out, const char *text, const char *field);

LA_END_DECL

#endif
