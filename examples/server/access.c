#include "access.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_MAX_BYTES 4096

int access_load_token(const char *path, char **out, char *why, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		(void)snprintf(why, size, "cannot open %s: %m", path); /* %m: thread-safe */
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)snprintf(why, size, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & S_IROTH) {
		(void)snprintf(why, size,
		               "%s is readable by every user (mode %03o): refusing to use it as a "
		               "secret; run chmod o-r (e.g. chmod 600) on it",
		               path, (unsigned int)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	char buf[TOKEN_MAX_BYTES + 1];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		(void)snprintf(why, size, "cannot read %s: %m", path);
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	size_t len = strlen(buf);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (len == 0) {
		(void)snprintf(why, size, "%s: the first line (the token) is empty", path);
		return -1;
	}
	*out = strdup(buf);
	if (!*out) {
		(void)snprintf(why, size, "out of memory");
		return -1;
	}
	return 0;
}

int access_bearer_ok(const char *header, const char *token)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return 0;
	const char *given = header + 7;
	while (*given == ' ')
		given++;
	size_t expected_len = strlen(token);
	size_t given_len = strlen(given);
	/* Every byte of the token is compared whatever the guess: no early exit. */
	unsigned char diff = (unsigned char)(expected_len != given_len);
	for (size_t i = 0; i < expected_len; i++) {
		unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
		diff |= (unsigned char)(g ^ (unsigned char)token[i]);
	}
	return diff == 0;
}

/* The host part of a Host header, lower case, without brackets or port. */
static int host_part(const char *host, char *out, size_t size)
{
	const char *start = host, *end;
	if (*host == '[') {
		start = host + 1;
		end = strchr(start, ']');
		if (!end)
			return -1;
	} else {
		end = strchr(host, ':');
		if (!end)
			end = host + strlen(host);
	}
	size_t n = (size_t)(end - start);
	if (n == 0 || n >= size)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)start[i]);
	out[n] = '\0';
	if (n > 1 && out[n - 1] == '.') /* "localhost." names the same host */
		out[n - 1] = '\0';
	return 0;
}

static int is_ip_literal(const char *text)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

static int same_address(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return memcmp(x, y, 16) == 0;
	return 0;
}

static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		while (len > 0 && *p == ' ')
			p++, len--;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

int access_host_ok(const struct host_policy *policy, const char *host)
{
	if (!host)
		return 1; /* HTTP/1.0 without Host: no browser sends that */
	char name[256];
	if (host_part(host, name, sizeof name) != 0)
		return 0;
	if (in_list(policy->allowed, name))
		return 1;
	if (strcmp(name, "localhost") == 0)
		return policy->bound_loopback || policy->bound_any;
	if (!is_ip_literal(name))
		return 0;
	return policy->bound_any || same_address(name, policy->bound);
}

int access_is_json(const char *content_type)
{
	static const char json[] = "application/json";
	if (!content_type)
		return 0;
	while (*content_type == ' ')
		content_type++;
	if (strncasecmp(content_type, json, sizeof json - 1) != 0)
		return 0;
	char next = content_type[sizeof json - 1];
	return next == '\0' || next == ';' || next == ' ';
}

int access_is_loopback(const char *address)
{
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, address, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, address, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return 0;
}
