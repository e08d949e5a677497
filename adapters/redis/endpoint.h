/* Where a Redis server is: parsed from a redis:// or unix: URL. */
#ifndef REDIS_ENDPOINT_H
#define REDIS_ENDPOINT_H

typedef struct redis_endpoint {
	char *host; /* NULL for a unix socket */
	int port;
	char *unix_path; /* NULL for TCP */
	char *username;  /* NULL: AUTH with the password alone */
	char *password;  /* NULL: no AUTH */
	int db;
} redis_endpoint;

/*
 * "redis://[[user]:password@]host[:port][/db]" or "unix:/path[?db=N]".
 * LA_EINVAL (message set) when malformed, LA_EUNSUPPORTED for rediss://.
 */
int redis_endpoint_parse(redis_endpoint *out, const char *url);
void redis_endpoint_clear(redis_endpoint *ep);
/* "host:port" or the socket path, written to buf, for log lines */
const char *redis_endpoint_name(const redis_endpoint *ep, char *buf, unsigned long size);

#endif
