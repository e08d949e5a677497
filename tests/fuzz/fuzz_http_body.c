/*
 * libFuzzer target: the request bodies of every POST endpoint of
 * allocation-server (/add_batch, /allocate, /deallocate,
 * /change_batch_quantity, /cancel_batch), through the server's own body
 * parsing and handlers, on a fresh in-memory store with a fixture.
 *
 * Input: up to 4 requests separated by NUL bytes, each "PATH\nBODY".
 * Checked: every request is answered without a 5xx, every JSON reply parses
 * and every error carries a message; a refused request (4xx) leaves the
 * dashboard and the fixture orders' allocations exactly as they were; after
 * an accepted one every batch's figures still agree.
 */
#include "server_harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUESTS_MAX 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	fuzz_server_begin();
	char *before = strdup(fuzz_server_fixture_snapshot());
	FUZZ_CHECK(before, "out of memory");
	for (int n = 0; n < REQUESTS_MAX && p < end; n++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		const char *record_end = nul ? nul : end;
		const char *newline = memchr(p, '\n', (size_t)(record_end - p));
		const char *body = newline ? newline + 1 : record_end;
		size_t path_len = (size_t)((newline ? newline : record_end) - p);
		struct reply r;
		if (fuzz_server_request(&r, "POST", p, path_len, body,
		                        (size_t)(record_end - body))) {
			unsigned int status = r.status;
			char *after = fuzz_server_snapshot();
			FUZZ_CHECK(
			    status < 400 || strcmp(before, after) == 0,
			    "a refused request (%u %s) changed the state:\n%s\n-- now --\n%s",
			    status, r.body, before, after);
			free(before);
			before = after;
			reply_release(&r);
		}
		p = record_end + 1;
	}
	free(before);
	fuzz_server_end();
	return 0;
}
