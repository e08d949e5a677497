/* Whole-file reads and atomic replacement for the CSV folder store. */
#include "csv_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void stamp_from(csv_stamp *stamp, const struct stat *st)
{
	memset(stamp, 0, sizeof(*stamp));
	stamp->exists = 1;
	stamp->dev = st->st_dev;
	stamp->ino = st->st_ino;
	stamp->size = st->st_size;
	stamp->mtime = st->st_mtim;
	stamp->ctime = st->st_ctim;
	stamp->mode = st->st_mode & 07777;
}

int csv_file_stamp(csv_stamp *stamp, int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, 0) != 0) {
		memset(stamp, 0, sizeof(*stamp));
		return errno == ENOENT ? 0 : -errno;
	}
	stamp_from(stamp, &st);
	return 0;
}

int csv_stamp_equal(const csv_stamp *a, const csv_stamp *b)
{
	if (a->exists != b->exists)
		return 0;
	if (!a->exists)
		return 1;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int csv_file_read(char **out, size_t *out_len, csv_stamp *stamp, int dirfd, const char *name)
{
	*out = NULL;
	*out_len = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	stamp_from(stamp, &st);
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	size_t len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) { /* the file grew while reading */
			char *p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create a new temporary file next to name: ".<name>.<pid>.<n>". */
static int create_temp(char *tmp, size_t size, int dirfd, const char *name)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long n = (unsigned long)ts.tv_nsec;
	for (int attempt = 0; attempt < 100; attempt++, n = n * 1103515245ul + 12345ul) {
		int len = snprintf(tmp, size, ".%s.%ld.%lu", name, (long)getpid(), n % 1000000ul);
		if (len < 0 || (size_t)len >= size)
			return -ENAMETOOLONG;
		int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

int csv_file_replace(csv_stamp *stamp, int dirfd, const char *name, const char *data, size_t len,
                     const csv_stamp *old)
{
	char tmp[512];
	if (strlen(name) > 400)
		return -ENAMETOOLONG;
	int fd = create_temp(tmp, sizeof(tmp), dirfd, name);
	if (fd < 0)
		return fd;
	mode_t mode = old && old->exists ? old->mode : 0644;
	int rc = write_all(fd, data, len);
	if (!rc && fchmod(fd, mode) != 0)
		rc = -errno;
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	/* rename within the folder is atomic: readers see the old or the new file */
	if (!rc && renameat(dirfd, tmp, dirfd, name) != 0)
		rc = -errno;
	if (rc) {
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	/* make the rename itself durable */
	if (fsync(dirfd) != 0)
		return -errno;
	return csv_file_stamp(stamp, dirfd, name);
}
