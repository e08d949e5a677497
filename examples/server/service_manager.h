/*
 * allocation-server — telling systemd (Type=notify) that the service is
 * ready or stopping. Without libsystemd at build time, or without
 * NOTIFY_SOCKET at run time, these do nothing.
 */
#ifndef SERVER_SERVICE_MANAGER_H
#define SERVER_SERVICE_MANAGER_H

/* The port is bound and requests are answered: READY=1. */
void service_manager_ready(void);

/* Shutdown began: STOPPING=1. */
void service_manager_stopping(void);

#endif
