/* RFC 4180 reader and writer (adapters/csv/csv_format.h) on their own. */
#include <criterion/criterion.h>

#include <string.h>

#include "csv_format.h"

static csv_table parse_ok(const char *text)
{
	csv_table t;
	csv_error err = {0, NULL};
	int rc = csv_parse(&t, text, strlen(text), &err);
	cr_assert_eq(rc, CSV_OK, "parse failed at line %zu: %s", err.line,
	             err.message ? err.message : "?");
	return t;
}

static csv_error parse_fails(const char *text, size_t len)
{
	csv_table t;
	csv_error err = {0, NULL};
	cr_assert_eq(csv_parse(&t, text, len, &err), CSV_ESYNTAX, "accepted: %s", text);
	cr_assert_eq(t.count, 0);
	cr_assert_not_null(err.message);
	return err;
}

static void expect_fields(const csv_record *r, size_t count, const char *const *fields)
{
	cr_assert_eq(r->count, count, "record on line %zu has %zu fields", r->line, r->count);
	for (size_t i = 0; i < count; i++) {
		cr_expect_str_eq(r->fields[i], fields[i]);
		cr_expect_eq(r->lens[i], strlen(fields[i]));
	}
}

Test(csv_reader, plain_records_with_lf_and_crlf)
{
	csv_table t = parse_ok("ref,sku,qty,eta\r\nb1,s1,100,\nb2,s2,5,2011-01-01");
	cr_assert_eq(t.count, 3);
	expect_fields(&t.records[0], 4, (const char *[]){"ref", "sku", "qty", "eta"});
	expect_fields(&t.records[1], 4, (const char *[]){"b1", "s1", "100", ""});
	expect_fields(&t.records[2], 4, (const char *[]){"b2", "s2", "5", "2011-01-01"});
	cr_expect_eq(t.records[2].line, 3);
	csv_table_free(&t);
}

Test(csv_reader, quoted_fields_hold_commas_quotes_and_line_breaks)
{
	csv_table t = parse_ok(
	    "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",\"crlf\r\ninside\"\nlast,\"\"\n");
	cr_assert_eq(t.count, 4);
	expect_fields(&t.records[1], 2, (const char *[]){"x, y", "say \"hi\""});
	expect_fields(&t.records[2], 2, (const char *[]){"two\nlines", "crlf\r\ninside"});
	expect_fields(&t.records[3], 2, (const char *[]){"last", ""});
	/* a record keeps the line it starts on; the next one counts the embedded breaks */
	cr_expect_eq(t.records[2].line, 3);
	cr_expect_eq(t.records[3].line, 6);
	csv_table_free(&t);
}

Test(csv_reader, trailing_newline_is_optional_and_blank_lines_are_skipped)
{
	csv_table a = parse_ok("h\nv");
	csv_table b = parse_ok("h\nv\n");
	csv_table c = parse_ok("h\n\nv\r\n\r\n");
	cr_expect_eq(a.count, 2);
	cr_expect_eq(b.count, 2);
	cr_assert_eq(c.count, 2);
	cr_expect_eq(c.records[1].line, 3);
	csv_table_free(&a);
	csv_table_free(&b);
	csv_table_free(&c);
}

Test(csv_reader, empty_fields_and_trailing_comma)
{
	csv_table t = parse_ok(",\na,\n,b\n");
	cr_assert_eq(t.count, 3);
	expect_fields(&t.records[0], 2, (const char *[]){"", ""});
	expect_fields(&t.records[1], 2, (const char *[]){"a", ""});
	expect_fields(&t.records[2], 2, (const char *[]){"", "b"});
	csv_table_free(&t);
}

Test(csv_reader, byte_order_mark_is_skipped)
{
	csv_table t = parse_ok("\xEF\xBB\xBFref,sku\nb1,s1\n");
	expect_fields(&t.records[0], 2, (const char *[]){"ref", "sku"});
	csv_table_free(&t);
}

