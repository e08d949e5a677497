/* Results of the commands of the last la_bus_handle / la_bus_handle_many:
 * each command's status, the batch an Allocate chose, the message of a
 * failure. Kept by the bus until its next call. */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../util/alloc.h"

#include <string.h>

static void clear(la__result *r)
{
	la__free(r->error);
	memset(r, 0, sizeof *r);
}

int la__results_reset(la_bus *bus, size_t count)
{
	for (size_t i = 0; i < bus->result_count; i++)
		clear(&bus->results[i]);
	bus->result_count = 0;
	if (la__grow((void **)&bus->results, &bus->result_capacity, count, sizeof *bus->results) !=
	    LA_OK)
		return la__error_nomem();
	if (count) /* (memset of a NULL array is undefined even for 0 bytes) */
		memset(bus->results, 0, count * sizeof *bus->results);
	bus->result_count = count;
	return LA_OK;
}

void la__result_fail(la__result *result, int status)
{
	result->status = status;
	result->has_batchref = 0;
	la__free(result->error);
	result->error = la__strdup(la_error_last()); /* NULL when out of memory: "" is read */
}

void la__results_free(la_bus *bus)
{
	for (size_t i = 0; i < bus->result_count; i++)
		clear(&bus->results[i]);
	la__free(bus->results);
	bus->results = NULL;
	bus->result_count = bus->result_capacity = 0;
}

static const la__result *result_at(const la_bus *bus, size_t index)
{
	return bus && index < bus->result_count ? &bus->results[index] : NULL;
}

size_t la_bus_result_count(const la_bus *bus)
{
	return bus ? bus->result_count : 0;
}

int la_bus_result_status(const la_bus *bus, size_t index)
{
	const la__result *r = result_at(bus, index);
	return r ? r->status : LA_EINVAL;
}

const char *la_bus_result_batchref_at(const la_bus *bus, size_t index)
{
	const la__result *r = result_at(bus, index);
	return r && r->status == LA_OK && r->has_batchref ? r->batchref : NULL;
}

const char *la_bus_result_error(const la_bus *bus, size_t index)
{
	const la__result *r = result_at(bus, index);
	if (!r)
		return NULL;
	return r->status == LA_OK ? "" : r->error ? r->error : "";
}

const char *la_bus_result_batchref(const la_bus *bus)
{
	return bus && bus->result_count == 1 ? la_bus_result_batchref_at(bus, 0) : NULL;
}
