/* Parsing redis:// and unix: URLs (no I/O). */
#include "endpoint.h"

#include <allocation/sys/ports.h>

#include "util/alloc.h"
#include "util/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal number in [min, max] spanning exactly s[0..n). */
static int parse_number(int *out, const char *s, size_t n, long min, long max)
{
	long value = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	if (value < min || value > max)
		return -1;
	*out = (int)value;
	return 0;
}

static int bad_url(redis_endpoint *ep, const char *url, const char *why)
{
	char shown[512];

	redis_endpoint_clear(ep);
	la__redact(shown, sizeof(shown), url); /* the password stays out of messages */
	return la_error_set(LA_EINVAL, "invalid Redis URL '%s': %s", shown, why);
}

static int parse_unix(redis_endpoint *ep, const char *url, const char *rest)
{
	const char *query;
	size_t len;

	while (rest[0] == '/' && rest[1] == '/')
		rest++; /* unix:///path and unix://path name the same file */
	query = strchr(rest, '?');
	len = query ? (size_t)(query - rest) : strlen(rest);
	if (len == 0 || rest[0] != '/')
		return bad_url(ep, url, "expected an absolute socket path after 'unix:'");
	if (query) {
		if (strncmp(query, "?db=", 4) != 0 ||
		    parse_number(&ep->db, query + 4, strlen(query + 4), 0, 1000000) != 0)
			return bad_url(ep, url, "the only query allowed is ?db=N");
	}
	ep->unix_path = la__strndup(rest, len);
	if (!ep->unix_path)
		return la_error_set(LA_ENOMEM, "out of memory");
	return LA_OK;
}

static int parse_userinfo(redis_endpoint *ep, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);

	if (!colon) { /* redis://password@host, as redis-cli reads it */
		ep->password = la__strndup(s, n);
		return ep->password ? LA_OK : LA_ENOMEM;
	}
	if (colon > s) {
		ep->username = la__strndup(s, (size_t)(colon - s));
		if (!ep->username)
			return LA_ENOMEM;
	}
	ep->password = la__strndup(colon + 1, n - (size_t)(colon + 1 - s));
	return ep->password ? LA_OK : LA_ENOMEM;
}

static int parse_tcp(redis_endpoint *ep, const char *url, const char *rest)
{
	const char *end = rest + strcspn(rest, "/?#");
	const char *at = NULL, *host, *host_end, *port = NULL;

	for (const char *p = rest; p < end; p++)
		if (*p == '@')
			at = p;
	if (at && parse_userinfo(ep, rest, (size_t)(at - rest)) != LA_OK)
		return la_error_set(LA_ENOMEM, "out of memory");
	host = at ? at + 1 : rest;
	if (*host == '[') { /* [::1]:6379 */
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			return bad_url(ep, url, "unterminated '[' in the host");
		ep->host = la__strndup(host + 1, (size_t)(host_end - host - 1));
		host_end++;
		if (host_end < end && *host_end != ':')
			return bad_url(ep, url, "junk after ']'");
		port = host_end < end ? host_end + 1 : NULL;
	} else {
		host_end = memchr(host, ':', (size_t)(end - host));
		if (!host_end)
			host_end = end;
		ep->host = la__strndup(host, (size_t)(host_end - host));
		port = host_end < end ? host_end + 1 : NULL;
	}
	if (!ep->host)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (ep->host[0] == '\0') {
		free(ep->host);
		ep->host = la__strndup("127.0.0.1", 9);
		if (!ep->host)
			return la_error_set(LA_ENOMEM, "out of memory");
	}
	if (port && parse_number(&ep->port, port, (size_t)(end - port), 1, 65535) != 0)
		return bad_url(ep, url, "the port must be a number from 1 to 65535");
	if (*end == '/' && end[1] != '\0' &&
	    parse_number(&ep->db, end + 1, strlen(end + 1), 0, 1000000) != 0)
		return bad_url(ep, url, "the path must be a database number");
	if (*end == '?' || *end == '#')
		return bad_url(ep, url, "query strings are not supported");
	return LA_OK;
}

int redis_endpoint_parse(redis_endpoint *out, const char *url)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (!url || !*url)
		return la_error_set(LA_EINVAL, "invalid Redis URL: empty");
	if (strncmp(url, "unix:", 5) == 0)
		rc = parse_unix(out, url, url + 5);
	else if (strncmp(url, "rediss://", 9) == 0)
		rc = la_error_set(LA_EUNSUPPORTED, "Redis over TLS (rediss://) is not supported");
	else if (strncmp(url, "redis://", 8) != 0)
		rc = bad_url(out, url, "expected redis://host[:port][/db] or unix:/path");
	else
		rc = parse_tcp(out, url, url + 8);
	if (rc != LA_OK)
		redis_endpoint_clear(out);
	return rc;
}

void redis_endpoint_clear(redis_endpoint *ep)
{
	free(ep->host);
	free(ep->unix_path);
	free(ep->username);
	free(ep->password);
	memset(ep, 0, sizeof(*ep));
	ep->port = 6379;
}

const char *redis_endpoint_name(const redis_endpoint *ep, char *buf, unsigned long size)
{
	if (ep->unix_path)
		(void)snprintf(buf, size, "%s", ep->unix_path); /* a name to show: may be cut */
	else
		(void)snprintf(buf, size, "%s:%d", ep->host ? ep->host : "?", ep->port);
	return buf;
}
