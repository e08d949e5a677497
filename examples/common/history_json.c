/* An order's history as JSON: times as ISO-8601 UTC, null where an entry has
 * no batch, reason or hold. */
#include "history_json.h"

#include <time.h>

/* "YYYY-MM-DDTHH:MM:SSZ", or JSON null for 0 (no such time). */
static json_t *utc_time(int64_t seconds)
{
	if (seconds == 0)
		return json_null();
	char text[32];
	struct tm tm;
	time_t t = (time_t)seconds;
	if (!gmtime_r(&t, &tm) || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return json_string(text);
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *entry_json(const la_history_list *list, size_t i)
{
	/* "at" is never null: a change made outside a bus reads as 1970 */
	int64_t at = la_history_list_time(list, i);
	return json_pack("{s:o,s:s,s:s,s:I,s:o?,s:o?,s:o?}", "at",
	                 at ? utc_time(at) : json_string("1970-01-01T00:00:00Z"), "event",
	                 la_history_list_event_name(list, i), "sku", la_history_list_sku(list, i),
	                 "qty", (json_int_t)la_history_list_qty(list, i), "batchref",
	                 string_or_null(la_history_list_batchref(list, i)), "reason",
	                 string_or_null(la_history_list_reason_name(list, i)), "expires",
	                 utc_time(la_history_list_expires(list, i)));
}

json_t *history_json(const la_history_list *list)
{
	json_t *array = json_array();
	size_t n = la_history_list_count(list);
	for (size_t i = 0; array && i < n; i++) {
		json_t *item = entry_json(list, i);
		if (!item || json_array_append_new(array, item) != 0) {
			json_decref(array);
			array = NULL;
		}
	}
	return array;
}
