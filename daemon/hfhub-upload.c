/* The "upload" job kind: options, checks before the row is written, the
 * run on a worker thread, and what ties it to the main thread (the store,
 * progress, the state reason).
 *
 * The stages, each on the worker thread with its own pool:
 *   scan (local, before any request) → hash (several files at once, hashes
 *   of unchanged files reused) → preupload (batches) → LFS (batch, basic or
 *   multipart with parts in parallel, completion) → commits (NDJSON, at most
 *   files-per-commit files each, conflicts resolved by reading the head).
 * Every file's state is a row of job_files (see hfhub-upload-private.h);
 * the job's own (commits made, the pull request opened) is the row with the
 * empty path. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubUpload"

#include "hfhub-upload.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#include "hfhub-error.h"
#include "hfhub-filter.h"
#include "hfhub-job-run.h"
#include "hfhub-repo-path.h"
#include "hfhub-secrets.h"
#include "hfhub-upload-private.h"

/* rows written per main-loop turn: the loop stays responsive */
#define ROWS_PER_TURN 500
#define META_PATH     ""

static const HfhubOptionSpec upload_options[] = {
	{ "include", "as" },
	{ "exclude", "as" },
	{ "delete", "as" },
	{ "commit-message", "s" },
	{ "commit-description", "s" },
	{ "create-pr", "b" },
	{ "parent-commit", "s" },
	{ "allow-concurrent", "b" },
	{ "create-repo", "b" },
	{ "private", "b" },
	{ "files-per-commit", "u" },
	{ "parallelism", "u" },
	{ "endpoint", "s" },
	{ "identity", "s" },
	/* the arguments of Manager.Upload travel in the options */
	{ "local-path", "s" },
	{ "path-in-repo", "s" },
	{ NULL, NULL },
};

static const gchar *const state_nicks[] = {
	[UPLOAD_FILE_SCANNED] = "scanned",     [UPLOAD_FILE_HASHED] = "hashed",
	[UPLOAD_FILE_REGULAR] = "regular",     [UPLOAD_FILE_LFS] = "lfs",
	[UPLOAD_FILE_UPLOADING] = "uploading", [UPLOAD_FILE_UPLOADED] = "uploaded",
	[UPLOAD_FILE_IGNORED] = "ignored",     [UPLOAD_FILE_UNCHANGED] = "unchanged",
	[UPLOAD_FILE_COMMITTED] = "committed",
};

const gchar *
upload_file_state_to_string(UploadFileState state)
{
	return state_nicks[state];
}

gboolean
upload_file_state_from_string(const gchar *s, UploadFileState *state)
{
	for (guint i = 0; s != NULL && i < G_N_ELEMENTS(state_nicks); i++) {
		if (g_str_equal(s, state_nicks[i])) {
			*state = (UploadFileState)i;
			return TRUE;
		}
	}
	return FALSE;
}

void
upload_file_free(UploadFile *f)
{
	if (f == NULL)
		return;
	hfhub_upload_source_free(f->src);
	g_free(f->sha256);
	g_free(f->sha1);
	g_free(f->answer_oid);
	g_clear_pointer(&f->sample, g_bytes_unref);
	g_clear_pointer(&f->content, g_bytes_unref);
	hfhub_lfs_transfer_free(f->transfer);
	g_free(f);
}

