/*
 * Array parameters: the text form of a text[] or bigint[] value, built an
 * element at a time, so that one statement (INSERT ... SELECT FROM unnest)
 * writes the rows of a whole batch of commands.
 */
#include <string.h>

#include "pg_store.h"

/* Before an element: the opening brace, or a comma. */
static void pg_array_start(struct pg_array *a)
{
	la__buf_puts(&a->text, a->count ? "," : "{");
	a->count++;
}

void pg_array_text(struct pg_array *a, const char *value)
{
	pg_array_start(a);
	if (!value) {
		la__buf_puts(&a->text, "NULL");
		return;
	}
	la__buf_puts(&a->text, "\"");
	for (const char *run = value; *run;) {
		size_t plain = strcspn(run, "\"\\");
		la__buf_append(&a->text, run, plain);
		run += plain;
		if (*run) { /* a quote or a backslash: escaped */
			la__buf_append(&a->text, "\\", 1);
			la__buf_append(&a->text, run++, 1);
		}
	}
	la__buf_puts(&a->text, "\"");
}

void pg_array_int(struct pg_array *a, int64_t value)
{
	pg_array_start(a);
	la__buf_int(&a->text, value);
}

void pg_array_int_or_null(struct pg_array *a, int64_t value)
{
	if (value)
		pg_array_int(a, value);
	else
		pg_array_text(a, NULL);
}

char *pg_array_take(struct pg_array *a)
{
	la__buf_puts(&a->text, a->count ? "}" : "{}");
	a->count = 0;
	return la__buf_take(&a->text);
}

void pg_array_dispose(struct pg_array *a)
{
	la__free(pg_array_take(a));
}

char *pg_text_array(const char *const *items, size_t count)
{
	struct pg_array a = PG_ARRAY_INIT;
	for (size_t i = 0; i < count; i++)
		pg_array_text(&a, items[i]);
	return pg_array_take(&a);
}

char *pg_int_array(const int64_t *items, size_t count)
{
	struct pg_array a = PG_ARRAY_INIT;
	for (size_t i = 0; i < count; i++)
		pg_array_int(&a, items[i]);
	return pg_array_take(&a);
}

int pg_queue_arrays(struct pg_store *store, enum pg_stmt which, struct pg_array *const *columns,
                    int ncolumns)
{
	char *values[PG_ARRAY_COLUMNS_MAX] = {NULL};
	int rc = LA_OK, empty = columns[0]->count == 0;
	for (int i = 0; i < ncolumns; i++) {
		values[i] = pg_array_take(columns[i]);
		if (!values[i])
			rc = la_error_set(LA_ENOMEM, "out of memory");
	}
	if (rc == LA_OK && !empty)
		rc = pg_queue(store, which, ncolumns, (const char *const *)values);
	for (int i = 0; i < ncolumns; i++)
		la__free(values[i]);
	return rc;
}
