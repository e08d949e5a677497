/* tests/support/corrupt.h for the memory store: its data lives only in the
 * library's own structures, which no raw access can reach. */
#include "corrupt.h"

int test_corrupt(la_store *store, enum test_corruption what)
{
	(void)store;
	(void)what;
	return LA_EUNSUPPORTED;
}
