/* Which order-history entry (la_view_history) a change of the log makes:
 * the event that caused it, so every store writes the same history. */
#include "product_internal.h"

int la_product_change_event(const la_product *p, size_t index)
{
	if (!p || index >= p->change_count)
		return 0;
	const la__change_entry *c = &p->changes[index];
	switch (c->kind) {
	case LA_CHANGE_LINE_ALLOCATED:
		return LA_EVT_ALLOCATED;
	case LA_CHANGE_LINE_DEALLOCATED:
		return LA_EVT_DEALLOCATED;
	case LA_CHANGE_LINE_CONFIRMED:
		return LA_EVT_CONFIRMED;
	case LA_CHANGE_LINE_WAITING:
		return LA_EVT_BACKORDERED;
	case LA_CHANGE_LINE_UNWAITED:
		/* cancelled while waiting; without a reason it was allocated,
		 * and that LINE_ALLOCATED makes the entry */
		return c->reason ? LA_EVT_DEALLOCATED : 0;
	default:
		return 0;
	}
}
