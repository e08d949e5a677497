/*
 * The operators' endpoints: liveness, readiness, metrics and the OpenAPI
 * document (docs/openapi.json, compiled in by CMake as openapi_document).
 */
#include "handlers.h"

#include "metrics.h"
#include "readiness.h"

#include <jansson.h>
#include <stdlib.h>

#define READY_TIMEOUT_MS 1000
#define REPLY_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

extern const char openapi_document[];
extern const size_t openapi_document_length;

static void reply_object(struct reply *r, unsigned int status, json_t *obj)
{
	reply_json_text(r, status, obj ? json_dumps(obj, JSON_COMPACT) : NULL);
	json_decref(obj);
}

void handle_healthz(struct reply *r, const struct request *req)
{
	reply_object(r, 200, json_pack("{s:s}", "status", "ok"));
}

void handle_readyz(struct reply *r, const struct request *req)
{
	char why[160];
	if (readiness_check(READY_TIMEOUT_MS, why, sizeof why))
		reply_object(r, 200, json_pack("{s:s}", "status", "ok"));
	else
		reply_object(r, 503,
		             json_pack("{s:s,s:s}", "status", "unavailable", "message", why));
}

void handle_metrics(struct reply *r, const struct request *req)
{
	size_t length = 0;
	char *text = metrics_render(&length);
	if (!text) {
		reply_message(r, 503, "service unavailable: out of memory");
		return;
	}
	r->status = 200;
	r->content_type = REPLY_PROMETHEUS;
	r->body = text;
	r->length = length;
	r->body_static = 0;
}

void handle_openapi(struct reply *r, const struct request *req)
{
	r->status = 200;
	r->content_type = REPLY_JSON;
	r->body = (char *)openapi_document;
	r->length = openapi_document_length;
	r->body_static = 1;
}
