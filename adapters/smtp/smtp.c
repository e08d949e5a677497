/*
 * The notifications port over SMTP: one plain-text e-mail per notification,
 * sent with libcurl. A handle keeps one easy handle (and so one connection)
 * behind a mutex.
 */
#include <allocation/smtp.h>
#include <allocation/sys/ports.h>

#include "util/redact.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SMTP_CONNECT_TIMEOUT_MS 5000L
#define SMTP_TIMEOUT_MS         15000L
#define SMTP_ADDRESS_MAX        320

struct la_smtp {
	pthread_mutex_t lock;
	CURL *easy;
	char *url;
	char *from;
	char errbuf[CURL_ERROR_SIZE];
};

/* The e-mail being uploaded: curl pulls it through read_payload. */
struct payload {
	const char *data;
	size_t size;
	size_t offset;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *copy_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}

/* A bare address: printable ASCII without spaces or angle brackets, with an '@'
 * that is neither first nor last; nothing that could inject a header. */
static int check_address(const char *address, const char *what)
{
	size_t n = address ? strlen(address) : 0;
	const char *at = address ? strchr(address, '@') : NULL;
	if (n == 0 || n > SMTP_ADDRESS_MAX)
		return la_error_set(LA_EINVAL, "smtp: %s address must be 1-%d bytes", what,
		                    SMTP_ADDRESS_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)address[i];
		if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"')
			return la_error_set(LA_EINVAL, "smtp: invalid character in %s address '%s'",
			                    what, address);
	}
	if (!at || at == address || at[1] == '\0')
		return la_error_set(LA_EINVAL, "smtp: %s address '%s' is not user@domain", what,
		                    address);
	return LA_OK;
}

static int url_is_smtp(const char *url)
{
	return url && (strncmp(url, "smtp://", 7) == 0 || strncmp(url, "smtps://", 8) == 0) &&
	       url[strcspn(url, "\r\n")] == '\0';
}

int la_smtp_new(la_smtp **out, const char *url, const char *from)
{
	if (!out)
		return la_error_set(LA_EINVAL, "smtp: out is NULL");
	*out = NULL;
	if (!url_is_smtp(url)) {
		char shown[512];
		la__redact(shown, sizeof shown, url ? url : "(null)");
		return la_error_set(LA_EINVAL, "smtp: URL '%s' is not smtp://HOST[:PORT]", shown);
	}
	if (!from)
		from = LA_SMTP_DEFAULT_FROM;
	int rc = check_address(from, "sender");
	if (rc)
		return rc;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK)
		return la_error_set(LA_EIO, "smtp: curl_global_init failed: %s",
		                    curl_easy_strerror(curl_init_result));

	la_smtp *smtp = calloc(1, sizeof *smtp);
	if (!smtp)
		return la_error_set(LA_ENOMEM, "smtp: out of memory");
	smtp->url = copy_string(url);
	smtp->from = copy_string(from);
	if (!smtp->url || !smtp->from || pthread_mutex_init(&smtp->lock, NULL) != 0) {
		free(smtp->url);
		free(smtp->from);
		free(smtp);
		return la_error_set(LA_ENOMEM, "smtp: out of memory");
	}
	*out = smtp;
	return LA_OK;
}

void la_smtp_free(la_smtp *smtp)
{
	if (!smtp)
		return;
	if (smtp->easy)
		curl_easy_cleanup(smtp->easy);
	pthread_mutex_destroy(&smtp->lock);
	free(smtp->url);
	free(smtp->from);
	free(smtp);
}

static size_t read_payload(char *buffer, size_t size, size_t nitems, void *userdata)
{
	struct payload *p = userdata;
	size_t room = size * nitems;
	size_t left = p->size - p->offset;
	size_t n = left < room ? left : room;
	memcpy(buffer, p->data + p->offset, n);
	p->offset += n;
	return n;
}

/* Appends with a running length; the buffer was sized beforehand. */
static void put(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	memcpy(buf + *len, s, n + 1); /* with the NUL: the mail is a string too */
	*len += n;
}

