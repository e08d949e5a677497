/*
 * An order's history (la_view_history) as the JSON the HTTP API and the CLI
 * print: [{"at", "event", "sku", "qty", "batchref", "reason", "expires"}]
 * (docs/history.md).
 */
#ifndef EXAMPLES_HISTORY_JSON_H
#define EXAMPLES_HISTORY_JSON_H

#include <allocation/allocation.h>
#include <jansson.h>

/* The JSON array of list's entries, or NULL when building it failed. */
json_t *history_json(const la_history_list *list);

#endif
