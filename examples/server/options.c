/*
 * Settings of allocation-server. Each has a flag, an environment variable
 * and a key of the --config file; precedence: flag, then environment, then
 * file, then default (so a unit's Environment= or an env file overrides the
 * shared file, and a command line overrides both).
 */
#include "options.h"

#include <allocation/allocation.h>
#include <allocation/sys/errors.h>
#include <microhttpd.h>

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES 65536 /* 64 KiB */

enum setting_id {
	S_LISTEN,
	S_DB,
	S_SMTP,
	S_NOTIFY_TO,
	S_NOTIFY_ON,
	S_REDIS,
	S_REDIS_MODE,
	S_THREADS,
	S_WRITERS,
	S_RETRIES,
	S_QUIET,
	S_LOG_FORMAT,
	S_AUTH_TOKEN_FILE,
	S_TLS_CERT,
	S_TLS_KEY,
	S_ALLOWED_HOST,
	S_PER_IP,
	S_REQUEST_TIMEOUT,
	S_BACKORDERS,
	S_POLICY,
	S_COUNT,
	/* flags that are not settings */
	S_CONFIG = S_COUNT,
	S_HELP,
	S_VERSION,
	S_PRINT_CONFIG
};

struct setting {
	const char *name; /* flag without "--", and key in the config file */
	const char *env;
	int has_arg; /* 0: a switch (on when given) */
	int repeat;  /* given several times: joined with commas */
};

static const struct setting settings[S_COUNT] = {
    [S_LISTEN] = {"listen", "ALLOCATION_LISTEN", 1, 0},
    [S_DB] = {"db", "ALLOCATION_DB", 1, 0},
    [S_SMTP] = {"smtp", "ALLOCATION_SMTP", 1, 0},
    [S_NOTIFY_TO] = {"notify-to", "ALLOCATION_NOTIFY_TO", 1, 0},
    [S_NOTIFY_ON] = {"notify-on", "ALLOCATION_NOTIFY_ON", 1, 0},
    [S_REDIS] = {"redis", "ALLOCATION_REDIS", 1, 0},
    [S_REDIS_MODE] = {"redis-mode", "ALLOCATION_REDIS_MODE", 1, 0},
    [S_THREADS] = {"threads", "ALLOCATION_THREADS", 1, 0},
    [S_WRITERS] = {"writers", "ALLOCATION_WRITERS", 1, 0},
    [S_RETRIES] = {"retries", "ALLOCATION_RETRIES", 1, 0},
    [S_QUIET] = {"quiet", "ALLOCATION_QUIET", 0, 0},
    [S_LOG_FORMAT] = {"log-format", "ALLOCATION_LOG_FORMAT", 1, 0},
    [S_AUTH_TOKEN_FILE] = {"auth-token-file", "ALLOCATION_AUTH_TOKEN_FILE", 1, 0},
    [S_TLS_CERT] = {"tls-cert", "ALLOCATION_TLS_CERT", 1, 0},
    [S_TLS_KEY] = {"tls-key", "ALLOCATION_TLS_KEY", 1, 0},
    [S_ALLOWED_HOST] = {"allowed-host", "ALLOCATION_ALLOWED_HOSTS", 1, 1},
    [S_PER_IP] = {"max-connections-per-ip", "ALLOCATION_MAX_CONNECTIONS_PER_IP", 1, 0},
    [S_REQUEST_TIMEOUT] = {"request-timeout", "ALLOCATION_REQUEST_TIMEOUT", 1, 0},
    [S_BACKORDERS] = {"backorders", "ALLOCATION_BACKORDERS", 0, 0},
    [S_POLICY] = {"policy", "ALLOCATION_POLICY", 1, 0},
};

/* A setting's chosen text and where it came from (for messages). */
struct choice {
	const char *text;
	char origin[300]; /* "--retries", "ALLOCATION_RETRIES", "FILE:LINE: retries" */
};

