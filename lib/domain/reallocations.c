/* Pending reallocations (docs/reliability.md): a line deallocated with
 * reason stock_reduced that its reallocation could not place leaves no row
 * of its own; until its OutOfStock is delivered, the product's change log
 * carries a record of it for the store to keep, and a second change to
 * forget it. The record is only bookkeeping: it changes no batch or line. */
#include "product_internal.h"

#include "../util/alloc.h"

int la__product_record_reallocation(la_product *p, int kind, const char *orderid, int64_t qty)
{
	if (la__product_reserve(p, 0, 1) != LA_OK)
		return la__error_nomem();
	la__line *line = la__line_create(orderid, qty, 0);
	if (!line)
		return la__error_nomem();
	la__product_record(p, kind, NULL, line, 0, qty, 0);
	return LA_OK;
}
