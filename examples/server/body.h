/*
 * allocation-server — reading a JSON request body (spec §3): an object whose
 * fields have the right types, strings of 1-255 bytes of UTF-8, quantities
 * in range, dates as YYYY-MM-DD. Each failure fills a reply with a 4xx and a
 * message naming the problem.
 */
#ifndef SERVER_BODY_H
#define SERVER_BODY_H

#include "reply.h"

#include <jansson.h>
#include <stdint.h>

/* Largest accepted body (larger: 413). */
#define BODY_MAX_BYTES 65536 /* 64 KiB */
/* Largest quantity accepted; keeps every sum far from int64 overflow. */
#define BODY_QTY_MAX INT64_C(1000000000000)

/* Parse data as a JSON object. NULL with *r filled on failure. */
json_t *body_parse(struct reply *r, const char *data, size_t length);

/* Required string field (borrowed from obj). Non-zero with *r filled on failure. */
int body_string(const char **out, struct reply *r, json_t *obj, const char *field);

/* Required integer field with min <= value <= BODY_QTY_MAX. */
int body_qty(int64_t *out, struct reply *r, json_t *obj, const char *field, int64_t min);

/* The same, naming the field label in messages (e.g. "lines[2].sku"). */
int body_string_as(const char **out, struct reply *r, json_t *obj, const char *field,
                   const char *label);
int body_qty_as(int64_t *out, struct reply *r, json_t *obj, const char *field, int64_t min,
                const char *label);

/* Optional hold in seconds: absent → 0; else an integer 1-LA_HOLD_MAX_SECONDS. */
int body_hold(int64_t *out, struct reply *r, json_t *obj, const char *field);

/* Optional date field: absent or null → NULL; else "YYYY-MM-DD", a real date. */
int body_date(const char **out, struct reply *r, json_t *obj, const char *field);

#endif
