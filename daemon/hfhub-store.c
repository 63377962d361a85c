/* HfhubStore: the job queue in SQLite.
 *
 * This is the only file of hfhub that includes sqlite3.h.
 *
 * Schema versions (kept in PRAGMA user_version; every released version has a
 * fixture in tests/data/schema-vN.sql and an upgrade test):
 *   v0  empty file / no schema
 *   v1  create table jobs + index jobs_state
 *   v2  create table job_files (cascades on job removal)
 *   v3  create table hub_answers (the last answer of the Hub's read API per
 *       request, served when offline; see hfhub-repos.h)
 *   v4  job_files gains local_path, mtime_ns, inode and transfer (uploads:
 *       the local file, what says it is unchanged, the LFS transfer in
 *       flight) + index job_files_local_path
 *   v5  jobs gains owner_session, owner_app and owner_exe (who created the
 *       job: the bus or peer server its owner name is valid on, and the
 *       caller's application ID and executable)
 *
 * Rules:
 *  - migrations are numbered functions run from a fall-through switch, each in
 *    its own BEGIN IMMEDIATE … COMMIT together with its user_version bump, so a
 *    crash leaves the file at a well-defined version;
 *  - a released migration never changes: fix mistakes with a new version;
 *  - a database whose schema is newer than HFHUB_STORE_CURRENT_SCHEMA_VERSION
 *    is refused with an error naming both versions and left exactly where it
 *    is (no WAL switch, no checkpoint): the newer hfhubd that wrote it can still
 *    use it, and the user's queue must not be lost by a downgrade;
 *  - a database that is damaged (not a database, quick_check fails, corrupt
 *    pages, a migration fails) is closed, renamed with its -wal/-shm files to
 *    "<path>.broken-<UTC timestamp>" and the daemon refuses to start; nothing
 *    is ever deleted. Failures caused by the environment rather than the file
 *    (busy, read-only, disk full, I/O error, permissions) leave it in place;
 *  - SQL text is constant: values only ever go through sqlite3_bind_*().
 */

#include "config.h"

#define G_LOG_DOMAIN "HfhubStore"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "hfhub-error.h"
#include "hfhub-store.h"

#define HFHUB_STORE_CURRENT_SCHEMA_VERSION 5
#define HFHUB_STORE_BUSY_TIMEOUT_MS	   5000
/* answers kept for offline use; the oldest go first */
#define HFHUB_STORE_MAX_ANSWERS 5000

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3, sqlite3_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* a cached statement borrowed for one call: reset and unbound on scope exit,
 * never finalized */
typedef sqlite3_stmt HfhubCachedStmt;

static void
hfhub_cached_stmt_release(HfhubCachedStmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCachedStmt, hfhub_cached_stmt_release)

typedef enum {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_ADD_JOB,
	STMT_UPDATE_JOB,
	STMT_UPDATE_PROGRESS,
	STMT_GET_JOB,
	STMT_LIST_JOBS,
	STMT_REMOVE_JOB,
	STMT_PUT_FILE,
	STMT_LIST_FILES,
	STMT_REMOVE_FILES,
	STMT_LOOKUP_HASHES,
	STMT_PUT_ANSWER,
	STMT_GET_ANSWER,
	STMT_FORGET_ANSWERS,
	STMT_PRUNE_ANSWERS,
	STMT_LAST
} HfhubStoreStmt;

/* column order shared by STMT_GET_JOB and STMT_LIST_JOBS, see
 * hfhub_store_job_from_stmt() */
#define JOB_COLUMNS                                                                               \
	"id, kind, state, state_reason, repo_type, repo_id, revision, options, priority, owner, " \
	"identity, created, updated, bytes_done, bytes_total, files_done, files_total, "          \
	"error_name, error_message, result, owner_session, owner_app, owner_exe"

/* ?1 is the id (unused by the INSERT), ?2…?23 follow JOB_COLUMNS, see
 * hfhub_store_bind_job() */
static const gchar *const stmt_sql[] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT] = "SAVEPOINT hfhub_txn",
	[STMT_RELEASE] = "RELEASE hfhub_txn",
	[STMT_ROLLBACK_TO] = "ROLLBACK TO hfhub_txn",
	[STMT_ADD_JOB] = "INSERT INTO jobs (kind, state, state_reason, repo_type, repo_id, "
			 "revision, options, priority, owner, identity, created, updated, "
			 "bytes_done, bytes_total, files_done, files_total, error_name, "
			 "error_message, result, owner_session, owner_app, owner_exe) VALUES "
			 "(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
			 "?17, ?18, ?19, ?20, ?21, ?22, ?23)",
	[STMT_UPDATE_JOB] = "UPDATE jobs SET kind = ?2, state = ?3, state_reason = ?4, "
			    "repo_type = ?5, repo_id = ?6, revision = ?7, options = ?8, "
			    "priority = ?9, owner = ?10, identity = ?11, created = ?12, "
			    "updated = ?13, bytes_done = ?14, bytes_total = ?15, "
			    "files_done = ?16, files_total = ?17, error_name = ?18, "
			    "error_message = ?19, result = ?20, owner_session = ?21, "
			    "owner_app = ?22, owner_exe = ?23 WHERE id = ?1",
	[STMT_UPDATE_PROGRESS] = "UPDATE jobs SET bytes_done = ?2, bytes_total = ?3, "
				 "files_done = ?4, files_total = ?5 WHERE id = ?1",
	[STMT_GET_JOB] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
	[STMT_LIST_JOBS] = "SELECT " JOB_COLUMNS " FROM jobs ORDER BY created, id",
	[STMT_REMOVE_JOB] = "DELETE FROM jobs WHERE id = ?1",
	[STMT_PUT_FILE] = "INSERT INTO job_files (job_id, path, size, oid, lfs, state, partial, "
			  "bytes_done, etag, local_path, mtime_ns, inode, transfer) VALUES "
			  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
			  "ON CONFLICT (job_id, path) DO UPDATE SET size = excluded.size, "
			  "oid = excluded.oid, lfs = excluded.lfs, state = excluded.state, "
			  "partial = excluded.partial, bytes_done = excluded.bytes_done, "
			  "etag = excluded.etag, local_path = excluded.local_path, "
			  "mtime_ns = excluded.mtime_ns, inode = excluded.inode, "
			  "transfer = excluded.transfer",
	[STMT_LIST_FILES] = "SELECT job_id, path, size, oid, lfs, state, partial, bytes_done, "
			    "etag, local_path, mtime_ns, inode, transfer FROM job_files "
			    "WHERE job_id = ?1 ORDER BY path",
	[STMT_REMOVE_FILES] = "DELETE FROM job_files WHERE job_id = ?1",
	/* the newest job that hashed this very file */
	[STMT_LOOKUP_HASHES] = "SELECT oid, etag FROM job_files WHERE local_path = ?1 AND "
			       "size = ?2 AND mtime_ns = ?3 AND inode = ?4 AND oid IS NOT NULL "
			       "ORDER BY job_id DESC LIMIT 1",
	[STMT_PUT_ANSWER] =
		"INSERT INTO hub_answers (endpoint, repo_type, repo_id, what, revision, "
		"answer, fetched) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT (endpoint, repo_type, repo_id, what, revision) DO UPDATE "
		"SET answer = excluded.answer, fetched = excluded.fetched",
	[STMT_GET_ANSWER] = "SELECT answer, fetched FROM hub_answers WHERE endpoint = ?1 AND "
			    "repo_type = ?2 AND repo_id = ?3 AND what = ?4 AND revision = ?5",
	[STMT_FORGET_ANSWERS] = "DELETE FROM hub_answers WHERE endpoint = ?1 AND repo_type = ?2 "
				"AND repo_id = ?3",
	/* keeps the ?1 most recent answers */
	[STMT_PRUNE_ANSWERS] = "DELETE FROM hub_answers WHERE rowid IN (SELECT rowid FROM "
			       "hub_answers ORDER BY fetched DESC, rowid DESC LIMIT -1 OFFSET ?1)",
};
G_STATIC_ASSERT(G_N_ELEMENTS(stmt_sql) == STMT_LAST);

