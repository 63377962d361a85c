/* The stages of an upload before its commits: scan, hash, preupload, LFS.
 * Each runs on the job's worker thread and fans out to a pool of its own;
 * rows are written in batches on the main thread (upload_flush), and
 * synchronously where a restart must not lose them (a multipart transfer's
 * URLs and each part sent). */
#include "config.h"

#define G_LOG_DOMAIN "HfhubUpload"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfhub-error.h"
#include "hfhub-hash.h"
#include "hfhub-http-upload.h"
#include "hfhub-upload-api.h"
#include "hfhub-upload-private.h"

#define HASH_BUFFER	     (1024 * 1024)
#define PREUPLOAD_PARALLEL   4
#define FLUSH_INTERVAL_US    (200 * 1000)
#define MAX_GITIGNORE_SIZE   (1024 * 1024)
#define MAX_LFS_BATCH_ROUNDS 2

/* ---- a pool whose items are pushed as they come, and waited for */

typedef gboolean (*WorkFunc)(Upload *up, gpointer item, GError **error);

typedef struct {
	Upload *up;
	WorkFunc func;
	GThreadPool *pool;
	GMutex mutex;
	GCond cond;
	guint pending;
	GError *error;
} Work;

static void
work_cb(gpointer item, gpointer user_data)
{
	Work *w = user_data;
	GError *error = NULL;

	if (!g_cancellable_set_error_if_cancelled(w->up->abort, &error))
		w->func(w->up, item, &error);
	g_mutex_lock(&w->mutex);
	if (error != NULL && w->error == NULL) {
		w->error = error;
		error = NULL;
		/* one failure stops the others: the job fails anyway */
		g_cancellable_cancel(w->up->abort);
	}
	g_clear_error(&error);
	w->pending--;
	g_cond_signal(&w->cond);
	g_mutex_unlock(&w->mutex);
}

static gboolean
work_start(Work *w, Upload *up, WorkFunc func, guint threads, GError **error)
{
	memset(w, 0, sizeof *w);
	w->up = up;
	w->func = func;
	g_mutex_init(&w->mutex);
	g_cond_init(&w->cond);
	w->pool = g_thread_pool_new(work_cb, w, (gint)MAX(1u, threads), FALSE, error);
	return w->pool != NULL;
}

static void
work_push(Work *w, gpointer item)
{
	g_mutex_lock(&w->mutex);
	w->pending++;
	g_mutex_unlock(&w->mutex);
	g_thread_pool_push(w->pool, item, NULL);
}

/* waits for every item, writing the rows marked meanwhile now and then */
static gboolean
work_finish(Work *w, GError **error)
{
	g_autoptr(GError) flush_error = NULL;
	gint64 next_flush = g_get_monotonic_time() + FLUSH_INTERVAL_US;

	g_mutex_lock(&w->mutex);
	while (w->pending > 0) {
		g_cond_wait_until(&w->cond, &w->mutex, next_flush);
		if (g_get_monotonic_time() >= next_flush) {
			g_mutex_unlock(&w->mutex);
			if (flush_error == NULL)
				upload_flush(w->up, &flush_error);
			next_flush = g_get_monotonic_time() + FLUSH_INTERVAL_US;
			g_mutex_lock(&w->mutex);
		}
	}
	g_mutex_unlock(&w->mutex);
	g_thread_pool_free(w->pool, FALSE, TRUE);
	g_mutex_clear(&w->mutex);
	g_cond_clear(&w->cond);
	if (w->error != NULL) {
		g_propagate_error(error, w->error);
		return FALSE;
	}
	if (flush_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&flush_error));
		return FALSE;
	}
	return upload_flush(w->up, error);
}

/* ---- scan: the local files, merged with what the store says of them */

static gboolean
row_matches(const HfhubJobFileRecord *row, const HfhubUploadSource *src)
{
	return row->oid != NULL && g_strcmp0(row->local_path, src->local_path) == 0 &&
	       row->size == src->size && row->mtime_ns == src->mtime_ns && row->inode == src->inode;
}

