/*
 * allocation [--db URL] [-v] COMMAND ARGS...
 *
 * Parses the global options, opens the store the command needs, runs the
 * command and turns its outcome into an exit status (cli_main; main.c only
 * calls it, so the fuzzer of the arguments can too).
 */
#include "cli.h"
#include "store_url.h"

#include <allocation/sys/errors.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DB "sqlite:allocation.db"

int cli_fail(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	/* clang-analyzer 14 misses the va_start above */
	// NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line, whatever the data in the message holds */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	(void)fprintf(stderr, "allocation: %s\n", msg);
	return status;
}

int cli_fail_library(int code, const char *context)
{
	int status = CLI_EXIT_FAILED;
	if (code == LA_EDB || code == LA_EIO || code == LA_ENOMEM)
		status = CLI_EXIT_STORE_ERROR;
	const char *msg = la_error_last();
	if (!*msg)
		msg = la_strerror(code);
	if (context)
		return cli_fail(status, "%s: %s", context, msg);
	return cli_fail(status, "%s", msg);
}

static void log_to_stderr(int level, const char *message, void *payload)
{
	static const char *const names[] = {"", "error", "warning", "info", "debug"};
	(void)payload;
	(void)fprintf(stderr, "allocation: %s: %s\n",
	              level >= 1 && level <= 4 ? names[level] : "log", message);
}

static int notify_to_stderr(const char *destination, const char *message, void *payload)
{
	if (*(const int *)payload)
		(void)fprintf(stderr, "allocation: notify %s: %s\n", destination, message);
	return LA_OK;
}

static const cli_command *find_command(const char *name)
{
	for (const cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Global options up to the command name; returns its index or -status. */
static int parse_globals(cli_context *ctx, int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_usage(stdout);
			return -CLI_EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("allocation %s\n", la_version());
			return -CLI_EXIT_OK;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			ctx->verbose = 1;
		} else if (strcmp(a, "--backorders") == 0) {
			ctx->backorders = 1;
		} else if (strcmp(a, "--db") == 0) {
			if (++i >= argc)
				return -cli_fail(CLI_EXIT_USAGE, "--db needs a database URL");
			ctx->db = argv[i];
		} else if (strncmp(a, "--db=", 5) == 0) {
			ctx->db = a + 5;
		} else if (strcmp(a, "--policy") == 0) {
			if (++i >= argc)
				return -cli_fail(CLI_EXIT_USAGE, "--policy needs a policy name");
			ctx->policy = argv[i];
		} else if (strncmp(a, "--policy=", 9) == 0) {
			ctx->policy = a + 9;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else {
			return -cli_fail(CLI_EXIT_USAGE,
			                 "unknown option %s (see allocation --help)", a);
		}
	}
	if (i >= argc)
		return -cli_fail(CLI_EXIT_USAGE, "no command given (see allocation --help)");
	return i;
}

static int wants_help(const cli_context *ctx)
{
	return ctx->argc >= 1 &&
	       (strcmp(ctx->argv[0], "--help") == 0 || strcmp(ctx->argv[0], "-h") == 0);
}

static int open_store(cli_context *ctx)
{
	int rc = la_example_open_store(&ctx->store, ctx->db, 0);
	if (rc != LA_OK) {
		const char *msg = la_error_last();
		char shown[512]; /* the URL, without its password */
		la_redact_secrets(shown, sizeof shown, ctx->db);
		return cli_fail(CLI_EXIT_NO_STORE, "cannot open database %s: %s", shown,
		                *msg ? msg : la_strerror(rc));
	}
	rc = la_bus_new(&ctx->bus, ctx->store, &ctx->bus_options);
	if (rc != LA_OK)
		return cli_fail_library(rc, NULL);
	/* Reallocations a crashed process left pending, before the command. */
	rc = la_bus_finish_reallocations(ctx->bus, NULL);
	if (rc != LA_OK)
		return cli_fail_library(rc, NULL);
	return CLI_EXIT_OK;
}

int cli_main(int argc, char **argv)
{
	cli_context ctx = {0};
	ctx.db = getenv("ALLOCATION_DB");
	if (!ctx.db || !*ctx.db)
		ctx.db = DEFAULT_DB;
	ctx.policy = getenv("ALLOCATION_POLICY");
	int first = parse_globals(&ctx, argc, argv);
	if (first <= 0)
		return -first;
	if (ctx.verbose)
		la_set_log_callback(log_to_stderr, NULL);
	la_bus_options_init(&ctx.bus_options, LA_BUS_OPTIONS_VERSION);
	ctx.bus_options.notify = notify_to_stderr;
	ctx.bus_options.notify_payload = &ctx.verbose;
	if (ctx.backorders)
		ctx.bus_options.flags |= LA_BUS_BACKORDERS;
	if (ctx.policy && *ctx.policy && !(ctx.bus_options.policy = la_policy_builtin(ctx.policy)))
		return cli_fail(CLI_EXIT_USAGE,
		                "unknown allocation policy '%.40s' (book or latest-in-time)",
		                ctx.policy);

	const cli_command *cmd = find_command(argv[first]);
	if (!cmd)
		return cli_fail(CLI_EXIT_USAGE, "unknown command %s (see allocation --help)",
		                argv[first]);
	ctx.argc = argc - first - 1;
	ctx.argv = argv + first + 1;
	if (wants_help(&ctx)) {
		cli_command_usage(stdout, cmd);
		return CLI_EXIT_OK;
	}
	if (ctx.argc < cmd->min_args || (cmd->max_args >= 0 && ctx.argc > cmd->max_args)) {
		return cli_fail(CLI_EXIT_USAGE,
		                "usage: allocation %s %s (see allocation %s --help)", cmd->name,
		                cmd->synopsis, cmd->name);
	}
	int status = cmd->uses_store ? open_store(&ctx) : CLI_EXIT_OK;
	if (status == CLI_EXIT_OK)
		status = cmd->run(&ctx);
	la_bus_free(ctx.bus);
	la_store_free(ctx.store);
	if (status == CLI_EXIT_OK && fflush(stdout) != 0)
		status = cli_fail(CLI_EXIT_FAILED, "cannot write the output");
	return status;
}
