#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "csv_test_support.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *csv_test_path(const char *folder, const char *name)
{
	size_t n = strlen(folder) + strlen(name) + 2;
	char *p = malloc(n);
	cr_assert_not_null(p);
	snprintf(p, n, "%s/%s", folder, name);
	return p;
}

char *csv_test_folder_named(const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	char name[128];
	snprintf(name, sizeof(name), "%sXXXXXX", prefix);
	char *path = csv_test_path(tmp && *tmp ? tmp : "/tmp", name);
	cr_assert_not_null(mkdtemp(path), "mkdtemp failed");
	return path;
}

char *csv_test_folder(void)
{
	return csv_test_folder_named("la-csv-");
}

void csv_test_remove_folder(char *folder)
{
	DIR *d = opendir(folder);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *p = csv_test_path(folder, e->d_name);
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(folder);
	free(folder);
}

void csv_test_write(const char *folder, const char *name, const char *text)
{
	char *p = csv_test_path(folder, name);
	FILE *f = fopen(p, "wb");
	cr_assert_not_null(f, "cannot write %s", p);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	cr_assert_eq(fclose(f), 0);
	free(p);
}

char *csv_test_read(const char *folder, const char *name, size_t *len)
{
	char *p = csv_test_path(folder, name);
	FILE *f = fopen(p, "rb");
	free(p);
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 >= cap)
			buf = realloc(buf, cap *= 2);
	}
	(void)fclose(f); /* read only */
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}