static void usage(FILE *out, const char *prog)
{
	(void)fprintf(
	    out,
	    "Usage: %s [OPTION]...\n"
	    "The allocation service over HTTP (see docs/http.md, man allocation-server).\n"
	    "Every option can also be set by the environment variable in brackets, or in\n"
	    "the --config file as \"name = value\" (name without the dashes); a flag wins\n"
	    "over the environment, which wins over the file.\n"
	    "\n"
	    "  --listen HOST:PORT    address to listen on [ALLOCATION_LISTEN]\n"
	    "                        (default " SERVER_DEFAULT_LISTEN ": this machine only);\n"
	    "                        :PORT or 0.0.0.0:PORT listens on EVERY interface,\n"
	    "                        [::]:PORT on every IPv6 one; port 0 picks a free one\n"
	    "  --db URL              store: sqlite:PATH, PATH, sqlite::memory:, memory:,\n"
	    "                        postgresql://... or a libpq conninfo [ALLOCATION_DB]\n"
	    "                        (default " SERVER_DEFAULT_DB ")\n"
	    "  --smtp URL            send notifications by e-mail through this server,\n"
	    "                        e.g. smtp://127.0.0.1:1025 [ALLOCATION_SMTP]\n"
	    "                        (default: no e-mail)\n"
	    "  --notify-to ADDR      destination of notifications [ALLOCATION_NOTIFY_TO]\n"
	    "                        (default " SERVER_DEFAULT_NOTIFY_TO ")\n"
	    "  --notify-on EVENTS    comma list of out_of_stock, allocated, none\n"
	    "                        [ALLOCATION_NOTIFY_ON] (default out_of_stock)\n"
	    "  --redis URL           consume and publish external events over Redis,\n"
	    "                        e.g. redis://127.0.0.1:6379 [ALLOCATION_REDIS]\n"
	    "  --redis-mode MODE     pubsub (default) or streams [ALLOCATION_REDIS_MODE]\n"
	    "  --threads N           HTTP threads: they parse requests and answer reads,\n"
	    "                        each with its own database connection\n"
	    "                        [ALLOCATION_THREADS] (default: 2 per CPU, at least 4)\n"
	    "  --writers N           write pipeline threads: each runs the commands\n"
	    "                        waiting for it as one transaction, commands for one\n"
	    "                        sku always in the same writer [ALLOCATION_WRITERS]\n"
	    "                        (default: 1 on SQLite, which takes one writer at a\n"
	    "                        time, and in memory; 4 on PostgreSQL)\n"
	    "  --retries N           retries of a command that lost a race with a\n"
	    "                        concurrent change, with growing jittered pauses\n"
	    "                        (0-1000, default %d) [ALLOCATION_RETRIES]\n"
	    "  --auth-token-file PATH  require \"Authorization: Bearer TOKEN\" on every\n"
	    "                        endpoint but /healthz; TOKEN is the file's first\n"
	    "                        line; the file must not be readable by others\n"
	    "                        [ALLOCATION_AUTH_TOKEN_FILE]\n"
	    "  --tls-cert PATH       serve HTTPS with this PEM certificate (chain)\n"
	    "                        [ALLOCATION_TLS_CERT]\n"
	    "  --tls-key PATH        and this PEM private key [ALLOCATION_TLS_KEY]\n"
	    "  --allowed-host NAME   also accept requests whose Host header names NAME\n"
	    "                        (repeatable; env: comma list) [ALLOCATION_ALLOWED_HOSTS];\n"
	    "                        other names are answered 421\n"
	    "  --max-connections-per-ip N  connections one client address may hold\n"
	    "                        (0: no limit; default %d)\n"
	    "                        [ALLOCATION_MAX_CONNECTIONS_PER_IP]\n"
	    "  --request-timeout S   seconds a connection has to send a whole request,\n"
	    "                        headers and body (1-3600, default %d)\n"
	    "                        [ALLOCATION_REQUEST_TIMEOUT]\n"
	    "  --policy NAME         the rule that chooses a line's batch: book (default:\n"
	    "                        in stock first, then earliest ETA) or latest-in-time\n"
	    "                        (the latest batch that arrives by the line's promise\n"
	    "                        date) [ALLOCATION_POLICY]\n"
	    "  --log-format FORMAT   plain (default) or json: one JSON object per line\n"
	    "                        [ALLOCATION_LOG_FORMAT]\n"
	    "  --backorders          a line that finds no stock waits for it (first come,\n"
	    "                        first served) instead of being dropped\n"
	    "                        [ALLOCATION_BACKORDERS=1]\n"
	    "  --quiet               no access log line per request [ALLOCATION_QUIET=1]\n"
	    "  --config FILE         read settings from FILE [ALLOCATION_CONFIG]\n"
	    "  --print-config        print each setting, its value and its source, and exit\n"
	    "                        (passwords in URLs shown as ***)\n"
	    "  --version             print the version and exit\n"
	    "  --help                show this help and exit\n"
	    "\n"
	    "SIGINT or SIGTERM stops accepting connections, finishes the requests in\n"
	    "flight and exits 0. Exit status 2: a usage error; 1: could not start.\n",
	    prog, SERVER_DEFAULT_RETRIES, SERVER_DEFAULT_PER_IP, SERVER_DEFAULT_REQUEST_TIMEOUT);
}

