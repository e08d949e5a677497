/* common.h: status names, the per-thread last error, versions; dates and cursors. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(common, strerror_names_every_code)
{
	struct {
		int code;
		const char *name;
	} codes[] = {{LA_OK, "LA_OK"},
	             {LA_EINVAL, "LA_EINVAL"},
	             {LA_ENOTFOUND, "LA_ENOTFOUND"},
	             {LA_ECONFLICT, "LA_ECONFLICT"},
	             {LA_EUNSUPPORTED, "LA_EUNSUPPORTED"},
	             {LA_ENOMEM, "LA_ENOMEM"},
	             {LA_EDB, "LA_EDB"},
	             {LA_EIO, "LA_EIO"},
	             {LA_EUSER, "LA_EUSER"},
	             {LA_ESTATE, "LA_ESTATE"}};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		cr_assert_str_eq(la_strerror(codes[i].code), codes[i].name);
	cr_assert_not_null(la_strerror(-1000));
	cr_assert_not_null(la_strerror(42));
}

Test(common, error_last_after_a_failure)
{
	la_error_clear();
	cr_assert_str_eq(la_error_last(), "");
	cr_assert_eq(la_error_last_code(), LA_OK);

	la_message *m = NULL;
	cr_assert_eq(la_command_allocate(&m, "o1", "sku", 0), LA_EINVAL);
	cr_assert_eq(la_error_last_code(), LA_EINVAL);
	cr_assert_not_null(strstr(la_error_last(), "qty"), "message: %s", la_error_last());

	la_product *p = test_product("S");
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_ENOTFOUND);
	cr_assert_eq(la_error_last_code(), LA_ENOTFOUND);
	cr_assert_neq(strlen(la_error_last()), 0);
	la_product_free(p);

	la_error_clear();
	cr_assert_str_eq(la_error_last(), "");
	cr_assert_eq(la_error_last_code(), LA_OK);
}

Test(common, error_set_formats_and_returns_code)
{
	cr_assert_eq(la_error_set(LA_EDB, "disk %s at %d", "full", 42), LA_EDB);
	cr_assert_str_eq(la_error_last(), "disk full at 42");
	cr_assert_eq(la_error_last_code(), LA_EDB);
	la_error_clear();
}

#define SEEN_SIZE 256

static void *other_thread(void *arg)
{
	char *seen = arg;
	snprintf(seen, SEEN_SIZE, "%s", la_error_last());
	la_error_set(LA_EIO, "from the other thread");
	return NULL;
}

Test(common, last_error_is_per_thread)
{
	la_error_set(LA_EINVAL, "main thread");
	char seen[SEEN_SIZE] = "unset";
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, other_thread, seen), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_str_eq(seen, "");
	cr_assert_str_eq(la_error_last(), "main thread");
	cr_assert_eq(la_error_last_code(), LA_EINVAL);
}

Test(common, version)
{
	cr_assert_str_eq(la_version(), LA_VERSION_STRING);
	int major = -1, minor = -1, patch = -1;
	la_version_numbers(&major, &minor, &patch);
	cr_assert_eq(major, LA_VERSION_MAJOR);
	cr_assert_eq(minor, LA_VERSION_MINOR);
	cr_assert_eq(patch, LA_VERSION_PATCH);
	la_version_numbers(NULL, NULL, NULL);
}

Test(common, allocator_settings)
{
	/* Mixing our functions with NULLs is refused; all NULL restores the default. */
	cr_assert_eq(la_set_allocator(malloc, NULL, free), LA_EINVAL);
	cr_assert_eq(la_set_allocator(malloc, realloc, free), LA_OK);
	la_product *p = test_product("S");
	la_product_free(p);
	cr_assert_eq(la_set_allocator(NULL, NULL, NULL), LA_OK);
}

