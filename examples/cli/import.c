/* import-orders: a file in orders.csv form into the --db store, many lines
 * per transaction (la_csv_import_orders). */
#include "cli.h"

#ifdef LA_CLI_HAVE_CSV
#include <allocation/csv.h>
#endif

#include <string.h>

#ifdef LA_CLI_HAVE_CSV
/* Each refused line on stderr, as "FILE:LINE: message". */
static int report_refusal(size_t line, const char *orderid, const char *sku, int64_t qty,
                          int status, const char *batchref, const char *message, void *payload)
{
	if (status != LA_OK)
		(void)fprintf(stderr, "allocation: %s:%zu: %s\n", (const char *)payload, line,
		              message);
	return LA_OK;
}

int cli_import_orders(cli_context *ctx)
{
	const char *file = NULL;
	int64_t per_transaction = LA_CSV_IMPORT_DEFAULT_LINES;
	for (int i = 0; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (cli_is_option(a, "--per-transaction")) {
			const char *v = cli_option_value(ctx, &i, "--per-transaction");
			if (!v)
				return cli_fail(CLI_EXIT_USAGE, "--per-transaction needs a number");
			int status = cli_number_arg(&per_transaction, v, "--per-transaction");
			if (status)
				return status;
			if (per_transaction < 1 || per_transaction > LA_CSV_IMPORT_MAX_LINES)
				return cli_fail(CLI_EXIT_USAGE,
				                "--per-transaction must be between 1 and %d",
				                LA_CSV_IMPORT_MAX_LINES);
		} else if (a[0] == '-' && a[1] != '\0') {
			return cli_fail(CLI_EXIT_USAGE, "unknown option %s for import-orders", a);
		} else if (!file) {
			file = a;
		} else {
			return cli_fail(CLI_EXIT_USAGE, "import-orders takes one FILE");
		}
	}
	if (!file)
		return cli_fail(CLI_EXIT_USAGE, "usage: allocation import-orders FILE.csv "
		                                "[--per-transaction N]");
	size_t allocated = 0, out_of_stock = 0, failed = 0;
	int rc = la_csv_import_orders(&allocated, &out_of_stock, &failed, ctx->bus, file,
	                              (size_t)per_transaction, report_refusal, (void *)file);
	printf("{\"allocated\": %zu, \"out_of_stock\": %zu, \"refused\": %zu}\n", allocated,
	       out_of_stock, failed);
	if (rc != LA_OK)
		return cli_fail_library(rc, NULL);
	return failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
#else
int cli_import_orders(cli_context *ctx)
{
	(void)ctx;
	return cli_fail(CLI_EXIT_NO_STORE, "this build has no CSV adapter (liballocation-csv)");
}
#endif
