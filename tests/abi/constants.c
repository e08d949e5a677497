/* The numbers of the public enums and flags are ABI: bindings (ctypes) and
 * programs built against 1.0 hard-code them, and abidiff cannot see enums
 * that no function signature names. Renumbering one fails this build. */
#include <allocation/allocation.h>
#include <allocation/sys/ports.h>
#include <stdio.h>

#define PINNED(name, value) _Static_assert((name) == (value), #name " is ABI: never renumber it");

PINNED(LA_OK, 0)
PINNED(LA_EINVAL, -1)
PINNED(LA_ENOTFOUND, -2)
PINNED(LA_ECONFLICT, -3)
PINNED(LA_EUNSUPPORTED, -4)
PINNED(LA_ENOMEM, -5)
PINNED(LA_EDB, -6)
PINNED(LA_EIO, -7)
PINNED(LA_EUSER, -8)
PINNED(LA_ESTATE, -9)
PINNED(LA_LOG_ERROR, 1)
PINNED(LA_LOG_WARN, 2)
PINNED(LA_LOG_INFO, 3)
PINNED(LA_LOG_DEBUG, 4)
PINNED(LA_CMD_CREATE_BATCH, 1)
PINNED(LA_CMD_ALLOCATE, 2)
PINNED(LA_CMD_DEALLOCATE, 3)
PINNED(LA_CMD_CHANGE_BATCH_QUANTITY, 4)
PINNED(LA_CMD_CANCEL_BATCH, 5)
PINNED(LA_EVT_ALLOCATED, 101)
PINNED(LA_EVT_DEALLOCATED, 102)
PINNED(LA_EVT_OUT_OF_STOCK, 103)
PINNED(LA_REASON_REQUESTED, 1)
PINNED(LA_REASON_STOCK_REDUCED, 2)
PINNED(LA_CHANGE_BATCH_ADDED, 1)
PINNED(LA_CHANGE_BATCH_QUANTITY, 2)
PINNED(LA_CHANGE_BATCH_REMOVED, 3)
PINNED(LA_CHANGE_LINE_ALLOCATED, 4)
PINNED(LA_CHANGE_LINE_DEALLOCATED, 5)
PINNED(LA_STORE_OUTBOX, 0x1u)
/* A struct version only grows: a member added at the end raises it. */
#define GROWS_FROM(name, value)                                                                    \
	_Static_assert((name) >= (value), #name " only grows: it must never go back");
GROWS_FROM(LA_BUS_OPTIONS_VERSION, 1)
GROWS_FROM(LA_STORE_PORT_VERSION, 2)

int main(void)
{
	/* the run-time library agrees with the headers it was built from */
	int major, minor, patch;
	la_version_numbers(&major, &minor, &patch);
	int ok =
	    major == LA_VERSION_MAJOR && minor == LA_VERSION_MINOR && patch == LA_VERSION_PATCH;
	printf("constants pinned at compile time; version %d.%d.%d: %d passed, %d failed\n", major,
	       minor, patch, ok, !ok);
	return ok ? 0 : 1;
}