Test(dates, date_key)
{
	cr_assert_eq(la_date_key(NULL), 0);
	cr_assert_eq(la_date_key("2011-01-02"), 20110102);
	cr_assert_eq(la_date_key("1999-12-31"), 19991231);
	cr_assert_eq(la_date_key("2012-02-29"), 20120229);
	cr_assert_eq(la_date_key("2000-02-29"), 20000229);
	const char *bad[] = {"2011-13-40", "2011-02-30", "2011-02-29",  "1900-02-29",
	                     "2011-04-31", "2011-00-10", "2011-01-00",  "tomorrow",
	                     "",           "2011-1-02",  "2011-01-02x", " 2011-01-02",
	                     "2011/01/02", "20110102",   "2011-01-0a"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(la_date_key(bad[i]), -1, "date \"%s\"", bad[i]);
}

static void round_trip(const char *sku, const char *eta, int64_t sequence)
{
	char *cursor = NULL;
	cr_assert_eq(la_batch_cursor_encode(&cursor, sku, eta, sequence), LA_OK, "%s",
	             la_error_last());
	cr_assert_not_null(cursor);
	for (const char *c = cursor; *c; c++)
		cr_assert(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~",
		           *c),
		    "cursor is not URL-safe: %s", cursor);
	char *got_sku = NULL;
	int32_t eta_key = -5;
	int64_t seq = -5;
	cr_assert_eq(la_batch_cursor_decode(&got_sku, &eta_key, &seq, cursor), LA_OK, "%s: %s",
	             cursor, la_error_last());
	cr_assert_str_eq(got_sku, sku);
	cr_assert_eq(eta_key, la_date_key(eta));
	cr_assert_eq(seq, sequence);
	la_free(got_sku);
	la_free(cursor);
}

Test(cursors, round_trip)
{
	round_trip("RED-CHAIR", NULL, 1);
	round_trip("RED-CHAIR", "2011-01-02", 123456789012345LL);
	round_trip("a b/c?d&e=f\"g\\h%", "1999-12-31", 0);
	round_trip("\xE6\xA4\x85\xE5\xAD\x90-\xF0\x9F\x98\x80", "2024-02-29", INT64_MAX);
	round_trip(test_repeat('k', LONG_OK_LEN, 0), "2011-01-02", 7);
}

Test(cursors, malformed_is_einval)
{
	const char *bad[] = {"", "!!!", "%%%", "not a cursor", "~~~~~~~~"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *sku = NULL;
		int32_t eta = 0;
		int64_t seq = 0;
		cr_assert_eq(la_batch_cursor_decode(&sku, &eta, &seq, bad[i]), LA_EINVAL,
		             "cursor \"%s\"", bad[i]);
	}
	char *sku = NULL;
	int32_t eta = 0;
	int64_t seq = 0;
	cr_assert_eq(la_batch_cursor_decode(&sku, &eta, &seq, NULL), LA_EINVAL);
}

Test(common, memory_store_options)
{
	la_memory_options opts;
	cr_assert_eq(la_memory_options_init(&opts, LA_MEMORY_OPTIONS_VERSION), LA_OK);
	cr_assert_eq(opts.version, LA_MEMORY_OPTIONS_VERSION);
	cr_assert_eq(la_memory_options_init(&opts, LA_MEMORY_OPTIONS_VERSION + 1), LA_EUNSUPPORTED);
	cr_assert_eq(la_memory_options_init(NULL, 1), LA_EUNSUPPORTED);
	la_store *store = NULL;
	cr_assert_eq(la_memory_store_open(&store, &opts), LA_OK);
	cr_assert_str_eq(la_store_adapter(store), "memory");
	la_store_free(store);
	cr_assert_eq(la_memory_store_open(&store, NULL), LA_OK);
	la_store_free(store);
	opts.version = 0;
	cr_assert_eq(la_memory_store_open(&store, &opts), LA_EUNSUPPORTED);
	cr_assert_eq(la_memory_store_open(NULL, NULL), LA_EINVAL);
}

Test(common, parse_int64)
{
	int64_t v = 7;
	cr_assert_eq(la_parse_int64(&v, "-9223372036854775808", "qty"), LA_OK);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(la_parse_int64(&v, "9223372036854775807", "qty"), LA_OK);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(la_parse_int64(&v, "42", "qty"), LA_OK);
	cr_assert_eq(v, 42);
	const char *bad[] = {"",
	                     "-",
	                     "+1",
	                     " 1",
	                     "1 ",
	                     "1.0",
	                     "0x10",
	                     "9223372036854775808",
	                     "-9223372036854775809",
	                     "12a"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(la_parse_int64(&v, bad[i], "qty"), LA_EINVAL, "'%s'", bad[i]);
		cr_assert_eq(v, 42, "untouched after '%s'", bad[i]);
		cr_assert(strstr(la_error_last(), "qty must be a whole number"), "%s",
		          la_error_last());
	}
	cr_assert_eq(la_parse_int64(NULL, "1", "qty"), LA_EINVAL);
	cr_assert_eq(la_parse_int64(&v, NULL, "qty"), LA_EINVAL);
}