struct _HfhubStore {
	GObject parent_instance;
	gchar *path;
	sqlite3 *db;
	guint schema_version;
	gint last_rc; /* primary result code of the last failure */
	sqlite3_stmt *stmts[STMT_LAST];
};

G_DEFINE_FINAL_TYPE(HfhubStore, hfhub_store, G_TYPE_OBJECT)

/* ---- records */

HfhubJobRecord *
hfhub_job_record_new(void)
{
	HfhubJobRecord *rec = g_new0(HfhubJobRecord, 1);
	rec->state = HFHUB_JOB_STATE_QUEUED;
	return rec;
}

/* takes a full reference, sinking a floating one that @v's owner holds */
static GVariant *
hfhub_store_variant_ref(GVariant *v)
{
	if (v == NULL)
		return NULL;
	if (g_variant_is_floating(v))
		g_variant_ref_sink(v);
	return g_variant_ref(v);
}

HfhubJobRecord *
hfhub_job_record_copy(const HfhubJobRecord *rec)
{
	HfhubJobRecord *copy;

	g_return_val_if_fail(rec != NULL, NULL);

	copy = g_new0(HfhubJobRecord, 1);
	copy->id = rec->id;
	copy->kind = g_strdup(rec->kind);
	copy->state = rec->state;
	copy->state_reason = g_strdup(rec->state_reason);
	copy->repo_type = g_strdup(rec->repo_type);
	copy->repo_id = g_strdup(rec->repo_id);
	copy->revision = g_strdup(rec->revision);
	copy->options = hfhub_store_variant_ref(rec->options);
	copy->priority = rec->priority;
	copy->owner = g_strdup(rec->owner);
	copy->owner_session = g_strdup(rec->owner_session);
	copy->owner_app = g_strdup(rec->owner_app);
	copy->owner_exe = g_strdup(rec->owner_exe);
	copy->identity = g_strdup(rec->identity);
	copy->created = rec->created;
	copy->updated = rec->updated;
	copy->bytes_done = rec->bytes_done;
	copy->bytes_total = rec->bytes_total;
	copy->files_done = rec->files_done;
	copy->files_total = rec->files_total;
	copy->error_name = g_strdup(rec->error_name);
	copy->error_message = g_strdup(rec->error_message);
	copy->result = hfhub_store_variant_ref(rec->result);
	return copy;
}

void
hfhub_job_record_free(HfhubJobRecord *rec)
{
	if (rec == NULL)
		return;
	g_free(rec->kind);
	g_free(rec->state_reason);
	g_free(rec->repo_type);
	g_free(rec->repo_id);
	g_free(rec->revision);
	g_clear_pointer(&rec->options, g_variant_unref);
	g_free(rec->owner);
	g_free(rec->owner_session);
	g_free(rec->owner_app);
	g_free(rec->owner_exe);
	g_free(rec->identity);
	g_free(rec->error_name);
	g_free(rec->error_message);
	g_clear_pointer(&rec->result, g_variant_unref);
	g_free(rec);
}

HfhubJobFileRecord *
hfhub_job_file_record_new(void)
{
	return g_new0(HfhubJobFileRecord, 1);
}

void
hfhub_job_file_record_free(HfhubJobFileRecord *rec)
{
	if (rec == NULL)
		return;
	g_free(rec->path);
	g_free(rec->oid);
	g_free(rec->state);
	g_free(rec->partial);
	g_free(rec->etag);
	g_free(rec->local_path);
	g_free(rec->transfer);
	g_free(rec);
}

/* ---- low-level helpers */

static gboolean
hfhub_store_fail(HfhubStore *self, GError **error, const gchar *what)
{
	gint rc = sqlite3_extended_errcode(self->db);
	const gchar *msg = sqlite3_errmsg(self->db);
	const gchar *str = sqlite3_errstr(rc);

	self->last_rc = rc & 0xff;
	if (g_strcmp0(msg, str) == 0)
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE, "%s: %s", what, msg);
	else
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE, "%s: %s (%s)", what, msg, str);
	return FALSE;
}

static sqlite3_stmt *
hfhub_store_stmt(HfhubStore *self, HfhubStoreStmt which, GError **error)
{
	if (self->stmts[which] == NULL) {
		gint rc = sqlite3_prepare_v2(self->db, stmt_sql[which], -1, &self->stmts[which],
					     NULL);
		if (rc != SQLITE_OK) {
			hfhub_store_fail(self, error, "failed to prepare statement");
			return NULL;
		}
	}
	return self->stmts[which];
}