static void
adopt_row(UploadFile *f, const HfhubJobFileRecord *row)
{
	UploadFileState state;

	if (!upload_file_state_from_string(row->state, &state))
		return;
	f->sha256 = g_strdup(row->oid);
	f->sha1 = g_strdup(row->etag);
	f->state = state == UPLOAD_FILE_SCANNED ? UPLOAD_FILE_HASHED : state;
	/* an object sent before the restart may be gone (the Hub drops
	 * uncommitted objects after a while): the batch call will tell */
	if (f->state == UPLOAD_FILE_UPLOADED)
		f->state = UPLOAD_FILE_LFS;
	if (f->state == UPLOAD_FILE_UPLOADING) {
		g_autoptr(GError) error = NULL;
		f->transfer = row->transfer != NULL
				      ? hfhub_lfs_transfer_from_json(row->transfer, &error)
				      : NULL;
		if (f->transfer == NULL || f->transfer->chunk_size == 0 ||
		    g_strcmp0(f->transfer->oid, f->sha256) != 0) {
			g_clear_pointer(&f->transfer, hfhub_lfs_transfer_free);
			f->state = UPLOAD_FILE_LFS;
		} else {
			f->resumed = TRUE;
		}
	}
}

static gboolean
ensure_repo(Upload *up, GError **error)
{
	HfhubHubRepo repo = upload_hub_repo(up);
	g_autofree gchar *head = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!up->create_repo)
		return TRUE;
	upload_set_stage(up, "creating the repository", 0, 0);
	if (!hfhub_upload_create_repo(&repo, up->private_repo, up->abort, error))
		return FALSE;
	/* hf upload creates a missing branch too (not a pull request's ref) */
	if (up->create_pr || g_str_has_prefix(up->revision, "refs/"))
		return TRUE;
	head = hfhub_hub_resolve_revision(&repo, up->revision, up->abort, &error_local);
	if (head != NULL)
		return TRUE;
	if (!g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_REVISION_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	return hfhub_upload_create_branch(&repo, up->revision, up->abort, error);
}

gboolean
upload_stage_scan(Upload *up, GError **error)
{
	g_autoptr(GPtrArray) sources = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GHashTable) by_row_path = g_hash_table_new(g_str_hash, g_str_equal);

	upload_set_stage(up, "scanning", 0, 0);
	up->is_folder = g_file_test(up->local_path, G_FILE_TEST_IS_DIR);
	/* every local check before the first request */
	sources = hfhub_upload_scan(up->local_path, up->path_in_repo,
				    (const gchar *const *)up->include,
				    (const gchar *const *)up->exclude, up->abort, error);
	if (sources == NULL)
		return FALSE;
	rows = upload_load_rows(up, error);
	if (rows == NULL)
		return FALSE;
	for (guint i = 0; i < rows->len; i++) {
		HfhubJobFileRecord *row = g_ptr_array_index(rows, i);
		g_hash_table_insert(by_row_path, row->path, row);
	}
	up->files = g_ptr_array_new_with_free_func((GDestroyNotify)upload_file_free);
	up->by_path = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < sources->len; i++) {
		UploadFile *f = g_new0(UploadFile, 1);
		const HfhubJobFileRecord *row;

		f->src = g_steal_pointer(&g_ptr_array_index(sources, i));
		f->state = UPLOAD_FILE_SCANNED;
		row = g_hash_table_lookup(by_row_path, f->src->path);
		/* a new file gets its row once it is hashed: a scan is cheap to
		 * do again */
		if (row != NULL && row_matches(row, f->src))
			adopt_row(f, row);
		g_ptr_array_add(up->files, f);
		g_hash_table_insert(up->by_path, f->src->path, f);
	}
	g_ptr_array_set_free_func(sources, (GDestroyNotify)hfhub_upload_source_free);
	if (!upload_flush(up, error))
		return FALSE;
	return ensure_repo(up, error);
}

/* ---- hash */