static void
upload_free(Upload *up)
{
	if (up->abort_link != 0)
		g_cancellable_disconnect(up->cancellable, up->abort_link);
	g_clear_object(&up->job);
	g_clear_object(&up->engine);
	g_clear_object(&up->store);
	g_clear_object(&up->http);
	g_clear_object(&up->cancellable);
	g_clear_object(&up->abort);
	g_free(up->repo_id);
	g_free(up->revision);
	g_free(up->endpoint);
	hfhub_secrets_free(g_steal_pointer(&up->token));
	g_free(up->local_path);
	g_free(up->path_in_repo);
	g_strfreev(up->include);
	g_strfreev(up->exclude);
	g_strfreev(up->delete_patterns);
	g_free(up->commit_message);
	g_free(up->commit_description);
	g_free(up->parent_commit);
	g_clear_pointer(&up->files, g_ptr_array_unref);
	g_clear_pointer(&up->by_path, g_hash_table_unref);
	g_clear_pointer(&up->commits, g_ptr_array_unref);
	g_free(up->pr_revision);
	g_free(up->pr_url);
	g_free(up->last_commit_url);
	g_free(up->stage);
	g_clear_pointer(&up->dirty, g_ptr_array_unref);
	g_mutex_clear(&up->lock);
	g_mutex_clear(&up->flush_lock);
	g_mutex_clear(&up->main_mutex);
	g_cond_clear(&up->main_cond);
	g_free(up);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Upload, upload_free)

/* ---- the main thread, from workers */

typedef struct {
	Upload *up;
	UploadMainFunc func;
	gpointer data;
	gboolean ok;
	gboolean done;
	GError *error;
} MainCall;

static gboolean
main_call_cb(gpointer user_data)
{
	MainCall *call = user_data;
	Upload *up = call->up;
	gboolean ok = call->func(up, call->data, &call->error);

	g_mutex_lock(&up->main_mutex);
	call->ok = ok;
	call->done = TRUE;
	g_cond_broadcast(&up->main_cond);
	g_mutex_unlock(&up->main_mutex);
	return G_SOURCE_REMOVE;
}

gboolean
upload_on_main(Upload *up, UploadMainFunc func, gpointer data, GError **error)
{
	MainCall call = { up, func, data, FALSE, FALSE, NULL };

	/* The worker waits even when the job is cancelled: the main loop runs
	 * as long as the daemon does, and a write half done must not be
	 * forgotten. */
	g_main_context_invoke(NULL, main_call_cb, &call);
	g_mutex_lock(&up->main_mutex);
	while (!call.done)
		g_cond_wait(&up->main_cond, &up->main_mutex);
	g_mutex_unlock(&up->main_mutex);
	if (!call.ok)
		g_propagate_error(error, call.error);
	return call.ok;
}

/* from a worker: says why the job is not moving */
static void
note_reason(Upload *up, const gchar *reason)
{
	hfhub_engine_note_job_reason(up->engine, up->job, reason);
}

void
upload_note_wait(gpointer user_data, const gchar *reason)
{
	Upload *up = user_data;
	g_autofree gchar *stage = NULL;

	g_mutex_lock(&up->lock);
	stage = g_strdup(up->stage);
	g_mutex_unlock(&up->lock);
	note_reason(up, reason != NULL ? reason : stage);
}

/* the Hub's rate limit holds this job: say until when */
static void
rate_limited_cb(gpointer user_data, gint64 until)
{
	g_autoptr(GDateTime) t = NULL;
	g_autofree gchar *reason = NULL;

	if (until == 0) {
		upload_note_wait(user_data, NULL);
		return;
	}
	t = g_date_time_new_from_unix_local(until);
	reason = g_date_time_format(t, "rate-limited until %H:%M:%S");
	upload_note_wait(user_data, reason);
}

HfhubHubRepo
upload_hub_repo(Upload *up)
{
	HfhubHubRepo repo = {
		.http = up->http,
		.target = { .endpoint = up->endpoint,
			    .token = up->token,
			    .on_wait = rate_limited_cb,
			    .on_wait_data = up },
		.type = up->type,
		.repo_id = up->repo_id,
	};
	return repo;
}

void
upload_set_stage(Upload *up, const gchar *stage, guint64 bytes_total, guint files_total)
{
	g_mutex_lock(&up->lock);
	g_free(up->stage);
	up->stage = g_strdup(stage);
	g_mutex_unlock(&up->lock);
	g_atomic_pointer_set(&up->bytes_done, 0);
	g_atomic_int_set(&up->files_done, 0);
	g_atomic_int_set(&up->files_total, (gint)files_total);
	/* bytes_total is read only by the main thread's timer: a torn read
	 * would only show a wrong total for 100 ms */
	up->bytes_total = (gint64)bytes_total;
	note_reason(up, stage);
}

