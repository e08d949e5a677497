/* Options of a command: --name VALUE or --name=VALUE. */
#include "cli.h"

#include <string.h>

const char *cli_option_value(cli_context *ctx, int *i, const char *name)
{
	const char *a = ctx->argv[*i];
	size_t n = strlen(name);
	if (a[n] == '=')
		return a + n + 1;
	if (*i + 1 >= ctx->argc)
		return NULL;
	return ctx->argv[++*i];
}

int cli_is_option(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}
