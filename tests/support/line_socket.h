/*
 * Line-at-a-time socket I/O for the tests' small protocol sinks (SMTP):
 * stack buffers only, so a sink thread adds no blocks to a leak check.
 */
#ifndef LA_TEST_LINE_SOCKET_H
#define LA_TEST_LINE_SOCKET_H

#include <string.h>
#include <unistd.h>

/* Read one line (without its CRLF or LF) into buf; returns the bytes it
 * took plus one, or 0 at the end of the stream. */
static inline size_t la_test_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;
	while (n + 1 < size && read(fd, &c, 1) == 1) {
		if (c == '\n') {
			if (n && buf[n - 1] == '\r')
				n--;
			buf[n] = '\0';
			return n + 1;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return n;
}

/* Send line as it is; a peer that hung up is the test's to notice. */
static inline void la_test_say(int fd, const char *line)
{
	if (write(fd, line, strlen(line)) < 0)
		return;
}

#endif
