/*
 * allocation-server — GET /allocations/<orderid>/history (docs/history.md):
 * 200 with the order's history, 404 for an order the store never saw.
 */
#ifndef SERVER_HISTORY_H
#define SERVER_HISTORY_H

#include "handlers.h"

void handle_history(struct reply *r, const struct request *req);

#endif
