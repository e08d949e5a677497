/*
 * The HTTP server's request handling without the network, for the fuzz
 * targets: the server's own routes, handlers, body parsing and replies
 * (examples/server) over a fresh in-memory store holding a fixed set of
 * batches and allocations, and the query string split and decoded the way
 * libmicrohttpd does it.
 */
#ifndef FUZZ_SERVER_HARNESS_H
#define FUZZ_SERVER_HARNESS_H

#include "reply.h"

#include <stddef.h>

/* A fresh store with the fixture. Aborts if it cannot be made. */
void fuzz_server_begin(void);

/* fuzz_server_snapshot of the fixture as fuzz_server_begin leaves it,
 * computed once. */
const char *fuzz_server_fixture_snapshot(void);

/* Free every worker and the store. */
void fuzz_server_end(void);

/*
 * Answer one request as the server would: target is the request target
 * ("/batches?sku=LAMP&limit=2", percent-encoded), not NUL-terminated. The
 * reply is checked (a status the route may give, a JSON body that parses,
 * a message on every error) and then owned by the caller (reply_release).
 * Returns 0 when no route matches (nothing answered).
 */
int fuzz_server_request(struct reply *r, const char *method, const char *target, size_t target_len,
                        const char *body, size_t body_len);

/* The last request's decoded path, and its query argument name (NULL when
 * absent or without '='), valid until the next request. */
const char *fuzz_server_path(void);
const char *fuzz_server_query(const char *name);

/* Every row of the dashboard (all pages, followed by their cursors) and the
 * fixture orders' allocations, as one text; and checks that the figures of
 * every batch agree. Caller frees. */
char *fuzz_server_snapshot(void);

/* Abort with a message when cond is false (the message is lost when
 * libFuzzer closes stderr; the replay shows it). */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                \
	} while (0)

void fuzz_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4), noreturn))
#endif
    ;

#endif
