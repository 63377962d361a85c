/* HfhubStore: the only owner of the SQLite database (the job queue).
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
	gchar *owner;
	gchar *identity; /* the identity's name, never a token */
	gint64 created;	 /* UNIX seconds */
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

/* Runs @func inside BEGIN IMMEDIATE … COMMIT (ROLLBACK when it fails). */
typedef gboolean (*HfhubStoreTxnFunc)(HfhubStore *self, gpointer user_data, GError **error);
gboolean
hfhub_store_transaction(HfhubStore *self, HfhubStoreTxnFunc func, gpointer user_data,
			GError **error);

G_END_DECLS
