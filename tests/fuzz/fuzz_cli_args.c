/*
 * libFuzzer target: the command line of `allocation` (examples/cli): global
 * options, command names, every command's arguments and options (numbers,
 * dates, --limit, --after cursors), through cli_main itself.
 *
 * Input: the arguments after the program name, separated by NUL bytes (at
 * most 12). The database is never opened from the URL: this target's
 * la_example_open_store gives every command a fresh in-memory store with
 * batches and allocations (store URLs have their own target), and the build
 * has no CSV adapter, so nothing touches the file system.
 * Checked: an exit status of the documented set (0-4), no crash, leak or UB.
 */
#include "cli.h"
#include "store_url.h"
#include "fuzz_input.h"

#include <allocation/memory.h>
#include <allocation/sys/ports.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGS_MAX 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Hand a command (or its constructor's failure) to the bus. */
static int run(la_bus *bus, int built, la_message *m)
{
	int rc = built == LA_OK ? la_bus_handle(bus, m) : built;
	la_message_free(m);
	return rc;
}

static int add_fixture(la_store *store)
{
	la_bus *bus = NULL;
	la_message *m = NULL;
	int rc = la_bus_new(&bus, store, NULL), built;
	if (rc == LA_OK) {
		built = la_command_create_batch(&m, "b1", "LAMP", 100, NULL);
		rc = run(bus, built, m);
	}
	if (rc == LA_OK) {
		built = la_command_create_batch(&m, "b2", "LAMP", 50, "2030-01-01");
		rc = run(bus, built, m);
	}
	if (rc == LA_OK) {
		built = la_command_create_batch(&m, "b3", "CHAIR", 20, "2029-12-31");
		rc = run(bus, built, m);
	}
	if (rc == LA_OK) {
		built = la_command_allocate(&m, "o1", "LAMP", 10);
		rc = run(bus, built, m);
	}
	if (rc == LA_OK) {
		built = la_command_allocate(&m, "o1", "CHAIR", 5);
		rc = run(bus, built, m);
	}
	la_bus_free(bus);
	return rc;
}

/* The CLI's only way to a store, here a fixture in memory. */
int la_example_open_store(la_store **out, const char *url, unsigned int flags)
{
	(void)flags;
	*out = NULL;
	if (!url || !*url)
		return la_error_set(LA_EINVAL, "empty database URL");
	int rc = la_memory_store_new(out);
	if (rc == LA_OK && (rc = add_fixture(*out)) != LA_OK) {
		la_store_free(*out);
		*out = NULL;
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_input_string(data, size);
	if (!copy)
		return 0;
	char *argv[ARGS_MAX + 2] = {"allocation"};
	int argc = 1;
	for (char *p = copy; p <= copy + size && argc <= ARGS_MAX; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	int status = cli_main(argc, argv);
	(void)fflush(stdout);
	if (status < CLI_EXIT_OK || status > CLI_EXIT_STORE_ERROR) {
		fprintf(stderr, "allocation: exit status %d\n", status);
		abort();
	}
	free(copy);
	return 0;
}
