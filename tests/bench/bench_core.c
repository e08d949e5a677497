/* Core benchmark (issue 2): allocations per second through the bus on the
 * in-memory store, and the cost of one allocation as the product's history
 * grows. Prints figures and ratios; asserts nothing about time. */
#include <allocation/allocation.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
	if (rc != LA_OK) {
		fprintf(stderr, "%s: %s (%s)\n", what, la_error_last(), la_strerror(rc));
		_Exit(1); /* _Exit: a failure may be on any thread */
	}
}

static void create_batch(la_bus *bus, const char *ref, const char *sku, int64_t qty)
{
	la_message *m;
	check(la_command_create_batch(&m, ref, sku, qty, NULL), "create batch");
	check(la_bus_handle(bus, m), "handle create batch");
	la_message_free(m);
}

/* One allocation as a user makes it: build the command, handle it, free it. */
static void allocate(la_bus *bus, const char *orderid, const char *sku)
{
	la_message *m;
	check(la_command_allocate(&m, orderid, sku, 1), "allocate");
	check(la_bus_handle(bus, m), "handle allocate");
	if (!la_bus_result_batchref(bus)) {
		fprintf(stderr, "unexpectedly out of stock\n");
		_Exit(1);
	}
	la_message_free(m);
}

/* Throughput: `count` allocations spread over `skus` products. */
static double throughput(long count, int skus)
{
	la_store *store;
	la_bus *bus;
	check(la_memory_store_new(&store), "store");
	check(la_bus_new(&bus, store, NULL), "bus");
	char sku[32], orderid[32];
	for (int i = 0; i < skus; i++) {
		snprintf(sku, sizeof sku, "SKU-%d", i);
		snprintf(orderid, sizeof orderid, "batch-%d", i);
		create_batch(bus, orderid, sku, 1000000000);
	}
	double start = now();
	for (long i = 0; i < count; i++) {
		snprintf(sku, sizeof sku, "SKU-%ld", i % skus);
		snprintf(orderid, sizeof orderid, "order-%ld", i);
		allocate(bus, orderid, sku);
	}
	double elapsed = now() - start;
	la_bus_free(bus);
	la_store_free(store);
	return (double)count / elapsed;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median cost in ns of one allocation into a product already holding each
 * of levels[i] lines, measured over rounds of `per_round` allocations. */
static void growth(const long *levels, int level_count, double *cost_ns, long background)
{
	enum { ROUNDS = 9, PER_ROUND = 2000 };
	la_store *store;
	la_bus *bus;
	check(la_memory_store_new(&store), "store");
	check(la_bus_new(&bus, store, NULL), "bus");
	create_batch(bus, "big-batch", "GROWING-SKU", 1000000000);
	char orderid[32], sku[32];
	/* other products' lines, so the store is not empty when the product is */
	for (long i = 0; i < background; i++) {
		snprintf(sku, sizeof sku, "OTHER-%ld", i % 100);
		if (i < 100) {
			snprintf(orderid, sizeof orderid, "other-batch-%ld", i);
			create_batch(bus, orderid, sku, 1000000000);
		}
		snprintf(orderid, sizeof orderid, "background-%ld", i);
		allocate(bus, orderid, sku);
	}
	long made = 0;
	for (int l = 0; l < level_count; l++) {
		while (made < levels[l]) {
			snprintf(orderid, sizeof orderid, "fill-%ld", made++);
			allocate(bus, orderid, "GROWING-SKU");
		}
		double samples[ROUNDS];
		for (int r = 0; r < ROUNDS; r++) {
			double start = now();
			for (int i = 0; i < PER_ROUND; i++) {
				snprintf(orderid, sizeof orderid, "probe-%ld", made++);
				allocate(bus, orderid, "GROWING-SKU");
			}
			samples[r] = (now() - start) / PER_ROUND * 1e9;
		}
		qsort(samples, ROUNDS, sizeof *samples, compare_double);
		cost_ns[l] = samples[ROUNDS / 2];
	}
	la_bus_free(bus);
	la_store_free(store);
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	printf("liballocation %s core benchmark (in-memory store, one thread)\n", la_version());
	throughput(count / 10, 100); /* warm-up */
	/* median of 5 runs: the machine is shared, single runs are noisy */
	double many_runs[5], one_runs[5];
	for (int r = 0; r < 5; r++) {
		many_runs[r] = throughput(count, 1000);
		one_runs[r] = throughput(count, 1);
	}
	qsort(many_runs, 5, sizeof(double), compare_double);
	qsort(one_runs, 5, sizeof(double), compare_double);
	double many = many_runs[2], one = one_runs[2];
	printf("%ld allocations through the bus (command built, handled, freed each time), "
	       "median of 5 runs:\n",
	       count);
	printf("  spread over 1,000 skus:                 %10.0f allocations/s\n", many);
	printf("  all into one sku (one product grows):   %10.0f allocations/s\n", one);
	printf("target >= 1,000,000/s (1,000 skus): %s (ratio %.2fx)\n",
	       many >= 1e6 ? "met" : "NOT met", many / 1e6);
	printf("vs the book's Python reference (79/s on SQLite in memory): %.0fx\n", many / 79.0);

	const long levels[] = {0, 10000, 100000};
	double cost[3], empty[3];
	growth(levels, 3, cost, 100000);
	growth(levels, 3, empty, 0);
	printf("cost of one allocation into a product holding N lines (median of 9 x 2,000):\n");
	printf("  N        store also holds 100,000 other lines   store otherwise empty\n");
	for (int i = 0; i < 3; i++)
		printf("  %-7ld  %8.0f ns (ratio to 0: %.2f)            %8.0f ns (ratio %.2f)\n",
		       levels[i], cost[i], cost[i] / cost[0], empty[i], empty[i] / empty[0]);
	printf("target at 100,000 <= 1.5x (store with other lines): %s\n",
	       cost[2] / cost[0] <= 1.5 ? "met" : "NOT met");
	return 0;
}
