/* Internal layout of la_message: one allocation holds the struct and its
 * strings, so making and freeing a message costs one malloc and one free. */
#ifndef LA_DOMAIN_MESSAGE_INTERNAL_H
#define LA_DOMAIN_MESSAGE_INTERNAL_H

#include <allocation/messages.h>
#include <allocation/validation.h>

struct la_message {
	int kind;
	int reason;
	int64_t qty;
	const char *orderid;
	const char *sku;
	const char *batchref;
	const char *eta;
	char storage[];
};

/* Build a message from already validated fields (NULL for absent ones). */
int la__message_build(la_message **out, int kind, const char *orderid, const char *sku,
                      const char *batchref, const char *eta, int64_t qty, int reason);

#endif
