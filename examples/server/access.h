/*
 * allocation-server — who may call: the bearer token, the Host header
 * (against DNS rebinding) and the content type of writes (so a web page's
 * "simple" cross-origin POST, sent as text/plain, is refused).
 */
#ifndef SERVER_ACCESS_H
#define SERVER_ACCESS_H

#include <stddef.h>

/* Read the token from the first line of path. The file must not be
 * readable by others (mode o+r): -1 with a message in why otherwise. */
int access_load_token(const char *path, char **out, char *why, size_t size);

/* Non-zero when header is "Bearer <token>" (scheme in any case). Compares
 * in time that depends only on the token's length, not on where a wrong
 * guess differs. */
int access_bearer_ok(const char *header, const char *token);

/* Host names accepted besides the listening address: a comma list (may be NULL). */
struct host_policy {
	const char *bound;   /* the listening address as text: "127.0.0.1", "::" */
	int bound_any;       /* listening on every interface */
	int bound_loopback;  /* on 127.0.0.0/8 or ::1 */
	const char *allowed; /* comma list of names, or NULL */
};

/* Non-zero when the Host header value (may be NULL: HTTP/1.0) is acceptable:
 * the listening address itself; "localhost" when listening on loopback or
 * every interface; any IP literal when listening on every interface (a
 * literal cannot be re-bound by DNS); a name of the allowed list. The port
 * is not compared. */
int access_host_ok(const struct host_policy *policy, const char *host);

/* Non-zero when content_type is application/json (any parameters). */
int access_is_json(const char *content_type);

/* Non-zero when the address (text) is on loopback. */
int access_is_loopback(const char *address);

#endif
