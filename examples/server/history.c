/*
 * GET /allocations/<orderid>/history: what happened to an order's lines
 * (docs/history.md), read on the HTTP thread from its own store.
 */
#include "history.h"

#include "history_json.h"
#include "workers.h"

#include <allocation/validation.h>

#include <string.h>

#define HISTORY_PREFIX "/allocations/"
#define HISTORY_SUFFIX "/history"

/* The orderid between prefix and suffix (the route matched both), copied
 * into buf; 0 when it is too long to be one. */
static int orderid_of(char *buf, size_t size, const char *path)
{
	size_t len = strlen(path) - strlen(HISTORY_PREFIX) - strlen(HISTORY_SUFFIX);
	if (len >= size)
		return 0;
	memcpy(buf, path + strlen(HISTORY_PREFIX), len);
	buf[len] = '\0';
	return 1;
}

void handle_history(struct reply *r, const struct request *req)
{
	char orderid[1024];
	if (!orderid_of(orderid, sizeof orderid, req->path)) {
		reply_message(r, 400, "orderid is longer than 255 bytes");
		return;
	}
	if (la_check_string(orderid, "orderid") != LA_OK) {
		reply_error(r, LA_EINVAL);
		return;
	}
	struct worker *w;
	if (worker_current(&w) != LA_OK) {
		reply_store_unavailable(r, "cannot open the store");
		return;
	}
	la_history_list *list;
	int rc = la_view_history(&list, worker_store(w), orderid);
	if (rc == LA_EUNSUPPORTED) {
		reply_message(r, 501, "%s", la_error_last());
		return;
	}
	if (rc != LA_OK) {
		reply_error(r, rc);
		return;
	}
	if (la_history_list_count(list) == 0) {
		la_history_list_free(list);
		reply_text(r, 404, "not found");
		return;
	}
	json_t *array = history_json(list);
	la_history_list_free(list);
	reply_json_text(r, 200, array ? json_dumps(array, JSON_COMPACT) : NULL);
	json_decref(array);
}
