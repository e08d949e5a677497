/*
 * Background WAL checkpoints: a thread of the store with its own connection
 * copies the WAL back into the database file, so that no commit ever pays
 * for a checkpoint (SQLite's default runs one inside the commit that crosses
 * 1,000 pages). The writer's WAL hook wakes the thread when the WAL has
 * grown past the threshold; the thread runs PASSIVE checkpoints, which
 * never wait for readers or writers (frames still in use stay for the
 * next one). A failed checkpoint is logged and tried again later: the WAL
 * only grows meanwhile, nothing is lost.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "sqlite_store.h"

/* The WAL's growth in pages that wakes the thread (SQLite's own default
 * checkpoints every 1,000). */
#define WAKE_AT_PAGES 512
/* Pages past which the writer copies the rest itself (see on_commit). */
#define RESTART_AT_PAGES 2048
/* The thread also looks every so often, in case a wake-up was missed. */
#define IDLE_WAIT_MS 1000

struct sq_checkpointer {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending;   /* the WAL grew past the threshold since the last run */
	int next_wake; /* WAL size that wakes the thread next (the writer's own) */
	int stopping;
	char *path;
	unsigned long long runs, failures; /* for tests and logs */
};

static void *run(void *arg)
{
	struct sq_checkpointer *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		if (!c->pending) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += IDLE_WAIT_MS / 1000;
			pthread_cond_timedwait(&c->wake, &c->lock, &until);
		}
		if (c->stopping)
			break;
		c->pending = 0;
		pthread_mutex_unlock(&c->lock);
		int log_pages = 0, done_pages = 0;
		int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		                                   &log_pages, &done_pages);
		pthread_mutex_lock(&c->lock);
		c->runs++;
		if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
			c->failures++;
			la_log(LA_LOG_WARN, "SQLite %s: background checkpoint failed: %s", c->path,
			       sqlite3_errstr(rc));
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * The writer's WAL hook: called after each commit with the WAL's size.
 * SQLite starts the WAL over (reuses its space from the start) only at a
 * commit that begins when every frame has been copied; under steady writes
 * the thread's checkpoints always leave the last commit's frames behind, so
 * the WAL would only grow (600 MB in 4 s of one client). Past
 * RESTART_AT_PAGES the writer copies what the thread has not yet (a few
 * pages, normally) with its own PASSIVE checkpoint, after its commit, so the
 * next commit starts the WAL over. BUSY (the thread is at it) waits for the
 * next commit; the commit itself is done whatever happens here.
 */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq_checkpointer *c = arg;
	if (pages >= RESTART_AT_PAGES) {
		int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
			la_log(LA_LOG_WARN, "SQLite %s: checkpoint after a commit failed: %s",
			       c->path, sqlite3_errstr(rc));
		return SQLITE_OK;
	}
	/* Once per WAKE_AT_PAGES of growth, not at every commit past it: woken
	 * at each, the thread checkpointed without a pause (an fsync or two per
	 * request for a lone client, 1.45 on average). */
	if (pages < c->next_wake - WAKE_AT_PAGES)
		c->next_wake = WAKE_AT_PAGES; /* the WAL started over */
	if (pages >= c->next_wake) {
		c->next_wake = pages + WAKE_AT_PAGES;
		pthread_mutex_lock(&c->lock);
		c->pending = 1;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
	}
	return SQLITE_OK;
}

static void destroy(struct sq_checkpointer *c)
{
	sqlite3_close_v2(c->db);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int sq_checkpointer_start(struct sq_store *store)
{
	struct sq_checkpointer *c = calloc(1, sizeof *c);
	if (!c)
		return la_error_set(LA_ENOMEM, "Out of memory");
	c->path = store->path;
	c->next_wake = WAKE_AT_PAGES;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return la_error_set(LA_ENOMEM, "SQLite %s: cannot make a mutex", store->path);
	}
	if (pthread_cond_init(&c->wake, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return la_error_set(LA_ENOMEM, "SQLite %s: cannot make a condition", store->path);
	}
	int rc =
	    sqlite3_open_v2(store->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		destroy(c);
		return la_error_set(LA_EIO, "SQLite %s: cannot open the checkpoint connection: %s",
		                    store->path, sqlite3_errstr(rc));
	}
	sqlite3_busy_timeout(c->db, 100);
	/* A connection that has read nothing does not know the file is in WAL
	 * mode, and its checkpoints are silent no-ops: read the schema first. */
	rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int failed = la_error_set(
		    LA_EIO, "SQLite %s: cannot read with the checkpoint connection: %s",
		    store->path, sqlite3_errmsg(c->db));
		destroy(c);
		return failed;
	}
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		destroy(c);
		return la_error_set(LA_EIO, "SQLite %s: cannot start the checkpoint thread",
		                    store->path);
	}
	/* the writer no longer checkpoints in its commits; the thread does */
	sqlite3_wal_autocheckpoint(store->db, 0);
	sqlite3_wal_hook(store->db, on_commit, c);
	store->checkpointer = c;
	return LA_OK;
}

void sq_checkpointer_stop(struct sq_store *store)
{
	struct sq_checkpointer *c = store->checkpointer;
	if (!c)
		return;
	sqlite3_wal_hook(store->db, NULL, NULL);
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	destroy(c);
	store->checkpointer = NULL;
}

unsigned long long sq_checkpointer_runs(const struct sq_store *store)
{
	const struct sq_checkpointer *c = store->checkpointer;
	if (!c)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	unsigned long long runs = c->runs;
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
	return runs;
}
