/*
 * libFuzzer target: dates. Every place that accepts an ETA must agree with
 * the calendar: la_date_key, the CreateBatch command (la_command_create_batch),
 * the server's body field (body_date) and the CSV store's loader
 * (batches.csv), and a valid date must survive a batch cursor.
 *
 * Input: the date text (up to the first NUL). The calendar is glibc's
 * timegm/gmtime_r, independent of the code under test.
 */
#include "body.h"
#include "csv_data.h"
#include "csv_format.h"
#include "fuzz_input.h"

#include <allocation/allocation.h>
#include <allocation/sys/ports.h>
#include <jansson.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key YYYYMMDD of a real date "YYYY-MM-DD" (years 1-9999), else -1. */
static int32_t calendar_key(const char *text)
{
	if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
			return -1;
	int year = (int)strtol(text, NULL, 10), month = (int)strtol(text + 5, NULL, 10),
	    day = (int)strtol(text + 8, NULL, 10); /* digits checked above */
	if (year < 1)
		return -1;
	struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = 12};
	time_t t = timegm(&tm);
	struct tm back;
	if (!gmtime_r(&t, &back) || back.tm_year != year - 1900 || back.tm_mon != month - 1 ||
	    back.tm_mday != day)
		return -1; /* normalised into another day: not a real date */
	return year * 10000 + month * 100 + day;
}

static int command_accepts(const char *eta)
{
	la_message *m = NULL;
	int rc = la_command_create_batch(&m, "ref", "sku", 1, eta);
	if ((rc == LA_OK) != (m != NULL))
		FAIL("la_command_create_batch: %d with message %p", rc, (void *)m);
	la_message_free(m);
	if (rc != LA_OK && rc != LA_EINVAL)
		FAIL("la_command_create_batch(\"%s\"): %d", eta, rc);
	return rc == LA_OK;
}

/* -1 when the text is not a JSON string (invalid UTF-8): not checked. */
static int body_accepts(const char *eta, size_t len)
{
	json_t *obj = json_object();
	json_t *value = json_stringn(eta, len);
	if (!obj || !value || json_object_set_new(obj, "eta", value) != 0) {
		json_decref(obj);
		return -1;
	}
	struct reply r = {0};
	const char *out = NULL;
	int ok = body_date(&out, &r, obj, "eta") == 0;
	if (ok != (out != NULL) || ok != (r.status == 0))
		FAIL("body_date: ok %d, out %p, status %u", ok, (const void *)out, r.status);
	if (!ok && r.status != 400)
		FAIL("body_date refused \"%s\" with %u", eta, r.status);
	reply_release(&r);
	json_decref(obj);
	return ok;
}

static int csv_accepts(const char *eta)
{
	csv_buffer text = {0};
	const char *header[] = {"ref", "sku", "qty", "eta"};
	const char *row[] = {"b1", "LAMP", "10", eta};
	if (csv_write_record(&text, header, 4) != CSV_OK ||
	    csv_write_record(&text, row, 4) != CSV_OK)
		FAIL("csv_write_record");
	csv_data loaded;
	int rc = csv_data_load(&loaded, text.data, text.len, NULL, 0);
	csv_buffer_free(&text);
	if (rc == LA_OK) {
		const char *stored = loaded.batches[0].eta;
		if (*eta ? !stored || strcmp(stored, eta) != 0 : stored != NULL)
			FAIL("batches.csv eta \"%s\" loaded as %s", eta, stored ? stored : "NULL");
		csv_data_free(&loaded);
	} else if (rc != LA_EINVAL || strncmp(la_error_last(), "batches.csv:2:", 14) != 0) {
		FAIL("batches.csv with eta \"%s\": %d %s", eta, rc, la_error_last());
	}
	return rc == LA_OK;
}

static void check_cursor(const char *eta, int32_t key)
{
	char *cursor = NULL, *sku = NULL;
	int32_t decoded_key;
	int64_t sequence;
	if (la_batch_cursor_encode(&cursor, "LAMP", eta, 42) != LA_OK)
		FAIL("cursor for \"%s\": %s", eta, la_error_last());
	if (la_batch_cursor_decode(&sku, &decoded_key, &sequence, cursor) != LA_OK ||
	    strcmp(sku, "LAMP") != 0 || decoded_key != key || sequence != 42)
		FAIL("cursor %s for \"%s\" decodes to %d", cursor, eta, (int)decoded_key);
	la_free(cursor);
	la_free(sku);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *eta = fuzz_input_string(data, size);
	if (!eta)
		return 0;
	size_t len = strlen(eta);

	int32_t key = la_date_key(eta), expected = calendar_key(eta);
	if (key != expected)
		FAIL("la_date_key(\"%s\") = %d, the calendar says %d", eta, (int)key,
		     (int)expected);
	int valid = key > 0;
	if (command_accepts(eta) != valid)
		FAIL("la_command_create_batch and la_date_key disagree on \"%s\"", eta);
	int body = body_accepts(eta, len);
	if (body >= 0 && body != valid)
		FAIL("body_date and la_date_key disagree on \"%s\"", eta);
	/* an empty eta in batches.csv means "in stock" */
	if (csv_accepts(eta) != (valid || len == 0))
		FAIL("batches.csv and la_date_key disagree on \"%s\"", eta);
	if (valid)
		check_cursor(eta, key);
	free(eta);
	return 0;
}
