/*
 * The Redis adapter's pure parts, compiled in from adapters/redis: URLs,
 * inbound message decoding and the bounded set of handled ids. No server.
 */
#include "endpoint.h"
#include "inbound.h"
#include "json_valid.h"
#include "seen.h"

#include <allocation/allocation.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(redis_url, host_port_and_db)
{
	redis_endpoint ep;

	cr_assert_eq(redis_endpoint_parse(&ep, "redis://127.0.0.1:6390/3"), LA_OK);
	cr_assert_str_eq(ep.host, "127.0.0.1");
	cr_assert_eq(ep.port, 6390);
	cr_assert_eq(ep.db, 3);
	cr_assert_null(ep.password);
	cr_assert_null(ep.unix_path);
	redis_endpoint_clear(&ep);
}

Test(redis_url, defaults)
{
	redis_endpoint ep;

	cr_assert_eq(redis_endpoint_parse(&ep, "redis://cache"), LA_OK);
	cr_assert_str_eq(ep.host, "cache");
	cr_assert_eq(ep.port, 6379);
	cr_assert_eq(ep.db, 0);
	redis_endpoint_clear(&ep);
	cr_assert_eq(redis_endpoint_parse(&ep, "redis://"), LA_OK);
	cr_assert_str_eq(ep.host, "127.0.0.1");
	redis_endpoint_clear(&ep);
}

Test(redis_url, password_user_and_ipv6)
{
	redis_endpoint ep;

	cr_assert_eq(redis_endpoint_parse(&ep, "redis://:s3cret@h:1/2"), LA_OK);
	cr_assert_null(ep.username);
	cr_assert_str_eq(ep.password, "s3cret");
	redis_endpoint_clear(&ep);
	cr_assert_eq(redis_endpoint_parse(&ep, "redis://bob:pw@h"), LA_OK);
	cr_assert_str_eq(ep.username, "bob");
	cr_assert_str_eq(ep.password, "pw");
	redis_endpoint_clear(&ep);
	cr_assert_eq(redis_endpoint_parse(&ep, "redis://[::1]:7000"), LA_OK);
	cr_assert_str_eq(ep.host, "::1");
	cr_assert_eq(ep.port, 7000);
	redis_endpoint_clear(&ep);
}

/* A refused URL is named in the message, without its password. */
Test(redis_url, refused_urls_keep_their_password_secret)
{
	const char *bad[] = {"redis://:s3cret@h:port", "redis://s3cret@h/x",
	                     "redis://u:s3cret@[::1"};
	redis_endpoint ep;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(redis_endpoint_parse(&ep, bad[i]), LA_EINVAL, "%s", bad[i]);
		cr_assert(strstr(la_error_last(), "***@") && !strstr(la_error_last(), "s3cret"),
		          "%s", la_error_last());
	}
}

Test(redis_url, unix_socket)
{
	redis_endpoint ep;

	cr_assert_eq(redis_endpoint_parse(&ep, "unix:/run/redis.sock?db=4"), LA_OK);
	cr_assert_str_eq(ep.unix_path, "/run/redis.sock");
	cr_assert_eq(ep.db, 4);
	cr_assert_null(ep.host);
	redis_endpoint_clear(&ep);
}

Test(redis_url, rejects_malformed)
{
	const char *bad[] = {"",
	                     "http://h",
	                     "redis://h:0",
	                     "redis://h:70000",
	                     "redis://h:port",
	                     "redis://h/x",
	                     "redis://h?timeout=1",
	                     "redis://[::1",
	                     "unix:relative.sock",
	                     "127.0.0.1:6379"};
	redis_endpoint ep;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(redis_endpoint_parse(&ep, bad[i]), LA_EINVAL, "%s", bad[i]);
		cr_assert_null(ep.host);
		cr_assert(strstr(la_error_last(), "Redis URL") != NULL, "%s", la_error_last());
	}
	cr_assert_eq(redis_endpoint_parse(&ep, "rediss://h"), LA_EUNSUPPORTED);
}

static la_message *parse_ok(const char *channel, const char *json, char **id)
{
	la_message *m = NULL;
	int rc = redis_inbound_parse(&m, id, channel, json, strlen(json));

	cr_assert_eq(rc, LA_OK, "%s: %s", json, la_error_last());
	return m;
}

Test(redis_inbound, change_batch_quantity)
{
	char *id = NULL;
	la_message *m = parse_ok("change_batch_quantity", "{\"batchref\":\"b1\",\"qty\":5}", &id);

	cr_assert_eq(la_message_kind_of(m), LA_CMD_CHANGE_BATCH_QUANTITY);
	cr_assert_str_eq(la_message_batchref(m), "b1");
	cr_assert_eq(la_message_qty(m), 5);
	cr_assert_null(id);
	la_message_free(m);
}

