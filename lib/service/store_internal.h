#ifndef LA_SERVICE_STORE_INTERNAL_H
#define LA_SERVICE_STORE_INTERNAL_H

#include <allocation/sys/ports.h>

struct la_store {
	const la_store_port *port;
	void *state;
};

#endif
