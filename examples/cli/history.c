/* allocation history ORDERID: the order's history as JSON, the shape of
 * GET /allocations/<orderid>/history (docs/history.md); [] for an order the
 * store never saw, as `allocations` prints. */
#include "cli.h"

#include "history_json.h"

int cli_print_history(cli_context *ctx)
{
	la_history_list *list = NULL;
	int rc = la_view_history(&list, ctx->store, ctx->argv[0]);
	if (rc != LA_OK)
		return cli_fail_library(rc, NULL);
	json_t *array = history_json(list);
	la_history_list_free(list);
	return cli_print_json(array);
}