static gboolean
hfhub_store_step_done(HfhubStore *self, sqlite3_stmt *stmt, const gchar *what, GError **error)
{
	if (sqlite3_step(stmt) != SQLITE_DONE)
		return hfhub_store_fail(self, error, what);
	return TRUE;
}

/* runs every statement of a constant SQL script, ignoring result rows */
static gboolean
hfhub_store_exec(HfhubStore *self, const gchar *sql, GError **error)
{
	const gchar *tail = sql;

	while (tail != NULL && *tail != '\0') {
		g_autoptr(sqlite3_stmt) stmt = NULL;
		const gchar *next = NULL;
		gint rc;

		if (sqlite3_prepare_v2(self->db, tail, -1, &stmt, &next) != SQLITE_OK)
			return hfhub_store_fail(self, error, "failed to prepare statement");
		tail = next;
		if (stmt == NULL)
			continue; /* only whitespace or comments were left */
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		}
		if (rc != SQLITE_DONE)
			return hfhub_store_fail(self, error, "failed to execute statement");
	}
	return TRUE;
}

static gboolean
hfhub_store_read_user_version(HfhubStore *self, guint *version, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 value;

	if (sqlite3_prepare_v2(self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return hfhub_store_fail(self, error, "failed to read the schema version");
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return hfhub_store_fail(self, error, "failed to read the schema version");
	value = sqlite3_column_int64(stmt, 0);
	if (value < 0 || value > G_MAXINT) {
		self->last_rc = SQLITE_CORRUPT;
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE,
			    "invalid schema version %" G_GINT64_FORMAT, value);
		return FALSE;
	}
	*version = (guint)value;
	return TRUE;
}

static void
hfhub_store_bind_text(sqlite3_stmt *stmt, gint idx, const gchar *text)
{
	/* transient: bound values may be temporaries of the caller */
	sqlite3_bind_text(stmt, idx, text, -1, SQLITE_TRANSIENT);
}

static void
hfhub_store_bind_variant(sqlite3_stmt *stmt, gint idx, GVariant *value)
{
	g_autofree gchar *text = NULL;

	if (value == NULL) {
		sqlite3_bind_null(stmt, idx);
		return;
	}
	text = g_variant_print(value, TRUE);
	hfhub_store_bind_text(stmt, idx, text);
}

static gchar *
hfhub_store_column_dup(sqlite3_stmt *stmt, gint col)
{
	return g_strdup((const gchar *)sqlite3_column_text(stmt, col));
}

static GVariant *
hfhub_store_empty_vardict(void)
{
	return g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

/* never NULL: unreadable text becomes an empty dictionary, so one bad row
 * cannot take the daemon down */
static GVariant *
hfhub_store_column_vardict(sqlite3_stmt *stmt, gint col, guint64 id, const gchar *name)
{
	const gchar *text = (const gchar *)sqlite3_column_text(stmt, col);
	g_autoptr(GError) error_local = NULL;
	GVariant *value;

	if (text == NULL)
		return hfhub_store_empty_vardict();
	value = g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error_local);
	if (value == NULL) {
		g_warning("job %" G_GUINT64_FORMAT ": cannot parse the %s column, using an empty "
			  "dictionary: %s",
			  id, name, error_local->message);
		return hfhub_store_empty_vardict();
	}
	return value; /* g_variant_parse() returns a full reference */
}

/* binds ?2…?20 in JOB_COLUMNS order; the caller binds ?1 */
static void
hfhub_store_bind_job(sqlite3_stmt *stmt, const HfhubJobRecord *rec)
{
	hfhub_store_bind_text(stmt, 2, rec->kind);
	hfhub_store_bind_text(stmt, 3, hfhub_job_state_to_string(rec->state));
	hfhub_store_bind_text(stmt, 4, rec->state_reason);
	hfhub_store_bind_text(stmt, 5, rec->repo_type);
	hfhub_store_bind_text(stmt, 6, rec->repo_id);
	hfhub_store_bind_text(stmt, 7, rec->revision);
	hfhub_store_bind_variant(stmt, 8, rec->options);
	sqlite3_bind_int(stmt, 9, rec->priority);
	hfhub_store_bind_text(stmt, 10, rec->owner);
	hfhub_store_bind_text(stmt, 11, rec->identity);
	sqlite3_bind_int64(stmt, 12, rec->created);
	sqlite3_bind_int64(stmt, 13, rec->updated);
	/* unsigned 64-bit values are stored bit-for-bit as signed integers */
	sqlite3_bind_int64(stmt, 14, (sqlite3_int64)rec->bytes_done);
	sqlite3_bind_int64(stmt, 15, (sqlite3_int64)rec->bytes_total);
	sqlite3_bind_int64(stmt, 16, rec->files_done);
	sqlite3_bind_int64(stmt, 17, rec->files_total);
	hfhub_store_bind_text(stmt, 18, rec->error_name);
	hfhub_store_bind_text(stmt, 19, rec->error_message);
	hfhub_store_bind_variant(stmt, 20, rec->result);
	hfhub_store_bind_text(stmt, 21, rec->owner_session);
	hfhub_store_bind_text(stmt, 22, rec->owner_app);
	hfhub_store_bind_text(stmt, 23, rec->owner_exe);
}

static HfhubJobRecord *
hfhub_store_job_from_stmt(sqlite3_stmt *stmt)
{
	HfhubJobRecord *rec = hfhub_job_record_new();
	const gchar *state = (const gchar *)sqlite3_column_text(stmt, 2);

	rec->id = (guint64)sqlite3_column_int64(stmt, 0);
	rec->kind = hfhub_store_column_dup(stmt, 1);
	if (!hfhub_job_state_from_string(state, &rec->state)) {
		/* do not run a job whose state we do not understand */
		g_warning("job %" G_GUINT64_FORMAT ": unknown state '%s', treating it as failed",
			  rec->id, state != NULL ? state : "(null)");
		rec->state = HFHUB_JOB_STATE_FAILED;
	}
	rec->state_reason = hfhub_store_column_dup(stmt, 3);
	rec->repo_type = hfhub_store_column_dup(stmt, 4);
	rec->repo_id = hfhub_store_column_dup(stmt, 5);
	rec->revision = hfhub_store_column_dup(stmt, 6);
	rec->options = hfhub_store_column_vardict(stmt, 7, rec->id, "options");
	rec->priority = sqlite3_column_int(stmt, 8);
	rec->owner = hfhub_store_column_dup(stmt, 9);
	rec->identity = hfhub_store_column_dup(stmt, 10);
	rec->created = sqlite3_column_int64(stmt, 11);
	rec->updated = sqlite3_column_int64(stmt, 12);
	rec->bytes_done = (guint64)sqlite3_column_int64(stmt, 13);
	rec->bytes_total = (guint64)sqlite3_column_int64(stmt, 14);
	rec->files_done = (guint)sqlite3_column_int64(stmt, 15);
	rec->files_total = (guint)sqlite3_column_int64(stmt, 16);
	rec->error_name = hfhub_store_column_dup(stmt, 17);
	rec->error_message = hfhub_store_column_dup(stmt, 18);
	rec->result = hfhub_store_column_vardict(stmt, 19, rec->id, "result");
	rec->owner_session = hfhub_store_column_dup(stmt, 20);
	rec->owner_app = hfhub_store_column_dup(stmt, 21);
	rec->owner_exe = hfhub_store_column_dup(stmt, 22);
	return rec;
}

static HfhubJobFileRecord *
hfhub_store_job_file_from_stmt(sqlite3_stmt *stmt)
{
	HfhubJobFileRecord *rec = hfhub_job_file_record_new();

	rec->job_id = (guint64)sqlite3_column_int64(stmt, 0);
	rec->path = hfhub_store_column_dup(stmt, 1);
	rec->size = (guint64)sqlite3_column_int64(stmt, 2);
	rec->oid = hfhub_store_column_dup(stmt, 3);
	rec->lfs = sqlite3_column_int(stmt, 4) != 0;
	rec->state = hfhub_store_column_dup(stmt, 5);
	rec->partial = hfhub_store_column_dup(stmt, 6);
	rec->bytes_done = (guint64)sqlite3_column_int64(stmt, 7);
	rec->etag = hfhub_store_column_dup(stmt, 8);
	rec->local_path = hfhub_store_column_dup(stmt, 9);
	rec->mtime_ns = sqlite3_column_int64(stmt, 10);
	rec->inode = (guint64)sqlite3_column_int64(stmt, 11);
	rec->transfer = hfhub_store_column_dup(stmt, 12);
	return rec;
}

static gint64
hfhub_store_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* ---- transactions */

static gboolean
hfhub_store_run_stmt(HfhubStore *self, HfhubStoreStmt which, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = hfhub_store_stmt(self, which, error);
	if (stmt == NULL)
		return FALSE;
	return hfhub_store_step_done(self, stmt, stmt_sql[which], error);
}

/* Called inside another transaction (from @func), it nests as a SAVEPOINT:
 * a failure rolls back only the inner part and the outer @func decides. */
gboolean
hfhub_store_transaction(HfhubStore *self, HfhubStoreTxnFunc func, gpointer user_data,
			GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gboolean outer;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);
	g_return_val_if_fail(func != NULL, FALSE);

	/* nested calls become savepoints so an inner failure only undoes itself */
	outer = sqlite3_get_autocommit(self->db) != 0;

	if (!hfhub_store_run_stmt(self, outer ? STMT_BEGIN : STMT_SAVEPOINT, error))
		return FALSE;
	if (func(self, user_data, &error_local) &&
	    hfhub_store_run_stmt(self, outer ? STMT_COMMIT : STMT_RELEASE, &error_local))
		return TRUE;

	/* some errors (e.g. SQLITE_FULL) already rolled the transaction back */
	if (!sqlite3_get_autocommit(self->db)) {
		g_autoptr(GError) error_rollback = NULL;
		if (outer) {
			if (!hfhub_store_run_stmt(self, STMT_ROLLBACK, &error_rollback))
				g_warning("%s", error_rollback->message);
		} else {
			if (!hfhub_store_run_stmt(self, STMT_ROLLBACK_TO, &error_rollback) ||
			    !hfhub_store_run_stmt(self, STMT_RELEASE, &error_rollback))
				g_warning("%s", error_rollback->message);
		}
	}
	if (error_local == NULL) {
		/* a HfhubStoreTxnFunc that fails must set an error; do not crash on it */
		g_critical("a transaction function failed without setting an error");
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_STORE, "transaction failed");
		return FALSE;
	}
	g_propagate_error(error, g_steal_pointer(&error_local));
	return FALSE;
}

