#include "service_manager.h"

#ifdef SERVER_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void service_manager_ready(void)
{
	sd_notify(0, "READY=1\nSTATUS=serving");
}

void service_manager_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
#else
void service_manager_ready(void)
{
}

void service_manager_stopping(void)
{
}
#endif
