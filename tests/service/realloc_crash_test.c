/*
 * A reallocation is never lost: processes (realloc_child.c) that change
 * the quantity of or cancel batches are killed with SIGKILL, at random
 * moments, or kill themselves right after a commit that left a line
 * without room, before its OutOfStock was handled. After a last process has run to the end,
 * every line is allocated (to the batch it had to move to) or its sku's
 * OutOfStock notification was sent; no pending record is left. On SQLite
 * (realloc_crash_sqlite) and PostgreSQL (realloc_crash_postgres).
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <allocation/allocation.h>

#include "child_process.h"

#ifdef REALLOC_CRASH_PG
#include <allocation/postgres.h>

#include "pg_test.h"
#define KIND "postgres"
#else
#include <allocation/sqlite.h>

#include "sqlite_test_support.h"
#define KIND "sqlite"
#endif

enum { SKUS = 4000, ROUNDS = 8 };

static la_store *store;
static la_bus *bus;
static char url[600];

static void open_store(void)
{
#ifdef REALLOC_CRASH_PG
	cr_assert_eq(test_pg_store_open(&store, 0), LA_OK, "%s", la_error_last());
	(void)snprintf(url, sizeof url, "%s", test_pg_conninfo(store));
#else
	(void)snprintf(url, sizeof url, "%s", sqlt_path("realloc-crash"));
	cr_assert_eq(la_sqlite_store_open(&store, url, 0), LA_OK, "%s", la_error_last());
#endif
	cr_assert_eq(la_bus_new(&bus, store, NULL), LA_OK, "%s", la_error_last());
}

static void handle_all(la_message **commands, size_t count)
{
	cr_assert_eq(la_bus_handle_many(bus, (const la_message *const *)commands, count), LA_OK,
	             "%s", la_error_last());
	for (size_t i = 0; i < count; i++) {
		cr_assert_eq(la_bus_result_status(bus, i), LA_OK, "%s",
		             la_bus_result_error(bus, i));
		la_message_free(commands[i]);
	}
}

/* Sku s-I has batch a-I (10) holding line o-I (10); I % 4 == 0 or 2 also
 * have an empty batch b-I (10) for the line to move to. SETUP_GROUP skus
 * per unit of work. */
static void set_up(void)
{
	enum { SETUP_GROUP = 50 };
	char ref[32], sku[32], orderid[32];
	la_message *commands[3 * SETUP_GROUP];
	size_t n = 0;
	for (long i = 0; i < SKUS; i++) {
		(void)snprintf(sku, sizeof sku, "s-%ld", i);
		(void)snprintf(ref, sizeof ref, "a-%ld", i);
		cr_assert_eq(la_command_create_batch(&commands[n++], ref, sku, 10, NULL), LA_OK);
		(void)snprintf(orderid, sizeof orderid, "o-%ld", i);
		cr_assert_eq(la_command_allocate(&commands[n++], orderid, sku, 10), LA_OK);
		if (i % 4 == 0 || i % 4 == 2) {
			(void)snprintf(ref, sizeof ref, "b-%ld", i);
			cr_assert_eq(la_command_create_batch(&commands[n++], ref, sku, 10, NULL),
			             LA_OK);
		}
		if ((i + 1) % SETUP_GROUP == 0 || i + 1 == SKUS) {
			handle_all(commands, n);
			n = 0;
		}
	}
}

static void start(struct child *c, long die_at)
{
	char skus[16], die[16];
	(void)snprintf(skus, sizeof skus, "%d", SKUS);
	(void)snprintf(die, sizeof die, "%ld", die_at);
	const char *args[] = {KIND, url, skus, die, NULL};
	child_start(c, args);
}

/* Append the notifications child c sent to sent (a growing string). */
static void collect(char **sent, size_t *size, const struct child *c)
{
	*sent = realloc(*sent, *size + c->size + 1);
	cr_assert_not_null(*sent);
	memcpy(*sent + *size, c->output, c->size + 1);
	*size += c->size;
}

static int was_notified(const char *sent, long i)
{
	char line[64];
	(void)snprintf(line, sizeof line, "N Out of stock for s-%ld\n", i);
	return strstr(sent, line) != NULL;
}

Test(realloc_crash, sigkill_never_loses_a_line_being_reallocated)
{
	open_store();
	set_up();
	la_bus_free(bus);
	la_store_free(store);

	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	cr_log_info("realloc crash seed %u", seed);
	char *sent = calloc(1, 1);
	size_t size = 0;
	int killed = 0, died_in_notification = 0;
	for (int r = 0; r < ROUNDS; r++) {
		struct child c;
		int status;
		if (r % 2 == 0) {
			/* it kills itself right after a commit that left a line out,
			 * before the notification (unless no such line is left) */
			start(&c, 1 + rand() % 3);
			status = child_finish(&c);
			died_in_notification += WIFSIGNALED(status);
		} else {
			start(&c, 0);
			child_read(&c, 1, 20 + rand() % 300);
			status = child_kill(&c);
			killed += WIFSIGNALED(status);
		}
		/* a child may have finished the work before its end came */
		cr_assert((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
		              (WIFEXITED(status) && WEXITSTATUS(status) == 0),
		          "round %d: the child failed: status %d: %s", r, status, c.output);
		collect(&sent, &size, &c);
		child_free(&c);
	}
	/* the first child found every line still to do */
	cr_assert(died_in_notification >= 1, "no child died in a notification");
	struct child last;
	start(&last, 0);
	int status = child_finish(&last);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the last child failed: %d",
	          status);
	collect(&sent, &size, &last);
	child_free(&last);

	/* every line allocated where it had to go, or its OutOfStock sent */
#ifdef REALLOC_CRASH_PG
	cr_assert_eq(la_pg_store_open(&store, url, 0), LA_OK, "%s", la_error_last());
#else
	cr_assert_eq(la_sqlite_store_open(&store, url, 0), LA_OK, "%s", la_error_last());
#endif
	cr_assert_eq(la_bus_new(&bus, store, NULL), LA_OK);
	size_t finished = 1;
	cr_assert_eq(la_bus_finish_reallocations(bus, &finished), LA_OK, "%s", la_error_last());
	cr_assert_eq(finished, 0, "a pending record was left");
	long moved = 0, out = 0;
	char orderid[32], expected[32];
	for (long i = 0; i < SKUS; i++) {
		la_allocation_list *list;
		(void)snprintf(orderid, sizeof orderid, "o-%ld", i);
		cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK);
		if (i % 4 == 0 || i % 4 == 2) {
			(void)snprintf(expected, sizeof expected, "b-%ld", i);
			cr_assert_eq(la_allocation_list_count(list), 1, "%s lost", orderid);
			cr_assert_str_eq(la_allocation_list_batchref(list, 0), expected);
			moved++;
		} else {
			cr_assert_eq(la_allocation_list_count(list), 0);
			cr_assert(was_notified(sent, i),
			          "%s was deallocated and its OutOfStock never sent", orderid);
			out++;
		}
		la_allocation_list_free(list);
	}
	cr_log_info("%ld lines moved, %ld out of stock with their notification; %d children "
	            "died in a notification, %d were killed from outside",
	            moved, out, died_in_notification, killed);
	la_bus_free(bus);
	la_store_free(store);
	free(sent);
}
