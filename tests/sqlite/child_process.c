/* Running tests/sqlite/sqlite_child in its own process (child_process.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "child_process.h"

void child_start(struct child *c, const char *const *args)
{
	int fds[2];
	memset(c, 0, sizeof *c);
	cr_assert_eq(pipe(fds), 0);
	const char *argv[16] = {SQLITE_CHILD};
	int n = 1;
	while (args[n - 1] && n < 15) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	c->pid = fork();
	cr_assert(c->pid >= 0, "fork");
	if (c->pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(SQLITE_CHILD, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	c->fd = fds[0];
	c->cap = 4096;
	c->output = malloc(c->cap);
	cr_assert_not_null(c->output);
	c->output[0] = '\0';
}

static void drain(struct child *c)
{
	if (c->cap - c->size < 4097) {
		c->cap *= 2;
		c->output = realloc(c->output, c->cap);
		cr_assert_not_null(c->output);
	}
	ssize_t n = read(c->fd, c->output + c->size, c->cap - c->size - 1);
	if (n > 0) {
		c->size += (size_t)n;
		c->output[c->size] = '\0';
	} else if (n == 0 || errno != EINTR) {
		close(c->fd);
		c->fd = -1;
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void child_read(struct child *children, int count, int ms)
{
	long long end = ms < 0 ? -1 : now_ms() + ms;
	for (;;) {
		struct pollfd fds[8];
		int open = 0;
		for (int i = 0; i < count && i < 8; i++) {
			fds[i].fd = children[i].fd;
			fds[i].events = POLLIN;
			fds[i].revents = 0;
			open += children[i].fd >= 0;
		}
		if (!open)
			return;
		int wait = -1;
		if (end >= 0) {
			long long left = end - now_ms();
			if (left <= 0)
				return;
			wait = (int)left;
		}
		if (poll(fds, (nfds_t)(count < 8 ? count : 8), wait) <= 0)
			continue;
		for (int i = 0; i < count && i < 8; i++)
			if (fds[i].revents && children[i].fd >= 0)
				drain(&children[i]);
	}
}

int child_finish(struct child *c)
{
	child_read(c, 1, -1);
	int status = 0;
	cr_assert_eq(waitpid(c->pid, &status, 0), c->pid);
	return status;
}

int child_kill(struct child *c)
{
	kill(c->pid, SIGKILL);
	return child_finish(c);
}

void child_free(struct child *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->output);
}