static void version(FILE *out)
{
	(void)fprintf(out, "allocation-server %s (liballocation %s, libmicrohttpd %s)\n",
	              SERVER_VERSION, la_version(), MHD_get_version());
}

static int parse_notify_on(struct server_options *opts, const char *list, const char *origin,
                           FILE *err)
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
			(void)fprintf(err,
			              "allocation-server: %s: unknown event '%s' "
			              "(out_of_stock, allocated, none)\n",
			              origin, tok);
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

static int parse_count(unsigned int *out, const char *text, long min, long max, const char *origin,
                       FILE *err)
{
	char *end;
	long n = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || n < min || n > max) {
		(void)fprintf(err, "allocation-server: %s must be %ld-%ld, not '%s'\n", origin, min,
		              max, text);
		return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

static int parse_switch(int *out, const char *text, const char *origin, FILE *err)
{
	static const char *const on[] = {"1", "true", "yes", "on"};
	static const char *const off[] = {"0", "false", "no", "off", ""};
	for (size_t i = 0; i < sizeof on / sizeof on[0]; i++)
		if (strcasecmp(text, on[i]) == 0)
			return *out = 1, 0;
	for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
		if (strcasecmp(text, off[i]) == 0)
			return *out = 0, 0;
	(void)fprintf(err, "allocation-server: %s must be 1 or 0 (true/false, yes/no), not '%s'\n",
	              origin, text);
	return -1;
}

static int parse_choice(int *out, const char *text, const char *a, const char *b,
                        const char *origin, FILE *err)
{
	if (strcmp(text, a) == 0 || strcmp(text, b) == 0) {
		*out = strcmp(text, b) == 0;
		return 0;
	}
	(void)fprintf(err, "allocation-server: %s must be %s or %s, not '%s'\n", origin, a, b,
	              text);
	return -1;
}

unsigned int options_default_threads(const char *adapter)
{
	/* HTTP threads parse and read: reads wait on the database, so more
	 * threads than CPUs pay off. */
	(void)adapter;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long n = cpus > 0 ? 2 * cpus : 4;
	return (unsigned int)(n < 4 ? 4 : n > 64 ? 64 : n);
}

unsigned int options_default_writers(const char *adapter)
{
	/* SQLite takes one writer at a time (more would only queue on its lock),
	 * and one writer batches everything anyway; the memory store serialises
	 * its units of work. PostgreSQL locks per product: writers on different
	 * skus commit in parallel. */
	if (adapter && strcmp(adapter, "postgres") == 0)
		return 4;
	return 1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int find_setting(const char *name)
{
	for (int i = 0; i < S_COUNT; i++)
		if (strcmp(settings[i].name, name) == 0)
			return i;
	return -1;
}

/* Read "key = value" lines of path into from_file (pointing into the
 * buffer kept in opts->owned_config). Blank lines and '#' comments are
 * skipped; a value may be put in double quotes. */
static int read_config(struct server_options *opts, const char *path, struct choice *from_file,
                       FILE *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		(void)fprintf(err, "allocation-server: --config %s: cannot read: %m\n", path);
		return -1;
	}
	char *text = malloc(CONFIG_MAX_BYTES + 1);
	size_t n = text ? fread(text, 1, CONFIG_MAX_BYTES + 1, f) : 0;
	(void)fclose(f);
	if (!text || n > CONFIG_MAX_BYTES) {
		(void)fprintf(err, "allocation-server: --config %s: over %d bytes\n", path,
		              CONFIG_MAX_BYTES);
		free(text);
		return -1;
	}
	text[n] = '\0';
	opts->owned_config = text;
	int line_no = 0;
	/* Split by hand: strtok_r would skip empty lines and miscount them. */
	for (char *line = text; line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line_no++;
		char *s = trim(line);
		line = next;
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			(void)fprintf(
			    err, "allocation-server: %s:%d: expected \"name = value\", not '%s'\n",
			    path, line_no, s);
			return -1;
		}
		*eq = '\0';
		char *key = trim(s);
		char *value = trim(eq + 1);
		size_t len = strlen(value);
		if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
			value[len - 1] = '\0';
			value++;
		}
		int id = find_setting(key);
		if (id < 0) {
			(void)fprintf(
			    err, "allocation-server: %s:%d: unknown setting '%s' (see --help)\n",
			    path, line_no, key);
			return -1;
		}
		from_file[id].text = value;
		(void)snprintf(from_file[id].origin, sizeof from_file[id].origin, "%s:%d: %s", path,
		               line_no, key);
	}
	return 0;
}

