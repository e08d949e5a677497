/* Self-pipe wake-ups for the consumer and relay loops. */
#include "waker.h"
#include "util/errno_text.h"

#include <allocation/sys/ports.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int redis_waker_init(redis_waker *w)
{
	char why[LA__ERRNO_TEXT_SIZE];

	if (pipe(w->fds) != 0)
		return la_error_set(LA_EIO, "cannot create a pipe: %s", la__errno_text(errno, why));
	for (int i = 0; i < 2; i++) {
		fcntl(w->fds[i], F_SETFL, fcntl(w->fds[i], F_GETFL) | O_NONBLOCK);
		fcntl(w->fds[i], F_SETFD, FD_CLOEXEC);
	}
	atomic_init(&w->stop, 0);
	atomic_init(&w->running, 0);
	return LA_OK;
}

void redis_waker_close(redis_waker *w)
{
	close(w->fds[0]);
	close(w->fds[1]);
}

void redis_waker_poke(redis_waker *w)
{
	int saved = errno;
	ssize_t n = write(w->fds[1], "x", 1); /* a full pipe already means "wake up" */

	(void)n;
	errno = saved;
}

void redis_waker_stop(redis_waker *w)
{
	atomic_store(&w->stop, 1);
	redis_waker_poke(w);
}

int redis_waker_stopping(redis_waker *w)
{
	return atomic_load(&w->stop);
}

static void drain(redis_waker *w)
{
	char buf[64];

	while (read(w->fds[0], buf, sizeof(buf)) > 0)
		;
}

int redis_waker_wait(redis_waker *w, int fd, int timeout_ms)
{
	struct pollfd fds[2] = {{w->fds[0], POLLIN, 0}, {fd, POLLIN, 0}};
	int n;

	if (redis_waker_stopping(w))
		return 0;
	do
		n = poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
	while (n < 0 && errno == EINTR && !redis_waker_stopping(w));
	if (n <= 0)
		return 0;
	if (fds[0].revents)
		drain(w);
	return fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) ? 1 : 0;
}

void redis_waker_sleep(redis_waker *w, int timeout_ms)
{
	/* in steps, so that a stop ends the sleep soon without eating pokes */
	while (timeout_ms > 0 && !redis_waker_stopping(w)) {
		int step = timeout_ms > 20 ? 20 : timeout_ms;
		struct timespec ts = {0, (long)step * 1000000L};

		nanosleep(&ts, NULL);
		timeout_ms -= step;
	}
}