static gboolean
same_file(int fd, const HfhubUploadSource *src, GError **error)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read %s: %s",
			    src->local_path, g_strerror(errno));
		return FALSE;
	}
	if ((guint64)st.st_size != src->size || (guint64)st.st_ino != src->inode ||
	    (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_mtim.tv_nsec !=
		    src->mtime_ns) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CHECKSUM_MISMATCH,
			    "%s changed while it was being uploaded; upload it again",
			    src->local_path);
		return FALSE;
	}
	return TRUE;
}

static int
open_source(const HfhubUploadSource *src, GError **error)
{
	int fd = g_open(src->local_path, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read %s: %s",
			    src->local_path, g_strerror(errno));
		return -1;
	}
	if (!same_file(fd, src, error)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Once a file has its hash and its preupload answer: what it needs (the
 * remote oid is the git blob sha1 of a regular file, the sha256 of an LFS
 * one). The row is written either way. */
static void
decide(Upload *up, UploadFile *f)
{
	g_autoptr(GBytes) drop = NULL;

	g_mutex_lock(&up->lock);
	if (f->state == UPLOAD_FILE_HASHED && f->answered) {
		if (f->answer_ignore)
			f->state = UPLOAD_FILE_IGNORED;
		else if (f->answer_lfs)
			f->state = g_strcmp0(f->answer_oid, f->sha256) == 0 ? UPLOAD_FILE_UNCHANGED
									    : UPLOAD_FILE_LFS;
		else
			f->state = f->sha1 != NULL && g_strcmp0(f->answer_oid, f->sha1) == 0
					   ? UPLOAD_FILE_UNCHANGED
					   : UPLOAD_FILE_REGULAR;
		g_clear_pointer(&f->sample, g_bytes_unref);
		/* only a regular file's bytes go in a commit */
		if (f->state != UPLOAD_FILE_REGULAR)
			drop = g_steal_pointer(&f->content);
	}
	g_mutex_unlock(&up->lock);
	if (drop != NULL)
		g_atomic_pointer_add(&up->keep_budget, (gssize)g_bytes_get_size(drop));
	upload_mark_dirty(up, f);
}

/* a small file's bytes, kept for the commit while the budget lasts */
static gboolean
take_budget(Upload *up, gsize size)
{
	if (size > UPLOAD_KEEP_MAX)
		return FALSE;
	if ((gssize)g_atomic_pointer_add(&up->keep_budget, -(gssize)size) >= (gssize)size)
		return TRUE;
	g_atomic_pointer_add(&up->keep_budget, (gssize)size);
	return FALSE;
}

static gboolean
hash_one(Upload *up, gpointer item, GError **error)
{
	UploadFile *f = item;
	g_autoptr(HfhubHasher) sha256 = NULL;
	g_autoptr(HfhubHasher) sha1 = NULL;
	g_autofree guint8 *buf = NULL;
	guint64 offset = 0;
	gboolean keep = take_budget(up, (gsize)f->src->size);
	/* a kept file is read in one go into the buffer that is kept */
	gsize bufsize = keep ? (gsize)f->src->size : (gsize)MIN(f->src->size, (guint64)HASH_BUFFER);
	int fd = open_source(f->src, error);
	gboolean ok = TRUE;

	if (fd < 0) {
		if (keep)
			g_atomic_pointer_add(&up->keep_budget, (gssize)f->src->size);
		return FALSE;
	}
	if (f->src->size > HASH_BUFFER)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	sha256 = hfhub_hasher_new(HFHUB_HASH_SHA256, f->src->size, error);
	if (f->src->size <= UPLOAD_REGULAR_MAX)
		sha1 = hfhub_hasher_new(HFHUB_HASH_GIT_BLOB, f->src->size, error);
	buf = g_malloc(MAX(bufsize, 1));
	while (ok && offset < f->src->size) {
		gsize want = keep ? (gsize)(f->src->size - offset)
				  : (gsize)MIN(bufsize, f->src->size - offset);
		gssize n = pread(fd, keep ? buf + offset : buf, want, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read %s: %s",
				    f->src->local_path,
				    n < 0 ? g_strerror(errno) : "it is shorter than it was");
			ok = FALSE;
			break;
		}
		hfhub_hasher_update(sha256, keep ? buf + offset : buf, (gsize)n);
		if (sha1 != NULL)
			hfhub_hasher_update(sha1, keep ? buf + offset : buf, (gsize)n);
		if (offset == 0) {
			GBytes *sample =
				g_bytes_new(buf, MIN((gsize)n, (gsize)HFHUB_PREUPLOAD_SAMPLE));
			g_mutex_lock(&up->lock);
			f->sample = sample;
			g_mutex_unlock(&up->lock);
		}
		offset += (guint64)n;
		upload_add_bytes(up, n);
		if (g_cancellable_set_error_if_cancelled(up->abort, error))
			ok = FALSE;
	}
	/* a file changed while it was read would get a wrong hash */
	if (ok)
		ok = same_file(fd, f->src, error);
	close(fd);
	if (!ok) {
		if (keep)
			g_atomic_pointer_add(&up->keep_budget, (gssize)f->src->size);
		return FALSE;
	}
	if (keep)
		f->content = g_bytes_new_take(g_steal_pointer(&buf), (gsize)f->src->size);
	g_mutex_lock(&up->lock);
	f->sha256 = hfhub_hasher_finish(sha256);
	f->sha1 = sha1 != NULL ? hfhub_hasher_finish(sha1) : NULL;
	f->state = UPLOAD_FILE_HASHED;
	g_mutex_unlock(&up->lock);
	decide(up, f);
	upload_add_files(up, 1);
	g_atomic_int_inc(&up->hashed_files);
	return TRUE;
}

