/*
 * GET /check: the store's invariants (check.h) as JSON. 200 whether or not
 * violations were found (the request did what it was asked; "healthy" says
 * the verdict), 501 when the store's adapter cannot check itself, 503 when
 * the store fails (docs/http.md).
 */
#include "handlers.h"

#include "workers.h"

#include <jansson.h>

/* Add key → value to object, taking value; -1 when value is NULL (failed). */
static int put(json_t *object, const char *key, json_t *value)
{
	return value ? json_object_set_new(object, key, value) : -1;
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *finding_json(const la_check_report *report, size_t i)
{
	json_t *row = json_object();
	if (!row ||
	    put(row, "kind", json_string(la_check_kind_name(la_check_report_kind(report, i)))) ||
	    put(row, "batchref", string_or_null(la_check_report_batchref(report, i))) ||
	    put(row, "orderid", string_or_null(la_check_report_orderid(report, i))) ||
	    put(row, "sku", string_or_null(la_check_report_sku(report, i))) ||
	    put(row, "message", json_string(la_check_report_message(report, i)))) {
		json_decref(row);
		return NULL;
	}
	return row;
}

/* {"healthy": bool, "violations": [{"kind", "batchref", "orderid", "sku", "message"}]} */
static json_t *report_json(const la_check_report *report)
{
	size_t n = la_check_report_count(report);
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++) {
		if (json_array_append_new(list, finding_json(report, i)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	json_t *obj = json_object();
	if (!obj || put(obj, "healthy", json_boolean(n == 0)) || put(obj, "violations", list)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

void handle_check(struct reply *r, const struct request *req)
{
	(void)req;
	struct worker *w;
	if (worker_current(&w) != LA_OK) {
		reply_store_unavailable(r, "cannot open the store");
		return;
	}
	la_check_report *report = NULL;
	int rc = la_store_check(&report, worker_store(w));
	if (rc == LA_EUNSUPPORTED) {
		reply_message(r, 501, "%s", la_error_last());
		return;
	}
	if (rc != LA_OK) {
		reply_error(r, rc);
		return;
	}
	json_t *obj = report_json(report);
	la_check_report_free(report);
	reply_json_text(r, 200, obj ? json_dumps(obj, JSON_COMPACT) : NULL);
	json_decref(obj);
}
