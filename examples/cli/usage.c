/* --help texts. */
#include "cli.h"

void cli_usage(FILE *to)
{
	(void)fputs("Usage: allocation [--db URL] [--policy NAME] [-v] [--backorders] COMMAND "
	            "[ARGS...]\n"
	            "\n"
	            "Allocate order lines to batches of stock (liballocation's command line).\n"
	            "\n"
	            "Commands:\n",
	            to);
	for (const cli_command *c = cli_commands; c->name; c++)
		(void)fprintf(to, "  %s %s\n      %s\n", c->name, c->synopsis, c->summary);
	(void)fputs(
	    "\n"
	    "Options (before the command):\n"
	    "  --db URL       database: sqlite:PATH or a bare PATH, sqlite::memory:,\n"
	    "                 postgresql://user:pass@host:port/db (or any libpq conninfo),\n"
	    "                 csv:FOLDER, memory:. Default: $ALLOCATION_DB, else\n"
	    "                 sqlite:allocation.db in the working directory.\n"
	    "  --policy NAME  the allocation policy: book (default: in stock first, then\n"
	    "                 earliest ETA) or latest-in-time (the latest batch that\n"
	    "                 arrives by the line's PROMISE date). Default:\n"
	    "                 $ALLOCATION_POLICY, else book.\n"
	    "  -v, --verbose  log the library's messages and notifications on stderr\n"
	    "  --backorders   a line that finds no stock waits for it (the bus option\n"
	    "                 LA_BUS_BACKORDERS) and is allocated when stock appears\n"
	    "  -h, --help     show this help (COMMAND --help: that command's)\n"
	    "  --version      show the library version\n"
	    "\n"
	    "Exit status:\n"
	    "  0  success (an allocation that found no stock prints \"out of stock\")\n"
	    "  1  the command was refused (e.g. \"Invalid sku X\", a bad value or CSV row)\n"
	    "  2  usage error (unknown command or option, missing argument, not a number)\n"
	    "  3  the database or CSV folder could not be opened\n"
	    "  4  the store failed during the command (database or I/O error)\n"
	    "Errors are one line on stderr.\n",
	    to);
}

void cli_command_usage(FILE *to, const cli_command *cmd)
{
	(void)fprintf(to, "Usage: allocation [--db URL] %s %s\n  %s\n", cmd->name, cmd->synopsis,
	              cmd->summary);
}
