/* The store handle: a port vtable and the adapter's state. */
#include "store_internal.h"

#include "../util/alloc.h"
#include "../common/common_internal.h"

#include <stddef.h>
#include <string.h>

int la_store_new(la_store **out, const la_store_port *port, void *state)
{
	if (!port)
		return la_error_set(LA_EINVAL, "port is NULL");
	if (port->version < 1 || port->version > LA_STORE_PORT_VERSION) {
		if (port->close)
			port->close(state);
		return la_error_set(LA_EUNSUPPORTED, "store port version %u is not supported",
		                    port ? port->version : 0);
	}
	if (!out || !port->begin || !port->commit || !port->rollback || !port->end || !port->add ||
	    !port->get || !port->get_by_batchref || !port->load_line || !port->load_batch_lines ||
	    !port->allocations || !port->batches || !port->close) {
		if (port->close)
			port->close(state);
		return la_error_set(LA_EINVAL, "store port %s lacks a required operation",
		                    port->name ? port->name : "(unnamed)");
	}
	la_store *store = la__malloc(sizeof *store);
	if (!store) {
		port->close(state);
		return la__error_nomem();
	}
	/* Copy only what the adapter's version has: an older port is shorter. */
	size_t size = port->version >= 5   ? sizeof *port
	              : port->version == 4 ? offsetof(la_store_port, prefetch)
	              : port->version == 3 ? offsetof(la_store_port, lines_of_order)
	              : port->version == 2 ? offsetof(la_store_port, outbox_status)
	                                   : offsetof(la_store_port, batch);
	memset(&store->own, 0, sizeof store->own);
	memcpy(&store->own, port, size);
	store->port = &store->own;
	store->state = state;
	*out = store;
	return LA_OK;
}

void la_store_free(la_store *store)
{
	if (!store)
		return;
	store->port->close(store->state);
	la_free(store);
}

const char *la_store_adapter(const la_store *store)
{
	return store && store->port->name ? store->port->name : "unknown";
}

int la_store_has_outbox(const la_store *store)
{
	return store && store->port->relay_outbox != NULL;
}

int la_store_relay_outbox(size_t *out_sent, la_store *store, size_t max, la_publish_fn publish,
                          void *payload)
{
	size_t sent = 0;
	if (out_sent)
		*out_sent = 0;
	if (!store || !publish)
		return la_error_set(LA_EINVAL, "store and publish are required");
	if (!store->port->relay_outbox)
		return la_error_set(LA_EUNSUPPORTED, "the %s store keeps no outbox",
		                    la_store_adapter(store));
	int rc = store->port->relay_outbox(&sent, max, publish, payload, store->state);
	if (out_sent)
		*out_sent = sent;
	return rc;
}

int la_store_outbox_status(la_store *store, size_t *out_pending, double *out_oldest_age_seconds)
{
	size_t pending = 0;
	double age = 0;
	if (out_pending)
		*out_pending = 0;
	if (out_oldest_age_seconds)
		*out_oldest_age_seconds = 0;
	if (!store)
		return la_error_set(LA_EINVAL, "store is required");
	if (!store->port->relay_outbox || !store->port->outbox_status)
		return la_error_set(LA_EUNSUPPORTED, "the %s store %s", la_store_adapter(store),
		                    store->port->relay_outbox ? "cannot tell its outbox backlog"
		                                              : "keeps no outbox");
	int rc = store->port->outbox_status(&pending, &age, store->state);
	if (rc != LA_OK)
		return rc;
	if (out_pending)
		*out_pending = pending;
	if (out_oldest_age_seconds)
		*out_oldest_age_seconds = age < 0 ? 0 : age; /* clocks of two hosts may disagree */
	return LA_OK;
}
