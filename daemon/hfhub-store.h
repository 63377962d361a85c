/* HfhubStore: the only owner of the SQLite database (the job queue, and the
 * last answers of the Hub kept for offline use).
 *
 * Every call is synchronous and short (WAL, prepared statements); callers on
 * the main loop write one row per state change. sqlite errors come back as
 * HFHUB_ERROR_STORE with the sqlite message. */
#pragma once

#include <glib-object.h>

#include "hfhub-enums.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_STORE (hfhub_store_get_type())
G_DECLARE_FINAL_TYPE(HfhubStore, hfhub_store, HFHUB, STORE, GObject)

/* One row of the jobs table. Strings are owned; options and result are
 * a{sv} GVariants (never NULL once read back, may be NULL when writing). */
typedef struct {
	guint64 id; /* 0 until inserted */
	gchar *kind;
	HfhubJobState state;
	gchar *state_reason;
	gchar *repo_type;
	gchar *repo_id;
	gchar *revision;
	GVariant *options;
	gint priority;
	gchar *owner;	      /* the caller's unique bus name, or "peer-N" */
	gchar *owner_session; /* the bus (its GUID) or peer server that name is valid on */
	gchar *owner_app;     /* the caller's application ID, "" when unknown (schema v5) */
	gchar *owner_exe;     /* the caller's executable, "" when unknown (schema v5) */
	gchar *identity;      /* the identity's name, never a token */
	gint64 created;	      /* UNIX seconds */
	gint64 updated;
	guint64 bytes_done;
	guint64 bytes_total;
	guint files_done;
	guint files_total;
	gchar *error_name;
	gchar *error_message;
	GVariant *result;
} HfhubJobRecord;

HfhubJobRecord *
hfhub_job_record_new(void);
HfhubJobRecord *
hfhub_job_record_copy(const HfhubJobRecord *rec);
void
hfhub_job_record_free(HfhubJobRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubJobRecord, hfhub_job_record_free)

/* One file of a job (downloads: what is fetched and where it stands;
 * uploads: what was hashed and sent). */
typedef struct {
	guint64 job_id;
	gchar *path; /* path in the repo */
	guint64 size;
	gchar *oid; /* git blob sha1 or LFS sha256 */
	gboolean lfs;
	gchar *state;	/* free-form per kind: "pending", "partial", "done", ... */
	gchar *partial; /* absolute path of the partial file, or NULL */
	guint64 bytes_done;
	gchar *etag;
	/* uploads (schema v4): oid is the content's sha256 and etag its git
	 * blob sha1 (NULL when not computed); the local file, with the size,
	 * mtime and inode that say it did not change since it was hashed; the
	 * LFS transfer in flight (JSON, see hfhub-lfs.h) */
	gchar *local_path;
	gint64 mtime_ns;
	guint64 inode;
	gchar *transfer;
} HfhubJobFileRecord;

HfhubJobFileRecord *
hfhub_job_file_record_new(void);
void
hfhub_job_file_record_free(HfhubJobFileRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubJobFileRecord, hfhub_job_file_record_free)

/* Opens (creating it and its directory when missing), runs quick_check and the
 * migrations. A database that fails either is renamed to
 * "<path>.broken-<UTC timestamp>" and an error naming that file is returned;
 * nothing is deleted. */
HfhubStore *
hfhub_store_new(const gchar *path, GError **error);

const gchar *
hfhub_store_get_path(HfhubStore *self);
guint
hfhub_store_get_schema_version(HfhubStore *self);
/* the schema version this build writes */
guint
hfhub_store_get_current_schema_version(void);

/* Inserts @rec and sets rec->id. created/updated are set when 0. */
gboolean
hfhub_store_add_job(HfhubStore *self, HfhubJobRecord *rec, GError **error);
/* Writes every column of @rec (by rec->id); sets rec->updated to now.
 * HFHUB_ERROR_JOB_NOT_FOUND when the row is gone. */
gboolean
hfhub_store_update_job(HfhubStore *self, HfhubJobRecord *rec, GError **error);
/* Only the progress columns (cheap, called often). */
gboolean
hfhub_store_update_job_progress(HfhubStore *self, guint64 id, guint64 bytes_done,
				guint64 bytes_total, guint files_done, guint files_total,
				GError **error);
/* NULL with HFHUB_ERROR_JOB_NOT_FOUND when missing. */
HfhubJobRecord *
hfhub_store_get_job(HfhubStore *self, guint64 id, GError **error);
/* All jobs, oldest first; element type HfhubJobRecord. */
GPtrArray *
hfhub_store_list_jobs(HfhubStore *self, GError **error);
/* Deletes the job and its file rows. */
gboolean
hfhub_store_remove_job(HfhubStore *self, guint64 id, GError **error);

/* Inserts or replaces the (job_id, path) row. */
gboolean
hfhub_store_put_job_file(HfhubStore *self, const HfhubJobFileRecord *rec, GError **error);
/* Element type HfhubJobFileRecord, ordered by path. */
GPtrArray *
hfhub_store_list_job_files(HfhubStore *self, guint64 job_id, GError **error);
gboolean
hfhub_store_remove_job_files(HfhubStore *self, guint64 job_id, GError **error);
/* The hashes (sha256, and the git blob sha1 or NULL) an upload job recorded
 * for @local_path when it had this size, mtime and inode: the file need not
 * be hashed again. FALSE without an error when there are none. */
gboolean
hfhub_store_lookup_file_hashes(HfhubStore *self, const gchar *local_path, guint64 size,
			       gint64 mtime_ns, guint64 inode, gchar **sha256, gchar **sha1,
			       GError **error);

/* The last answer of the Hub's read API to one request, kept so that it can
 * be served offline (hfhub-repos.c). @what names the call and its
 * parameters ("info", "tree-recursive:sub/dir", "refs"); @revision may be
 * NULL (stored as ""). */
typedef struct {
	const gchar *endpoint;
	const gchar *repo_type;
	const gchar *repo_id;
	const gchar *what;
	const gchar *revision;
} HfhubStoreAnswerKey;

/* Inserts or replaces the answer (a{sv}) fetched at @fetched (UNIX
 * seconds); the oldest answers beyond a few thousand are dropped. */
gboolean
hfhub_store_put_answer(HfhubStore *self, const HfhubStoreAnswerKey *key, GVariant *answer,
		       gint64 fetched, GError **error);
/* The stored answer (a{sv}) and when it was fetched; NULL without an error
 * when there is none. */
GVariant *
hfhub_store_get_answer(HfhubStore *self, const HfhubStoreAnswerKey *key, gint64 *fetched,
		       GError **error);
/* Drops every answer about one repo (it was deleted or moved). */
gboolean
hfhub_store_forget_answers(HfhubStore *self, const gchar *endpoint, const gchar *repo_type,
			   const gchar *repo_id, GError **error);

/* Runs @func inside BEGIN IMMEDIATE … COMMIT (ROLLBACK when it fails). */
typedef gboolean (*HfhubStoreTxnFunc)(HfhubStore *self, gpointer user_data, GError **error);
gboolean
hfhub_store_transaction(HfhubStore *self, HfhubStoreTxnFunc func, gpointer user_data,
			GError **error);

G_END_DECLS