/* ---- preupload */

typedef struct {
	UploadFile **files;
	guint n;
} PreuploadBatch;

static GBytes *
read_sample(const HfhubUploadSource *src, GError **error)
{
	guint8 buf[HFHUB_PREUPLOAD_SAMPLE];
	gsize want = (gsize)MIN(src->size, (guint64)sizeof buf);
	int fd = g_open(src->local_path, O_RDONLY | O_CLOEXEC, 0);
	gssize n;

	if (fd < 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read %s: %s",
			    src->local_path, g_strerror(errno));
		return NULL;
	}
	do
		n = pread(fd, buf, want, 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read %s: %s",
			    src->local_path, g_strerror(errno));
		return NULL;
	}
	return g_bytes_new(buf, (gsize)n);
}

/* the .gitignore the upload brings, which the Hub applies to it */
static gchar *
git_ignore_of(Upload *up)
{
	UploadFile *f = g_hash_table_lookup(up->by_path, ".gitignore");
	gchar *text = NULL;

	if (f == NULL || f->src->size > MAX_GITIGNORE_SIZE ||
	    !g_file_get_contents(f->src->local_path, &text, NULL, NULL))
		return NULL;
	if (!g_utf8_validate(text, -1, NULL))
		g_clear_pointer(&text, g_free);
	return text;
}

/* where preupload and LFS batch calls point: the pull request once open */
static const gchar *
target_revision(Upload *up, gboolean *create_pr)
{
	if (up->pr_revision != NULL) {
		*create_pr = FALSE;
		return up->pr_revision;
	}
	*create_pr = up->create_pr;
	return up->revision;
}

