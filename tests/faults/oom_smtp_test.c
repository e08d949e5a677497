/*
 * Out-of-memory sweep of liballocation-smtp: la_smtp_new (also as the
 * process's first, when it initialises libcurl) and la_smtp_notify on a
 * new handle and on one that holds a connection, with their N-th
 * allocation failing, for every N, in the adapter or libcurl. A sink in a
 * thread of the test takes the mail, one connection after another.
 *
 * What must hold: LA_OK or a clean error; a notification reported sent has
 * reached the sink, once; none reaches it twice; the next notification on
 * the same handle goes out.
 */
#include <allocation/allocation.h>
#include <allocation/smtp.h>
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "line_socket.h"

#include "fault_alloc.h"
#include "oom_sweep.h"

static const int smtp_errors[] = {LA_ENOMEM, LA_EIO, 0};

/* ---- the sink: stack buffers only (its thread is not armed, but its
 * blocks would count in the leak check) ---- */

static int listener = -1;
static char url[64];
static pthread_t sink_thread;
static atomic_int delivered; /* messages the sink accepted */

/* A client that stops half-way (libcurl out of memory in the middle of a
 * mail) is hung up on after a short wait, as a server would after a longer
 * one: the call then ends at once instead of at libcurl's 15 s timeout. */
static void serve(int fd)
{
	struct timeval patience = {0, 300L * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
	char line[1024];
	la_test_say(fd, "220 sink ESMTP\r\n");
	while (la_test_read_line(fd, line, sizeof line)) {
		if (getenv("FAULT_ALLOC_DEBUG"))
			fprintf(stderr, "sink %d: %s\n", fd, line);
		if (strcmp(line, "DATA") == 0) {
			la_test_say(fd, "354 go on\r\n");
			size_t got;
			while ((got = la_test_read_line(fd, line, sizeof line)) &&
			       strcmp(line, ".") != 0)
				;
			if (!got)
				break; /* a message cut short is not taken */
			atomic_fetch_add(&delivered, 1);
			la_test_say(fd, "250 queued\r\n");
		} else if (strcmp(line, "QUIT") == 0) {
			la_test_say(fd, "221 bye\r\n");
			break;
		} else {
			la_test_say(fd, "250 OK\r\n");
		}
	}
	close(fd);
}

static void *sink_main(void *arg)
{
	(void)arg;
	int fd;
	while ((fd = accept(listener, NULL, NULL)) >= 0)
		serve(fd);
	return NULL;
}

static void start_sink(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof addr;
	listener = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(listener >= 0 && bind(listener, (struct sockaddr *)&addr, len) == 0 &&
	          listen(listener, 8) == 0 &&
	          getsockname(listener, (struct sockaddr *)&addr, &len) == 0);
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(addr.sin_port));
	cr_assert_eq(pthread_create(&sink_thread, NULL, sink_main, NULL), 0);
}

static void stop_sink(void)
{
	shutdown(listener, SHUT_RDWR);
	close(listener);
	pthread_join(sink_thread, NULL);
}

/* ---- la_smtp_new ---- */

static la_smtp *smtp;
static int before;
static int connected; /* notify: the handle sent one mail before the call */

static void setup_new(void *ctx)
{
	(void)ctx;
	smtp = NULL;
}

static int call_new(void *ctx)
{
	(void)ctx;
	int rc = la_smtp_new(&smtp, url, "shop@example.net");
	if (rc != LA_OK)
		cr_assert_null(smtp);
	return rc;
}

static void notify_ok(const char *what)
{
	int sent = atomic_load(&delivered);
	int rc = la_smtp_notify("stock@made.com", "Out of stock for LAMP", smtp);
	cr_assert_eq(rc, LA_OK, "%s: %s", what, la_error_last());
	cr_assert_eq(atomic_load(&delivered) - sent, 1, "%s: delivered %d times", what,
	             atomic_load(&delivered) - sent);
}

