/*
 * Store URLs: "sqlite:PATH", a bare PATH, "sqlite::memory:", each with an
 * optional query "?durability=normal|full".
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

static int parse_option(struct sq_url *out, const char *opt, size_t len, const char *url)
{
	static const char key[] = "durability=";
	size_t klen = sizeof key - 1;
	if (len > klen && memcmp(opt, key, klen) == 0) {
		const char *value = opt + klen;
		size_t vlen = len - klen;
		if (vlen == 4 && memcmp(value, "full", 4) == 0) {
			out->durability = LA_SQLITE_DURABILITY_FULL;
			return LA_OK;
		}
		if (vlen == 6 && memcmp(value, "normal", 6) == 0) {
			out->durability = LA_SQLITE_DURABILITY_NORMAL;
			return LA_OK;
		}
		return la_error_set(
		    LA_EINVAL, "Invalid sqlite URL %s: durability must be normal or full", url);
	}
	return la_error_set(LA_EINVAL,
	                    "Invalid sqlite URL %s: unknown option '%.*s' (known: durability)", url,
	                    (int)len, opt);
}

static int parse_query(struct sq_url *out, const char *query, const char *url)
{
	while (*query) {
		size_t len = strcspn(query, "&");
		int rc = parse_option(out, query, len, url);
		if (rc != LA_OK)
			return rc;
		query += len;
		if (*query == '&')
			query++;
	}
	return LA_OK;
}

int sq_url_parse(struct sq_url *out, const char *url)
{
	memset(out, 0, sizeof *out);
	if (!url || !*url)
		return la_error_set(LA_EINVAL, "Invalid sqlite URL: empty");
	const char *path = url;
	if (strncmp(path, "sqlite:", 7) == 0) {
		path += 7;
		if (strncmp(path, "//", 2) == 0) /* sqlite:///abs/path */
			path += 2;
	}
	size_t len = strcspn(path, "?");
	if (len == 0)
		return la_error_set(LA_EINVAL, "Invalid sqlite URL %s: no file name", url);
	if (path[len] == '?') {
		int rc = parse_query(out, path + len + 1, url);
		if (rc != LA_OK)
			return rc;
	}
	out->path = la__strndup(path, len);
	if (!out->path)
		return la_error_set(LA_ENOMEM, "Out of memory");
	out->memory = strcmp(out->path, ":memory:") == 0;
	return LA_OK;
}

void sq_url_clear(struct sq_url *url)
{
	free(url->path);
	url->path = NULL;
}
