/* The worked adapter example at work: the domain story of spec §1 run
 * through the bus on the array store, then its read models and its outbox.
 * Exits 0 when every step did what the spec says, 1 otherwise. */
#include "array_store.h"

#include <allocation/allocation.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void expect(int ok, const char *what)
{
	printf("%s %s\n", ok ? "  ok:  " : "  FAIL:", what);
	failures += !ok;
}

static int notify(const char *destination, const char *message, void *payload)
{
	printf("  notify %s: %s\n", destination, message);
	return LA_OK;
}

static int publish(const char *channel, const char *json, void *payload)
{
	printf("  publish %s: %s\n", channel, json);
	return LA_OK;
}

/* Handle *command, which a la_command_* constructor returning `made` made
 * (it is read after the call); frees it. */
static int run(la_bus *bus, int made, la_message **slot)
{
	la_message *command = *slot;
	int rc = made == LA_OK ? la_bus_handle(bus, command) : made;
	printf("%s %s%s%s\n", command ? la_message_name(command) : "(not made)", la_strerror(rc),
	       rc == LA_OK ? "" : ": ", rc == LA_OK ? "" : la_error_last());
	la_message_free(command);
	*slot = NULL;
	return rc;
}

static const char *allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	if (run(bus, la_command_allocate(&m, orderid, sku, qty), &m) != LA_OK)
		return "(failed)";
	const char *ref = la_bus_result_batchref(bus);
	return ref ? ref : "(out of stock)";
}

static void show(la_store *store)
{
	la_batch_page *page;
	if (la_view_batches(&page, store, NULL, 0, NULL) != LA_OK)
		return;
	for (size_t i = 0; i < la_batch_page_count(page); i++)
		printf("  %-8s %-6s eta %-10s purchased %3lld allocated %3lld available %3lld "
		       "lines %lld\n",
		       la_batch_page_ref(page, i), la_batch_page_sku(page, i),
		       la_batch_page_eta(page, i) ? la_batch_page_eta(page, i) : "-",
		       (long long)la_batch_page_purchased(page, i),
		       (long long)la_batch_page_allocated(page, i),
		       (long long)la_batch_page_available(page, i),
		       (long long)la_batch_page_lines(page, i));
	la_batch_page_free(page);
}

static int story(la_bus *bus, la_store *store)
{
	la_message *m = NULL;
	run(bus, la_command_create_batch(&m, "in-stock", "LAMP", 50, NULL), &m);
	run(bus, la_command_create_batch(&m, "boat", "LAMP", 50, "2011-01-02"), &m);

	expect(strcmp(allocate(bus, "o1", "LAMP", 20), "in-stock") == 0, "o1 → the stock at hand");
	expect(strcmp(allocate(bus, "o2", "LAMP", 20), "in-stock") == 0, "o2 → the stock at hand");
	expect(strcmp(allocate(bus, "o3", "LAMP", 100), "(out of stock)") == 0,
	       "o3 is out of stock: not an error");

	/* stock shrinks: the most recent line (o2) moves to the boat */
	run(bus, la_command_change_batch_quantity(&m, "in-stock", 25), &m);
	la_allocation_list *list = NULL;
	expect(la_view_allocations(&list, store, "o2") == LA_OK &&
	           la_allocation_list_count(list) == 1 &&
	           strcmp(la_allocation_list_batchref(list, 0), "boat") == 0,
	       "o2 reallocated to the boat");
	la_allocation_list_free(list);
	show(store);

	size_t sent = 0;
	expect(la_store_relay_outbox(&sent, store, 0, publish, NULL) == LA_OK && sent == 3,
	       "the outbox held the three Allocated events");
	return failures;
}

int main(void)
{
	array_db *db = NULL;
	la_store *store = NULL;
	la_bus *bus = NULL;
	la_bus_options opts;
	la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION);
	opts.notify = notify;
	if (array_db_new(&db) != LA_OK || array_store_open(&store, db, LA_STORE_OUTBOX) != LA_OK ||
	    la_bus_new(&bus, store, &opts) != LA_OK) {
		(void)fprintf(stderr, "setup failed: %s\n", la_error_last());
		return 1;
	}
	printf("store adapter \"%s\", outbox %s\n", la_store_adapter(store),
	       la_store_has_outbox(store) ? "on" : "off");
	int failed = story(bus, store);
	la_bus_free(bus);
	la_store_free(store);
	array_db_free(db);
	printf("%s\n", failed ? "FAILED" : "all steps as the spec says");
	return failed ? 1 : 0;
}
