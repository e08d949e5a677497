#ifndef LA_SERVICE_STORE_INTERNAL_H
#define LA_SERVICE_STORE_INTERNAL_H

#include <allocation/sys/ports.h>

struct la_store {
	const la_store_port *port; /* &own: every member of this version, NULL where unset */
	la_store_port own;         /* the adapter's port, copied up to its own version */
	void *state;
};

#endif