Test(redis_inbound, the_other_channels_and_ids)
{
	char *id = NULL;
	la_message *m = parse_ok("batch_created",
	                         "{\"id\":\"m-1\",\"ref\":\"b1\",\"sku\":\"LAMP\",\"qty\":10,"
	                         "\"eta\":\"2011-01-02\"}",
	                         &id);

	cr_assert_eq(la_message_kind_of(m), LA_CMD_CREATE_BATCH);
	cr_assert_str_eq(la_message_sku(m), "LAMP");
	cr_assert_str_eq(la_message_eta(m), "2011-01-02");
	cr_assert_str_eq(id, "batch_created:\"m-1\"");
	la_message_free(m);
	free(id);

	m = parse_ok("batch_created", "{\"ref\":\"b2\",\"sku\":\"LAMP\",\"qty\":0,\"eta\":null}",
	             &id);
	cr_assert_null(la_message_eta(m));
	la_message_free(m);

	m = parse_ok("batch_cancelled", "{\"ref\":\"b2\",\"id\":42}", &id);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_CANCEL_BATCH);
	cr_assert_str_eq(id, "batch_cancelled:42");
	la_message_free(m);
	free(id);

	m = parse_ok("allocation_required",
	             "{\"orderid\":\"o1\",\"sku\":\"LAMP\",\"qty\":3,\"extra\":[1,2]}", &id);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_ALLOCATE);
	cr_assert_str_eq(la_message_orderid(m), "o1");
	cr_assert_eq(la_message_qty(m), 3);
	cr_assert_eq(la_message_hold_seconds(m), 0);
	la_message_free(m);

	m = parse_ok("allocation_required",
	             "{\"orderid\":\"o1\",\"sku\":\"LAMP\",\"qty\":3,\"hold_seconds\":30}", &id);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_ALLOCATE);
	cr_assert_eq(la_message_hold_seconds(m), 30);
	la_message_free(m);

	m = parse_ok("order_allocation_required",
	             "{\"id\":7,\"orderid\":\"o2\",\"hold_seconds\":60,\"lines\":"
	             "[{\"sku\":\"TABLE\",\"qty\":2},{\"sku\":\"LAMP\",\"qty\":1}]}",
	             &id);
	cr_assert_eq(la_message_kind_of(m), LA_CMD_ALLOCATE_ORDER);
	cr_assert_str_eq(la_message_orderid(m), "o2");
	cr_assert_eq(la_message_line_count(m), 2);
	cr_assert_str_eq(la_message_line_sku(m, 0), "TABLE");
	cr_assert_eq(la_message_line_qty(m, 0), 2);
	cr_assert_str_eq(la_message_line_sku(m, 1), "LAMP");
	cr_assert_eq(la_message_hold_seconds(m), 60);
	cr_assert_str_eq(id, "order_allocation_required:7");
	la_message_free(m);
	free(id);
}

static char *key_of(const char *channel, const char *json)
{
	char *id = NULL;
	la_message_free(parse_ok(channel, json, &id));
	cr_assert_not_null(id, "%s on %s has no key", json, channel);
	return id;
}

/* The same "id" on two channels, or as an integer and as a string, names
 * two different messages: neither may be dropped as the other's duplicate. */
Test(redis_inbound, ids_are_scoped_by_channel_and_json_type)
{
	char *keys[] = {
	    key_of("batch_created", "{\"id\":1,\"ref\":\"b1\",\"sku\":\"S\",\"qty\":1}"),
	    key_of("allocation_required", "{\"id\":1,\"orderid\":\"o1\",\"sku\":\"S\",\"qty\":1}"),
	    key_of("batch_cancelled", "{\"id\":5,\"ref\":\"b1\"}"),
	    key_of("batch_cancelled", "{\"id\":\"5\",\"ref\":\"b1\"}"),
	    key_of("batch_cancelled", "{\"id\":\"batch_cancelled:5\",\"ref\":\"b1\"}"),
	};
	size_t n = sizeof keys / sizeof keys[0];

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			cr_assert_str_neq(keys[i], keys[j], "messages %zu and %zu share a key", i,
			                  j);
	/* the same id and type on the same channel is the same message */
	char *again = key_of("batch_cancelled", "{\"ref\":\"b2\",\"id\":\"5\"}");
	cr_assert_str_eq(again, keys[3]);
	free(again);
	/* control characters in a string id are escaped, never logged raw */
	char *escaped = key_of("batch_cancelled", "{\"id\":\"a\\nb\",\"ref\":\"b1\"}");
	cr_assert_str_eq(escaped, "batch_cancelled:\"a\\nb\"");
	free(escaped);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
}

