/*
 * allocation-server — e-mail notifications sent off the request path.
 *
 * The bus calls notifier_notify (a la_notify_fn) inside a request; it only
 * queues a copy of the message, and one sender thread delivers the queue in
 * order through liballocation-smtp. A slow or unreachable SMTP server thus
 * never holds up an HTTP reply; a failed send is logged.
 */
#ifndef SERVER_NOTIFIER_H
#define SERVER_NOTIFIER_H

#include <stddef.h>

struct notifier;

/* Most notifications waiting at once; beyond it new ones are dropped (and logged). */
#define NOTIFIER_QUEUE_MAX 10000

/* Check url (smtp://...) and start the sender thread. LA_OK or a code. */
int notifier_start(struct notifier **out, const char *url);

/* la_notify_fn: queue message for destination. LA_OK, or LA_EIO when the
 * queue is full, LA_ENOMEM. */
int notifier_notify(const char *destination, const char *message, void *notifier);

/* Send what is queued (each send is bounded by the SMTP timeouts), stop the
 * thread, free everything. NULL is fine. */
void notifier_stop(struct notifier *notifier);

/* Notifications sent and failed so far, and waiting now. */
void notifier_stats(struct notifier *notifier, size_t *sent, size_t *failed, size_t *queued);

#endif
