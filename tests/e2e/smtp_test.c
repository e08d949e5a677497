/*
 * liballocation-smtp against a minimal SMTP sink run in a thread of the test
 * (one connection, one message), so it needs no outside server and runs
 * under the sanitizers with the C tests.
 */
#include <allocation/allocation.h>
#include <allocation/smtp.h>

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "line_socket.h"

struct sink {
	int listener;
	int port;
	char envelope[1024]; /* MAIL FROM / RCPT TO lines */
	char data[8192];     /* the DATA part, as received */
	pthread_t thread;
};

static int sink_listen(struct sink *s)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof addr;
	s->listener = socket(AF_INET, SOCK_STREAM, 0);
	if (s->listener < 0 || bind(s->listener, (struct sockaddr *)&addr, len) != 0 ||
	    listen(s->listener, 1) != 0 ||
	    getsockname(s->listener, (struct sockaddr *)&addr, &len) != 0)
		return -1;
	s->port = ntohs(addr.sin_port);
	return 0;
}

/* Append line and a newline to buf (of size bytes), truncating. */
static void append(char *buf, size_t size, const char *line)
{
	size_t n = strlen(buf);
	snprintf(buf + n, size - n, "%s\n", line);
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;
	int fd = accept(s->listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	char line[1024];
	la_test_say(fd, "220 sink ESMTP\r\n");
	while (la_test_read_line(fd, line, sizeof line)) {
		if (strncmp(line, "EHLO", 4) == 0 || strncmp(line, "HELO", 4) == 0) {
			la_test_say(fd, "250 sink\r\n");
		} else if (strncmp(line, "MAIL FROM:", 10) == 0 ||
		           strncmp(line, "RCPT TO:", 8) == 0) {
			append(s->envelope, sizeof s->envelope, line);
			la_test_say(fd, "250 OK\r\n");
		} else if (strcmp(line, "DATA") == 0) {
			la_test_say(fd, "354 go on\r\n");
			while (la_test_read_line(fd, line, sizeof line) && strcmp(line, ".") != 0) {
				append(s->data, sizeof s->data, line);
			}
			la_test_say(fd, "250 queued\r\n");
		} else if (strcmp(line, "QUIT") == 0) {
			la_test_say(fd, "221 bye\r\n");
			break;
		} else {
			la_test_say(fd, "250 OK\r\n");
		}
	}
	close(fd);
	return NULL;
}

static struct sink sink;

static void start_sink(void)
{
	memset(&sink, 0, sizeof sink);
	cr_assert_eq(sink_listen(&sink), 0);
	cr_assert_eq(pthread_create(&sink.thread, NULL, sink_main, &sink), 0);
}

static void stop_sink(void)
{
	shutdown(sink.listener, SHUT_RDWR);
	close(sink.listener);
	pthread_join(sink.thread, NULL);
}

Test(smtp, sends_the_notification_email)
{
	start_sink();
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", sink.port);
	la_smtp *smtp;
	cr_assert_eq(la_smtp_new(&smtp, url, NULL), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_smtp_notify("stock@made.com", "Out of stock for RED-CHAIR\n.hidden", smtp),
	             LA_OK, "%s", la_error_last());
	la_smtp_free(smtp); /* closes the connection: the sink sees QUIT or EOF */
	stop_sink();

	cr_assert(strstr(sink.envelope, "MAIL FROM:<allocations@example.com>"), "%s",
	          sink.envelope);
	cr_assert(strstr(sink.envelope, "RCPT TO:<stock@made.com>"), "%s", sink.envelope);
	cr_assert(strstr(sink.data, "\nFrom: allocations@example.com\n"), "%s", sink.data);
	cr_assert(strstr(sink.data, "\nTo: stock@made.com\n"), "%s", sink.data);
	cr_assert(strstr(sink.data, "\nSubject: allocation service notification\n"), "%s",
	          sink.data);
	/* Body after the blank line; the leading dot arrives dot-stuffed. */
	cr_assert(strstr(sink.data, "\n\nOut of stock for RED-CHAIR\n..hidden\n"), "%s", sink.data);
}

Test(smtp, plugs_into_a_bus_as_its_notifications_port)
{
	start_sink();
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", sink.port);
	la_smtp *smtp;
	cr_assert_eq(la_smtp_new(&smtp, url, "shop@example.net"), LA_OK);
	la_store *store;
	cr_assert_eq(la_memory_store_new(&store), LA_OK);
	la_bus_options opts;
	la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION);
	opts.notify = la_smtp_notify;
	opts.notify_payload = smtp;
	la_bus *bus;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_OK);
	la_message *cmd;
	cr_assert_eq(la_command_create_batch(&cmd, "b1", "LAMP", 1, NULL), LA_OK);
	cr_assert_eq(la_bus_handle(bus, cmd), LA_OK);
	la_message_free(cmd);
	cr_assert_eq(la_command_allocate(&cmd, "o1", "LAMP", 5), LA_OK);
	cr_assert_eq(la_bus_handle(bus, cmd), LA_OK); /* out of stock → e-mail */
	la_message_free(cmd);
	la_bus_free(bus);
	la_store_free(store);
	la_smtp_free(smtp);
	stop_sink();
	cr_assert(strstr(sink.envelope, "MAIL FROM:<shop@example.net>"), "%s", sink.envelope);
	cr_assert(strstr(sink.data, "\n\nOut of stock for LAMP\n"), "%s", sink.data);
}