/* ---- schema */

static gboolean
hfhub_store_migrate_v1(HfhubStore *self, GError **error)
{
	/* keep identical to tests/data/schema-v1.sql */
	return hfhub_store_exec(self,
				"CREATE TABLE jobs ("
				"id INTEGER PRIMARY KEY AUTOINCREMENT, "
				"kind TEXT NOT NULL, "
				"state TEXT NOT NULL, "
				"state_reason TEXT, "
				"repo_type TEXT, "
				"repo_id TEXT, "
				"revision TEXT, "
				"options TEXT, "
				"priority INTEGER NOT NULL DEFAULT 0, "
				"owner TEXT, "
				"identity TEXT, "
				"created INTEGER NOT NULL DEFAULT 0, "
				"updated INTEGER NOT NULL DEFAULT 0, "
				"bytes_done INTEGER NOT NULL DEFAULT 0, "
				"bytes_total INTEGER NOT NULL DEFAULT 0, "
				"files_done INTEGER NOT NULL DEFAULT 0, "
				"files_total INTEGER NOT NULL DEFAULT 0, "
				"error_name TEXT, "
				"error_message TEXT, "
				"result TEXT);"
				"CREATE INDEX jobs_state ON jobs (state);"
				"PRAGMA user_version = 1;",
				error);
}