static gboolean
preupload_batch(Upload *up, gpointer item, GError **error)
{
	PreuploadBatch *batch = item;
	HfhubHubRepo repo = upload_hub_repo(up);
	g_autofree HfhubPreuploadFile *files = g_new0(HfhubPreuploadFile, batch->n);
	g_autoptr(GPtrArray) answers = NULL;
	g_autofree gchar *git_ignore = git_ignore_of(up);
	gboolean create_pr = FALSE;
	const gchar *revision = target_revision(up, &create_pr);
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < batch->n; i++) {
		UploadFile *f = batch->files[i];
		GBytes *sample;

		/* the hash may have read it already */
		g_mutex_lock(&up->lock);
		sample = f->sample != NULL ? g_bytes_ref(f->sample) : NULL;
		g_mutex_unlock(&up->lock);
		files[i].path = f->src->path;
		files[i].size = f->src->size;
		files[i].sample = sample != NULL ? sample : read_sample(f->src, error);
		ok = files[i].sample != NULL;
	}
	if (ok)
		answers = hfhub_preupload(&repo, revision, create_pr, files, batch->n, git_ignore,
					  up->abort, error);
	for (guint i = 0; i < batch->n; i++)
		g_clear_pointer(&files[i].sample, g_bytes_unref);
	if (answers == NULL)
		return FALSE;
	for (guint i = 0; i < batch->n; i++) {
		UploadFile *f = batch->files[i];
		HfhubPreuploadAnswer *a = g_ptr_array_index(answers, i);

		g_mutex_lock(&up->lock);
		f->answered = TRUE;
		f->answer_lfs = a->lfs;
		f->answer_ignore = a->ignore;
		g_free(f->answer_oid);
		f->answer_oid = g_strdup(a->remote_oid);
		g_mutex_unlock(&up->lock);
		decide(up, f);
	}
	g_atomic_int_add(&up->answered_files, (gint)batch->n);
	if (g_atomic_int_get(&up->count_answers))
		upload_add_files(up, (gint)batch->n);
	return TRUE;
}

static gint
compare_size_desc(gconstpointer a, gconstpointer b)
{
	const UploadFile *fa = *(UploadFile **)a;
	const UploadFile *fb = *(UploadFile **)b;

	return fa->src->size > fb->src->size ? -1 : (fa->src->size < fb->src->size ? 1 : 0);
}