Test(smtp, unreachable_server_is_an_io_error)
{
	struct sink closed = {0};
	cr_assert_eq(sink_listen(&closed), 0);
	close(closed.listener); /* nothing listens on that port any more */
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", closed.port);
	la_smtp *smtp;
	cr_assert_eq(la_smtp_new(&smtp, url, NULL), LA_OK);
	cr_assert_eq(la_smtp_notify("stock@made.com", "Out of stock for X", smtp), LA_EIO);
	cr_assert(strstr(la_error_last(), "smtp"), "%s", la_error_last());
	la_smtp_free(smtp);
}

/* The URL's password stays out of the messages that name the URL. */
Test(smtp, messages_name_the_url_without_its_password)
{
	struct sink closed = {0};
	cr_assert_eq(sink_listen(&closed), 0);
	close(closed.listener);
	char url[96];
	snprintf(url, sizeof url, "smtp://mailer:s3cret@127.0.0.1:%d", closed.port);
	la_smtp *smtp;
	cr_assert_eq(la_smtp_new(&smtp, url, NULL), LA_OK);
	cr_assert_eq(la_smtp_notify("stock@made.com", "Out of stock for X", smtp), LA_EIO);
	cr_assert(strstr(la_error_last(), "smtp://mailer:***@127.0.0.1") &&
	              !strstr(la_error_last(), "s3cret"),
	          "%s", la_error_last());
	la_smtp_free(smtp);
	cr_assert_eq(la_smtp_new(&smtp, "http://mailer:s3cret@h", NULL), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "mailer:***@h") && !strstr(la_error_last(), "s3cret"),
	          "%s", la_error_last());
}

Test(smtp, rejects_bad_urls_and_addresses)
{
	la_smtp *smtp = (la_smtp *)1;
	cr_assert_eq(la_smtp_new(&smtp, "http://127.0.0.1:25", NULL), LA_EINVAL);
	cr_assert_null(smtp);
	cr_assert_eq(la_smtp_new(&smtp, NULL, NULL), LA_EINVAL);
	cr_assert_eq(la_smtp_new(&smtp, "smtp://h\r\nX: y", NULL), LA_EINVAL);
	cr_assert_eq(la_smtp_new(&smtp, "smtp://127.0.0.1:25", "no-at-sign"), LA_EINVAL);
	cr_assert_eq(la_smtp_new(&smtp, "smtp://127.0.0.1:25", NULL), LA_OK);
	/* Header injection through the destination never reaches the wire. */
	cr_assert_eq(la_smtp_notify("a@b.c\r\nBcc: x@y.z", "m", smtp), LA_EINVAL);
	cr_assert_eq(la_smtp_notify("", "m", smtp), LA_EINVAL);
	cr_assert_eq(la_smtp_notify("<a@b.c>", "m", smtp), LA_EINVAL);
	cr_assert_eq(la_smtp_notify("a@b.c", NULL, smtp), LA_EINVAL);
	cr_assert_eq(la_smtp_notify("a@b.c", "m", NULL), LA_EINVAL);
	la_smtp_free(smtp);
	la_smtp_free(NULL);
}
