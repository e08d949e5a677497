/*
 * The CSV folder store: the repository and unit of work of spec §2 over
 * batches.csv and allocations.csv (spec §5).
 *
 * The folder is locked with flock (exclusive for a unit of work, shared for
 * a query), so processes using this library take turns. The files are read
 * into memory and re-read only when their stamps change; a commit applies
 * the products' change logs to memory and rewrites the changed files
 * atomically.
 */
#include "csv_store.h"
#include "util/errno_text.h"

#include <allocation/csv.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int io_error(int err, const char *what, const char *name)
{
	char why[LA__ERRNO_TEXT_SIZE];
	return la_error_set(err == -ENOMEM ? LA_ENOMEM : LA_EIO, "%s: %s: %s", name, what,
	                    la__errno_text(-err, why));
}

static int lock(csv_store *s, int how)
{
	while (flock(s->dirfd, how) != 0) {
		char why[LA__ERRNO_TEXT_SIZE];
		if (errno != EINTR)
			return la_error_set(LA_EIO, "cannot lock the CSV folder: %s",
			                    la__errno_text(errno, why));
	}
	return LA_OK;
}

static void unlock(csv_store *s)
{
	if (!s->deferred)
		flock(s->dirfd, LOCK_UN);
}

int csv_store_refresh(csv_store *s)
{
	csv_stamp bs, as;
	int err;
	if (s->loaded && s->deferred)
		return LA_OK; /* memory is ahead of the files, and we hold the lock */
	if ((err = csv_file_stamp(&bs, s->dirfd, CSV_BATCHES_FILE)) != 0)
		return io_error(err, "cannot stat", CSV_BATCHES_FILE);
	if ((err = csv_file_stamp(&as, s->dirfd, CSV_ALLOCATIONS_FILE)) != 0)
		return io_error(err, "cannot stat", CSV_ALLOCATIONS_FILE);
	if (s->loaded && csv_stamp_equal(&bs, &s->batches_stamp) &&
	    csv_stamp_equal(&as, &s->allocations_stamp))
		return LA_OK;

	char *batches = NULL, *allocations = NULL;
	size_t blen = 0, alen = 0;
	err = csv_file_read(&batches, &blen, &bs, s->dirfd, CSV_BATCHES_FILE);
	if (err)
		return io_error(err, "cannot read", CSV_BATCHES_FILE);
	err = csv_file_read(&allocations, &alen, &as, s->dirfd, CSV_ALLOCATIONS_FILE);
	if (err == -ENOENT) {
		memset(&as, 0, sizeof(as));
	} else if (err) {
		free(batches);
		return io_error(err, "cannot read", CSV_ALLOCATIONS_FILE);
	}
	csv_data fresh;
	int rc = csv_data_load(&fresh, batches, blen, allocations, alen);
	free(batches);
	free(allocations);
	if (rc)
		return rc;
	csv_data_free(&s->data);
	s->data = fresh;
	s->batches_stamp = bs;
	s->allocations_stamp = as;
	s->loaded = 1;
	return LA_OK;
}

int csv_store_write(csv_store *s)
{
	csv_buffer buf = {0};
	int rc = LA_OK, err;
	if (s->dirty_batches) {
		rc = csv_data_write_batches(&s->data, &buf);
		if (!rc && (err = csv_file_replace(&s->batches_stamp, s->dirfd, CSV_BATCHES_FILE,
		                                   buf.data, buf.len, &s->batches_stamp)))
			rc = io_error(err, "cannot write", CSV_BATCHES_FILE);
		if (!rc)
			s->dirty_batches = 0;
		buf.len = 0;
	}
	if (!rc && s->dirty_allocations) {
		rc = csv_data_write_allocations(&s->data, &buf);
		if (!rc &&
		    (err = csv_file_replace(&s->allocations_stamp, s->dirfd, CSV_ALLOCATIONS_FILE,
		                            buf.data, buf.len, &s->allocations_stamp)))
			rc = io_error(err, "cannot write", CSV_ALLOCATIONS_FILE);
		if (!rc)
			s->dirty_allocations = 0;
	}
	csv_buffer_free(&buf);
	if (rc) /* memory is ahead of the files: read them again next time */
		s->loaded = 0;
	return rc;
}

static int push(la_product ***list, size_t *count, size_t *cap, la_product *p)
{
	if (*count == *cap) {
		size_t n = *cap ? *cap * 2 : 8;
		la_product **q = realloc(*list, n * sizeof(*q));
		if (!q)
			return la_error_set(LA_ENOMEM, "out of memory");
		*list = q;
		*cap = n;
	}
	(*list)[(*count)++] = p;
	return LA_OK;
}

/* ---- unit of work ---- */

static int csv_begin(void *state)
{
	csv_store *s = state;
	int rc = lock(s, LOCK_EX);
	if (rc)
		return rc;
	rc = csv_store_refresh(s);
	if (rc) {
		unlock(s);
		return rc;
	}
	s->in_unit = 1;
	return LA_OK;
}

