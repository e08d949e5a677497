/*
 * allocation-server — command-line flags and their environment fallbacks.
 */
#ifndef SERVER_OPTIONS_H
#define SERVER_OPTIONS_H

#include <stdio.h>

#define SERVER_DEFAULT_LISTEN    "127.0.0.1:5005"
#define SERVER_DEFAULT_DB        "sqlite:allocation.db"
#define SERVER_DEFAULT_NOTIFY_TO "stock@made.com"
/* A service under contention should try harder than the library's default
 * (10) before answering 409: 30 retries wait at most about a second. */
#define SERVER_DEFAULT_RETRIES      30
#define SERVER_DEFAULT_RETRIES_TEXT "30"

struct server_options {
	const char *listen;    /* HOST:PORT */
	const char *db;        /* store URL */
	const char *smtp;      /* smtp:// URL, or NULL: no e-mail */
	const char *notify_to; /* destination of notifications */
	int notify_out_of_stock;
	int notify_allocated;
	const char *redis;    /* redis:// URL, or NULL */
	int redis_streams;    /* 1: --redis-mode streams */
	unsigned int threads; /* HTTP worker threads */
	unsigned int retries; /* bus retries of conflicted commands */
	int retries_given;
	int quiet; /* no per-request log lines */
};

/* Outcome of parsing: run, exit 0 (--help), or exit 2 (usage error). */
enum options_result { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_EXIT_USAGE };

/* Fill opts from argv, then the environment, then the defaults. Messages go to err. */
enum options_result options_parse(struct server_options *opts, int argc, char **argv, FILE *out,
                                  FILE *err);

/* Worker threads when --threads is not given, for a store adapter name. */
unsigned int options_default_threads(const char *adapter);

#endif
