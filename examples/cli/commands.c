/* The write commands: build a command message, hand it to the bus. */
#include "cli.h"

#ifdef LA_CLI_HAVE_CSV
#include <allocation/csv.h>
#endif

#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The arguments that are not options, with --hold SECONDS read into *hold
 * (0 when absent). Returns the count of the others, or -status. */
static int split_hold(cli_context *ctx, int64_t *hold, char **args, int max)
{
	int n = 0, options = 1;
	*hold = 0;
	for (int i = 0; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (options && strcmp(a, "--") == 0) {
			options = 0;
		} else if (options && cli_is_option(a, "--hold")) {
			const char *v = cli_option_value(ctx, &i, "--hold");
			if (!v)
				return -cli_fail(CLI_EXIT_USAGE,
				                 "--hold needs a number of seconds");
			int status = cli_number_arg(hold, v, "--hold");
			if (status)
				return -status;
			if (*hold < 1 || *hold > LA_HOLD_MAX_SECONDS)
				return -cli_fail(CLI_EXIT_USAGE, "--hold must be 1-%d seconds",
				                 LA_HOLD_MAX_SECONDS);
		} else if (options && a[0] == '-' && a[1] == '-') {
			return -cli_fail(CLI_EXIT_USAGE, "unknown option %s", a);
		} else if (n < max) {
			args[n++] = ctx->argv[i];
		} else {
			return -cli_fail(CLI_EXIT_USAGE, "too many arguments (see --help)");
		}
	}
	return n;
}

static int allocate(cli_context *ctx)
{
	char *args[4];
	int64_t hold, qty;
	int n = split_hold(ctx, &hold, args, 4);
	if (n < 0)
		return -n;
	if (n < 3)
		return cli_fail(CLI_EXIT_USAGE,
		                "usage: allocation allocate ORDERID SKU QTY [PROMISE] "
		                "(see allocation allocate --help)");
	int status = cli_number_arg(&qty, args[2], "QTY");
	if (status)
		return status;
	const char *promise = n > 3 && *args[3] ? args[3] : NULL;
	la_message *cmd = NULL;
	int rc = la_command_allocate_with(&cmd, args[0], args[1], qty, hold, promise);
	status = run(ctx, rc, cmd);
	if (status == CLI_EXIT_OK) {
		const char *ref = la_bus_result_batchref(ctx->bus);
		int waits = la_bus_result_outcome(ctx->bus, 0) == LA_OUTCOME_BACKORDERED;
		puts(ref ? ref : waits ? "backordered" : "out of stock");
	}
	return status;
}

/* SKU=QTY → its sku (in place, arg's '=' cut) and quantity. */
static int order_line(char *arg, const char **sku, int64_t *qty)
{
	char *eq = arg ? strrchr(arg, '=') : NULL;
	if (!eq || eq == arg)
		return cli_fail(CLI_EXIT_USAGE, "an order line is SKU=QTY, not \"%.40s\"", arg);
	*eq = '\0';
	*sku = arg;
	return cli_number_arg(qty, eq + 1, "QTY");
}

/* Prints "SKU BATCHREF" per line (in the arguments' order), or "out of
 * stock: SKU[, SKU...]" when the order was not placed (exit 0, as allocate). */
static int allocate_order(cli_context *ctx)
{
	char **args = calloc((size_t)ctx->argc, sizeof *args);
	const char **skus = calloc((size_t)ctx->argc, sizeof *skus);
	int64_t *qtys = calloc((size_t)ctx->argc, sizeof *qtys);
	int64_t hold = 0;
	if (!args || !skus || !qtys) {
		free(args);
		free(skus);
		free(qtys);
		return cli_fail(CLI_EXIT_STORE_ERROR, "out of memory");
	}
	int status = CLI_EXIT_OK;
	int n = split_hold(ctx, &hold, args, ctx->argc);
	if (n < 0)
		status = -n;
	else if (n < 2)
		status =
		    cli_fail(CLI_EXIT_USAGE, "usage: allocation allocate-order ORDERID SKU=QTY... "
		                             "[--hold SECONDS]");
	for (int i = 1; !status && i < n; i++)
		status = order_line(args[i], &skus[i - 1], &qtys[i - 1]);
	if (!status) {
		la_message *cmd = NULL;
		int rc =
		    la_command_allocate_order(&cmd, args[0], skus, qtys, (size_t)(n - 1), hold);
		status = run(ctx, rc, cmd);
	}
	size_t lines = status ? 0 : la_bus_result_line_count(ctx->bus, 0);
	int placed = la_bus_result_outcome(ctx->bus, 0) == LA_OUTCOME_ALLOCATED;
	if (lines && !placed)
		(void)fputs("out of stock: ", stdout);
	for (size_t i = 0, shown = 0; i < lines; i++) {
		const char *sku = la_bus_result_line_sku(ctx->bus, 0, i);
		if (placed)
			printf("%s %s\n", sku, la_bus_result_line_batchref(ctx->bus, 0, i));
		else if (la_bus_result_line_short(ctx->bus, 0, i))
			printf("%s%s", shown++ ? ", " : "", sku);
	}
	if (lines && !placed)
		(void)putchar('\n');
	free(args);
	free(skus);
	free(qtys);
	return status;
}

static int confirm(cli_context *ctx)
{
	la_message *cmd = NULL;
	int rc = la_command_confirm(&cmd, ctx->argv[0]);
	return run(ctx, rc, cmd);
}

/* ExpireHolds at NOW (seconds since 1970; default: the system's time). */
static int expire_holds(cli_context *ctx)
{
	int64_t now = (int64_t)time(NULL);
	if (ctx->argc > 0) {
		int status = cli_number_arg(&now, ctx->argv[0], "NOW");
		if (status)
			return status;
	}
	la_message *cmd = NULL;
	int rc = la_command_expire_holds(&cmd, now);
	return run(ctx, rc, cmd);
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
     "latest-in-time; --hold SECONDS: held for 1-86400 s until confirmed); prints the batch "
     "reference, \"out of stock\", or \"backordered\" (with --backorders)",
     3, -1, 1, allocate},
    {"allocate-order", "ORDERID SKU=QTY... [--hold SECONDS]",
     "allocate every line of an order or none; prints \"SKU BATCHREF\" per line, or \"out of "
     "stock: SKU[, SKU...]\"",
     2, -1, 1, allocate_order},
    {"confirm", "ORDERID", "make the order's held lines permanent", 1, 1, 1, confirm},
    {"expire-holds", "[NOW]",
     "deallocate the held lines whose hold ended by NOW (seconds since 1970; default: now)", 0, 1,
     1, expire_holds},
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
