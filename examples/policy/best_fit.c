/* A policy of one's own, as docs/policies.md walks through it: "best fit"
 * puts a line on the batch with the least available stock that still takes
 * it, so big batches stay whole for big orders. The program runs it on a bus
 * over the memory store and checks each choice. */
#include <allocation/allocation.h>

#include <stdio.h>
#include <string.h>

/* The rule: read the batches through the const accessors, answer an index
 * (preference order) or LA_POLICY_NONE. Ties keep preference order. */
static int choose_best_fit(size_t *out_index, const la_product *product, const char *orderid,
                           int64_t qty, const char *promise, void *payload)
{
	(void)orderid, (void)promise, (void)payload;
	*out_index = LA_POLICY_NONE;
	int64_t best = 0;
	for (size_t i = 0; i < la_product_batch_count(product); i++) {
		int64_t available = la_batch_available_quantity(la_product_batch_at(product, i));
		if (available >= qty && (*out_index == LA_POLICY_NONE || available < best)) {
			*out_index = i;
			best = available;
		}
	}
	return LA_OK;
}

/* The policy itself: a name for messages, the rule, its payload. */
static la_bus *bus_with_best_fit(la_store *store)
{
	static la_policy best_fit = LA_POLICY_INIT;
	best_fit.name = "best-fit";
	best_fit.choose = choose_best_fit;
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.policy = &best_fit;
	la_bus *bus = NULL;
	if (la_bus_new(&bus, store, &opts) != LA_OK)
		(void)fprintf(stderr, "la_bus_new: %s\n", la_error_last());
	return bus;
}

/* Handle one command; the batch an Allocate went to, or "" (out of stock or
 * failed). */
static const char *run(la_bus *bus, la_message *command)
{
	int rc = command ? la_bus_handle(bus, command) : la_error_last_code();
	la_message_free(command);
	if (rc != LA_OK) {
		(void)fprintf(stderr, "failed: %s\n", la_error_last());
		return "";
	}
	const char *ref = la_bus_result_batchref(bus);
	return ref ? ref : "";
}

static int expect(la_bus *bus, const char *orderid, int64_t qty, const char *want)
{
	la_message *m = NULL;
	(void)la_command_allocate(&m, orderid, "LAMP", qty);
	const char *got = run(bus, m);
	printf("%s x%lld -> %s\n", orderid, (long long)qty, *got ? got : "out of stock");
	return strcmp(got, want) == 0 ? 0 : 1;
}

int main(void)
{
	la_store *store = NULL;
	if (la_memory_store_new(&store) != LA_OK)
		return 1;
	la_bus *bus = bus_with_best_fit(store);
	int failures = bus ? 0 : 1;
	const char *refs[] = {"pallet", "box", "crate"};
	const int64_t qtys[] = {100, 5, 20};
	for (int i = 0; bus && i < 3; i++) {
		la_message *m = NULL;
		(void)la_command_create_batch(&m, refs[i], "LAMP", qtys[i], NULL);
		run(bus, m);
	}
	if (bus) {
		failures += expect(bus, "o1", 4, "box");     /* 5 left: the tightest fit */
		failures += expect(bus, "o2", 4, "crate");   /* box has 1 left now */
		failures += expect(bus, "o3", 50, "pallet"); /* only the pallet takes 50 */
		failures += expect(bus, "o4", 200, "");      /* none: out of stock */
	}
	la_bus_free(bus);
	la_store_free(store);
	puts(failures ? "best-fit: some choices were not as expected"
	              : "best-fit: every choice as expected");
	return failures ? 1 : 0;
}
