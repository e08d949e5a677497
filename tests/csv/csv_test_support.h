/* Temporary CSV folders for the CSV store tests. */
#ifndef CSV_TEST_SUPPORT_H
#define CSV_TEST_SUPPORT_H

#include <stddef.h>

/* A new empty folder under $TMPDIR (or /tmp); free the string with free(). */
char *csv_test_folder(void);
/* The same, named <prefix>XXXXXX. */
char *csv_test_folder_named(const char *prefix);
/* Remove the folder and every file in it. */
void csv_test_remove_folder(char *folder);
/* Write text as folder/name (replacing it). */
void csv_test_write(const char *folder, const char *name, const char *text);
/* folder/name's bytes, NUL-terminated (length in *len if not NULL); NULL when absent. */
char *csv_test_read(const char *folder, const char *name, size_t *len);
/* folder/name as a path; free() it. */
char *csv_test_path(const char *folder, const char *name);

#endif
