/*
 * A FIFO of notifications and the thread that sends them. The lock guards
 * only the queue (a push or a pop), never a send.
 */
#include "notifier.h"

#include "log.h"

#include <allocation/smtp.h>
#include <allocation/sys/errors.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct note {
	struct note *next;
	char *destination;
	char *message;
};

struct notifier {
	la_smtp *smtp;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct note *head;
	struct note *tail;
	size_t queued;
	size_t sent;
	size_t failed;
	int stopping;
};

static void note_free(struct note *n)
{
	free(n->destination);
	free(n->message);
	free(n);
}

static void *sender_main(void *arg)
{
	struct notifier *nf = arg;
	pthread_mutex_lock(&nf->lock);
	for (;;) {
		while (!nf->head && !nf->stopping)
			pthread_cond_wait(&nf->wake, &nf->lock);
		struct note *n = nf->head;
		if (!n)
			break; /* stopping and drained */
		nf->head = n->next;
		if (!nf->head)
			nf->tail = NULL;
		nf->queued--;
		pthread_mutex_unlock(&nf->lock);
		int rc = la_smtp_notify(n->destination, n->message, nf->smtp);
		if (rc != LA_OK)
			log_message(LA_LOG_WARN, "e-mail to %s not sent: %s", n->destination,
			            la_error_last());
		note_free(n);
		pthread_mutex_lock(&nf->lock);
		if (rc == LA_OK)
			nf->sent++;
		else
			nf->failed++;
		if (rc != LA_OK && nf->stopping)
			break; /* shutting down and the server is failing: don't wait on each */
	}
	size_t dropped = 0;
	for (struct note *n = nf->head, *next; n; n = next) {
		next = n->next;
		note_free(n);
		dropped++;
	}
	nf->head = nf->tail = NULL;
	nf->failed += dropped;
	pthread_mutex_unlock(&nf->lock);
	if (dropped)
		log_message(LA_LOG_WARN, "%zu e-mail%s not sent at shutdown", dropped,
		            dropped == 1 ? "" : "s");
	return NULL;
}

int notifier_start(struct notifier **out, const char *url)
{
	struct notifier *nf = calloc(1, sizeof *nf);
	if (!nf)
		return la_error_set(LA_ENOMEM, "out of memory");
	int rc = la_smtp_new(&nf->smtp, url, NULL);
	if (rc != LA_OK) {
		free(nf);
		return rc;
	}
	pthread_mutex_init(&nf->lock, NULL);
	pthread_cond_init(&nf->wake, NULL);
	if (pthread_create(&nf->thread, NULL, sender_main, nf) != 0) {
		pthread_cond_destroy(&nf->wake);
		pthread_mutex_destroy(&nf->lock);
		la_smtp_free(nf->smtp);
		free(nf);
		return la_error_set(LA_ENOMEM, "cannot start the e-mail thread");
	}
	*out = nf;
	return LA_OK;
}

int notifier_notify(const char *destination, const char *message, void *arg)
{
	struct notifier *nf = arg;
	if (!destination || !message)
		return la_error_set(LA_EINVAL, "notification without destination or message");
	struct note *n = calloc(1, sizeof *n);
	if (n) {
		n->destination = strdup(destination);
		n->message = strdup(message);
	}
	if (!n || !n->destination || !n->message) {
		if (n)
			note_free(n);
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&nf->lock);
	if (nf->queued >= NOTIFIER_QUEUE_MAX) {
		nf->failed++;
		pthread_mutex_unlock(&nf->lock);
		note_free(n);
		return la_error_set(LA_EIO, "e-mail queue full (%d waiting): notification dropped",
		                    NOTIFIER_QUEUE_MAX);
	}
	if (nf->tail)
		nf->tail->next = n;
	else
		nf->head = n;
	nf->tail = n;
	nf->queued++;
	pthread_cond_signal(&nf->wake);
	pthread_mutex_unlock(&nf->lock);
	return LA_OK;
}

void notifier_stats(struct notifier *nf, size_t *sent, size_t *failed, size_t *queued)
{
	pthread_mutex_lock(&nf->lock);
	*sent = nf->sent;
	*failed = nf->failed;
	*queued = nf->queued;
	pthread_mutex_unlock(&nf->lock);
}

void notifier_stop(struct notifier *nf)
{
	if (!nf)
		return;
	pthread_mutex_lock(&nf->lock);
	nf->stopping = 1;
	pthread_cond_signal(&nf->wake);
	pthread_mutex_unlock(&nf->lock);
	pthread_join(nf->thread, NULL);
	pthread_cond_destroy(&nf->wake);
	pthread_mutex_destroy(&nf->lock);
	la_smtp_free(nf->smtp);
	free(nf);
}
