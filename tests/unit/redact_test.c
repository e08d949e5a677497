/*
 * lib/util/redact.c: passwords out of URLs, connection strings and the
 * messages that quote them, as the adapters put them into la_error_last().
 */
#include "util/redact.h"

#include <criterion/criterion.h>
#include <string.h>

static const char *redacted(const char *text)
{
	static char out[512];
	la__redact(out, sizeof out, text);
	return out;
}

Test(redact, urls_keep_everything_but_the_password)
{
	struct {
		const char *in, *out;
	} cases[] = {
	    {"postgresql://app:hunter2@db.example:5432/alloc",
	     "postgresql://app:***@db.example:5432/alloc"},
	    {"postgres://app@db/alloc", "postgres://app@db/alloc"},
	    {"postgresql://db/alloc?user=app&password=hunter2&sslmode=require",
	     "postgresql://db/alloc?user=app&password=***&sslmode=require"},
	    {"postgresql://app:p@ss@db/alloc", "postgresql://app:***@db/alloc"},
	    {"redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"},
	    {"redis://s3cret@127.0.0.1", "redis://***@127.0.0.1"},
	    {"REDIS://user:s3cret@h", "REDIS://user:***@h"},
	    {"smtp://mailer:s3cret@mail.example:25", "smtp://mailer:***@mail.example:25"},
	    {"sqlite:/var/lib/allocation.db", "sqlite:/var/lib/allocation.db"},
	    {"cannot open database postgresql://u:pw@h/db: refused",
	     "cannot open database postgresql://u:***@h/db: refused"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_assert_str_eq(redacted(cases[i].in), cases[i].out, "%s", cases[i].in);
}

Test(redact, conninfo_password_values_quoted_or_not)
{
	cr_assert_str_eq(redacted("host=db password=hunter2 dbname=alloc"),
	                 "host=db password=*** dbname=alloc");
	cr_assert_str_eq(redacted("host=db password = 'hun ter\\'2' dbname=alloc"),
	                 "host=db password = *** dbname=alloc");
	cr_assert_str_eq(redacted("PASSWORD=x"), "PASSWORD=***");
	/* libpq skips spaces after '=': the password is "dbname=alloc" */
	cr_assert_str_eq(redacted("host=db password= dbname=alloc"), "host=db password= ***");
	cr_assert_str_eq(redacted("host=db password="), "host=db password=", "nothing to hide");
	cr_assert_str_eq(redacted("host=db passwordless=1"), "host=db passwordless=1");
	cr_assert_str_eq(redacted("host=db mypassword=1"), "host=db mypassword=1");
}

Test(redact, truncates_to_the_buffer)
{
	char out[12];
	la__redact(out, sizeof out, "postgresql://u:pw@host/db");
	cr_assert_str_eq(out, "postgresql:");
	la__redact(out, 0, "x"); /* writes nothing */
}

/* libpq quotes the piece it could not read: the pieces that are a password
 * go, keywords and host names stay. */
Test(redact, quoted_pieces_of_a_password_are_hidden)
{
	char out[256];
	la__redact_quoted(out, sizeof out, "invalid percent-encoded token: \"s3%zzcret\"",
	                  "postgresql://u:s3%zzcret@h/db");
	cr_assert_str_eq(out, "invalid percent-encoded token: \"***\"");
	la__redact_quoted(out, sizeof out, "missing \"=\" after \"hunter2\" in connection info",
	                  "host=h password=hunter2 x");
	cr_assert_str_eq(out, "missing \"=\" after \"***\" in connection info");
	la__redact_quoted(out, sizeof out,
	                  "invalid integer value \"x\" for connection option \"port\"",
	                  "host=h password=hunter2 port=x");
	cr_assert_str_eq(out, "invalid integer value \"x\" for connection option \"port\"");
	la__redact_quoted(out, sizeof out,
	                  "connection to server at \"db.example\", port 1 failed: password "
	                  "authentication failed for user \"app\"",
	                  "postgresql://app:pw@db.example:1/alloc");
	cr_assert(strstr(out, "\"db.example\"") && strstr(out, "\"app\""), "%s", out);
	/* and the message itself is redacted too */
	la__redact_quoted(out, sizeof out, "bad URL postgresql://u:pw@h", "");
	cr_assert_str_eq(out, "bad URL postgresql://u:***@h");
}
