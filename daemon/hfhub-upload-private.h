/* The upload job's insides, shared by hfhub-upload.c (the job kind, the
 * store, progress), hfhub-upload-stages.c (hash, preupload, LFS) and
 * hfhub-upload-commits.c (commits and the result). Not an API. */
#pragma once

#include "hfhub-engine.h"
#include "hfhub-hub-api.h"
#include "hfhub-lfs.h"
#include "hfhub-throttle.h"
#include "hfhub-upload-scan.h"

G_BEGIN_DECLS

/* Where a file stands; the nick is job_files.state. A file goes down this
 * list (ignored and unchanged files stop early); a restart continues from
 * the stored state. */
typedef enum {
	UPLOAD_FILE_SCANNED,   /* "scanned": to hash */
	UPLOAD_FILE_HASHED,    /* "hashed": to preupload */
	UPLOAD_FILE_REGULAR,   /* "regular": its content goes in a commit */
	UPLOAD_FILE_LFS,       /* "lfs": to send to LFS storage */
	UPLOAD_FILE_UPLOADING, /* "uploading": multipart, some parts sent */
	UPLOAD_FILE_UPLOADED,  /* "uploaded": the LFS object is on the Hub */
	UPLOAD_FILE_IGNORED,   /* "ignored": the repo's .gitignore */
	UPLOAD_FILE_UNCHANGED, /* "unchanged": the Hub has this content there */
	UPLOAD_FILE_COMMITTED, /* "committed" */
} UploadFileState;

const gchar *
upload_file_state_to_string(UploadFileState state);
gboolean
upload_file_state_from_string(const gchar *s, UploadFileState *state);

typedef struct {
	HfhubUploadSource *src;
	gchar *sha256;
	gchar *sha1; /* git blob sha1; only files that may be regular */
	UploadFileState state;
	HfhubLfsTransfer *transfer; /* in flight (under Upload.lock) */
	gboolean resumed;	    /* the transfer came from the store */
	gboolean rebatch;	    /* its stored transfer expired: ask again */
	gint parts_left;	    /* atomic */
	/* the preupload answer, which may come before the hash (under
	 * Upload.lock) */
	gboolean answered;
	gboolean answer_lfs;
	gboolean answer_ignore;
	gchar *answer_oid;
	/* read while hashing, so that the file is read once: its first bytes
	 * (the preupload sample) and, for a small file, all of it (what the
	 * commit sends; NULL when over the budget or after a restart) */
	GBytes *sample;
	GBytes *content;
} UploadFile;

void
upload_file_free(UploadFile *f);

/* files up to this size may be regular (the Hub's limit for content in a
 * commit): they get a git blob sha1 too, in the same read */
#define UPLOAD_REGULAR_MAX (10 * 1024 * 1024)
/* files up to this size are kept in memory from the hash to the commit, up
 * to UPLOAD_KEEP_BUDGET bytes for the whole job */
#define UPLOAD_KEEP_MAX	   (64 * 1024)
#define UPLOAD_KEEP_BUDGET (128 * 1024 * 1024)

/* One run of an upload job. Built on the main thread, then owned by the
 * worker thread; counters are atomics, the store is reached through
 * upload_on_main(). */
typedef struct {
	HfhubJob *job;
	HfhubEngine *engine; /* main thread only */
	HfhubStore *store;   /* main thread only */
	HfhubHttp *http;
	HfhubThrottle *throttle; /* the engine's, for uploads */
	GCancellable *cancellable;
	GCancellable *abort; /* also fires when one transfer fails for good */
	gulong abort_link;

	HfhubRepoType type;
	gchar *repo_id;
	gchar *revision;
	gchar *endpoint;
	gchar *token;
	gchar *local_path;
	gchar *path_in_repo;
	gchar **include;
	gchar **exclude;
	gchar **delete_patterns;
	gchar *commit_message;
	gchar *commit_description;
	gchar *parent_commit;
	gboolean create_pr;
	gboolean create_repo;
	gboolean private_repo;
	gboolean allow_concurrent;
	gboolean is_folder;
	guint files_per_commit;
	guint parallelism;

	GPtrArray *files;    /* UploadFile, sorted by path */
	GHashTable *by_path; /* path → UploadFile */
	GMutex lock;	     /* transfers of files, the meta row */
	/* the job's own progress across restarts (the "" row) */
	GPtrArray *commits; /* gchar*: commit oids, oldest first */
	gchar *pr_revision; /* "refs/pr/N" once a pull request is open */
	gchar *pr_url;
	gchar *last_commit_url;
	gboolean recovered;

	/* counters for the result */
	gint hashed_files;
	gint reused_hashes;
	gint uploaded_files;
	gssize uploaded_bytes;
	gint deleted_files;
	gint answered_files; /* preupload answers so far */
	gssize keep_budget;  /* bytes of content still allowed in memory */
	gint count_answers;  /* they are the stage's progress (hashing is over) */

	/* progress of the current stage */
	gchar *stage;
	gssize bytes_done;
	gint64 bytes_total;
	gint files_done;
	gint files_total;

	/* upload_on_main() */
	GMutex main_mutex;
	GCond main_cond;
	/* rows waiting for upload_flush() */
	GPtrArray *dirty;  /* UploadFile*, under lock */
	GMutex flush_lock; /* one flush at a time: the newest rows win */
} Upload;

HfhubHubRepo
upload_hub_repo(Upload *up);

/* says what the job does now (the StateReason), and resets the counters */
void
upload_set_stage(Upload *up, const gchar *stage, guint64 bytes_total, guint files_total);
void
upload_add_bytes(Upload *up, gint64 delta);
/* says what the job waits for (NULL: back to the stage); @user_data is the
 * Upload (a HfhubCommitWaitFunc) */
void
upload_note_wait(gpointer user_data, const gchar *reason);
void
upload_add_files(Upload *up, gint n);

/* runs @func on the main thread and waits for it */
typedef gboolean (*UploadMainFunc)(Upload *up, gpointer data, GError **error);
gboolean
upload_on_main(Upload *up, UploadMainFunc func, gpointer data, GError **error);

/* the file's row is to be written (by the next upload_flush()) */
void
upload_mark_dirty(Upload *up, UploadFile *f);
/* writes the marked rows (and the "" row) in one transaction, now */
gboolean
upload_flush(Upload *up, GError **error);
/* looks the hashes of files not hashed yet up in the rows of earlier jobs */
gboolean
upload_reuse_hashes(Upload *up, GPtrArray *files, GError **error);
/* the rows of this job: element type HfhubJobFileRecord */
GPtrArray *
upload_load_rows(Upload *up, GError **error);

/* stages (hfhub-upload-stages.c) */
gboolean
upload_stage_scan(Upload *up, GError **error);
/* hashing and preupload at the same time (preupload needs no hash; a
 * file's state is decided when both are known) */
gboolean
upload_stage_prepare(Upload *up, GError **error);
gboolean
upload_stage_lfs(Upload *up, GError **error);

/* commits and the result (hfhub-upload-commits.c) */
GVariant *
upload_stage_commit(Upload *up, GError **error);

G_END_DECLS
