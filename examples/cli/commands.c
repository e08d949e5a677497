/* The write commands: build a command message, hand it to the bus. */
#include "cli.h"

#ifdef LA_CLI_HAVE_CSV
#include <allocation/csv.h>
#endif

#include <string.h>

int cli_number_arg(int64_t *out, const char *text, const char *name)
{
	if (la_parse_int64(out, text, name) != LA_OK)
		return cli_fail(CLI_EXIT_USAGE, "%s must be a whole number, not \"%.40s\"", name,
		                text);
	return CLI_EXIT_OK;
}

/* Hand a freshly built command (or the constructor's failure) to the bus. */
static int run(cli_context *ctx, int built, la_message *cmd)
{
	int rc = built == LA_OK ? la_bus_handle(ctx->bus, cmd) : built;
	la_message_free(cmd);
	return rc == LA_OK ? CLI_EXIT_OK : cli_fail_library(rc, NULL);
}

static int add_batch(cli_context *ctx)
{
	int64_t qty;
	int status = cli_number_arg(&qty, ctx->argv[2], "QTY");
	if (status)
		return status;
	const char *eta = ctx->argc > 3 && *ctx->argv[3] ? ctx->argv[3] : NULL;
	la_message *cmd = NULL;
	int rc = la_command_create_batch(&cmd, ctx->argv[0], ctx->argv[1], qty, eta);
	return run(ctx, rc, cmd);
}

static int allocate(cli_context *ctx)
{
	int64_t qty;
	int status = cli_number_arg(&qty, ctx->argv[2], "QTY");
	if (status)
		return status;
	const char *promise = ctx->argc > 3 && *ctx->argv[3] ? ctx->argv[3] : NULL;
	la_message *cmd = NULL;
	int rc = la_command_allocate_with(&cmd, ctx->argv[0], ctx->argv[1], qty, 0, promise);
	status = run(ctx, rc, cmd);
	if (status == CLI_EXIT_OK) {
		const char *ref = la_bus_result_batchref(ctx->bus);
		puts(ref ? ref : "out of stock");
	}
	return status;
}

static int deallocate(cli_context *ctx)
{
	la_message *cmd = NULL;
	int rc = la_command_deallocate(&cmd, ctx->argv[0], ctx->argv[1]);
	return run(ctx, rc, cmd);
}

static int change_batch_quantity(cli_context *ctx)
{
	int64_t qty;
	int status = cli_number_arg(&qty, ctx->argv[1], "QTY");
	if (status)
		return status;
	la_message *cmd = NULL;
	int rc = la_command_change_batch_quantity(&cmd, ctx->argv[0], qty);
	return run(ctx, rc, cmd);
}

static int cancel_batch(cli_context *ctx)
{
	la_message *cmd = NULL;
	int rc = la_command_cancel_batch(&cmd, ctx->argv[0]);
	return run(ctx, rc, cmd);
}

#ifdef LA_CLI_HAVE_CSV
/* The folder is its own store (spec §5): --db plays no part. */
static int allocate_from_csv(cli_context *ctx)
{
	const char *folder = ctx->argv[0];
	la_store *probe = NULL;
	int rc = la_csv_store_open(&probe, folder);
	la_store_free(probe);
	if (rc != LA_OK) {
		const char *msg = la_error_last();
		if (strncmp(msg, "cannot open CSV folder", 22) == 0) /* names the folder already */
			return cli_fail(CLI_EXIT_NO_STORE, "%s", msg);
		return cli_fail(CLI_EXIT_NO_STORE, "cannot open CSV folder %s: %s", folder,
		                *msg ? msg : la_strerror(rc));
	}
	size_t allocated = 0, out_of_stock = 0;
	rc = la_csv_allocate_orders(&allocated, &out_of_stock, folder, &ctx->bus_options);
	if (rc != LA_OK)
		return cli_fail_library(rc, folder);
	printf("%zu allocated, %zu out of stock\n", allocated, out_of_stock);
	return CLI_EXIT_OK;
}
#else
static int allocate_from_csv(cli_context *ctx)
{
	(void)ctx;
	return cli_fail(CLI_EXIT_NO_STORE, "this build has no CSV adapter (liballocation-csv)");
}
#endif

static int help(cli_context *ctx)
{
	if (ctx->argc == 0) {
		cli_usage(stdout);
		return CLI_EXIT_OK;
	}
	for (const cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, ctx->argv[0]) == 0) {
			cli_command_usage(stdout, c);
			return CLI_EXIT_OK;
		}
	return cli_fail(CLI_EXIT_USAGE, "unknown command %s (see allocation --help)", ctx->argv[0]);
}

const cli_command cli_commands[] = {
    {"add-batch", "REF SKU QTY [ETA]",
     "add a batch of QTY units of SKU, arriving on ETA (YYYY-MM-DD; none: in stock)", 3, 4, 1,
     add_batch},
    {"allocate", "ORDERID SKU QTY [PROMISE]",
     "allocate an order line, optionally promised by PROMISE (YYYY-MM-DD, read by --policy "
     "latest-in-time); prints the batch reference, or \"out of stock\"",
     3, 4, 1, allocate},
    {"deallocate", "ORDERID SKU", "cancel an order line (it is not reallocated)", 2, 2, 1,
     deallocate},
    {"change-batch-quantity", "REF QTY",
     "set a batch's purchased quantity; lines that no longer fit are reallocated", 2, 2, 1,
     change_batch_quantity},
    {"cancel-batch", "REF", "remove a batch; each of its lines is reallocated", 1, 1, 1,
     cancel_batch},
    {"allocations", "ORDERID", "print the order's allocations as JSON [{\"sku\",\"batchref\"}]", 1,
     1, 1, cli_print_allocations},
    {"history", "ORDERID",
     "print what happened to the order's lines as JSON [{\"at\",\"event\",\"sku\",\"qty\","
     "\"batchref\",\"reason\",\"expires\"}]",
     1, 1, 1, cli_print_history},
    {"batches", "[SKU] [--limit N] [--after CURSOR]",
     "print the batch dashboard as JSON {\"batches\": [...], \"next\": CURSOR or null}", 0, -1, 1,
     cli_print_batches},
    {"allocate-from-csv", "FOLDER",
     "allocate FOLDER/orders.csv on FOLDER/batches.csv into FOLDER/allocations.csv (no --db)", 1, 1,
     0, allocate_from_csv},
    {"import-orders", "FILE.csv [--per-transaction N]",
     "allocate every line of FILE.csv (orderid,sku,qty), N lines per transaction (default "
     "50000), with the results of allocating them one by one; refused lines on stderr",
     1, -1, 1, cli_import_orders},
    {"check", "",
     "verify every invariant of the store; one line per violation (exit 1), \"ok\" (exit 0) "
     "when healthy",
     0, 0, 1, cli_check},
    {"repair", "",
     "recompute the store's derived figures in one transaction and print what changed; "
     "violations it cannot fix are printed after (exit 1)",
     0, 0, 1, cli_repair},
    {"help", "[COMMAND]", "show this help, or a command's", 0, 1, 0, help},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
