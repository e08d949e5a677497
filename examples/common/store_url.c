/* Dispatch a database URL to the adapter that opens it. */
#include "store_url.h"

#include <allocation/memory.h>
#include <allocation/sys/errors.h>
#ifdef LA_EXAMPLE_HAVE_SQLITE
#include <allocation/sqlite.h>
#endif
#ifdef LA_EXAMPLE_HAVE_PG
#include <allocation/postgres.h>
#endif
#ifdef LA_EXAMPLE_HAVE_CSV
#include <allocation/csv.h>
#endif

#include <string.h>

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "name://" with a scheme-like name: a URL for some other database. */
static int has_scheme(const char *url)
{
	const char *p = url;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return p > url && starts_with(p, "://");
}

/* A libpq conninfo starts with "keyword=" ("host=... dbname=..."); a path
 * such as "x.db?durability=full" does not. */
static int is_conninfo(const char *url)
{
	const char *p = url;
	while (*p == ' ')
		p++;
	const char *word = p;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	if (p == word)
		return 0;
	while (*p == ' ')
		p++;
	return *p == '=';
}

static int open_postgres(la_store **out, const char *url, unsigned int flags)
{
#ifdef LA_EXAMPLE_HAVE_PG
	return la_pg_store_open(out, url, flags & LA_STORE_OUTBOX);
#else
	(void)out;
	(void)url;
	(void)flags;
	return la_error_set(LA_EUNSUPPORTED,
	                    "PostgreSQL database given, but this build has no PostgreSQL adapter "
	                    "(liballocation-pg)");
#endif
}

static int open_sqlite(la_store **out, const char *url, unsigned int flags)
{
#ifdef LA_EXAMPLE_HAVE_SQLITE
	la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
	opts.flags = flags & LA_STORE_OUTBOX;
	if (flags & LA_EXAMPLE_WRITER)
		opts.checkpoint = LA_SQLITE_CHECKPOINT_BACKGROUND;
	return la_sqlite_store_open_ext(out, url, &opts);
#else
	(void)out;
	(void)url;
	(void)flags;
	return la_error_set(LA_EUNSUPPORTED,
	                    "SQLite database given, but this build has no SQLite adapter "
	                    "(liballocation-sqlite)");
#endif
}

static int open_csv(la_store **out, const char *folder)
{
#ifdef LA_EXAMPLE_HAVE_CSV
	return la_csv_store_open(out, folder);
#else
	(void)out;
	(void)folder;
	return la_error_set(
	    LA_EUNSUPPORTED,
	    "CSV folder given, but this build has no CSV adapter (liballocation-csv)");
#endif
}

int la_example_open_store(la_store **out, const char *url, unsigned int flags)
{
	if (!out)
		return la_error_set(LA_EINVAL, "out must not be NULL");
	*out = NULL;
	if (!url || !*url)
		return la_error_set(LA_EINVAL, "empty database URL");
	if (strcmp(url, "memory:") == 0)
		return la_memory_store_new(out);
	if (starts_with(url, "sqlite:"))
		return open_sqlite(out, url, flags);
	if (starts_with(url, "csv:"))
		return open_csv(out, url + 4);
	if (starts_with(url, "postgresql://") || starts_with(url, "postgres://") ||
	    is_conninfo(url))
		return open_postgres(out, url, flags);
	if (has_scheme(url)) {
		char shown[512];
		la_redact_secrets(shown, sizeof shown, url);
		return la_error_set(LA_EINVAL,
		                    "unknown database URL %.40s (expected sqlite:PATH, "
		                    "postgresql://..., csv:FOLDER or memory:)",
		                    shown);
	}
	return open_sqlite(out, url, flags);
}