static void csv_rollback(void *state)
{
	csv_store *s = state;
	/* nothing reached memory or the files; keep the products alive until end */
	for (size_t i = 0; i < s->seen_count; i++) {
		if (push(&s->dropped, &s->dropped_count, &s->dropped_cap, s->seen[i]))
			la_product_free(
			    s->seen[i]); /* out of memory: no one uses it after rollback */
	}
	s->seen_count = 0;
}

static void csv_end(void *state)
{
	csv_store *s = state;
	for (size_t i = 0; i < s->seen_count; i++)
		la_product_free(s->seen[i]);
	for (size_t i = 0; i < s->dropped_count; i++)
		la_product_free(s->dropped[i]);
	s->seen_count = s->dropped_count = 0;
	s->in_unit = 0;
	unlock(s);
}

/* ---- repository ---- */

static int csv_add(la_product *product, void *state)
{
	csv_store *s = state;
	int rc = push(&s->seen, &s->seen_count, &s->seen_cap, product);
	if (rc)
		la_product_free(product);
	return rc;
}

static la_product *seen_product(csv_store *s, const char *sku)
{
	for (size_t i = 0; i < s->seen_count; i++)
		if (strcmp(la_product_sku(s->seen[i]), sku) == 0)
			return s->seen[i];
	return NULL;
}

int csv_store_knows(const csv_store *s, const char *sku)
{
	return csv_data_has_product(&s->data, sku) || la__strmap_get(&s->known_skus, sku);
}

static int csv_get(la_product **out, const char *sku, void *state)
{
	csv_store *s = state;
	if ((*out = seen_product(s, sku)) != NULL)
		return LA_OK;
	if (!csv_store_knows(s, sku))
		return LA_ENOTFOUND;
	la_product *p;
	int rc = la_product_load(&p, sku, csv_data_version(&s->data, sku));
	for (size_t i = 0; rc == LA_OK && i < s->data.batch_count; i++) {
		const csv_batch *b = &s->data.batches[i];
		if (!b->removed && strcmp(b->sku, sku) == 0)
			rc = la_product_load_batch(p, b->ref, b->purchased, b->eta, b->allocated,
			                           b->lines, b->sequence);
	}
	if (rc == LA_OK)
		rc = push(&s->seen, &s->seen_count, &s->seen_cap, p);
	if (rc) {
		la_product_free(p);
		return rc;
	}
	*out = p;
	return LA_OK;
}

static int csv_get_by_batchref(la_product **out, const char *ref, void *state)
{
	csv_store *s = state;
	for (size_t i = 0; i < s->seen_count; i++)
		if (la_product_find_batch(s->seen[i], ref)) {
			*out = s->seen[i];
			return LA_OK;
		}
	long b = csv_data_find_batch(&s->data, ref);
	if (b < 0)
		return LA_ENOTFOUND;
	return csv_get(out, s->data.batches[b].sku, state);
}

static int csv_load_line(la_product *product, const char *orderid, void *state)
{
	csv_store *s = state;
	long i = csv_data_find_line(&s->data, orderid, la_product_sku(product));
	if (i == CSV_FIND_NO_MEMORY)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (i < 0)
		return LA_OK; /* (one deallocated in this unit of work is ignored by the product) */
	const csv_line *l = &s->data.lines[i];
	return la_product_load_line(product, l->batchref, l->orderid, l->qty, l->sequence);
}

static int csv_load_batch_lines(la_product *product, const char *ref, void *state)
{
	csv_store *s = state;
	for (size_t i = 0; i < s->data.line_count; i++) {
		const csv_line *l = &s->data.lines[i];
		if (l->removed || strcmp(l->batchref, ref) != 0)
			continue;
		int rc =
		    la_product_load_line(product, l->batchref, l->orderid, l->qty, l->sequence);
		if (rc)
			return rc;
	}
	return la_product_batch_lines_loaded(product, ref);
}

/* ---- read model ---- */

/* Queries lock the folder shared, unless a unit of work or deferred mode
 * already holds it (flock would convert that lock). */
static int query_begin(csv_store *s)
{
	if (s->in_unit || s->deferred)
		return LA_OK;
	int rc = lock(s, LOCK_SH);
	if (rc)
		return rc;
	rc = csv_store_refresh(s);
	if (rc)
		flock(s->dirfd, LOCK_UN);
	return rc;
}

static void query_end(csv_store *s)
{
	if (!s->in_unit && !s->deferred)
		flock(s->dirfd, LOCK_UN);
}

static int csv_allocations(la_allocation_list *into, const char *orderid, void *state)
{
	csv_store *s = state;
	int rc = query_begin(s);
	for (size_t i = 0; rc == LA_OK && i < s->data.line_count; i++) {
		const csv_line *l = &s->data.lines[i];
		if (!l->removed && strcmp(l->orderid, orderid) == 0)
			rc = la_allocation_list_append(into, l->sku, l->batchref);
	}
	query_end(s);
	return rc;
}

