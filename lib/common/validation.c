/* validation.h: the identifier, date and number checks every entrypoint and
 * the domain share, with messages naming the field. */
#include "common_internal.h"

#include "../util/text.h"

#include <allocation/validation.h>
#include <string.h>

int la__check_stored_string(const char *value, const char *field)
{
	if (!value)
		return la_error_set(LA_EINVAL, "%s is missing", field);
	size_t len = strnlen(value, LA__MAX_ID + 1);
	if (len == 0)
		return la_error_set(LA_EINVAL, "%s is empty", field);
	if (len > LA__MAX_ID)
		return la_error_set(LA_EINVAL, "%s is longer than %d bytes", field, LA__MAX_ID);
	if (!la__utf8_valid(value, len))
		return la_error_set(LA_EINVAL, "%s is not valid UTF-8", field);
	return LA_OK;
}

/* Control characters (C0 and DEL) are refused: identifiers reach log lines
 * and e-mail bodies, where a newline or an escape sequence could forge them. */
int la_check_string(const char *value, const char *field)
{
	int rc = la__check_stored_string(value, field);
	if (rc != LA_OK)
		return rc;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == 0x7F)
			return la_error_set(LA_EINVAL, "%s contains a control character (0x%02X)",
			                    field, (unsigned int)*p);
	}
	return LA_OK;
}

int32_t la_date_key(const char *eta)
{
	return la__date_key(eta);
}

int la__check_date(int32_t *out_key, const char *eta, const char *field)
{
	int32_t key = la__date_key(eta);
	if (key < 0)
		return la_error_set(LA_EINVAL, "%s is not a date YYYY-MM-DD", field);
	*out_key = key;
	return LA_OK;
}

int la_parse_int64(int64_t *out, const char *text, const char *field)
{
	if (!out || !text)
		return la_error_set(LA_EINVAL, "%s is missing", field ? field : "number");
	if (la__parse_int64(text, out) != 0)
		return la_error_set(LA_EINVAL, "%s must be a whole number",
		                    field ? field : "number");
	return LA_OK;
}
