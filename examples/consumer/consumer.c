/*
 * A downstream program: what a user of the installed liballocation writes.
 * It opens a SQLite store (argv[1], default in memory), adds a batch,
 * allocates an order line and reads the allocation back from the read model.
 * Safe to run again on the same file: both commands are idempotent.
 *
 *   cc consumer.c $(pkg-config --cflags --libs allocation allocation-sqlite)
 */
#include <allocation/allocation.h>
#include <allocation/sqlite.h>

#include <stdio.h>

static int report(const char *what, int rc)
{
	(void)fprintf(stderr, "consumer: %s failed: %s (%s)\n", what, la_error_last(),
	              la_strerror(rc));
	return rc;
}

/* Handle one command on the bus and free it. */
static int run(la_bus *bus, la_message *command, int rc, const char *what)
{
	if (rc == LA_OK) {
		rc = la_bus_handle(bus, command);
	}
	la_message_free(command);
	return rc == LA_OK ? LA_OK : report(what, rc);
}

static int story(la_bus *bus, la_store *store)
{
	la_message *command = NULL;
	int rc = la_command_create_batch(&command, "consumer-batch", "CONSUMER-LAMP", 10, NULL);
	if (run(bus, command, rc, "CreateBatch") != LA_OK) {
		return 1;
	}
	rc = la_command_allocate(&command, "consumer-order", "CONSUMER-LAMP", 3);
	if (run(bus, command, rc, "Allocate") != LA_OK) {
		return 1;
	}
	const char *batchref = la_bus_result_batchref(bus);
	printf("allocated consumer-order to %s\n", batchref ? batchref : "(out of stock)");

	la_allocation_list *list = NULL;
	rc = la_view_allocations(&list, store, "consumer-order");
	if (rc != LA_OK) {
		return report("allocations view", rc), 1;
	}
	for (size_t i = 0; i < la_allocation_list_count(list); i++) {
		printf("allocations consumer-order: %s %s\n", la_allocation_list_sku(list, i),
		       la_allocation_list_batchref(list, i));
	}
	la_allocation_list_free(list);
	return 0;
}

int main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : "sqlite::memory:";
	la_store *store = NULL;
	la_bus *bus = NULL;

	int rc = la_sqlite_store_open(&store, url, 0);
	if (rc != LA_OK) {
		return report("opening the store", rc), 1;
	}
	rc = la_bus_new(&bus, store, NULL);
	if (rc != LA_OK) {
		la_store_free(store);
		return report("making the bus", rc), 1;
	}
	printf("liballocation %s, %s store\n", la_version(), la_store_adapter(store));
	int status = story(bus, store);
	la_bus_free(bus);
	la_store_free(store);
	return status;
}