/* The whole e-mail: headers, a blank line, the body with every line ended by
 * CRLF (a bare LF becomes CRLF, a lone CR is dropped). libcurl does the SMTP
 * dot-stuffing itself. */
static char *format_mail(size_t *out_size, const char *from, const char *to, const char *body)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	if (strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		date[0] = '\0'; /* 31 bytes: never happens */

	size_t cap = 256 + strlen(date) + strlen(from) + strlen(to) + 2 * strlen(body) + 4;
	char *mail = malloc(cap);
	if (!mail)
		return NULL;
	size_t len = 0;
	put(mail, &len, "Date: ");
	put(mail, &len, date);
	put(mail, &len, "\r\nFrom: ");
	put(mail, &len, from);
	put(mail, &len, "\r\nTo: ");
	put(mail, &len, to);
	put(mail, &len,
	    "\r\nSubject: " LA_SMTP_SUBJECT "\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (const char *c = body; *c; c++) {
		if (*c == '\r')
			continue;
		if (*c == '\n')
			mail[len++] = '\r';
		mail[len++] = *c;
	}
	put(mail, &len, "\r\n");
	*out_size = len;
	return mail;
}

/* Called with the lock held. */
static int send_locked(la_smtp *smtp, const char *destination, const char *mail, size_t size)
{
	if (!smtp->easy) {
		smtp->easy = curl_easy_init();
		if (!smtp->easy)
			return la_error_set(LA_ENOMEM, "smtp: curl_easy_init failed");
	}
	CURL *easy = smtp->easy;
	char from[SMTP_ADDRESS_MAX + 3];
	char rcpt[SMTP_ADDRESS_MAX + 3];
	/* both checked to be at most SMTP_ADDRESS_MAX bytes: never cut */
	(void)snprintf(from, sizeof from, "<%s>", smtp->from);
	(void)snprintf(rcpt, sizeof rcpt, "<%s>", destination);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	if (!rcpts)
		return la_error_set(LA_ENOMEM, "smtp: out of memory");
	struct payload p = {mail, size, 0};

	smtp->errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, smtp->url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, SMTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, SMTP_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, smtp->errbuf);
	curl_easy_setopt(easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_payload);
	curl_easy_setopt(easy, CURLOPT_READDATA, &p);
	curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
	CURLcode res = curl_easy_perform(easy);
	/* The handle must not keep pointers into this stack frame. */
	curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(easy, CURLOPT_READDATA, NULL);
	curl_slist_free_all(rcpts);
	if (res != CURLE_OK) {
		char shown[512];
		la__redact(shown, sizeof shown, smtp->url); /* smtp://user:password@host */
		int rc = la_error_set(res == CURLE_OUT_OF_MEMORY ? LA_ENOMEM : LA_EIO,
		                      "smtp: sending to %s via %s failed: %s", destination, shown,
		                      smtp->errbuf[0] ? smtp->errbuf : curl_easy_strerror(res));
		/* The connection may be left mid-transaction (libcurl out of
		 * memory half-way through DATA kept it): the next mail would
		 * wait for a server that waits for the end of this one. A new
		 * handle, a new connection (found by oom_smtp_test.c). */
		curl_easy_cleanup(easy);
		smtp->easy = NULL;
		return rc;
	}
	return LA_OK;
}

int la_smtp_notify(const char *destination, const char *message, void *handle)
{
	la_smtp *smtp = handle;
	if (!smtp)
		return la_error_set(LA_EINVAL, "smtp: handle is NULL");
	if (!message)
		return la_error_set(LA_EINVAL, "smtp: message is NULL");
	int rc = check_address(destination, "destination");
	if (rc)
		return rc;
	size_t size;
	char *mail = format_mail(&size, smtp->from, destination, message);
	if (!mail)
		return la_error_set(LA_ENOMEM, "smtp: out of memory");
	pthread_mutex_lock(&smtp->lock);
	rc = send_locked(smtp, destination, mail, size);
	pthread_mutex_unlock(&smtp->lock);
	free(mail);
	if (rc == LA_OK)
		la_log(LA_LOG_DEBUG, "smtp: sent notification to %s", destination);
	return rc;
}
