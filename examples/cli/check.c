/* check and repair (check.h): one line per finding on stdout. */
#include "cli.h"

/* "KIND [batch REF] [order ID] [sku SKU]: message" */
static void print_finding(const char *prefix, const la_check_report *r, size_t i)
{
	const char *batch = la_check_report_batchref(r, i);
	const char *order = la_check_report_orderid(r, i);
	const char *sku = la_check_report_sku(r, i);
	printf("%s%s%s%s%s%s%s%s: %s\n", prefix, la_check_kind_name(la_check_report_kind(r, i)),
	       batch ? " batch " : "", batch ? batch : "", order ? " order " : "",
	       order ? order : "", sku ? " sku " : "", sku ? sku : "",
	       la_check_report_message(r, i));
}

/* Print what check finds (prefixed); the exit status it means. */
static int print_check(cli_context *ctx, const char *prefix, const char *healthy)
{
	la_check_report *report = NULL;
	int rc = la_store_check(&report, ctx->store);
	if (rc != LA_OK)
		return cli_fail_library(rc, "check");
	size_t n = la_check_report_count(report);
	for (size_t i = 0; i < n; i++)
		print_finding(prefix, report, i);
	if (n == 0 && healthy)
		printf("%s\n", healthy);
	la_check_report_free(report);
	return n ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int cli_check(cli_context *ctx)
{
	return print_check(ctx, "", "ok: every invariant holds");
}

int cli_repair(cli_context *ctx)
{
	la_check_report *report = NULL;
	int rc = la_store_repair(&report, ctx->store);
	if (rc != LA_OK)
		return cli_fail_library(rc, "repair");
	size_t n = la_check_report_count(report);
	for (size_t i = 0; i < n; i++)
		print_finding("repaired ", report, i);
	if (n == 0)
		printf("nothing to repair\n");
	la_check_report_free(report);
	/* what only deleting an allocation could fix is left to the operator */
	return print_check(ctx, "not repaired: ", NULL);
}
