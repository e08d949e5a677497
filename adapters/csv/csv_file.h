/*
 * Files of a CSV folder: whole-file reads, change detection and atomic
 * replacement (temporary file in the same folder, fsync, rename, fsync of
 * the folder), so a crash leaves the old file or the new one, never a mix.
 */
#ifndef LA_CSV_FILE_H
#define LA_CSV_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Identity of a file's content as far as stat can tell. */
typedef struct csv_stamp {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	mode_t mode;
} csv_stamp;

/* Read folder/name whole (NUL-terminated) and stamp what was read.
 * 0, or -errno (-ENOENT when the file does not exist). */
int csv_file_read(char **out, size_t *out_len, csv_stamp *stamp, int dirfd, const char *name);

/* Stamp folder/name without reading it (exists = 0 when absent). 0 or -errno. */
int csv_file_stamp(csv_stamp *stamp, int dirfd, const char *name);

int csv_stamp_equal(const csv_stamp *a, const csv_stamp *b);

/* Atomically replace folder/name with data (mode taken from *old when it
 * exists, else 0644); *stamp receives the new file's stamp. 0 or -errno. */
int csv_file_replace(csv_stamp *stamp, int dirfd, const char *name, const char *data, size_t len,
                     const csv_stamp *old);

#endif
