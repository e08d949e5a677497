/* allocation: the command-line program (cli_main.c does the work). */
#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