gboolean
upload_stage_prepare(Upload *up, GError **error)
{
	g_autoptr(GPtrArray) to_hash = g_ptr_array_new();
	g_autoptr(GPtrArray) to_ask = g_ptr_array_new();
	g_autoptr(GArray) batches = g_array_new(FALSE, FALSE, sizeof(PreuploadBatch));
	guint64 bytes = 0;
	gboolean ok_hash = TRUE;
	gboolean ok_ask;
	Work wh, wp;

	for (guint i = 0; i < up->files->len; i++) {
		UploadFile *f = g_ptr_array_index(up->files, i);
		if (f->state == UPLOAD_FILE_SCANNED)
			g_ptr_array_add(to_hash, f);
	}
	if (to_hash->len > 0) {
		upload_set_stage(up, "hashing", 0, to_hash->len);
		/* files hashed by an earlier job, unchanged since */
		if (!upload_reuse_hashes(up, to_hash, error))
			return FALSE;
	}
	for (guint i = 0; i < to_hash->len;) {
		UploadFile *f = g_ptr_array_index(to_hash, i);
		if (f->state != UPLOAD_FILE_SCANNED) {
			g_ptr_array_remove_index(to_hash, i);
			continue;
		}
		bytes += f->src->size;
		i++;
	}
	for (guint i = 0; i < up->files->len; i++) {
		UploadFile *f = g_ptr_array_index(up->files, i);
		if (f->state == UPLOAD_FILE_SCANNED || f->state == UPLOAD_FILE_HASHED)
			g_ptr_array_add(to_ask, f);
	}
	if (to_ask->len == 0)
		return upload_flush(up, error);
	for (guint start = 0; start < to_ask->len; start += HFHUB_PREUPLOAD_BATCH) {
		PreuploadBatch batch = { (UploadFile **)to_ask->pdata + start,
					 MIN(HFHUB_PREUPLOAD_BATCH, to_ask->len - start) };
		g_array_append_val(batches, batch);
	}
	g_atomic_int_set(&up->count_answers, to_hash->len == 0);
	if (to_hash->len > 0)
		upload_set_stage(up, "hashing", bytes, to_hash->len);
	else
		upload_set_stage(up, "checking with the Hub", 0, to_ask->len);
	/* the Hub's answers come while the files are being hashed */
	if (!work_start(&wp, up, preupload_batch, PREUPLOAD_PARALLEL, error))
		return FALSE;
	for (guint i = 0; i < batches->len; i++)
		work_push(&wp, &g_array_index(batches, PreuploadBatch, i));
	if (to_hash->len > 0) {
		/* the biggest first: a big file last would hash on one core alone */
		g_ptr_array_sort(to_hash, compare_size_desc);
		if (work_start(&wh, up, hash_one,
			       MIN(to_hash->len, (guint)MAX(1, g_get_num_processors())), error)) {
			for (guint i = 0; i < to_hash->len; i++)
				work_push(&wh, g_ptr_array_index(to_hash, i));
			ok_hash = work_finish(&wh, error);
		} else {
			ok_hash = FALSE;
			g_cancellable_cancel(up->abort);
		}
		if (ok_hash) {
			upload_set_stage(up, "checking with the Hub", 0, to_ask->len);
			g_atomic_int_set(&up->count_answers, 1);
			upload_add_files(up, g_atomic_int_get(&up->answered_files));
		}
	}
	ok_ask = work_finish(&wp, ok_hash ? error : NULL);
	if (!ok_hash || !ok_ask)
		return FALSE;
	for (guint i = 0; i < to_ask->len; i++) {
		UploadFile *f = g_ptr_array_index(to_ask, i);
		if (f->state == UPLOAD_FILE_SCANNED || f->state == UPLOAD_FILE_HASHED) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_FAILED,
				    "%s was neither hashed nor checked with the Hub", f->src->path);
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- LFS */

/* one PUT: a whole file (part 0) or one part of a multipart transfer */
typedef struct {
	UploadFile *f;
	guint part;
} LfsItem;

static void
put_progress_cb(gpointer user_data, gint64 delta)
{
	upload_add_bytes(user_data, delta);
}

/* the object is on the Hub: verify it as huggingface_hub does */
static gboolean
finish_file(Upload *up, UploadFile *f, GError **error)
{
	HfhubHubRepo repo = upload_hub_repo(up);

	if (!hfhub_lfs_verify(&repo, f->transfer, up->abort, error))
		return FALSE;
	g_mutex_lock(&up->lock);
	f->state = UPLOAD_FILE_UPLOADED;
	g_mutex_unlock(&up->lock);
	upload_mark_dirty(up, f);
	upload_add_files(up, 1);
	g_atomic_int_inc(&up->uploaded_files);
	g_atomic_pointer_add(&up->uploaded_bytes, (gssize)f->src->size);
	return TRUE;
}

/* a stored transfer the Hub no longer knows (its URLs expired, the upload
 * was dropped): the file is asked for again in a new batch */
static gboolean
expired(UploadFile *f, const GError *error)
{
	return f->resumed && (g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_FORBIDDEN) ||
			      g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND) ||
			      g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE));
}