void
upload_add_bytes(Upload *up, gint64 delta)
{
	g_atomic_pointer_add(&up->bytes_done, (gssize)delta);
}

void
upload_add_files(Upload *up, gint n)
{
	g_atomic_int_add(&up->files_done, n);
}

/* ---- rows */

static HfhubJobFileRecord *
file_to_row(Upload *up, UploadFile *f)
{
	HfhubJobFileRecord *row = hfhub_job_file_record_new();

	row->job_id = hfhub_job_get_id(up->job);
	row->path = g_strdup(f->src->path);
	row->size = f->src->size;
	row->oid = g_strdup(f->sha256);
	row->etag = g_strdup(f->sha1);
	row->lfs = f->state == UPLOAD_FILE_LFS || f->state == UPLOAD_FILE_UPLOADING ||
		   f->state == UPLOAD_FILE_UPLOADED ||
		   (f->state == UPLOAD_FILE_COMMITTED && f->transfer != NULL);
	row->state = g_strdup(upload_file_state_to_string(f->state));
	row->local_path = g_strdup(f->src->local_path);
	row->mtime_ns = f->src->mtime_ns;
	row->inode = f->src->inode;
	if (f->state == UPLOAD_FILE_UPLOADING && f->transfer != NULL) {
		row->transfer = hfhub_lfs_transfer_to_json(f->transfer);
		row->bytes_done = (guint64)hfhub_lfs_transfer_parts_done(f->transfer) *
				  f->transfer->chunk_size;
	}
	return row;
}

static HfhubJobFileRecord *
meta_row(Upload *up)
{
	HfhubJobFileRecord *row = hfhub_job_file_record_new();
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "commits");
	json_builder_begin_array(b);
	for (guint i = 0; i < up->commits->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(up->commits, i));
	json_builder_end_array(b);
	if (up->pr_revision != NULL) {
		json_builder_set_member_name(b, "pr-revision");
		json_builder_add_string_value(b, up->pr_revision);
	}
	if (up->pr_url != NULL) {
		json_builder_set_member_name(b, "pr-url");
		json_builder_add_string_value(b, up->pr_url);
	}
	if (up->last_commit_url != NULL) {
		json_builder_set_member_name(b, "commit-url");
		json_builder_add_string_value(b, up->last_commit_url);
	}
	json_builder_set_member_name(b, "recovered");
	json_builder_add_boolean_value(b, up->recovered);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	row->job_id = hfhub_job_get_id(up->job);
	row->path = g_strdup(META_PATH);
	row->state = g_strdup("meta");
	row->transfer = json_to_string(root, FALSE);
	return row;
}

static void
meta_from_row(Upload *up, const HfhubJobFileRecord *row)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	JsonObject *obj;
	JsonNode *node;

	if (row->transfer == NULL || !json_parser_load_from_data(parser, row->transfer, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return;
	obj = json_node_get_object(json_parser_get_root(parser));
	node = json_object_get_member(obj, "commits");
	if (node != NULL && JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *a = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			const gchar *oid = json_array_get_string_element(a, i);
			if (oid != NULL)
				g_ptr_array_add(up->commits, g_strdup(oid));
		}
	}
	if (json_object_has_member(obj, "pr-revision"))
		up->pr_revision = g_strdup(json_object_get_string_member(obj, "pr-revision"));
	if (json_object_has_member(obj, "pr-url"))
		up->pr_url = g_strdup(json_object_get_string_member(obj, "pr-url"));
	if (json_object_has_member(obj, "commit-url"))
		up->last_commit_url = g_strdup(json_object_get_string_member(obj, "commit-url"));
	if (json_object_has_member(obj, "recovered"))
		up->recovered = json_object_get_boolean_member(obj, "recovered");
}

