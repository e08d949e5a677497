/* The service-layer suite's store factory for the in-memory adapter. */
#include "store_factory.h"

int test_store_open(la_store **out)
{
	return la_memory_store_new(out);
}

int test_store_reopen(la_store **out, la_store *store)
{
	/* Each memory store is its own data; there is no second connection. */
	(void)store;
	*out = NULL;
	return LA_EUNSUPPORTED;
}

const char *test_store_name(void)
{
	return "memory";
}
