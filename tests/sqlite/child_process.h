/* Running tests/sqlite/sqlite_child in its own process, output on a pipe. */
#ifndef TEST_SQLITE_CHILD_PROCESS_H
#define TEST_SQLITE_CHILD_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

struct child {
	pid_t pid;
	int fd;       /* read end of its stdout; -1 once at EOF */
	char *output; /* everything read so far, NUL-terminated */
	size_t size;
	size_t cap;
};

/* fork + exec sqlite_child with argv (NULL-terminated, without argv[0]). */
void child_start(struct child *c, const char *const *args);
/* Read whatever the children write for ms milliseconds (or until all EOF). */
void child_read(struct child *children, int count, int ms);
/* SIGKILL it, read to EOF, reap it; returns the wait status. */
int child_kill(struct child *c);
/* Read to EOF and reap; returns the wait status. */
int child_finish(struct child *c);
void child_free(struct child *c);

#endif
