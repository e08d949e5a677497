/*
 * The `allocation` command line (spec §6): one program that reaches every
 * command of the message bus and both read models.
 */
#ifndef LA_CLI_H
#define LA_CLI_H

#include <allocation/allocation.h>

#include <stdint.h>
#include <stdio.h>

/* Exit statuses (documented in docs/cli.md and --help). */
enum {
	CLI_EXIT_OK = 0,         /* done (an allocation that found no stock included) */
	CLI_EXIT_FAILED = 1,     /* the command was refused: invalid sku, bad value, ... */
	CLI_EXIT_USAGE = 2,      /* the command line itself is wrong */
	CLI_EXIT_NO_STORE = 3,   /* the database or CSV folder could not be opened */
	CLI_EXIT_STORE_ERROR = 4 /* the store failed during the command (I/O, database) */
};

/* What every command gets: its arguments and, once opened, the store. */
typedef struct cli_context {
	const char *db; /* database URL */
	int verbose;
	int backorders; /* --backorders: LA_BUS_BACKORDERS */
	int argc;       /* the command's arguments, without its name */
	char **argv;
	la_store *store; /* opened by main for commands that use the database */
	la_bus *bus;
	la_bus_options bus_options; /* for buses made by commands (allocate-from-csv) */
	const char *policy;         /* --policy NAME, else $ALLOCATION_POLICY, or NULL: book */
} cli_context;

typedef int (*cli_command_fn)(cli_context *ctx);

typedef struct cli_command {
	const char *name;
	const char *synopsis; /* arguments, for usage lines */
	const char *summary;
	int min_args, max_args; /* max -1: the command parses its own options */
	int uses_store;
	cli_command_fn run;
} cli_command;

/* The whole program (cli_main.c): parse argv, run the command, return the
 * exit status. */
int cli_main(int argc, char **argv);

/* The command table (commands.c), ended by a zeroed entry. */
extern const cli_command cli_commands[];

/* Print "allocation: message" on stderr as one line; returns status. */
int cli_fail(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Report the library's last error for code; returns the exit status. */
int cli_fail_library(int code, const char *context);

/* Parse a number argument or report a usage error naming it. */
int cli_number_arg(int64_t *out, const char *text, const char *name);

/* Options of a command (options.c): is arg --name or --name=VALUE; the
 * value of the option at argv[*i] (advancing *i past a separate value), or
 * NULL when it has none. */
int cli_is_option(const char *arg, const char *name);
const char *cli_option_value(cli_context *ctx, int *i, const char *name);

/* import-orders (import.c). */
int cli_import_orders(cli_context *ctx);

/* Read models printed as JSON (queries.c). */
int cli_print_allocations(cli_context *ctx);
int cli_print_batches(cli_context *ctx);
/* Print a JSON value on one line and free it; NULL means building it failed. */
struct json_t;
int cli_print_json(struct json_t *value);

/* history ORDERID (history.c). */
int cli_print_history(cli_context *ctx);

/* check and repair (check.c). */
int cli_check(cli_context *ctx);
int cli_repair(cli_context *ctx);

/* Usage (usage.c). */
void cli_usage(FILE *to);
void cli_command_usage(FILE *to, const cli_command *cmd);

#endif
