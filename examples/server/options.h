/*
 * allocation-server — configuration: command-line flags, their environment
 * variables and a --config file of "key = value" lines.
 */
#ifndef SERVER_OPTIONS_H
#define SERVER_OPTIONS_H

#include <stdio.h>

struct la_policy;

#define SERVER_DEFAULT_LISTEN    "127.0.0.1:5005"
#define SERVER_DEFAULT_DB        "sqlite:allocation.db"
#define SERVER_DEFAULT_NOTIFY_TO "stock@made.com"
/* A service under contention should try harder than the library's default
 * (10) before answering 409: 30 retries wait at most about a second. */
#define SERVER_DEFAULT_RETRIES 30
/* Connections one client address may hold at once (0: no limit). */
#define SERVER_DEFAULT_PER_IP 64
/* Seconds a connection has to send a whole request (headers and body),
 * counted from its start or from the end of its previous reply. */
#define SERVER_DEFAULT_REQUEST_TIMEOUT 10

struct server_options {
	const char *listen;    /* HOST:PORT, or :PORT for every interface */
	const char *db;        /* store URL */
	const char *smtp;      /* smtp:// URL, or NULL: no e-mail */
	const char *notify_to; /* destination of notifications */
	int notify_out_of_stock;
	int notify_allocated;
	const char *redis;    /* redis:// URL, or NULL */
	int redis_streams;    /* 1: --redis-mode streams */
	unsigned int threads; /* HTTP worker threads; 0: by the store's kind */
	unsigned int writers; /* write pipeline threads; 0: by the store's kind */
	unsigned int retries; /* bus retries of conflicted commands */
	int quiet;            /* no access log */
	int backorders;       /* --backorders: LA_BUS_BACKORDERS */
	int log_json;         /* --log-format json */
	const char *auth_token_file;
	const char *tls_cert; /* PEM files, both or neither */
	const char *tls_key;
	const char *allowed_hosts; /* comma list of extra Host names, or NULL */
	unsigned int max_connections_per_ip;
	unsigned int request_timeout; /* seconds */
	const char *config;           /* the --config file read, or NULL */
	char *owned_config;           /* storage of strings read from the config file */
	char *owned_hosts;            /* repeated --allowed-host flags, joined */

	const struct la_policy *policy; /* the built-in named by --policy */
};

/* Outcome of parsing: run, exit 0 (--help, --version), or exit 2 (usage error). */
enum options_result { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_EXIT_USAGE };

/* Fill opts: each setting from its flag, else its environment variable, else
 * the --config file, else the default. Messages go to err. */
enum options_result options_parse(struct server_options *opts, int argc, char **argv, FILE *out,
                                  FILE *err);

/* Free what options_parse allocated. */
void options_free(struct server_options *opts);

/* Worker threads when --threads is not given, for a store adapter name. */
unsigned int options_default_threads(const char *adapter);

/* Writer threads when --writers is not given, for a store adapter name. */
unsigned int options_default_writers(const char *adapter);

#endif