Test(csv_reader, empty_input_has_no_records)
{
	csv_table t = parse_ok("");
	cr_expect_eq(t.count, 0);
	csv_table_free(&t);
}

Test(csv_reader, utf8_is_kept_byte_for_byte)
{
	csv_table t = parse_ok("sku\nCHAISE-LONGUE-\xC3\xA9t\xC3\xA9\n");
	cr_expect_str_eq(t.records[1].fields[0], "CHAISE-LONGUE-\xC3\xA9t\xC3\xA9");
	csv_table_free(&t);
}

Test(csv_reader, rejects_malformed_input_with_its_line)
{
	csv_error e = parse_fails("a,b\n\"open,b\n", 12);
	cr_expect_eq(e.line, 2);
	cr_expect_str_eq(e.message, "unterminated quoted field");
	e = parse_fails("a,b\n\"x\"y,b\n", 11);
	cr_expect_eq(e.line, 2);
	cr_expect_str_eq(e.message, "text after the closing quote of a field");
	e = parse_fails("a,b\nx,b\"c\n", 10);
	cr_expect_eq(e.line, 2);
	cr_expect_str_eq(e.message, "quote inside an unquoted field");
	e = parse_fails("a,b\nx\ry\n", 8);
	cr_expect_str_eq(e.message, "carriage return not followed by line feed");
	e = parse_fails("a,b\n\nx\0y,b\n", 11);
	cr_expect_eq(e.line, 3);
	cr_expect_str_eq(e.message, "NUL byte in field");
	e = parse_fails("a\n\"x\ny\"z\n", 9);
	cr_expect_eq(e.line, 3, "the error is on the line of the stray text");
}

static char *write_records(const char *const *fields, size_t count, size_t records)
{
	csv_buffer buf = {0};
	for (size_t r = 0; r < records; r++)
		cr_assert_eq(csv_write_record(&buf, fields + r * count, count), CSV_OK);
	return buf.data;
}

Test(csv_writer, quotes_only_what_needs_it_and_ends_records_with_crlf)
{
	const char *fields[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "", "cr\rhere"};
	char *out = write_records(fields, 6, 1);
	cr_expect_str_eq(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\"cr\rhere\"\r\n");
	free(out);
}

Test(csv_writer, lone_empty_field_is_quoted_so_it_is_not_a_blank_line)
{
	const char *fields[] = {""};
	char *out = write_records(fields, 1, 1);
	cr_expect_str_eq(out, "\"\"\r\n");
	csv_table t = parse_ok(out);
	cr_assert_eq(t.count, 1);
	expect_fields(&t.records[0], 1, (const char *[]){""});
	csv_table_free(&t);
	free(out);
}

Test(csv_round_trip, awkward_fields_survive_write_then_read)
{
	const char *fields[] = {
	    "orderid",  "sku",      "qty",         "batchref",        /* header */
	    "o,1",      "s\"q\"",   "3",           "b\n1",            /* */
	    "\"",       ",",        "\r\n",        "\357\273\277bom", /* a BOM then "bom" */
	    " spaced ", "\"\"\"\"", "line\r\nend", "",                /* */
	};
	char *out = write_records(fields, 4, 4);
	/* the BOM-like field is not the first of the file, but also quoted */
	csv_table t = parse_ok(out);
	cr_assert_eq(t.count, 4);
	for (size_t r = 0; r < 4; r++)
		expect_fields(&t.records[r], 4, fields + r * 4);
	csv_table_free(&t);
	free(out);
}

Test(csv_round_trip, field_starting_with_bom_at_file_start)
{
	const char *fields[] = {"\xEF\xBB\xBFx", "y"};
	char *out = write_records(fields, 2, 1);
	csv_table t = parse_ok(out);
	expect_fields(&t.records[0], 2, fields);
	csv_table_free(&t);
	free(out);
}