/* A handle that failed to be made is not there; the next one works. */
static void check_new(void *ctx, int rc, int fired)
{
	(void)ctx, (void)fired;
	if (rc != LA_OK)
		cr_assert_eq(la_smtp_new(&smtp, url, "shop@example.net"), LA_OK, "again: %s",
		             la_error_last());
	notify_ok("the next notification");
}

static void teardown(void *ctx)
{
	(void)ctx;
	la_smtp_free(smtp);
	smtp = NULL;
}

/* ---- la_smtp_notify ---- */

static void setup_notify(void *ctx)
{
	(void)ctx;
	cr_assert_eq(la_smtp_new(&smtp, url, "shop@example.net"), LA_OK);
	if (connected)
		notify_ok("the first notification");
	before = atomic_load(&delivered);
}

static int call_notify(void *ctx)
{
	(void)ctx;
	return la_smtp_notify("stock@made.com", "Out of stock for RED-CHAIR\n.hidden", smtp);
}

/* Sent means delivered, once; a failure delivered it once at most (the
 * sink may have taken it before the answer was lost); the next one goes
 * out on the same handle. */
static void check_notify(void *ctx, int rc, int fired)
{
	(void)ctx, (void)fired;
	int got = atomic_load(&delivered) - before;
	if (rc == LA_OK)
		cr_assert_eq(got, 1, "allocation %llu failing: LA_OK, delivered %d times",
		             oom_sweep_failing(), got);
	else
		cr_assert_leq(got, 1, "allocation %llu failing: %s, delivered %d times",
		              oom_sweep_failing(), oom_sweep_outcome(), got);
	notify_ok("the next notification");
}

TestSuite(oom_smtp, .init = start_sink, .fini = stop_sink);

Test(oom_smtp, new_and_notify)
{
	const struct oom_step steps[] = {
	    {"la_smtp_new", setup_new, call_new, check_new, teardown, smtp_errors},
	    {"la_smtp_notify, connecting", setup_notify, call_notify, check_notify, teardown,
	     smtp_errors},
	    {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("smtp", steps, NULL);
}

Test(oom_smtp, notify_on_an_open_connection)
{
	connected = 1;
	const struct oom_step steps[] = {
	    {"la_smtp_notify", setup_notify, call_notify, check_notify, teardown, smtp_errors},
	    {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("smtp", steps, NULL);
}

/* The first la_smtp_new of a process initialises libcurl, once: out of
 * memory there must not leave every later handle failing. Each N in a
 * child process of its own (the initialisation happens once per process). */
static int first_new_in_child(uint64_t fail_at)
{
	fault_alloc_arm(fail_at);
	int rc = la_smtp_new(&smtp, url, NULL);
	fault_alloc_disarm();
	int fired = fault_alloc_fired();
	if (rc != LA_OK && !fired)
		return 3;
	if (rc != LA_OK && rc != LA_ENOMEM && rc != LA_EIO)
		return 4;
	if (rc != LA_OK && la_smtp_new(&smtp, url, NULL) != LA_OK)
		return 5; /* the next one fails too */
	la_smtp_free(smtp);
	return fired ? 1 : 0;
}

Test(oom_smtp, first_new_of_the_process)
{
	uint64_t n;
	for (n = 1; n < 100000; n++) {
		(void)fflush(NULL);
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0)
			_exit(first_new_in_child(n));
		int status = 0;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status),
		          "allocation %llu failing: the child crashed (signal %d)",
		          (unsigned long long)n, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		int code = WEXITSTATUS(status);
		cr_assert(code <= 1, "allocation %llu failing: %s", (unsigned long long)n,
		          code == 3   ? "an error though nothing failed"
		          : code == 4 ? "an error other than LA_ENOMEM or LA_EIO"
		                      : "every later la_smtp_new fails too");
		if (code == 0)
			break;
	}
	fprintf(stderr, "oom smtp: first la_smtp_new of a process: %llu failing runs\n",
	        (unsigned long long)(n - 1));
}
