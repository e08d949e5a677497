/*
 * libFuzzer target for what the Redis adapter parses from the outside: the
 * inbound messages (JSON, or a stream entry's flat fields) and Redis URLs.
 * Byte 0 picks the parser and the channel; the rest is the input (for flat
 * fields: name NUL value NUL name NUL value ...).
 */
#include "endpoint.h"
#include "inbound.h"

#include <allocation/allocation.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_command(la_message *m, char *id)
{
	/* a decoded command is a valid one: it survives a round trip through JSON */
	char *json = NULL;

	if (m && la_message_to_json(&json, m, id) != LA_OK)
		abort();
	la_free(json);
	la_message_free(m);
	free(id);
}

static void fuzz_fields(const char *channel, const char *text, size_t len)
{
	const char *names[16], *values[16];
	size_t lens[16], count = 0, pos = 0;
	la_message *m = NULL;
	char *id = NULL;

	while (pos < len && count < 16) {
		const char *name = text + pos, *nul = memchr(name, '\0', len - pos), *value;

		if (!nul || nul + 1 >= text + len)
			break;
		value = nul + 1;
		nul = memchr(value, '\0', (size_t)(text + len - value));
		names[count] = name;
		values[count] = value;
		lens[count] = nul ? (size_t)(nul - value) : (size_t)(text + len - value);
		count++;
		pos = (size_t)(value - text) + lens[count - 1] + 1;
	}
	if (redis_inbound_parse_fields(&m, &id, channel, names, values, lens, count) == LA_OK)
		check_command(m, id);
	else if (m || id)
		abort(); /* a failure hands nothing out */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *channel;
	char *text;
	la_message *m = NULL;
	char *id = NULL;

	if (size < 1)
		return 0;
	channel = redis_inbound_channels[data[0] % REDIS_INBOUND_COUNT];
	text = malloc(size); /* NUL-terminated copy of the rest */
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch ((data[0] / REDIS_INBOUND_COUNT) % 3) {
	case 0:
		if (redis_inbound_parse(&m, &id, channel, text, size - 1) == LA_OK)
			check_command(m, id);
		else if (m || id)
			abort();
		break;
	case 1:
		fuzz_fields(channel, text, size - 1);
		break;
	default: {
		redis_endpoint ep;

		if (redis_endpoint_parse(&ep, text) == LA_OK && !(ep.host || ep.unix_path))
			abort();
		redis_endpoint_clear(&ep);
	}
	}
	free(text);
	return 0;
}
