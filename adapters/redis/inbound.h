/* Inbound messages (spec §4): channel + JSON → a command and its id. */
#ifndef REDIS_INBOUND_H
#define REDIS_INBOUND_H

#include <allocation/messages.h>

#include <stddef.h>

#define REDIS_INBOUND_COUNT 5
/* batch_created, change_batch_quantity, allocation_required, batch_cancelled,
 * order_allocation_required (a whole order: {"orderid","lines":[{"sku","qty"}]}) */
extern const char *const redis_inbound_channels[REDIS_INBOUND_COUNT];

/*
 * The command carried by json (len bytes) received on channel. *out_id is
 * the message's de-duplication key (free()): its "id" scoped by channel and
 * JSON type, "<channel>:<id as JSON>" (batch_created:5, batch_created:"5"),
 * or NULL when it has none.
 * LA_EINVAL with a message naming the problem when the message is malformed.
 */
int redis_inbound_parse(la_message **out, char **out_id, const char *channel, const char *json,
                        size_t len);

/*
 * The same for a stream entry: a "json" field holding the message, or flat
 * fields (names[i] = values[i], e.g. batchref=b1 qty=5) read as a JSON object
 * whose "qty" is an integer and whose "eta" is null when empty.
 */
int redis_inbound_parse_fields(la_message **out, char **out_id, const char *channel,
                               const char *const *names, const char *const *values,
                               const size_t *value_lens, size_t count);

#endif