/* Join repeated values of one flag with commas (into opts->owned_hosts). */
static const char *join(struct server_options *opts, const char *old, const char *add)
{
	if (!old)
		return add;
	size_t n = strlen(old) + strlen(add) + 2;
	char *joined = malloc(n);
	if (!joined)
		return old;
	(void)snprintf(joined, n, "%s,%s", old, add);
	free(opts->owned_hosts);
	opts->owned_hosts = joined;
	return joined;
}

/* Turn the chosen texts into opts; -1 after a message on err. */
static int apply(struct server_options *opts, const struct choice *c, FILE *err)
{
	opts->listen = c[S_LISTEN].text ? c[S_LISTEN].text : SERVER_DEFAULT_LISTEN;
	opts->db = c[S_DB].text ? c[S_DB].text : SERVER_DEFAULT_DB;
	opts->smtp = c[S_SMTP].text && *c[S_SMTP].text ? c[S_SMTP].text : NULL;
	opts->notify_to = c[S_NOTIFY_TO].text ? c[S_NOTIFY_TO].text : SERVER_DEFAULT_NOTIFY_TO;
	opts->notify_out_of_stock = 1;
	if (c[S_NOTIFY_ON].text &&
	    parse_notify_on(opts, c[S_NOTIFY_ON].text, c[S_NOTIFY_ON].origin, err) != 0)
		return -1;
	opts->redis = c[S_REDIS].text && *c[S_REDIS].text ? c[S_REDIS].text : NULL;
	if (c[S_REDIS_MODE].text &&
	    parse_choice(&opts->redis_streams, c[S_REDIS_MODE].text, "pubsub", "streams",
	                 c[S_REDIS_MODE].origin, err) != 0)
		return -1;
	if (c[S_THREADS].text &&
	    parse_count(&opts->threads, c[S_THREADS].text, 1, 256, c[S_THREADS].origin, err) != 0)
		return -1;
	if (c[S_WRITERS].text &&
	    parse_count(&opts->writers, c[S_WRITERS].text, 1, 64, c[S_WRITERS].origin, err) != 0)
		return -1;
	opts->retries = SERVER_DEFAULT_RETRIES;
	if (c[S_RETRIES].text &&
	    parse_count(&opts->retries, c[S_RETRIES].text, 0, 1000, c[S_RETRIES].origin, err) != 0)
		return -1;
	if (c[S_QUIET].text && parse_switch(&opts->quiet, c[S_QUIET].text, c[S_QUIET].origin, err))
		return -1;
	if (c[S_BACKORDERS].text &&
	    parse_switch(&opts->backorders, c[S_BACKORDERS].text, c[S_BACKORDERS].origin, err))
		return -1;
	if (c[S_LOG_FORMAT].text && parse_choice(&opts->log_json, c[S_LOG_FORMAT].text, "plain",
	                                         "json", c[S_LOG_FORMAT].origin, err) != 0)
		return -1;
	opts->auth_token_file = c[S_AUTH_TOKEN_FILE].text && *c[S_AUTH_TOKEN_FILE].text
	                            ? c[S_AUTH_TOKEN_FILE].text
	                            : NULL;
	opts->tls_cert = c[S_TLS_CERT].text && *c[S_TLS_CERT].text ? c[S_TLS_CERT].text : NULL;
	opts->tls_key = c[S_TLS_KEY].text && *c[S_TLS_KEY].text ? c[S_TLS_KEY].text : NULL;
	if (!opts->tls_cert != !opts->tls_key) {
		(void)fprintf(err, "allocation-server: --tls-cert and --tls-key go together\n");
		return -1;
	}
	opts->allowed_hosts = c[S_ALLOWED_HOST].text;
	opts->max_connections_per_ip = SERVER_DEFAULT_PER_IP;
	if (c[S_PER_IP].text && parse_count(&opts->max_connections_per_ip, c[S_PER_IP].text, 0,
	                                    100000, c[S_PER_IP].origin, err) != 0)
		return -1;
	opts->request_timeout = SERVER_DEFAULT_REQUEST_TIMEOUT;
	if (c[S_REQUEST_TIMEOUT].text &&
	    parse_count(&opts->request_timeout, c[S_REQUEST_TIMEOUT].text, 1, 3600,
	                c[S_REQUEST_TIMEOUT].origin, err) != 0)
		return -1;
	opts->policy = la_policy_builtin(c[S_POLICY].text ? c[S_POLICY].text : "book");
	if (!opts->policy) {
		(void)fprintf(err,
		              "allocation-server: %s: unknown allocation policy '%s' (book or "
		              "latest-in-time)\n",
		              c[S_POLICY].origin, c[S_POLICY].text);
		return -1;
	}
	return 0;
}

