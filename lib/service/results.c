/* Results of the commands of the last la_bus_handle / la_bus_handle_many:
 * each command's status, the batch an Allocate chose, the message of a
 * failure. Kept by the bus until its next call. */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../util/alloc.h"

#include <string.h>

void la__result_clear(la__result *r)
{
	la__free(r->error);
	for (size_t i = 0; i < r->line_count; i++) {
		la__free(r->lines[i].sku);
		la__free(r->lines[i].batchref);
	}
	la__free(r->lines);
	memset(r, 0, sizeof *r);
}

int la__result_lines(la__result *result, size_t count)
{
	if (!count)
		return LA_OK;
	result->lines = la__calloc(count, sizeof *result->lines);
	if (!result->lines)
		return la__error_nomem();
	result->line_count = count;
	return LA_OK;
}

int la__result_set_line(la__result *result, size_t i, const char *sku, const char *batchref,
                        int is_short)
{
	la__result_line *line = &result->lines[i];
	line->sku = la__strdup(sku);
	line->batchref = batchref ? la__strdup(batchref) : NULL;
	line->is_short = is_short;
	if (!line->sku || (batchref && !line->batchref))
		return la__error_nomem();
	return LA_OK;
}

int la__results_reset(la_bus *bus, size_t count)
{
	for (size_t i = 0; i < bus->result_count; i++)
		la__result_clear(&bus->results[i]);
	bus->result_count = 0;
	if (la__grow((void **)&bus->results, &bus->result_capacity, count, sizeof *bus->results) !=
	    LA_OK)
		return la__error_nomem();
	if (count) /* (memset of a NULL array is undefined even for 0 bytes) */
		memset(bus->results, 0, count * sizeof *bus->results);
	bus->result_count = count;
	return LA_OK;
}

int la__results_reserve(la_bus *bus, size_t capacity)
{
	if (la__grow((void **)&bus->results, &bus->result_capacity, capacity,
	             sizeof *bus->results) != LA_OK)
		return la__error_nomem();
	return LA_OK;
}

void la__result_fail(la__result *result, int status)
{
	result->status = status;
	result->has_batchref = 0;
	result->outcome = LA_OUTCOME_DONE;
	la__free(result->error);
	result->error = la__strdup(la_error_last()); /* NULL when out of memory: "" is read */
}

void la__results_free(la_bus *bus)
{
	for (size_t i = 0; i < bus->result_count; i++)
		la__result_clear(&bus->results[i]);
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

int la_bus_result_outcome(const la_bus *bus, size_t index)
{
	const la__result *r = result_at(bus, index);
	return r && r->status == LA_OK ? r->outcome : LA_OUTCOME_DONE;
}

static const la__result_line *line_at(const la_bus *bus, size_t index, size_t line)
{
	const la__result *r = result_at(bus, index);
	return r && line < r->line_count ? &r->lines[line] : NULL;
}

size_t la_bus_result_line_count(const la_bus *bus, size_t index)
{
	const la__result *r = result_at(bus, index);
	return r ? r->line_count : 0;
}

const char *la_bus_result_line_sku(const la_bus *bus, size_t index, size_t line)
{
	const la__result_line *l = line_at(bus, index, line);
	return l ? l->sku : NULL;
}

const char *la_bus_result_line_batchref(const la_bus *bus, size_t index, size_t line)
{
	const la__result_line *l = line_at(bus, index, line);
	return l ? l->batchref : NULL;
}

int la_bus_result_line_short(const la_bus *bus, size_t index, size_t line)
{
	const la__result_line *l = line_at(bus, index, line);
	return l ? l->is_short : 0;
}