void
upload_mark_dirty(Upload *up, UploadFile *f)
{
	g_mutex_lock(&up->lock);
	g_ptr_array_add(up->dirty, f);
	g_mutex_unlock(&up->lock);
}

static gboolean
put_rows_txn_cb(HfhubStore *store, gpointer user_data, GError **error)
{
	GPtrArray *rows = user_data;

	for (guint i = 0; i < rows->len; i++) {
		if (!hfhub_store_put_job_file(store, g_ptr_array_index(rows, i), error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
put_rows_main(Upload *up, gpointer data, GError **error)
{
	return hfhub_store_transaction(up->store, put_rows_txn_cb, data, error);
}

gboolean
upload_flush(Upload *up, GError **error)
{
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_job_file_record_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
	g_autoptr(GPtrArray) dirty = NULL;
	g_autoptr(GMutexLocker) flushing = g_mutex_locker_new(&up->flush_lock);

	g_mutex_lock(&up->lock);
	dirty = g_steal_pointer(&up->dirty);
	up->dirty = g_ptr_array_new();
	for (guint i = 0; i < dirty->len; i++) {
		UploadFile *f = g_ptr_array_index(dirty, i);
		if (g_hash_table_add(seen, f))
			g_ptr_array_add(rows, file_to_row(up, f));
	}
	g_ptr_array_add(rows, meta_row(up));
	g_mutex_unlock(&up->lock);

	for (guint start = 0; start < rows->len; start += ROWS_PER_TURN) {
		g_autoptr(GPtrArray) chunk = g_ptr_array_new();
		for (guint i = start; i < MIN(rows->len, start + ROWS_PER_TURN); i++)
			g_ptr_array_add(chunk, g_ptr_array_index(rows, i));
		if (!upload_on_main(up, put_rows_main, chunk, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
list_rows_main(Upload *up, gpointer data, GError **error)
{
	GPtrArray **out = data;

	*out = hfhub_store_list_job_files(up->store, hfhub_job_get_id(up->job), error);
	return *out != NULL;
}

GPtrArray *
upload_load_rows(Upload *up, GError **error)
{
	GPtrArray *rows = NULL;

	if (!upload_on_main(up, list_rows_main, &rows, error))
		return NULL;
	for (guint i = 0; i < rows->len; i++) {
		const HfhubJobFileRecord *row = g_ptr_array_index(rows, i);
		if (g_str_equal(row->path, META_PATH))
			meta_from_row(up, row);
	}
	return rows;
}

typedef struct {
	GPtrArray *files; /* UploadFile */
	guint start;
	guint end;
	guint found;
} ReuseChunk;

static gboolean
reuse_main(Upload *up, gpointer data, GError **error)
{
	ReuseChunk *chunk = data;

	for (guint i = chunk->start; i < chunk->end; i++) {
		UploadFile *f = g_ptr_array_index(chunk->files, i);
		g_autofree gchar *sha256 = NULL;
		g_autofree gchar *sha1 = NULL;

		if (!hfhub_store_lookup_file_hashes(up->store, f->src->local_path, f->src->size,
						    f->src->mtime_ns, f->src->inode, &sha256, &sha1,
						    error)) {
			if (error != NULL && *error != NULL)
				return FALSE;
			continue;
		}
		/* a small file needs its git oid too, which a big one's row
		 * does not have */
		if (sha1 == NULL && f->src->size <= UPLOAD_REGULAR_MAX)
			continue;
		f->sha256 = g_steal_pointer(&sha256);
		f->sha1 = g_steal_pointer(&sha1);
		f->state = UPLOAD_FILE_HASHED;
		chunk->found++;
	}
	return TRUE;
}

gboolean
upload_reuse_hashes(Upload *up, GPtrArray *files, GError **error)
{
	for (guint start = 0; start < files->len; start += ROWS_PER_TURN) {
		ReuseChunk chunk = { files, start, MIN(files->len, start + ROWS_PER_TURN), 0 };

		if (!upload_on_main(up, reuse_main, &chunk, error))
			return FALSE;
		g_atomic_int_add(&up->reused_hashes, (gint)chunk.found);
	}
	for (guint i = 0; i < files->len; i++) {
		UploadFile *f = g_ptr_array_index(files, i);
		if (f->state == UPLOAD_FILE_HASHED)
			upload_mark_dirty(up, f);
	}
	return TRUE;
}

/* ---- the run */

/* says how long a stage took (G_MESSAGES_DEBUG=HfhubUpload) */
static gboolean
timed(Upload *up, const gchar *name, gboolean (*stage)(Upload *, GError **), GError **error)
{
	gint64 t0 = g_get_monotonic_time();
	gboolean ok = stage(up, error);

	g_debug("job %" G_GUINT64_FORMAT ": %s took %.3f s", hfhub_job_get_id(up->job), name,
		(gdouble)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	return ok;
}

static GVariant *
run_upload(Upload *up, GError **error)
{
	gint64 t0;
	GVariant *result;

	if (!timed(up, "scan", upload_stage_scan, error) ||
	    !timed(up, "hash and preupload", upload_stage_prepare, error) ||
	    !timed(up, "lfs", upload_stage_lfs, error))
		return NULL;
	t0 = g_get_monotonic_time();
	result = upload_stage_commit(up, error);
	g_debug("job %" G_GUINT64_FORMAT ": commit took %.3f s", hfhub_job_get_id(up->job),
		(gdouble)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	return result;
}

static void
run_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	Upload *up = task_data;
	GError *error = NULL;
	GVariant *result = run_upload(up, &error);

	if (result == NULL) {
		/* what was done is kept, whatever broke */
		g_autoptr(GError) flush_error = NULL;
		if (!upload_flush(up, &flush_error))
			g_warning("cannot record the upload's progress: %s", flush_error->message);
	}
	hfhub_job_run_return(task, result, error, up->cancellable);
}

/* ---- main-thread side */

static void
publish_progress(gpointer data)
{
	Upload *up = data;
	gssize done = (gssize)g_atomic_pointer_get(&up->bytes_done);

	hfhub_job_set_progress(up->job, (guint64)MAX(done, 0), (guint64)MAX(up->bytes_total, 0),
			       (guint)g_atomic_int_get(&up->files_done),
			       (guint)g_atomic_int_get(&up->files_total));
}

static void
upload_run_async(HfhubEngine *engine, HfhubJob *job, GCancellable *cancellable,
		 GAsyncReadyCallback callback, gpointer user_data)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_autoptr(GTask) task = g_task_new(job, cancellable, callback, user_data);
	g_autoptr(Upload) up = g_new0(Upload, 1);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *identity = NULL;
	guint files_per_commit = HFHUB_UPLOAD_FILES_PER_COMMIT;
	guint parallelism = 8;

	g_task_set_source_tag(task, upload_run_async);
	g_mutex_init(&up->lock);
	g_mutex_init(&up->flush_lock);
	g_mutex_init(&up->main_mutex);
	g_cond_init(&up->main_cond);
	up->job = g_object_ref(job);
	up->engine = g_object_ref(engine);
	up->store = g_object_ref(hfhub_engine_get_store(engine));
	up->http = g_object_ref(hfhub_engine_get_http(engine));
	up->throttle = hfhub_engine_get_upload_throttle(engine);
	up->cancellable = g_object_ref(cancellable);
	up->abort = hfhub_job_run_abort_new(cancellable, &up->abort_link);
	hfhub_repo_type_from_string(rec->repo_type, &up->type);
	up->repo_id = g_strdup(rec->repo_id);
	up->revision = g_strdup(rec->revision);
	up->endpoint = hfhub_engine_dup_job_endpoint(engine, job);
	/* the identity recorded when the job was made, so that a restart
	 * uploads as the same user */
	identity = rec->identity != NULL && *rec->identity != '\0'
			   ? g_strdup(rec->identity)
			   : hfhub_job_dup_option_string(job, "identity", NULL);
	up->token = hfhub_engine_dup_token(engine, identity, up->endpoint, &error);
	if (error != NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	up->local_path = hfhub_job_dup_option_string(job, "local-path", "");
	up->path_in_repo = hfhub_job_dup_option_string(job, "path-in-repo", "");
	up->include = hfhub_job_dup_option_strv(job, "include");
	up->exclude = hfhub_job_dup_option_strv(job, "exclude");
	up->delete_patterns = hfhub_job_dup_option_strv(job, "delete");
	up->commit_message = hfhub_job_dup_option_string(job, "commit-message", NULL);
	up->commit_description = hfhub_job_dup_option_string(job, "commit-description", NULL);
	up->parent_commit = hfhub_job_dup_option_string(job, "parent-commit", NULL);
	hfhub_job_lookup_option(job, "create-pr", "b", &up->create_pr);
	hfhub_job_lookup_option(job, "create-repo", "b", &up->create_repo);
	hfhub_job_lookup_option(job, "private", "b", &up->private_repo);
	hfhub_job_lookup_option(job, "allow-concurrent", "b", &up->allow_concurrent);
	hfhub_job_lookup_option(job, "files-per-commit", "u", &files_per_commit);
	hfhub_job_lookup_option(job, "parallelism", "u", &parallelism);
	up->files_per_commit = files_per_commit;
	up->parallelism = parallelism;
	up->commits = g_ptr_array_new_with_free_func(g_free);
	up->dirty = g_ptr_array_new();
	up->keep_budget = UPLOAD_KEEP_BUDGET;
	up->stage = g_strdup("");

	hfhub_job_run_publish_progress(task, publish_progress, up);
	g_task_set_task_data(task, g_steal_pointer(&up), (GDestroyNotify)upload_free);
	g_task_run_in_thread(task, run_thread);
}

static GVariant *
upload_run_finish(HfhubJob *job, GAsyncResult *res, GError **error)
{
	Upload *up = g_task_get_task_data(G_TASK(res));

	if (up != NULL)
		publish_progress(up);
	hfhub_job_run_stop_progress(G_TASK(res));
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* ---- checks before the row is written: bad input changes nothing and no
 * request goes out */

static gboolean
is_hex(const gchar *s, gsize min, gsize max)
{
	gsize len = strlen(s);

	if (len < min || len > max)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit(s[i]))
			return FALSE;
	}
	return TRUE;
}

/* repo type, id, revision, endpoint, commit options, identity: shared with
 * the "commit" kind */
gboolean
hfhub_upload_prepare_common(HfhubEngine *engine, HfhubJobRecord *rec, GError **error)
{
	HfhubRepoType type;
	const gchar *endpoint = NULL;
	const gchar *parent = NULL;
	const gchar *identity = NULL;
	const gchar *message = NULL;
	gboolean create_pr = FALSE;
	g_autofree gchar *identity_name = NULL;
	g_autoptr(GError) error_local = NULL;

	if (*rec->repo_type == '\0') {
		g_free(rec->repo_type);
		rec->repo_type = g_strdup("model");
	}
	if (!hfhub_repo_type_from_string(rec->repo_type, &type)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "unknown repo type “%s” (model, dataset or space)", rec->repo_type);
		return FALSE;
	}
	g_free(rec->repo_type);
	rec->repo_type = g_strdup(hfhub_repo_type_to_string(type));
	if (!hfhub_repo_id_validate(rec->repo_id, error))
		return FALSE;
	if (*rec->revision == '\0') {
		g_free(rec->revision);
		rec->revision = g_strdup("main");
	}
	if (!hfhub_revision_validate(rec->revision, error))
		return FALSE;
	g_variant_lookup(rec->options, "create-pr", "b", &create_pr);
	if (hfhub_is_commit_hash(rec->revision) && !create_pr) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "cannot commit on the commit %s: give a branch, or open a pull "
			    "request from it",
			    rec->revision);
		return FALSE;
	}
	if (g_variant_lookup(rec->options, "parent-commit", "&s", &parent) &&
	    !is_hex(parent, 5, 40)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the parent commit must be 5 to 40 hex digits, not “%s”", parent);
		return FALSE;
	}
	if (g_variant_lookup(rec->options, "commit-message", "&s", &message) &&
	    strlen(message) > 4096) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "the commit message is longer than 4096 bytes");
		return FALSE;
	}
	if (g_variant_lookup(rec->options, "endpoint", "&s", &endpoint)) {
		g_autoptr(GUri) uri = g_uri_parse(endpoint, G_URI_FLAGS_NONE, NULL);
		if (uri == NULL || g_uri_get_host(uri) == NULL ||
		    (g_strcmp0(g_uri_get_scheme(uri), "https") != 0 &&
		     g_strcmp0(g_uri_get_scheme(uri), "http") != 0)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "the endpoint must be an http(s) URL, not “%s”", endpoint);
			return FALSE;
		}
	}
	g_variant_lookup(rec->options, "identity", "&s", &identity);
	identity_name = hfhub_engine_dup_identity_name(engine, identity, endpoint, &error_local);
	if (error_local != NULL) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	if (identity_name != NULL) {
		g_free(rec->identity);
		rec->identity = g_steal_pointer(&identity_name);
	}
	return TRUE;
}

static gboolean
upload_prepare(HfhubEngine *engine, HfhubJobRecord *rec, GError **error)
{
	const gchar *local = NULL;
	const gchar *path_in_repo = "";
	g_autofree const gchar **patterns = NULL;
	guint n = 0;
	GStatBuf st;

	if (!hfhub_upload_prepare_common(engine, rec, error))
		return FALSE;
	if (!g_variant_lookup(rec->options, "local-path", "&s", &local) ||
	    !g_path_is_absolute(local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the local path must be absolute, not “%s”",
			    local != NULL ? local : "");
		return FALSE;
	}
	if (g_stat(local, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
		g_autofree gchar *shown = hfhub_path_escape_for_message(local);
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND,
			    "“%s” is not a file or a folder that can be read", shown);
		return FALSE;
	}
	g_variant_lookup(rec->options, "path-in-repo", "&s", &path_in_repo);
	if ((S_ISDIR(st.st_mode) || *path_in_repo != '\0') &&
	    !hfhub_upload_path_validate(path_in_repo, S_ISDIR(st.st_mode), error))
		return FALSE;
	if (S_ISREG(st.st_mode) && *path_in_repo == '\0') {
		g_autofree gchar *base = g_path_get_basename(local);
		if (!hfhub_upload_path_validate(base, FALSE, error))
			return FALSE;
	}
	for (const gchar *const *key =
		     (const gchar *const[]){ "include", "exclude", "delete", NULL };
	     *key != NULL; key++) {
		g_clear_pointer(&patterns, g_free);
		if (g_variant_lookup(rec->options, *key, "^a&s", &patterns) &&
		    !hfhub_filter_validate_patterns(patterns, error))
			return FALSE;
	}
	if (g_variant_lookup(rec->options, "files-per-commit", "u", &n) &&
	    (n < 1 || n > HFHUB_UPLOAD_FILES_PER_COMMIT)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "files-per-commit must be between 1 and %u, not %u",
			    HFHUB_UPLOAD_FILES_PER_COMMIT, n);
		return FALSE;
	}
	if (g_variant_lookup(rec->options, "parallelism", "u", &n) && (n < 1 || n > 64)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "parallelism must be between 1 and 64, not %u", n);
		return FALSE;
	}
	return TRUE;
}

static const HfhubJobKind upload_kind = {
	.name = "upload",
	.options = upload_options,
	.prepare = upload_prepare,
	.run_async = upload_run_async,
	.run_finish = upload_run_finish,
	/* nothing local to remove: the rows stay, their hashes serve the
	 * next upload of the same files */
	.discard = NULL,
};

const HfhubJobKind *
hfhub_upload_kind(void)
{
	return &upload_kind;
}