static gboolean
hfhub_store_migrate_v2(HfhubStore *self, GError **error)
{
	return hfhub_store_exec(self,
				"CREATE TABLE job_files ("
				"job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE, "
				"path TEXT NOT NULL, "
				"size INTEGER NOT NULL DEFAULT 0, "
				"oid TEXT, "
				"lfs INTEGER NOT NULL DEFAULT 0, "
				"state TEXT, "
				"partial TEXT, "
				"bytes_done INTEGER NOT NULL DEFAULT 0, "
				"etag TEXT, "
				"PRIMARY KEY (job_id, path));"
				"PRAGMA user_version = 2;",
				error);
}

static gboolean
hfhub_store_migrate_v3(HfhubStore *self, GError **error)
{
	return hfhub_store_exec(self,
				"CREATE TABLE hub_answers ("
				"endpoint TEXT NOT NULL, "
				"repo_type TEXT NOT NULL, "
				"repo_id TEXT NOT NULL, "
				"what TEXT NOT NULL, "
				"revision TEXT NOT NULL, "
				"answer BLOB NOT NULL, "
				"fetched INTEGER NOT NULL, "
				"PRIMARY KEY (endpoint, repo_type, repo_id, what, revision));"
				"PRAGMA user_version = 3;",
				error);
}

static gboolean
hfhub_store_migrate_v4(HfhubStore *self, GError **error)
{
	return hfhub_store_exec(self,
				"ALTER TABLE job_files ADD COLUMN local_path TEXT;"
				"ALTER TABLE job_files ADD COLUMN mtime_ns INTEGER NOT NULL "
				"DEFAULT 0;"
				"ALTER TABLE job_files ADD COLUMN inode INTEGER NOT NULL DEFAULT 0;"
				"ALTER TABLE job_files ADD COLUMN transfer TEXT;"
				"CREATE INDEX job_files_local_path ON job_files (local_path) "
				"WHERE local_path IS NOT NULL;"
				"PRAGMA user_version = 4;",
				error);
}

static gboolean
hfhub_store_migrate_v5(HfhubStore *self, GError **error)
{
	return hfhub_store_exec(self,
				"ALTER TABLE jobs ADD COLUMN owner_session TEXT;"
				"ALTER TABLE jobs ADD COLUMN owner_app TEXT;"
				"ALTER TABLE jobs ADD COLUMN owner_exe TEXT;"
				"PRAGMA user_version = 5;",
				error);
}

typedef gboolean (*HfhubStoreMigrateFunc)(HfhubStore *self, GError **error);

typedef struct {
	guint version;
	HfhubStoreMigrateFunc func;
} HfhubStoreMigration;

static gboolean
hfhub_store_migrate_txn_cb(HfhubStore *self, gpointer user_data, GError **error)
{
	HfhubStoreMigration *migration = user_data;
	guint version = 0;

	/* another hfhubd (--replace) may have migrated while we waited for the lock */
	if (!hfhub_store_read_user_version(self, &version, error))
		return FALSE;
	if (version >= migration->version)
		return TRUE;
	return migration->func(self, error);
}

static gboolean
hfhub_store_migrate(HfhubStore *self, guint version, HfhubStoreMigrateFunc func, GError **error)
{
	HfhubStoreMigration migration = { version, func };

	g_debug("migrating %s to schema version %u", self->path, version);
	if (!hfhub_store_transaction(self, hfhub_store_migrate_txn_cb, &migration, error)) {
		g_prefix_error(error, "failed to migrate to schema version %u: ", version);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hfhub_store_create_or_migrate(HfhubStore *self, guint version, GError **error)
{
	switch (version) {
	case 0:
		if (!hfhub_store_migrate(self, 1, hfhub_store_migrate_v1, error))
			return FALSE;
		G_GNUC_FALLTHROUGH;
	case 1:
		if (!hfhub_store_migrate(self, 2, hfhub_store_migrate_v2, error))
			return FALSE;
		G_GNUC_FALLTHROUGH;
	case 2:
		if (!hfhub_store_migrate(self, 3, hfhub_store_migrate_v3, error))
			return FALSE;
		G_GNUC_FALLTHROUGH;
	case 3:
		if (!hfhub_store_migrate(self, 4, hfhub_store_migrate_v4, error))
			return FALSE;
		G_GNUC_FALLTHROUGH;
	case 4:
		if (!hfhub_store_migrate(self, 5, hfhub_store_migrate_v5, error))
			return FALSE;
		G_GNUC_FALLTHROUGH;
	case HFHUB_STORE_CURRENT_SCHEMA_VERSION:
		break;
	default:
		g_assert_not_reached();
	}
	return hfhub_store_read_user_version(self, &self->schema_version, error);
}

static gboolean
hfhub_store_quick_check(HfhubStore *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(GString) problems = g_string_new(NULL);
	gint rc;

	if (sqlite3_prepare_v2(self->db, "PRAGMA quick_check", -1, &stmt, NULL) != SQLITE_OK)
		return hfhub_store_fail(self, error, "quick_check failed");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const gchar *text = (const gchar *)sqlite3_column_text(stmt, 0);
		if (problems->len == 0 && g_strcmp0(text, "ok") == 0)
			continue;
		if (problems->len > 0)
			g_string_append_c(problems, '\n');
		g_string_append(problems, text != NULL ? text : "(null)");
	}
	if (rc != SQLITE_DONE)
		return hfhub_store_fail(self, error, "quick_check failed");
	if (problems->len > 0) {
		g_autofree gchar *summary = NULL;

		/* one line, and short: it ends up in logs and D-Bus errors */
		g_strdelimit(problems->str, "\n", ' ');
		summary = g_utf8_substring(problems->str, 0, 200);
		self->last_rc = SQLITE_CORRUPT;
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE, "quick_check failed: %s%s",
			    summary, g_utf8_strlen(problems->str, -1) > 200 ? "..." : "");
		return FALSE;
	}
	return TRUE;
}

