/*
 * The in-memory store shared by several buses in several threads (memory.h
 * promises it): no allocation is lost or doubled, and a reader sees
 * consistent figures throughout.
 */
#include <allocation/allocation.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { WRITERS = 4, ORDERS = 300 };

static la_store *store;
static atomic_int failures;
static atomic_int done;

static int handle(la_bus *bus, la_message *m, int rc)
{
	if (rc == LA_OK)
		rc = la_bus_handle(bus, m);
	la_message_free(m);
	return rc;
}

static void *writer(void *arg)
{
	int id = *(const int *)arg;
	la_bus *bus = NULL;
	if (la_bus_new(&bus, store, NULL) != LA_OK) {
		failures++;
		return NULL;
	}
	char orderid[32];
	for (int i = 0; i < ORDERS; i++) {
		la_message *m = NULL;
		snprintf(orderid, sizeof orderid, "t%d-o%d", id, i);
		int rc = handle(bus, m, la_command_allocate(&m, orderid, "SKU", 1));
		if (rc != LA_OK || !la_bus_result_batchref(bus))
			failures++;
		if (i % 4 == 0) {
			m = NULL;
			if (handle(bus, m, la_command_deallocate(&m, orderid, "SKU")) != LA_OK)
				failures++;
		}
	}
	la_bus_free(bus);
	return NULL;
}

/* Reads the dashboard while the writers run: figures always add up. */
static void *reader(void *arg)
{
	int *bad = arg;
	while (!atomic_load(&done)) {
		la_batch_page *page = NULL;
		if (la_view_batches(&page, store, "SKU", 0, NULL) != LA_OK) {
			(*bad)++;
			continue;
		}
		for (size_t i = 0; i < la_batch_page_count(page); i++) {
			int64_t p = la_batch_page_purchased(page, i),
			        a = la_batch_page_allocated(page, i);
			if (a < 0 || a > p || la_batch_page_available(page, i) != p - a ||
			    la_batch_page_lines(page, i) != a)
				(*bad)++;
		}
		la_batch_page_free(page);
	}
	return NULL;
}

Test(memory_threads, buses_share_one_store, .timeout = 60)
{
	cr_assert_eq(la_memory_store_new(&store), LA_OK);
	la_bus *bus = NULL;
	cr_assert_eq(la_bus_new(&bus, store, NULL), LA_OK);
	la_message *m = NULL;
	cr_assert_eq(handle(bus, m, la_command_create_batch(&m, "b1", "SKU", 700, NULL)), LA_OK);
	m = NULL;
	cr_assert_eq(handle(bus, m, la_command_create_batch(&m, "b2", "SKU", 700, "2011-01-01")),
	             LA_OK);

	pthread_t writers[WRITERS], read_thread;
	int bad_reads = 0;
	cr_assert_eq(pthread_create(&read_thread, NULL, reader, &bad_reads), 0);
	int ids[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		ids[i] = i;
		cr_assert_eq(pthread_create(&writers[i], NULL, writer, &ids[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(writers[i], NULL);
	atomic_store(&done, 1);
	pthread_join(read_thread, NULL);
	cr_assert_eq(failures, 0);
	cr_assert_eq(bad_reads, 0, "the reader saw inconsistent figures %d times", bad_reads);

	/* 1200 allocations left, each order on exactly one batch. */
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, NULL, 0, NULL), LA_OK);
	int64_t allocated = 0, lines = 0;
	for (size_t i = 0; i < la_batch_page_count(page); i++) {
		allocated += la_batch_page_allocated(page, i);
		lines += la_batch_page_lines(page, i);
	}
	la_batch_page_free(page);
	cr_assert_eq(allocated, WRITERS * ORDERS * 3 / 4);
	cr_assert_eq(lines, WRITERS * ORDERS * 3 / 4);
	char orderid[32];
	for (int t = 0; t < WRITERS; t++) {
		for (int i = 0; i < ORDERS; i++) {
			snprintf(orderid, sizeof orderid, "t%d-o%d", t, i);
			la_allocation_list *list = NULL;
			cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK);
			cr_assert_eq(la_allocation_list_count(list), i % 4 == 0 ? 0u : 1u, "%s",
			             orderid);
			la_allocation_list_free(list);
		}
	}
	la_bus_free(bus);
	la_store_free(store);
}