static gboolean
complete_file(Upload *up, UploadFile *f, GError **error)
{
	HfhubHubRepo repo = upload_hub_repo(up);
	g_autoptr(GError) error_local = NULL;
	gboolean ok;

	g_mutex_lock(&up->lock);
	ok = !f->rebatch;
	g_mutex_unlock(&up->lock);
	if (!ok)
		return TRUE;
	if (!hfhub_lfs_complete(&repo, f->transfer, up->abort, &error_local)) {
		if (expired(f, error_local)) {
			g_mutex_lock(&up->lock);
			f->rebatch = TRUE;
			g_mutex_unlock(&up->lock);
			return TRUE;
		}
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	return finish_file(up, f, error);
}

static gboolean
lfs_put(Upload *up, gpointer item, GError **error)
{
	g_autofree LfsItem *it = item;
	UploadFile *f = it->f;
	HfhubLfsTransfer *t = f->transfer;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *etag = NULL;
	guint64 offset = 0;
	guint64 length = f->src->size;
	const gchar *url = t->href;
	int fd;

	if (it->part > 0) {
		offset = (guint64)(it->part - 1) * t->chunk_size;
		length = MIN(t->chunk_size, f->src->size - offset);
		url = g_ptr_array_index(t->part_urls, it->part - 1);
	}
	fd = open_source(f->src, error);
	if (fd < 0)
		return FALSE;
	etag = hfhub_http_upload_put(up->http, url, fd, offset, length, up->throttle,
				     put_progress_cb, up, up->abort, &error_local);
	if (etag != NULL && !same_file(fd, f->src, &error_local))
		g_clear_pointer(&etag, g_free);
	close(fd);
	if (etag == NULL) {
		if (it->part > 0 && expired(f, error_local)) {
			g_debug("%s: the stored transfer expired: %s", f->src->path,
				error_local->message);
			g_mutex_lock(&up->lock);
			f->rebatch = TRUE;
			g_mutex_unlock(&up->lock);
			return TRUE;
		}
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	if (it->part == 0)
		return finish_file(up, f, error);
	if (*etag == '\0') {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "part %u of %s: the storage answered without an ETag", it->part,
			    f->src->path);
		return FALSE;
	}
	g_mutex_lock(&up->lock);
	g_free(g_ptr_array_index(t->part_etags, it->part - 1));
	g_ptr_array_index(t->part_etags, it->part - 1) = g_steal_pointer(&etag);
	g_mutex_unlock(&up->lock);
	/* recorded before anything else: a restart must not send it again */
	upload_mark_dirty(up, f);
	if (!upload_flush(up, error))
		return FALSE;
	if (!g_atomic_int_dec_and_test(&f->parts_left))
		return TRUE;
	return complete_file(up, f, error);
}

static LfsItem *
lfs_item(UploadFile *f, guint part)
{
	LfsItem *it = g_new0(LfsItem, 1);

	it->f = f;
	it->part = part;
	return it;
}

/* the parts of a multipart transfer not sent yet, or its completion */
static gboolean
queue_multipart(Upload *up, Work *w, UploadFile *f, GError **error)
{
	HfhubLfsTransfer *t = f->transfer;
	guint left = t->part_urls->len - hfhub_lfs_transfer_parts_done(t);

	upload_add_bytes(up,
			 (gint64)(f->src->size - MIN(f->src->size, (guint64)left * t->chunk_size)));
	if (left == 0)
		return complete_file(up, f, error);
	g_atomic_int_set(&f->parts_left, (gint)left);
	for (guint i = 0; i < t->part_urls->len; i++) {
		if (g_ptr_array_index(t->part_etags, i) == NULL)
			work_push(w, lfs_item(f, i + 1));
	}
	return TRUE;
}

static gboolean
lfs_batch(Upload *up, Work *w, UploadFile **files, guint n, GError **error)
{
	HfhubHubRepo repo = upload_hub_repo(up);
	g_autofree const gchar **oids = g_new0(const gchar *, n + 1);
	g_autofree guint64 *sizes = g_new0(guint64, n);
	g_autoptr(GPtrArray) transfers = NULL;
	gboolean create_pr = FALSE;
	const gchar *revision = target_revision(up, &create_pr);
	gboolean persist = FALSE;

	for (guint i = 0; i < n; i++) {
		oids[i] = files[i]->sha256;
		sizes[i] = files[i]->src->size;
	}
	/* opening a pull request needs only read access: no ref then */
	transfers = hfhub_lfs_batch(&repo, create_pr || up->pr_revision != NULL ? NULL : revision,
				    oids, sizes, n, up->abort, error);
	if (transfers == NULL)
		return FALSE;
	for (guint i = 0; i < n; i++) {
		UploadFile *f = files[i];
		HfhubLfsTransfer *t = g_steal_pointer(&g_ptr_array_index(transfers, i));

		g_mutex_lock(&up->lock);
		hfhub_lfs_transfer_free(f->transfer);
		f->transfer = t;
		f->resumed = FALSE;
		f->rebatch = FALSE;
		if (t->present)
			f->state = UPLOAD_FILE_UPLOADED;
		else if (t->chunk_size > 0)
			f->state = UPLOAD_FILE_UPLOADING;
		g_mutex_unlock(&up->lock);
		if (t->present) {
			upload_mark_dirty(up, f);
			upload_add_bytes(up, (gint64)f->src->size);
			upload_add_files(up, 1);
		} else if (t->chunk_size > 0) {
			upload_mark_dirty(up, f);
			persist = TRUE;
		}
	}
	/* the part URLs are kept before the first part goes */
	if (persist && !upload_flush(up, error))
		return FALSE;
	for (guint i = 0; i < n; i++) {
		UploadFile *f = files[i];
		if (f->state == UPLOAD_FILE_UPLOADING && !queue_multipart(up, w, f, error))
			return FALSE;
		if (f->state == UPLOAD_FILE_LFS)
			work_push(w, lfs_item(f, 0));
	}
	return TRUE;
}

static gboolean
lfs_round(Upload *up, GPtrArray *todo, GError **error)
{
	g_autoptr(GPtrArray) ask = g_ptr_array_new();
	GError *error_local = NULL;
	guint64 bytes = 0;
	Work w;

	for (guint i = 0; i < todo->len; i++) {
		UploadFile *f = g_ptr_array_index(todo, i);
		bytes += f->src->size;
	}
	upload_set_stage(up, "uploading", bytes, todo->len);
	if (!work_start(&w, up, lfs_put, up->parallelism, error))
		return FALSE;
	for (guint i = 0; i < todo->len && error_local == NULL; i++) {
		UploadFile *f = g_ptr_array_index(todo, i);
		if (f->state == UPLOAD_FILE_UPLOADING)
			queue_multipart(up, &w, f, &error_local);
		else
			g_ptr_array_add(ask, f);
	}
	/* the batch calls go while earlier objects are being sent */
	for (guint start = 0; start < ask->len && error_local == NULL;
	     start += HFHUB_LFS_BATCH_SIZE)
		lfs_batch(up, &w, (UploadFile **)ask->pdata + start,
			  MIN(HFHUB_LFS_BATCH_SIZE, ask->len - start), &error_local);
	if (error_local != NULL)
		g_cancellable_cancel(up->abort);
	if (!work_finish(&w, error_local == NULL ? error : NULL) || error_local != NULL) {
		if (error_local != NULL)
			g_propagate_error(error, error_local);
		return FALSE;
	}
	return TRUE;
}

gboolean
upload_stage_lfs(Upload *up, GError **error)
{
	for (guint round = 0; round < MAX_LFS_BATCH_ROUNDS; round++) {
		g_autoptr(GPtrArray) todo = g_ptr_array_new();

		for (guint i = 0; i < up->files->len; i++) {
			UploadFile *f = g_ptr_array_index(up->files, i);
			if (f->rebatch) {
				g_clear_pointer(&f->transfer, hfhub_lfs_transfer_free);
				f->state = UPLOAD_FILE_LFS;
				f->rebatch = FALSE;
				f->resumed = FALSE;
			}
			if (f->state == UPLOAD_FILE_LFS || f->state == UPLOAD_FILE_UPLOADING)
				g_ptr_array_add(todo, f);
		}
		if (todo->len == 0)
			return TRUE;
		if (!lfs_round(up, todo, error))
			return FALSE;
	}
	for (guint i = 0; i < up->files->len; i++) {
		UploadFile *f = g_ptr_array_index(up->files, i);
		if (f->state != UPLOAD_FILE_UPLOADED &&
		    (f->state == UPLOAD_FILE_LFS || f->state == UPLOAD_FILE_UPLOADING)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_SERVER,
				    "the Hub did not take %s: its upload URLs stopped working "
				    "twice; try again later",
				    f->src->path);
			return FALSE;
		}
	}
	return TRUE;
}