/* --print-config: each setting, its value and where it came from. */
static void print_settings(FILE *out, const struct choice *chosen)
{
	for (int i = 0; i < S_COUNT; i++) {
		char value[600];
		if (!chosen[i].text) {
			(void)fprintf(out, "# %s: default\n", settings[i].name);
			continue;
		}
		la_redact_secrets(value, sizeof value, chosen[i].text);
		(void)fprintf(out, "%s = %s  # from %s\n", settings[i].name, value,
		              chosen[i].origin);
	}
}

enum options_result options_parse(struct server_options *opts, int argc, char **argv, FILE *out,
                                  FILE *err)
{
	const char *prog = argc > 0 ? argv[0] : "allocation-server";
	memset(opts, 0, sizeof *opts);
	struct option long_options[S_PRINT_CONFIG + 2];
	for (int i = 0; i < S_COUNT; i++)
		long_options[i] = (struct option){
		    settings[i].name, settings[i].has_arg ? required_argument : no_argument, NULL,
		    256 + i};
	long_options[S_CONFIG] = (struct option){"config", required_argument, NULL, 256 + S_CONFIG};
	long_options[S_HELP] = (struct option){"help", no_argument, NULL, 256 + S_HELP};
	long_options[S_VERSION] = (struct option){"version", no_argument, NULL, 256 + S_VERSION};
	long_options[S_PRINT_CONFIG] =
	    (struct option){"print-config", no_argument, NULL, 256 + S_PRINT_CONFIG};
	long_options[S_PRINT_CONFIG + 1] = (struct option){NULL, 0, NULL, 0};

	static struct choice flags[S_COUNT], from_env[S_COUNT], from_file[S_COUNT];
	memset(flags, 0, sizeof flags);
	memset(from_env, 0, sizeof from_env);
	memset(from_file, 0, sizeof from_file);
	const char *config = NULL;
	int print_config = 0;
	int c;
	opterr = 0;
	optind = 1;
	/* once, at start, before any thread: getopt's state is not shared */
	// NOLINTNEXTLINE(concurrency-mt-unsafe)
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		int id = c - 256;
		if (id >= 0 && id < S_COUNT) {
			const char *value = settings[id].has_arg ? optarg : "1";
			flags[id].text =
			    settings[id].repeat ? join(opts, flags[id].text, value) : value;
			(void)snprintf(flags[id].origin, sizeof flags[id].origin, "--%s",
			               settings[id].name);
		} else if (id == S_CONFIG) {
			config = optarg;
		} else if (id == S_HELP) {
			usage(out, prog);
			return OPTIONS_EXIT_OK;
		} else if (id == S_VERSION) {
			version(out);
			return OPTIONS_EXIT_OK;
		} else if (id == S_PRINT_CONFIG) {
			print_config = 1;
		} else {
			(void)fprintf(err, "allocation-server: unknown or incomplete option '%s'\n",
			              argv[optind - 1]);
			(void)fprintf(err, "Try '%s --help'.\n", prog);
			return OPTIONS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		(void)fprintf(err,
		              "allocation-server: unexpected argument '%s'\nTry '%s --help'.\n",
		              argv[optind], prog);
		return OPTIONS_EXIT_USAGE;
	}
	if (!config) {
		const char *env = getenv("ALLOCATION_CONFIG");
		config = env && *env ? env : NULL;
	}
	if (config && read_config(opts, config, from_file, err) != 0)
		return OPTIONS_EXIT_USAGE;
	opts->config = config;
	struct choice chosen[S_COUNT];
	for (int i = 0; i < S_COUNT; i++) {
		const char *env = getenv(settings[i].env);
		if (env && *env) {
			from_env[i].text = env;
			(void)snprintf(from_env[i].origin, sizeof from_env[i].origin, "%s",
			               settings[i].env);
		}
		chosen[i] = flags[i].text      ? flags[i]
		            : from_env[i].text ? from_env[i]
		                               : from_file[i];
	}
	if (apply(opts, chosen, err) != 0)
		return OPTIONS_EXIT_USAGE;
	if (print_config) {
		print_settings(out, chosen);
		return OPTIONS_EXIT_OK;
	}
	return OPTIONS_RUN;
}

void options_free(struct server_options *opts)
{
	free(opts->owned_config);
	free(opts->owned_hosts);
	opts->owned_config = opts->owned_hosts = NULL;
}
