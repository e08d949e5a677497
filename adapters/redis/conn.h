/* Connections to Redis over hiredis: connect, commands, waiting for replies. */
#ifndef REDIS_CONN_H
#define REDIS_CONN_H

#include "endpoint.h"
#include "waker.h"

#include <hiredis/hiredis.h>

#include <stddef.h>

/* Connect to ep with connect/command timeouts of timeout_ms, then AUTH and
 * SELECT as the URL says. LA_EIO (message set) when that fails. */
int redis_conn_open(redisContext **out, const redis_endpoint *ep, int timeout_ms);

/* Run one command and return its reply (error replies included), or NULL
 * with LA_EIO set when the connection broke (free the context then). */
redisReply *redis_conn_command(redisContext *c, int argc, const char **argv, const size_t *lens);

/* Queue a command in c's output buffer: REDIS_OK, or REDIS_ERR with c->err
 * set. What redisAppendCommandArgv does, but hiredis 0.14's leaks a
 * buffer when memory runs out half-way (found by oom_redis_test.c). */
int redis_conn_append(redisContext *c, int argc, const char **argv, const size_t *lens);

/* redisGetReply, on a context that hiredis can still use (REDIS_ERR with
 * c->err set when it cannot). */
int redis_conn_get_reply(redisContext *c, void **reply);

/* Queue a command and write it out without waiting for the reply. */
int redis_conn_send(redisContext *c, int argc, const char **argv, const size_t *lens);

/*
 * Wait up to timeout_ms for the next reply while watching w. Returns 1 with
 * *out set, 0 on timeout, poke or stop (the reply may still come), -1 with
 * LA_EIO set when the connection broke.
 */
int redis_conn_read(redisReply **out, redisContext *c, redis_waker *w, int timeout_ms);

/* Non-zero when reply is an error reply starting with prefix (NULL: any). */
int redis_reply_is_error(const redisReply *reply, const char *prefix);

/* Next pause of a capped exponential backoff: min when current is 0. */
int redis_backoff_next(int current_ms, int min_ms, int max_ms);

#endif