static gboolean
hfhub_store_pragma_journal_wal(HfhubStore *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	const gchar *mode;

	if (sqlite3_prepare_v2(self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW)
		return hfhub_store_fail(self, error, "failed to enable WAL");
	mode = (const gchar *)sqlite3_column_text(stmt, 0);
	if (g_strcmp0(mode, "wal") != 0)
		g_warning("%s: journal mode is '%s', not 'wal'", self->path, mode);
	return TRUE;
}

static void
hfhub_store_close(HfhubStore *self)
{
	for (guint i = 0; i < STMT_LAST; i++)
		g_clear_pointer(&self->stmts[i], sqlite3_finalize);
	if (self->db != NULL) {
		if (sqlite3_close(self->db) != SQLITE_OK)
			g_warning("failed to close %s: %s", self->path, sqlite3_errmsg(self->db));
		self->db = NULL;
	}
}

static gboolean
hfhub_store_open(HfhubStore *self, GError **error)
{
	g_autoptr(sqlite3) db = NULL;
	guint version = 0;
	gint rc;

	rc = sqlite3_open_v2(self->path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		self->last_rc = rc & 0xff;
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE, "cannot open: %s",
			    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		return FALSE;
	}
	self->db = g_steal_pointer(&db);
	sqlite3_extended_result_codes(self->db, 1);
	sqlite3_busy_timeout(self->db, HFHUB_STORE_BUSY_TIMEOUT_MS);

	/* before anything writes to the file: a newer schema is left untouched */
	if (!hfhub_store_read_user_version(self, &version, error))
		return FALSE;
	if (version > HFHUB_STORE_CURRENT_SCHEMA_VERSION) {
		self->last_rc = SQLITE_OK;
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE,
			    "the database has schema version %u but this hfhubd %s only knows "
			    "versions up to %u; it was written by a newer hfhubd and is left in "
			    "place untouched",
			    version, PACKAGE_VERSION, (guint)HFHUB_STORE_CURRENT_SCHEMA_VERSION);
		return FALSE;
	}

	if (!hfhub_store_pragma_journal_wal(self, error))
		return FALSE;
	if (!hfhub_store_exec(self, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
			      error))
		return FALSE;
	if (!hfhub_store_quick_check(self, error))
		return FALSE;
	return hfhub_store_create_or_migrate(self, version, error);
}

/* damage to the file, as opposed to trouble with the environment */
static gboolean
hfhub_store_rc_is_damage(gint rc)
{
	switch (rc) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_ERROR:
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_FORMAT:
	case SQLITE_RANGE:
	case SQLITE_SCHEMA:
		return TRUE;
	default:
		return FALSE;
	}
}

/* "<path>.broken-<UTC timestamp>", with a counter when that exists already */
static gchar *
hfhub_store_broken_path(const gchar *path)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
	g_autofree gchar *broken = g_strdup_printf("%s.broken-%s", path, stamp);

	for (guint i = 1; g_file_test(broken, G_FILE_TEST_EXISTS); i++) {
		g_free(broken);
		broken = g_strdup_printf("%s.broken-%s.%u", path, stamp, i);
	}
	return g_steal_pointer(&broken);
}

static gchar *
hfhub_store_move_aside(const gchar *path, GError **error)
{
	g_autofree gchar *broken = hfhub_store_broken_path(path);
	const gchar *suffixes[] = { "-wal", "-shm", "-journal" };

	if (g_rename(path, broken) != 0) {
		gint errsv = errno;
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE, "cannot rename %s to %s: %s",
			    path, broken, g_strerror(errsv));
		return NULL;
	}
	/* sqlite finds the side files by name, so they follow the main file */
	for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree gchar *from = g_strconcat(path, suffixes[i], NULL);
		g_autofree gchar *to = g_strconcat(broken, suffixes[i], NULL);
		if (!g_file_test(from, G_FILE_TEST_EXISTS))
			continue;
		if (g_rename(from, to) != 0) {
			gint errsv = errno;
			g_warning("cannot rename %s to %s: %s", from, to, g_strerror(errsv));
		}
	}
	return g_steal_pointer(&broken);
}

static gboolean
hfhub_store_mkdir_parent(const gchar *path, GError **error)
{
	g_autofree gchar *dirname = g_path_get_dirname(path);

	if (g_mkdir_with_parents(dirname, 0700) != 0) {
		gint errsv = errno;
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE, "cannot create %s: %s", dirname,
			    g_strerror(errsv));
		return FALSE;
	}
	return TRUE;
}

HfhubStore *
hfhub_store_new(const gchar *path, GError **error)
{
	g_autoptr(HfhubStore) self = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *broken = NULL;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = g_object_new(HFHUB_TYPE_STORE, NULL);
	self->path = g_strdup(path);
	if (!hfhub_store_mkdir_parent(path, error))
		return NULL;
	if (hfhub_store_open(self, &error_local)) {
		g_debug("opened %s, schema version %u", path, self->schema_version);
		return g_steal_pointer(&self);
	}

	/* closing the last connection would checkpoint the WAL into the file and
	 * delete it: keep both exactly as they are for whoever looks at them */
	if (self->db != NULL)
		sqlite3_db_config(self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	hfhub_store_close(self);
	if (!hfhub_store_rc_is_damage(self->last_rc)) {
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "%s: ", path);
		return NULL;
	}
	broken = hfhub_store_move_aside(path, error);
	if (broken == NULL) {
		g_prefix_error(error,
			       "database %s is unusable (%s) and could not be moved aside: ", path,
			       error_local->message);
		return NULL;
	}
	g_warning("database %s is unusable (%s); it was moved to %s and nothing was deleted", path,
		  error_local->message, broken);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE,
		    "database %s is unusable (%s); it was moved to %s", path, error_local->message,
		    broken);
	return NULL;
}

const gchar *
hfhub_store_get_path(HfhubStore *self)
{
	g_return_val_if_fail(HFHUB_IS_STORE(self), NULL);
	return self->path;
}

guint
hfhub_store_get_schema_version(HfhubStore *self)
{
	g_return_val_if_fail(HFHUB_IS_STORE(self), 0);
	return self->schema_version;
}

guint
hfhub_store_get_current_schema_version(void)
{
	return HFHUB_STORE_CURRENT_SCHEMA_VERSION;
}

/* ---- jobs */

static void
hfhub_store_job_sink(HfhubJobRecord *rec)
{
	/* the record owns its variants; a floating one handed in becomes a full ref */
	if (rec->options != NULL && g_variant_is_floating(rec->options))
		g_variant_ref_sink(rec->options);
	if (rec->result != NULL && g_variant_is_floating(rec->result))
		g_variant_ref_sink(rec->result);
}

