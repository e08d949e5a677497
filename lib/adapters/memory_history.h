/* The memory store's order history (docs/history.md): entries made from the
 * products' change logs at commit, in two phases like the rest of its
 * commit, so running out of memory records nothing. */
#ifndef LA_ADAPTERS_MEMORY_HISTORY_H
#define LA_ADAPTERS_MEMORY_HISTORY_H

#include "../util/strmap.h"

#include <allocation/sys/ports.h>

typedef struct memory_history {
	la__strmap orders;           /* orderid → its entries */
	struct history_entry **made; /* commit: entries made, not yet in their order */
	size_t made_count, made_capacity;
	size_t *positions; /* la_products_next_change over the products */
	size_t positions_capacity;
} memory_history;

/* Phase one: make the entries of every change of products, in the order they
 * were made, and the room to keep them. LA_OK, or LA_ENOMEM having made none. */
int memory_history_prepare(memory_history *h, la_product *const *products, size_t count);
/* Phase two: keep the entries prepared. Never allocates. */
void memory_history_keep(memory_history *h);
/* Append orderid's entries to into, oldest first. */
int memory_history_view(la_history_list *into, const memory_history *h, const char *orderid);
void memory_history_dispose(memory_history *h);

#endif