static int csv_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                       void *state)
{
	csv_store *s = state;
	int rc = query_begin(s);
	if (rc == LA_OK)
		rc = csv_store_batches(into, &s->data, sku, limit, after);
	query_end(s);
	return rc;
}

static int csv_batch_row(la_batch_page *into, const char *ref, void *state)
{
	csv_store *s = state;
	int rc = query_begin(s);
	long i = rc == LA_OK ? csv_data_find_batch(&s->data, ref) : -1;
	if (i >= 0) {
		const csv_batch *b = &s->data.batches[i];
		rc = la_batch_page_append(into, b->ref, b->sku, b->eta, b->purchased, b->allocated,
		                          b->lines);
	}
	query_end(s);
	return rc;
}

static void csv_close(void *state)
{
	csv_store *s = state;
	if (!s)
		return;
	csv_end(s);
	csv_data_free(&s->data);
	size_t index = 0;
	const char *key;
	void *value;
	while (la__strmap_next(&s->known_skus, &index, &key, &value))
		la__free(value);
	la__strmap_dispose(&s->known_skus);
	free(s->seen);
	free(s->dropped);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
}

static const la_store_port csv_port = {
    .version = LA_STORE_PORT_VERSION,
    .name = "csv",
    .begin = csv_begin,
    .commit = csv_store_commit,
    .rollback = csv_rollback,
    .end = csv_end,
    .add = csv_add,
    .get = csv_get,
    .get_by_batchref = csv_get_by_batchref,
    .load_line = csv_load_line,
    .load_batch_lines = csv_load_batch_lines,
    .allocations = csv_allocations,
    .batches = csv_batches,
    .relay_outbox = NULL,
    .close = csv_close,
    .batch = csv_batch_row,
};

/* ---- deferred mode (allocate-from-csv: one rewrite for all orders) ---- */

int csv_store_defer(csv_store *s)
{
	int rc = lock(s, LOCK_EX);
	if (rc == LA_OK)
		rc = csv_store_refresh(s);
	if (rc) {
		flock(s->dirfd, LOCK_UN);
		return rc;
	}
	s->deferred = 1;
	return LA_OK;
}

int csv_store_flush(csv_store *s)
{
	int rc = s->broken ? la_error_set(LA_ESTATE, "a commit failed half-way; nothing written")
	                   : csv_store_write(s);
	if (s->broken)
		s->loaded = 0;
	s->broken = 0;
	s->deferred = 0;
	flock(s->dirfd, LOCK_UN);
	return rc;
}

void csv_store_discard(csv_store *s)
{
	s->loaded = 0;
	s->dirty_batches = s->dirty_allocations = 0;
	s->deferred = 0;
	s->broken = 0;
	flock(s->dirfd, LOCK_UN);
}

/* ---- opening ---- */

int csv_store_create(la_store **out, csv_store **state, const char *folder)
{
	*out = NULL;
	if (!folder || !*folder)
		return la_error_set(LA_EINVAL, "CSV folder: empty path");
	csv_store *s = calloc(1, sizeof(*s));
	if (!s)
		return la_error_set(LA_ENOMEM, "out of memory");
	s->dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		int e = errno;
		char why[LA__ERRNO_TEXT_SIZE];
		free(s);
		return la_error_set(LA_EIO, "cannot open CSV folder %s: %s", folder,
		                    la__errno_text(e, why));
	}
	/* load now so a missing or bad batches.csv is reported at open */
	int rc = lock(s, LOCK_SH);
	if (rc == LA_OK) {
		rc = csv_store_refresh(s);
		flock(s->dirfd, LOCK_UN);
	}
	if (rc) {
		csv_close(s);
		return rc;
	}
	rc = la_store_new(out, &csv_port, s);
	if (rc == LA_OK && state)
		*state = s;
	return rc;
}

int la_csv_options_init(la_csv_options *opts, unsigned int version)
{
	if (!opts || version < 1 || version > LA_CSV_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED, "CSV options version %u is not supported",
		                    version);
	la_csv_options defaults = LA_CSV_OPTIONS_INIT;
	*opts = defaults;
	opts->version = version;
	return LA_OK;
}

int la_csv_store_open_ext(la_store **out, const char *folder, const la_csv_options *opts)
{
	if (!out)
		return la_error_set(LA_EINVAL, "out must not be NULL");
	if (opts && (opts->version < 1 || opts->version > LA_CSV_OPTIONS_VERSION))
		return la_error_set(LA_EUNSUPPORTED, "CSV options version %u is not supported",
		                    opts->version);
	return csv_store_create(out, NULL, folder);
}

int la_csv_store_open(la_store **out, const char *folder)
{
	return la_csv_store_open_ext(out, folder, NULL);
}
