/* Command handlers (spec §1.2): each loads what it needs through the unit of
 * work and asks the product to change. They never commit: the caller does,
 * once for one command or for many (batch.c). A handler that fails leaves
 * the products as the domain left them (the domain refuses before it
 * changes); the caller undoes the command's changes either way. */
#include "bus_internal.h"

#include "../domain/message_internal.h"
#include "../common/common_internal.h"

#include <string.h>

static int invalid_sku(int rc, const char *sku)
{
	return rc == LA_ENOTFOUND ? la_error_set(rc, "Invalid sku %s", sku) : rc;
}

static int invalid_ref(int rc, const char *ref)
{
	return rc == LA_ENOTFOUND ? la_error_set(rc, "Invalid batch reference %s", ref) : rc;
}

static int same_eta(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int create_batch(la_bus *bus, const la_message *cmd, la__result *result)
{
	la_product *p;
	int rc = la__uow_get_by_batchref(&p, bus, cmd->batchref);
	if (rc == LA_OK) {
		const la_batch *b = la_product_find_batch(p, cmd->batchref);
		if (b && strcmp(la_product_sku(p), cmd->sku) == 0 &&
		    la_batch_purchased_quantity(b) == cmd->qty &&
		    same_eta(la_batch_eta(b), cmd->eta))
			return LA_OK; /* a redelivered message: already done */
		return la_error_set(LA_ECONFLICT, "Batch %s already exists with different values",
		                    cmd->batchref);
	}
	if (rc != LA_ENOTFOUND)
		return rc;
	/* The ref was removed from another product earlier in this unit of
	 * work: that removal must reach the store before the ref is stored
	 * again (refs are unique across products, and stores write product by
	 * product). */
	if (bus->batch_removed_from &&
	    strcmp(la_product_sku(bus->batch_removed_from), cmd->sku) != 0)
		return LA__ESPLIT;
	rc = la__uow_get(&p, bus, cmd->sku);
	if (rc == LA_OK)
		return la_product_add_batch(p, cmd->batchref, cmd->qty, cmd->eta);
	if (rc != LA_ENOTFOUND)
		return rc;
	/* A new product reaches the store only with its batch: nothing can fail
	 * after it is added, so a failed command never leaves an empty one. */
	if ((rc = la_product_new(&p, cmd->sku)) != LA_OK)
		return rc;
	if ((rc = la_product_add_batch(p, cmd->batchref, cmd->qty, cmd->eta)) != LA_OK) {
		la_product_free(p);
		return rc;
	}
	return la__uow_add(bus, p);
}

static int allocate(la_bus *bus, const la_message *cmd, la__result *result)
{
	la_product *p;
	const char *batchref = NULL;
	int rc = la__uow_get(&p, bus, cmd->sku);
	if (rc != LA_OK)
		return invalid_sku(rc, cmd->sku);
	la_allocation_options opts = la__bus_allocation_options(bus, cmd);
	if ((rc = la__uow_find_line(bus, p, cmd->orderid)) != LA_OK)
		return rc;
	/* A pending reallocation whose order has a line of this sku again
	 * (allocated since, maybe with another qty): nothing left to do. */
	if (bus->resuming &&
	    (la_product_find_line(p, cmd->orderid) || la_product_find_waiting(p, cmd->orderid)))
		return la__bus_reallocation_resumed(bus, p, cmd->orderid, cmd->qty, 1);
	if ((rc = la_product_allocate_with(&batchref, p, cmd->orderid, cmd->qty, &opts)) != LA_OK)
		return rc;
	if (bus->resuming && (rc = la__bus_reallocation_resumed(
	                          bus, p, cmd->orderid, cmd->qty,
	                          batchref || la_product_find_waiting(p, cmd->orderid))) != LA_OK)
		return rc;
	if (!result)
		return LA_OK;
	if (batchref) {
		result->outcome = LA_OUTCOME_ALLOCATED;
		result->has_batchref = 1;
		/* at most 255 bytes (validated): never cut; copied without formatting,
		 * which cost 2% of a bulk import */
		size_t n = strnlen(batchref, sizeof result->batchref - 1);
		memcpy(result->batchref, batchref, n);
		result->batchref[n] = '\0';
	} else {
		result->outcome = la_product_find_waiting(p, cmd->orderid)
		                      ? LA_OUTCOME_BACKORDERED
		                      : LA_OUTCOME_OUT_OF_STOCK;
	}
	return LA_OK;
}

static int deallocate(la_bus *bus, const la_message *cmd, la__result *result)
{
	la_product *p;
	int rc = la__uow_get(&p, bus, cmd->sku);
	if (rc != LA_OK)
		return invalid_sku(rc, cmd->sku);
	if ((rc = la__uow_find_line(bus, p, cmd->orderid)) != LA_OK)
		return rc;
	return la_product_deallocate(p, cmd->orderid);
}

static int change_batch_quantity(la_bus *bus, const la_message *cmd, la__result *result)
{
	la_product *p;
	int rc = la__uow_get_by_batchref(&p, bus, cmd->batchref);
	if (rc != LA_OK)
		return invalid_ref(rc, cmd->batchref);
	const la_batch *b = la_product_find_batch(p, cmd->batchref);
	/* the lines are needed only when some must be deallocated */
	if (b && cmd->qty < la_batch_allocated_quantity(b) &&
	    (rc = la__uow_load_batch_lines(bus, p, cmd->batchref)) != LA_OK)
		return rc;
	return la_product_change_batch_quantity(p, cmd->batchref, cmd->qty);
}

static int cancel_batch(la_bus *bus, const la_message *cmd, la__result *result)
{
	la_product *p;
	int rc = la__uow_get_by_batchref(&p, bus, cmd->batchref);
	if (rc != LA_OK)
		return invalid_ref(rc, cmd->batchref);
	if ((rc = la__uow_load_batch_lines(bus, p, cmd->batchref)) != LA_OK)
		return rc;
	return la_product_cancel_batch(p, cmd->batchref);
}

int la__handle_command(la_bus *bus, const la_message *cmd, la__result *result)
{
	switch (cmd->kind) {
	case LA_CMD_CREATE_BATCH:
		return create_batch(bus, cmd, result);
	case LA_CMD_ALLOCATE:
		return allocate(bus, cmd, result);
	case LA_CMD_DEALLOCATE:
		return deallocate(bus, cmd, result);
	case LA_CMD_CHANGE_BATCH_QUANTITY:
		return change_batch_quantity(bus, cmd, result);
	case LA_CMD_CANCEL_BATCH:
		return cancel_batch(bus, cmd, result);
	case LA_CMD_ALLOCATE_ORDER:
		return la__handle_allocate_order(bus, cmd, result);
	case LA_CMD_CONFIRM:
		return la__handle_confirm(bus, cmd, result);
	case LA_CMD_EXPIRE_HOLDS:
		return la__handle_expire_holds(bus, cmd, result);
	default:
		return la_error_set(LA_EINVAL, "message kind %d is not a command", cmd->kind);
	}
}
