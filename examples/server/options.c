/*
 * Flags of allocation-server. Precedence: flag, then environment variable,
 * then default.
 */
#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_LISTEN = 256,
	OPT_DB,
	OPT_SMTP,
	OPT_NOTIFY_TO,
	OPT_NOTIFY_ON,
	OPT_REDIS,
	OPT_REDIS_MODE,
	OPT_THREADS,
	OPT_RETRIES,
	OPT_QUIET,
	OPT_HELP
};

static const struct option long_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"db", required_argument, NULL, OPT_DB},
    {"smtp", required_argument, NULL, OPT_SMTP},
    {"notify-to", required_argument, NULL, OPT_NOTIFY_TO},
    {"notify-on", required_argument, NULL, OPT_NOTIFY_ON},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"redis-mode", required_argument, NULL, OPT_REDIS_MODE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
	        "Usage: %s [OPTION]...\n"
	        "The allocation service over HTTP (see docs/http.md).\n"
	        "\n"
	        "  --listen HOST:PORT    address to listen on (env ALLOCATION_LISTEN;\n"
	        "                        default " SERVER_DEFAULT_LISTEN
	        "; port 0 picks a free one)\n"
	        "  --db URL              store: sqlite:PATH, PATH, sqlite::memory:, memory:,\n"
	        "                        postgresql://... or a libpq conninfo\n"
	        "                        (env ALLOCATION_DB; default " SERVER_DEFAULT_DB ")\n"
	        "  --smtp URL            send notifications by e-mail through this server,\n"
	        "                        e.g. smtp://127.0.0.1:1025 (env ALLOCATION_SMTP;\n"
	        "                        default: no e-mail)\n"
	        "  --notify-to ADDR      destination of notifications "
	        "(default " SERVER_DEFAULT_NOTIFY_TO ")\n"
	        "  --notify-on EVENTS    comma list of out_of_stock, allocated, none\n"
	        "                        (default out_of_stock)\n"
	        "  --redis URL           consume and publish external events over Redis,\n"
	        "                        e.g. redis://127.0.0.1:6379 (transactional outbox)\n"
	        "  --redis-mode MODE     pubsub (default) or streams\n"
	        "  --threads N           HTTP worker threads, each with its own database\n"
	        "                        connection (default: 1 on SQLite, which takes one\n"
	        "                        writer at a time; else 2 per CPU, at least 4)\n"
	        "  --retries N           retries of a command that lost a race with a\n"
	        "                        concurrent change, with growing jittered pauses\n"
	        "                        (0-1000, default " SERVER_DEFAULT_RETRIES_TEXT ")\n"
	        "  --quiet               no log line per request\n"
	        "  --help                show this help and exit\n"
	        "\n"
	        "SIGINT or SIGTERM stops accepting connections, finishes the requests in\n"
	        "flight and exits 0.\n",
	        prog);
}

static int parse_notify_on(struct server_options *opts, const char *list, FILE *err)
{
	char *copy = strdup(list);
	if (!copy)
		return -1;
	opts->notify_out_of_stock = 0;
	opts->notify_allocated = 0;
	int rc = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "out_of_stock") == 0)
			opts->notify_out_of_stock = 1;
		else if (strcmp(tok, "allocated") == 0)
			opts->notify_allocated = 1;
		else if (strcmp(tok, "none") != 0) {
			fprintf(err,
			        "allocation-server: --notify-on: unknown event '%s' "
			        "(out_of_stock, allocated, none)\n",
			        tok);
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

static int parse_count(unsigned int *out, const char *text, long min, long max, const char *flag,
                       FILE *err)
{
	char *end;
	long n = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || n < min || n > max) {
		fprintf(err, "allocation-server: %s must be %ld-%ld, not '%s'\n", flag, min, max,
		        text);
		return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

unsigned int options_default_threads(const char *adapter)
{
	/* SQLite takes one writer at a time: several threads only queue on its
	 * lock (sleeping in its busy handler), which costs more than it gains on
	 * a small machine. Client-server databases wait on the network and the
	 * disk, so more threads than CPUs pay off. */
	if (adapter && strcmp(adapter, "sqlite") == 0)
		return 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long n = cpus > 0 ? 2 * cpus : 4;
	return (unsigned int)(n < 4 ? 4 : n > 64 ? 64 : n);
}

static const char *env_or(const char *value, const char *name, const char *fallback)
{
	if (value)
		return value;
	const char *env = getenv(name);
	return env && *env ? env : fallback;
}

enum options_result options_parse(struct server_options *opts, int argc, char **argv, FILE *out,
                                  FILE *err)
{
	const char *prog = argc > 0 ? argv[0] : "allocation-server";
	memset(opts, 0, sizeof *opts);
	opts->notify_out_of_stock = 1;
	opts->notify_to = SERVER_DEFAULT_NOTIFY_TO;

	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			opts->listen = optarg;
			break;
		case OPT_DB:
			opts->db = optarg;
			break;
		case OPT_SMTP:
			opts->smtp = optarg;
			break;
		case OPT_NOTIFY_TO:
			opts->notify_to = optarg;
			break;
		case OPT_NOTIFY_ON:
			if (parse_notify_on(opts, optarg, err) != 0)
				return OPTIONS_EXIT_USAGE;
			break;
		case OPT_REDIS:
			opts->redis = optarg;
			break;
		case OPT_REDIS_MODE:
			if (strcmp(optarg, "pubsub") == 0)
				opts->redis_streams = 0;
			else if (strcmp(optarg, "streams") == 0)
				opts->redis_streams = 1;
			else {
				fprintf(err,
				        "allocation-server: --redis-mode must be pubsub or "
				        "streams, not '%s'\n",
				        optarg);
				return OPTIONS_EXIT_USAGE;
			}
			break;
		case OPT_THREADS:
			if (parse_count(&opts->threads, optarg, 1, 256, "--threads", err) != 0)
				return OPTIONS_EXIT_USAGE;
			break;
		case OPT_RETRIES:
			if (parse_count(&opts->retries, optarg, 0, 1000, "--retries", err) != 0)
				return OPTIONS_EXIT_USAGE;
			opts->retries_given = 1;
			break;
		case OPT_QUIET:
			opts->quiet = 1;
			break;
		case OPT_HELP:
			usage(out, prog);
			return OPTIONS_EXIT_OK;
		default:
			fprintf(err, "allocation-server: unknown or incomplete option '%s'\n",
			        argv[optind - 1]);
			fprintf(err, "Try '%s --help'.\n", prog);
			return OPTIONS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "allocation-server: unexpected argument '%s'\nTry '%s --help'.\n",
		        argv[optind], prog);
		return OPTIONS_EXIT_USAGE;
	}
	if (!opts->retries_given)
		opts->retries = SERVER_DEFAULT_RETRIES;
	opts->listen = env_or(opts->listen, "ALLOCATION_LISTEN", SERVER_DEFAULT_LISTEN);
	opts->db = env_or(opts->db, "ALLOCATION_DB", SERVER_DEFAULT_DB);
	opts->smtp = env_or(opts->smtp, "ALLOCATION_SMTP", NULL);
	return OPTIONS_RUN;
}