Test(redis_inbound, malformed_messages_name_the_problem)
{
	struct {
		const char *channel, *json, *needle;
	} cases[] = {
	    {"change_batch_quantity", "not json", "not JSON"},
	    {"change_batch_quantity", "[1,2]", "object"},
	    {"change_batch_quantity", "{\"qty\":5}", "batchref"},
	    {"change_batch_quantity", "{\"batchref\":\"b1\"}", "qty"},
	    {"change_batch_quantity", "{\"batchref\":\"b1\",\"qty\":\"5\"}", "integer"},
	    {"change_batch_quantity", "{\"batchref\":\"b1\",\"qty\":5.5}", "integer"},
	    {"change_batch_quantity", "{\"batchref\":\"b1\",\"qty\":-1}", "qty"},
	    {"change_batch_quantity", "{\"batchref\":\"\",\"qty\":1}", "ref"},
	    {"change_batch_quantity", "{\"batchref\":\"b1\",\"qty\":1,\"id\":[]}", "id"},
	    {"batch_created", "{\"ref\":\"b\",\"sku\":\"s\",\"qty\":1,\"eta\":\"2011-02-30\"}",
	     "eta"},
	    {"batch_created", "{\"ref\":\"b\",\"sku\":\"s\",\"qty\":1,\"eta\":7}", "eta"},
	    {"allocation_required", "{\"orderid\":\"o\",\"sku\":\"s\",\"qty\":0}", "qty"},
	    {"batch_cancelled", "{}", "ref"},
	    {"allocation_required",
	     "{\"orderid\":\"o\",\"sku\":\"s\",\"qty\":1,\"hold_seconds\":0}", "hold"},
	    {"order_allocation_required", "{\"orderid\":\"o\"}", "lines"},
	    {"order_allocation_required", "{\"orderid\":\"o\",\"lines\":[]}", "lines"},
	    {"order_allocation_required", "{\"orderid\":\"o\",\"lines\":{}}", "lines"},
	    {"order_allocation_required", "{\"lines\":[{\"sku\":\"s\",\"qty\":1}]}", "orderid"},
	    {"order_allocation_required", "{\"orderid\":\"o\",\"lines\":[5]}", "lines[0]"},
	    {"order_allocation_required",
	     "{\"orderid\":\"o\",\"lines\":[{\"sku\":\"s\",\"qty\":1},{\"qty\":1}]}", "lines[1]"},
	    {"order_allocation_required",
	     "{\"orderid\":\"o\",\"lines\":[{\"sku\":\"s\",\"qty\":\"1\"}]}", "qty"},
	    {"order_allocation_required",
	     "{\"orderid\":\"o\",\"lines\":[{\"sku\":\"s\",\"qty\":1},{\"sku\":\"s\",\"qty\":1}]}",
	     "already line 0"},
	    {"order_allocation_required",
	     "{\"orderid\":\"o\",\"lines\":[{\"sku\":\"s\",\"qty\":1}],\"hold_seconds\":\"x\"}",
	     "hold_seconds"},
	    {"nonsense", "{}", "nonsense"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		la_message *m = NULL;
		char *id = NULL;
		int rc = redis_inbound_parse(&m, &id, cases[i].channel, cases[i].json,
		                             strlen(cases[i].json));

		cr_assert_eq(rc, LA_EINVAL, "%s accepted", cases[i].json);
		cr_assert_null(m);
		cr_assert_null(id);
		cr_assert(strstr(la_error_last(), cases[i].needle) != NULL, "%s → %s",
		          cases[i].json, la_error_last());
	}
}

/* Text jansson refuses for a reason of its own must stay malformed (skipped
 * for good), never be taken for a failure for want of memory (retried). */
Test(redis_inbound, what_jansson_refuses_is_malformed_not_out_of_memory)
{
	static const char *const refused[] = {
	    "{\"batchref\":\"b1\",\"batchref\":\"b2\",\"qty\":1}", /* duplicate key */
	    "{\"batchref\":\"b\\u0000\",\"qty\":1}",               /* NUL */
	    "{\"batchref\":\"\\ud800\",\"qty\":1}",                /* lone surrogate */
	    "{\"batchref\":\"\\udc00\\ud800\",\"qty\":1}",         /* reversed pair */
	    "{\"batchref\":\"\xff\",\"qty\":1}",                   /* not UTF-8 */
	    "{\"batchref\":\"b1\",\"qty\":99999999999999999999}",  /* overflow */
	    "{\"batchref\":\"b1\",\"qty\":1,}",                    /* trailing comma */
	    "{\"batchref\":\"b1\" \"qty\":1}",                     /* no comma */
	    "{\"batchref\":\"b1\",\"qty\":01}",                    /* leading zero */
	    "{\"batchref\":\"b1\",\"qty\":1}}",                    /* trailing text */
	    "",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		la_message *m = NULL;
		char *id = NULL;
		int rc = redis_inbound_parse(&m, &id, "change_batch_quantity", refused[i],
		                             strlen(refused[i]));

		cr_assert_eq(rc, LA_EINVAL, "%s: %s (%s)", refused[i], la_strerror(rc),
		             la_error_last());
	}
}

Test(redis_json_valid, accepts_json_and_refuses_the_rest)
{
	static const char *const good[] = {
	    "{}",
	    " [ ] ",
	    "{\"a\":[1,-2.5e+3,true,false,null,\"x\\n\\u00e9\\ud83d\\ude00\"]}",
	    "\"\xc3\xa9\"",
	    "0",
	    "-0.0E-1",
	    "{\"id\":\"a\",\"n\":{\"m\":[{}]}}",
	};
	static const char *const bad[] = {
	    "",
	    "{",
	    "{\"a\"}",
	    "{\"a\":}",
	    "[1,]",
	    "01",
	    "1.",
	    ".5",
	    "-",
	    "tru",
	    "\"\\x\"",
	    "\"\\u12\"",
	    "\"a\nb\"",
	    "{} {}",
	    "\"\\u0000\"",
	    "\"\\ud800x\"",
	    "\"\xe9\"",
	    "{'a':1}",
	    // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one string in two pieces
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(redis_json_valid(good[i], strlen(good[i])), "refused %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(redis_json_valid(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
}

Test(redis_inbound, stream_fields_flat_or_json)
{
	const char *names[] = {"batchref", "qty", "id"};
	const char *values[] = {"b1", "7", "x-9"};
	size_t lens[] = {2, 1, 3};
	la_message *m = NULL;
	char *id = NULL;

	cr_assert_eq(
	    redis_inbound_parse_fields(&m, &id, "change_batch_quantity", names, values, lens, 3),
	    LA_OK, "%s", la_error_last());
	cr_assert_str_eq(la_message_batchref(m), "b1");
	cr_assert_eq(la_message_qty(m), 7);
	cr_assert_str_eq(id, "change_batch_quantity:\"x-9\"");
	la_message_free(m);
	free(id);

	const char *jnames[] = {"id", "json"};
	const char *jvalues[] = {"ignored",
	                         "{\"orderid\":\"o\",\"sku\":\"s\",\"qty\":2,\"id\":\"j\"}"};
	size_t jlens[] = {7, strlen(jvalues[1])};

	cr_assert_eq(
	    redis_inbound_parse_fields(&m, &id, "allocation_required", jnames, jvalues, jlens, 2),
	    LA_OK, "%s", la_error_last());
	cr_assert_str_eq(id, "allocation_required:\"j\"");
	la_message_free(m);
	free(id);

	const char *enames[] = {"ref", "sku", "qty", "eta"};
	const char *evalues[] = {"b", "s", "4", ""};
	size_t elens[] = {1, 1, 1, 0};

	cr_assert_eq(
	    redis_inbound_parse_fields(&m, &id, "batch_created", enames, evalues, elens, 4), LA_OK,
	    "%s", la_error_last());
	cr_assert_null(la_message_eta(m));
	la_message_free(m);

	values[1] = "seven";
	cr_assert_eq(
	    redis_inbound_parse_fields(&m, &id, "change_batch_quantity", names, values, lens, 3),
	    LA_EINVAL);
}

Test(redis_seen, remembers_the_newest_ids_only)
{
	redis_seen *s = NULL;
	char id[32];

	cr_assert_eq(redis_seen_new(&s, 100), LA_OK);
	for (int i = 0; i < 250; i++) {
		snprintf(id, sizeof(id), "id-%d", i);
		cr_assert_eq(redis_seen_add(s, id), LA_OK);
		cr_assert(redis_seen_contains(s, id));
	}
	cr_assert_eq(redis_seen_count(s), 100);
	for (int i = 0; i < 250; i++) {
		snprintf(id, sizeof(id), "id-%d", i);
		cr_assert_eq(redis_seen_contains(s, id), i >= 150, "%s", id);
	}
	cr_assert_eq(redis_seen_add(s, "id-249"), LA_OK); /* already there: no change */
	cr_assert_eq(redis_seen_count(s), 100);
	cr_assert(redis_seen_contains(s, "id-150"));
	redis_seen_free(s);
	cr_assert_eq(redis_seen_new(&s, 0), LA_EINVAL);
}
