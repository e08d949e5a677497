/* The domain story of spec §1, told through the library: batches arrive, an
 * order is allocated, a shipment is delayed, a boat sinks. Prints what happened. */
#include <allocation/allocation.h>
#include <stdio.h>

static int notify(const char *destination, const char *message, void *payload)
{
	printf("  e-mail to %s: %s\n", destination, message);
	return LA_OK;
}

static int publish(const char *channel, const char *json, void *payload)
{
	printf("  published on %s: %s\n", channel, json);
	return LA_OK;
}

static int handle(la_bus *bus, la_message *command)
{
	if (!command) {
		(void)fprintf(stderr, "bad command: %s\n", la_error_last());
		return 1;
	}
	printf("%s %s %s %s\n", la_message_name(command),
	       la_message_orderid(command) ? la_message_orderid(command) : "",
	       la_message_sku(command) ? la_message_sku(command) : "",
	       la_message_batchref(command) ? la_message_batchref(command) : "");
	int rc = la_bus_handle(bus, command);
	if (rc != LA_OK)
		printf("  failed: %s (%s)\n", la_error_last(), la_strerror(rc));
	else if (la_message_kind_of(command) == LA_CMD_ALLOCATE)
		printf("  -> %s\n",
		       la_bus_result_batchref(bus) ? la_bus_result_batchref(bus) : "out of stock");
	la_message_free(command);
	return 0;
}

static la_message *cmd_batch(const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m = NULL;
	la_command_create_batch(&m, ref, sku, qty, eta);
	return m;
}

static la_message *cmd_allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	la_command_allocate(&m, orderid, sku, qty);
	return m;
}

static void show_dashboard(la_store *store)
{
	la_batch_page *page;
	if (la_view_batches(&page, store, NULL, 0, NULL) != LA_OK)
		return;
	printf("dashboard:\n");
	for (size_t i = 0; i < la_batch_page_count(page); i++)
		printf("  %-12s %-14s eta %-10s purchased %3lld allocated %3lld available %3lld "
		       "lines %lld\n",
		       la_batch_page_ref(page, i), la_batch_page_sku(page, i),
		       la_batch_page_eta(page, i) ? la_batch_page_eta(page, i) : "-",
		       (long long)la_batch_page_purchased(page, i),
		       (long long)la_batch_page_allocated(page, i),
		       (long long)la_batch_page_available(page, i),
		       (long long)la_batch_page_lines(page, i));
	la_batch_page_free(page);
}

int main(void)
{
	la_store *store;
	la_bus *bus;
	la_bus_options options = LA_BUS_OPTIONS_INIT;
	options.notify = notify;
	options.publish = publish;
	if (la_memory_store_new(&store) != LA_OK || la_bus_new(&bus, store, &options) != LA_OK) {
		(void)fprintf(stderr, "cannot start: %s\n", la_error_last());
		return 1;
	}
	printf("liballocation %s: the allocation story, on the in-memory store\n\n", la_version());
	int failed = 0;
	failed |= handle(bus, cmd_batch("warehouse-1", "RETRO-CLOCK", 20, NULL));
	failed |= handle(bus, cmd_batch("ship-1", "RETRO-CLOCK", 100, "2011-01-02"));
	failed |= handle(bus, cmd_batch("ship-2", "RETRO-CLOCK", 100, "2011-01-01"));
	failed |= handle(bus, cmd_allocate("order-1", "RETRO-CLOCK", 10));
	failed |= handle(bus, cmd_allocate("order-2", "RETRO-CLOCK", 10));
	failed |= handle(bus, cmd_allocate("order-3", "RETRO-CLOCK", 10));
	failed |= handle(bus, cmd_allocate("order-4", "SMALL-TABLE", 1));
	show_dashboard(store);
	printf("\nthe warehouse count was wrong: warehouse-1 holds 12\n");
	la_message *change = NULL;
	la_command_change_batch_quantity(&change, "warehouse-1", 12);
	failed |= handle(bus, change);
	printf("\nthe boat carrying ship-2 sank\n");
	la_message *cancel = NULL;
	la_command_cancel_batch(&cancel, "ship-2");
	failed |= handle(bus, cancel);
	failed |= handle(bus, cmd_allocate("order-5", "RETRO-CLOCK", 500));
	show_dashboard(store);
	la_allocation_list *list;
	if (la_view_allocations(&list, store, "order-3") == LA_OK) {
		printf("\nallocations of order-3:");
		for (size_t i = 0; i < la_allocation_list_count(list); i++)
			printf(" %s->%s", la_allocation_list_sku(list, i),
			       la_allocation_list_batchref(list, i));
		printf("\n");
		la_allocation_list_free(list);
	}
	la_bus_free(bus);
	la_store_free(store);
	return failed;
}