static gboolean
hfhub_store_check_job(const HfhubJobRecord *rec, GError **error)
{
	if (rec->kind == NULL || rec->state >= HFHUB_JOB_STATE_LAST ||
	    (rec->options != NULL && !g_variant_is_of_type(rec->options, G_VARIANT_TYPE_VARDICT)) ||
	    (rec->result != NULL && !g_variant_is_of_type(rec->result, G_VARIANT_TYPE_VARDICT))) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "invalid job record: needs a kind, a valid state and a{sv} "
				    "options and result");
		return FALSE;
	}
	return TRUE;
}

static gboolean
hfhub_store_job_not_found(GError **error, guint64 id)
{
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND,
		    "job %" G_GUINT64_FORMAT " not found", id);
	return FALSE;
}

gboolean
hfhub_store_add_job(HfhubStore *self, HfhubJobRecord *rec, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;
	gint64 now = hfhub_store_now();
	gint64 created;
	gint64 updated;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);
	g_return_val_if_fail(rec != NULL, FALSE);

	created = rec->created != 0 ? rec->created : now;
	updated = rec->updated != 0 ? rec->updated : now;

	hfhub_store_job_sink(rec);
	if (!hfhub_store_check_job(rec, error))
		return FALSE;
	stmt = hfhub_store_stmt(self, STMT_ADD_JOB, error);
	if (stmt == NULL)
		return FALSE;
	hfhub_store_bind_job(stmt, rec);
	sqlite3_bind_int64(stmt, 12, created);
	sqlite3_bind_int64(stmt, 13, updated);
	if (!hfhub_store_step_done(self, stmt, "failed to add job", error))
		return FALSE;
	rec->id = (guint64)sqlite3_last_insert_rowid(self->db);
	rec->created = created;
	rec->updated = updated;
	return TRUE;
}

gboolean
hfhub_store_update_job(HfhubStore *self, HfhubJobRecord *rec, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;
	gint64 now = hfhub_store_now();

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);
	g_return_val_if_fail(rec != NULL, FALSE);

	hfhub_store_job_sink(rec);
	if (!hfhub_store_check_job(rec, error))
		return FALSE;
	stmt = hfhub_store_stmt(self, STMT_UPDATE_JOB, error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)rec->id);
	hfhub_store_bind_job(stmt, rec);
	sqlite3_bind_int64(stmt, 13, now);
	if (!hfhub_store_step_done(self, stmt, "failed to update job", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0)
		return hfhub_store_job_not_found(error, rec->id);
	rec->updated = now;
	return TRUE;
}

gboolean
hfhub_store_update_job_progress(HfhubStore *self, guint64 id, guint64 bytes_done,
				guint64 bytes_total, guint files_done, guint files_total,
				GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);

	stmt = hfhub_store_stmt(self, STMT_UPDATE_PROGRESS, error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)bytes_done);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)bytes_total);
	sqlite3_bind_int64(stmt, 4, files_done);
	sqlite3_bind_int64(stmt, 5, files_total);
	if (!hfhub_store_step_done(self, stmt, "failed to update job progress", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0)
		return hfhub_store_job_not_found(error, id);
	return TRUE;
}

HfhubJobRecord *
hfhub_store_get_job(HfhubStore *self, guint64 id, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;
	gint rc;

	g_return_val_if_fail(HFHUB_IS_STORE(self), NULL);

	stmt = hfhub_store_stmt(self, STMT_GET_JOB, error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return hfhub_store_job_from_stmt(stmt);
	if (rc == SQLITE_DONE) {
		hfhub_store_job_not_found(error, id);
		return NULL;
	}
	hfhub_store_fail(self, error, "failed to read job");
	return NULL;
}

GPtrArray *
hfhub_store_list_jobs(HfhubStore *self, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;
	g_autoptr(GPtrArray) jobs = NULL;
	gint rc;

	g_return_val_if_fail(HFHUB_IS_STORE(self), NULL);

	stmt = hfhub_store_stmt(self, STMT_LIST_JOBS, error);
	if (stmt == NULL)
		return NULL;
	jobs = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_job_record_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(jobs, hfhub_store_job_from_stmt(stmt));
	if (rc != SQLITE_DONE) {
		hfhub_store_fail(self, error, "failed to list jobs");
		return NULL;
	}
	return g_steal_pointer(&jobs);
}

/* HFHUB_ERROR_JOB_NOT_FOUND when there is no such job */
gboolean
hfhub_store_remove_job(HfhubStore *self, guint64 id, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);

	/* job_files rows go with it: ON DELETE CASCADE, foreign_keys is on */
	stmt = hfhub_store_stmt(self, STMT_REMOVE_JOB, error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)id);
	if (!hfhub_store_step_done(self, stmt, "failed to remove job", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0)
		return hfhub_store_job_not_found(error, id);
	return TRUE;
}

/* ---- job files */

/* HFHUB_ERROR_JOB_NOT_FOUND when rec->job_id is not a job */
gboolean
hfhub_store_put_job_file(HfhubStore *self, const HfhubJobFileRecord *rec, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);
	g_return_val_if_fail(rec != NULL, FALSE);

	if (rec->path == NULL) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "invalid job file record: needs a path");
		return FALSE;
	}
	stmt = hfhub_store_stmt(self, STMT_PUT_FILE, error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)rec->job_id);
	hfhub_store_bind_text(stmt, 2, rec->path);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)rec->size);
	hfhub_store_bind_text(stmt, 4, rec->oid);
	sqlite3_bind_int(stmt, 5, rec->lfs ? 1 : 0);
	hfhub_store_bind_text(stmt, 6, rec->state);
	hfhub_store_bind_text(stmt, 7, rec->partial);
	sqlite3_bind_int64(stmt, 8, (sqlite3_int64)rec->bytes_done);
	hfhub_store_bind_text(stmt, 9, rec->etag);
	hfhub_store_bind_text(stmt, 10, rec->local_path);
	sqlite3_bind_int64(stmt, 11, rec->mtime_ns);
	sqlite3_bind_int64(stmt, 12, (sqlite3_int64)rec->inode);
	hfhub_store_bind_text(stmt, 13, rec->transfer);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(self->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
			return hfhub_store_job_not_found(error, rec->job_id);
		return hfhub_store_fail(self, error, "failed to store job file");
	}
	return TRUE;
}

GPtrArray *
hfhub_store_list_job_files(HfhubStore *self, guint64 job_id, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;
	g_autoptr(GPtrArray) files = NULL;
	gint rc;

	g_return_val_if_fail(HFHUB_IS_STORE(self), NULL);

	stmt = hfhub_store_stmt(self, STMT_LIST_FILES, error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)job_id);
	files = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_job_file_record_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(files, hfhub_store_job_file_from_stmt(stmt));
	if (rc != SQLITE_DONE) {
		hfhub_store_fail(self, error, "failed to list job files");
		return NULL;
	}
	return g_steal_pointer(&files);
}

gboolean
hfhub_store_lookup_file_hashes(HfhubStore *self, const gchar *local_path, guint64 size,
			       gint64 mtime_ns, guint64 inode, gchar **sha256, gchar **sha1,
			       GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;
	gint rc;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);
	g_return_val_if_fail(local_path != NULL, FALSE);

	stmt = hfhub_store_stmt(self, STMT_LOOKUP_HASHES, error);
	if (stmt == NULL)
		return FALSE;
	hfhub_store_bind_text(stmt, 1, local_path);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(stmt, 3, mtime_ns);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)inode);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*sha256 = hfhub_store_column_dup(stmt, 0);
		*sha1 = hfhub_store_column_dup(stmt, 1);
		return TRUE;
	}
	if (rc != SQLITE_DONE)
		hfhub_store_fail(self, error, "failed to look up file hashes");
	return FALSE;
}

gboolean
hfhub_store_remove_job_files(HfhubStore *self, guint64 job_id, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);

	stmt = hfhub_store_stmt(self, STMT_REMOVE_FILES, error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)job_id);
	return hfhub_store_step_done(self, stmt, "failed to remove job files", error);
}

/* ---- answers of the Hub kept for offline use */

static void
hfhub_store_bind_answer_key(sqlite3_stmt *stmt, const HfhubStoreAnswerKey *key)
{
	hfhub_store_bind_text(stmt, 1, key->endpoint);
	hfhub_store_bind_text(stmt, 2, key->repo_type);
	hfhub_store_bind_text(stmt, 3, key->repo_id);
	hfhub_store_bind_text(stmt, 4, key->what);
	hfhub_store_bind_text(stmt, 5, key->revision != NULL ? key->revision : "");
}

static gboolean
hfhub_store_put_answer_txn_cb(HfhubStore *self, gpointer user_data, GError **error)
{
	gpointer *args = user_data;
	const HfhubStoreAnswerKey *key = args[0];
	GVariant *answer = args[1];
	const gint64 *fetched = args[2];
	g_autoptr(GVariant) normal = g_variant_get_normal_form(answer);
	g_autoptr(HfhubCachedStmt) stmt = hfhub_store_stmt(self, STMT_PUT_ANSWER, error);
	g_autoptr(HfhubCachedStmt) prune = NULL;

	if (stmt == NULL)
		return FALSE;
	hfhub_store_bind_answer_key(stmt, key);
	/* GVariant's serialised form: compact, and read back safely whatever
	 * the bytes (g_variant_new_from_bytes never trusts them) */
	sqlite3_bind_blob64(stmt, 6, g_variant_get_data(normal), g_variant_get_size(normal),
			    SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 7, *fetched);
	if (!hfhub_store_step_done(self, stmt, "failed to store an answer", error))
		return FALSE;
	prune = hfhub_store_stmt(self, STMT_PRUNE_ANSWERS, error);
	if (prune == NULL)
		return FALSE;
	sqlite3_bind_int64(prune, 1, HFHUB_STORE_MAX_ANSWERS);
	return hfhub_store_step_done(self, prune, "failed to prune answers", error);
}

gboolean
hfhub_store_put_answer(HfhubStore *self, const HfhubStoreAnswerKey *key, GVariant *answer,
		       gint64 fetched, GError **error)
{
	gpointer args[] = { (gpointer)key, answer, &fetched };

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);
	g_return_val_if_fail(g_variant_is_of_type(answer, G_VARIANT_TYPE_VARDICT), FALSE);

	return hfhub_store_transaction(self, hfhub_store_put_answer_txn_cb, args, error);
}

GVariant *
hfhub_store_get_answer(HfhubStore *self, const HfhubStoreAnswerKey *key, gint64 *fetched,
		       GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;
	g_autoptr(GBytes) bytes = NULL;
	gint rc;

	g_return_val_if_fail(HFHUB_IS_STORE(self), NULL);

	stmt = hfhub_store_stmt(self, STMT_GET_ANSWER, error);
	if (stmt == NULL)
		return NULL;
	hfhub_store_bind_answer_key(stmt, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return NULL;
	if (rc != SQLITE_ROW) {
		hfhub_store_fail(self, error, "failed to read an answer");
		return NULL;
	}
	bytes = g_bytes_new(sqlite3_column_blob(stmt, 0), (gsize)sqlite3_column_bytes(stmt, 0));
	if (fetched != NULL)
		*fetched = sqlite3_column_int64(stmt, 1);
	return g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE_VARDICT, bytes, FALSE));
}

gboolean
hfhub_store_forget_answers(HfhubStore *self, const gchar *endpoint, const gchar *repo_type,
			   const gchar *repo_id, GError **error)
{
	g_autoptr(HfhubCachedStmt) stmt = NULL;

	g_return_val_if_fail(HFHUB_IS_STORE(self), FALSE);

	stmt = hfhub_store_stmt(self, STMT_FORGET_ANSWERS, error);
	if (stmt == NULL)
		return FALSE;
	hfhub_store_bind_text(stmt, 1, endpoint);
	hfhub_store_bind_text(stmt, 2, repo_type);
	hfhub_store_bind_text(stmt, 3, repo_id);
	return hfhub_store_step_done(self, stmt, "failed to forget answers", error);
}

/* ---- GObject */

static void
hfhub_store_finalize(GObject *object)
{
	HfhubStore *self = HFHUB_STORE(object);

	hfhub_store_close(self);
	g_free(self->path);
	G_OBJECT_CLASS(hfhub_store_parent_class)->finalize(object);
}

static void
hfhub_store_class_init(HfhubStoreClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = hfhub_store_finalize;
}

static void
hfhub_store_init(HfhubStore *self)
{
}
