#include "config.h"

#define G_LOG_DOMAIN "HfhubCacheJobs"

#include "hfhub-cache-jobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hfhub-cache-delete.h"
#include "hfhub-cache-scan.h"
#include "hfhub-cache-verify.h"
#include "hfhub-error.h"
#include "hfhub-repo-path.h"

/* how often a deletion that waits looks at the downloads again */
#define WAIT_INTERVAL_MS     250
#define PROGRESS_INTERVAL_MS 100

/* ---- what the engine knows about downloads */

gchar *
hfhub_cache_jobs_cache_dir(HfhubEngine *engine, const gchar *requested)
{
	if (requested != NULL && *requested != '\0')
		return g_strdup(requested);
	return g_strdup(hfhub_config_get_cache_dir(hfhub_engine_get_config(engine)));
}

/* realpath() when it exists, so that two spellings of a cache compare */
static gchar *
real_dir(const gchar *dir)
{
	gchar *real = realpath(dir, NULL);
	return real != NULL ? real : g_strdup(dir);
}

static gboolean
writes_into(HfhubEngine *engine, HfhubJob *job, const gchar *cache_dir, GPtrArray *folders)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	HfhubJobState state = hfhub_job_get_state(job);
	const gchar *dir = NULL;
	g_autofree gchar *job_dir = NULL;
	g_autofree gchar *real = NULL;
	g_autofree gchar *folder = NULL;
	HfhubRepoType type;

	if (!g_str_equal(rec->kind, "download") || state != HFHUB_JOB_STATE_RUNNING)
		return FALSE;
	if (hfhub_job_lookup_option(job, "local-dir", "&s", &dir) && dir != NULL && *dir != '\0')
		return FALSE;
	if (!hfhub_repo_type_from_string(rec->repo_type, &type) ||
	    !hfhub_repo_id_validate(rec->repo_id, NULL))
		return FALSE;
	folder = hfhub_repo_folder_name(type, rec->repo_id);
	if (!g_ptr_array_find_with_equal_func(folders, folder, g_str_equal, NULL))
		return FALSE;
	dir = NULL;
	hfhub_job_lookup_option(job, "cache-dir", "&s", &dir);
	job_dir = hfhub_cache_jobs_cache_dir(engine, dir);
	real = real_dir(job_dir);
	return g_str_equal(real, cache_dir);
}

GPtrArray *
hfhub_cache_jobs_find_downloads(HfhubEngine *engine, const gchar *cache_dir, GPtrArray *folders)
{
	g_autoptr(GPtrArray) jobs = hfhub_engine_list_jobs(engine);
	GPtrArray *found = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; i < jobs->len; i++) {
		HfhubJob *job = g_ptr_array_index(jobs, i);
		if (writes_into(engine, job, cache_dir, folders))
			g_ptr_array_add(found, g_object_ref(job));
	}
	return found;
}

GHashTable *
hfhub_cache_jobs_resumable_partials(HfhubEngine *engine)
{
	g_autoptr(GPtrArray) jobs = hfhub_engine_list_jobs(engine);
	HfhubStore *store = hfhub_engine_get_store(engine);
	GHashTable *partials = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < jobs->len; i++) {
		HfhubJob *job = g_ptr_array_index(jobs, i);
		g_autoptr(GPtrArray) rows = NULL;
		g_autoptr(GError) error = NULL;

		if (!g_str_equal(hfhub_job_get_kind(job), "download") ||
		    hfhub_job_state_is_final(hfhub_job_get_state(job)))
			continue;
		rows = hfhub_store_list_job_files(store, hfhub_job_get_id(job), &error);
		if (rows == NULL) {
			g_warning("job %" G_GUINT64_FORMAT ": %s", hfhub_job_get_id(job),
				  error->message);
			continue;
		}
		for (guint j = 0; j < rows->len; j++) {
			HfhubJobFileRecord *row = g_ptr_array_index(rows, j);
			if (row->partial != NULL)
				g_hash_table_add(partials, real_dir(row->partial));
		}
	}
	return partials;
}

void
hfhub_cache_jobs_set_conflict(GError **error, GPtrArray *jobs)
{
	g_autoptr(GString) which = g_string_new(NULL);

	for (guint i = 0; i < jobs->len; i++) {
		HfhubJob *job = g_ptr_array_index(jobs, i);
		const HfhubJobRecord *rec = hfhub_job_get_record(job);

		g_string_append_printf(which, "%sjob %" G_GUINT64_FORMAT " (%s/%s, %s)",
				       i > 0 ? ", " : "", rec->id, rec->repo_type, rec->repo_id,
				       hfhub_job_state_to_string(rec->state));
	}
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CONFLICT,
		    "a download into the repo is not finished: %s; nothing was deleted: try "
		    "again when it has finished, or wait for it",
		    which->str);
}

/* sets a job's state reason from a worker thread */
typedef struct {
	HfhubEngine *engine;
	HfhubJob *job;
	gchar *reason;
} Reason;

static gboolean
set_reason_cb(gpointer user_data)
{
	Reason *r = user_data;

	if (!hfhub_job_state_is_final(hfhub_job_get_state(r->job)))
		hfhub_engine_set_job_reason(r->engine, r->job, r->reason);
	return G_SOURCE_REMOVE;
}

static void
reason_free(Reason *r)
{
	g_object_unref(r->engine);
	g_object_unref(r->job);
	g_free(r->reason);
	g_free(r);
}

static void
set_reason_from_thread(HfhubEngine *engine, HfhubJob *job, gchar *reason)
{
	Reason *r = g_new0(Reason, 1);

	r->engine = g_object_ref(engine);
	r->job = g_object_ref(job);
	r->reason = reason;
	g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, set_reason_cb, r,
				   (GDestroyNotify)reason_free);
}

static gboolean
check_cache_dir_option(HfhubJobRecord *rec, GError **error)
{
	const gchar *dir = NULL;

	if (g_variant_lookup(rec->options, "cache-dir", "&s", &dir) && !g_path_is_absolute(dir)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the cache dir must be an absolute path, not “%s”", dir);
		return FALSE;
	}
	return TRUE;
}

/* ---- cache-delete: delete or prune */

static const HfhubOptionSpec delete_options[] = {
	{ "targets", "as" }, { "prune", "b" },	  { "cache-dir", "s" },
	{ "wait", "b" },     { "priority", "i" }, { NULL, NULL },
};

typedef struct {
	HfhubEngine *engine;
	HfhubJob *job;
	GCancellable *cancellable;
	gchar *cache_dir;
	gchar **targets;
	gboolean prune;
	gboolean wait;
	gboolean waited;
	GHashTable *keep;
	HfhubCachePlan *plan;
	guint wait_source;
} DeleteRun;

static void
delete_run_free(DeleteRun *run)
{
	g_clear_handle_id(&run->wait_source, g_source_remove);
	g_object_unref(run->engine);
	g_object_unref(run->job);
	g_object_unref(run->cancellable);
	g_free(run->cache_dir);
	g_strfreev(run->targets);
	g_clear_pointer(&run->keep, g_hash_table_unref);
	g_clear_pointer(&run->plan, hfhub_cache_plan_free);
	g_free(run);
}

static HfhubCachePlan *
make_plan(DeleteRun *run, HfhubCacheLocks *ours, GError **error)
{
	g_autoptr(HfhubCacheScan) scan =
		hfhub_cache_scan(run->cache_dir, HFHUB_CACHE_SCAN_NONE, run->cancellable, error);

	if (scan == NULL)
		return NULL;
	if (run->prune)
		return hfhub_cache_plan_prune(scan, run->keep, ours);
	return hfhub_cache_plan_delete(scan, (const gchar *const *)run->targets);
}

static void
plan_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	GError *error = NULL;
	HfhubCachePlan *plan = make_plan(task_data, NULL, &error);

	if (plan == NULL)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, plan, (GDestroyNotify)hfhub_cache_plan_free);
}

static void
lock_wait_cb(const gchar *lock_path, gpointer user_data)
{
	DeleteRun *run = user_data;

	set_reason_from_thread(
		run->engine, run->job,
		g_strdup_printf("waiting for another program's download to release %s", lock_path));
	run->waited = TRUE;
}

static GVariant *
delete_result(DeleteRun *run, HfhubCachePlan *plan, HfhubCacheDeleted *deleted)
{
	g_autoptr(GVariant) planned = g_variant_ref_sink(hfhub_cache_plan_to_variant(plan));
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(planned);
	g_auto(GVariantBuilder) warnings = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_STRING_ARRAY);

	for (guint i = 0; deleted != NULL && i < deleted->warnings->len; i++)
		g_variant_builder_add_value(
			&warnings,
			hfhub_cache_str((const gchar *)g_ptr_array_index(deleted->warnings, i)));
	g_variant_dict_insert(&dict, "deleted-repos", "u", deleted != NULL ? deleted->repos : 0);
	g_variant_dict_insert(&dict, "deleted-snapshots", "u",
			      deleted != NULL ? deleted->snapshots : 0);
	g_variant_dict_insert(&dict, "deleted-refs", "u", deleted != NULL ? deleted->refs : 0);
	g_variant_dict_insert(&dict, "deleted-blobs", "u", deleted != NULL ? deleted->blobs : 0);
	g_variant_dict_insert(&dict, "deleted-incomplete", "u",
			      deleted != NULL ? deleted->incomplete : 0);
	g_variant_dict_insert_value(&dict, "warnings", g_variant_builder_end(&warnings));
	g_variant_dict_insert(&dict, "waited", "b", run->waited);
	return g_variant_dict_end(&dict);
}

/* Locks, then plans again under them (the cache may have changed since),
 * then deletes. */
static void
exec_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	DeleteRun *run = task_data;
	g_autoptr(HfhubCacheLocks) locks = hfhub_cache_locks_new();
	g_autoptr(GPtrArray) paths = hfhub_cache_plan_lock_paths(run->plan);
	g_autoptr(HfhubCachePlan) plan = NULL;
	g_autoptr(HfhubCacheDeleted) deleted = NULL;
	GError *error = NULL;

	if (!hfhub_cache_locks_take(locks, paths, run->wait, lock_wait_cb, run, cancellable,
				    &error)) {
		g_task_return_error(task, error);
		return;
	}
	plan = make_plan(run, locks, &error);
	if (plan == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_ptr_array_unref(paths);
	paths = hfhub_cache_plan_lock_paths(plan);
	if (!hfhub_cache_locks_holds_all(locks, paths) &&
	    !hfhub_cache_locks_take(locks, paths, run->wait, lock_wait_cb, run, cancellable,
				    &error)) {
		g_task_return_error(task, error);
		return;
	}
	if (g_task_return_error_if_cancelled(task))
		return;
	deleted = hfhub_cache_plan_execute(plan);
	g_message("deleted %u repos, %u snapshots, %u refs, %u blobs, %u partial files from %s",
		  deleted->repos, deleted->snapshots, deleted->refs, deleted->blobs,
		  deleted->incomplete, plan->scan->cache_dir);
	g_task_return_pointer(task, g_variant_ref_sink(delete_result(run, plan, deleted)),
			      (GDestroyNotify)g_variant_unref);
}

static void
return_cancelled_or(GTask *task, GError *error)
{
	/* the engine reads a cancellation as G_IO_ERROR_CANCELLED */
	if (g_cancellable_is_cancelled(g_task_get_cancellable(task))) {
		g_clear_error(&error);
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
		return;
	}
	g_task_return_error(task, error);
}

static void
exec_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;
	GVariant *result = g_task_propagate_pointer(G_TASK(res), &error);

	if (result == NULL) {
		return_cancelled_or(task, error);
		return;
	}
	g_task_return_pointer(task, result, (GDestroyNotify)g_variant_unref);
}

static void
plan_step(GTask *task);

static GPtrArray *
conflicting_jobs(DeleteRun *run)
{
	return hfhub_cache_jobs_find_downloads(run->engine, run->plan->scan->cache_dir,
					       run->plan->folders);
}

static gchar *
waiting_reason(GPtrArray *jobs)
{
	HfhubJob *job = g_ptr_array_index(jobs, 0);
	const HfhubJobRecord *rec = hfhub_job_get_record(job);

	return g_strdup_printf("waiting for download job %" G_GUINT64_FORMAT " (%s/%s) to finish",
			       rec->id, rec->repo_type, rec->repo_id);
}

static gboolean
recheck_cb(gpointer user_data)
{
	GTask *task = user_data;
	DeleteRun *run = g_task_get_task_data(task);
	g_autoptr(GPtrArray) jobs = NULL;
	g_autofree gchar *reason = NULL;

	if (g_cancellable_is_cancelled(run->cancellable)) {
		run->wait_source = 0;
		return_cancelled_or(task, NULL);
		g_object_unref(task);
		return G_SOURCE_REMOVE;
	}
	jobs = conflicting_jobs(run);
	if (jobs->len > 0) {
		reason = waiting_reason(jobs);
		hfhub_engine_set_job_reason(run->engine, run->job, reason);
		return G_SOURCE_CONTINUE;
	}
	/* the download changed the cache: plan again */
	run->wait_source = 0;
	hfhub_engine_set_job_reason(run->engine, run->job, "");
	plan_step(task);
	g_object_unref(task);
	return G_SOURCE_REMOVE;
}

static void
plan_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	DeleteRun *run = g_task_get_task_data(task);
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GTask) exec = NULL;
	GError *error = NULL;
	HfhubCachePlan *plan = g_task_propagate_pointer(G_TASK(res), &error);

	if (plan == NULL) {
		return_cancelled_or(task, error);
		return;
	}
	g_clear_pointer(&run->plan, hfhub_cache_plan_free);
	run->plan = plan;
	if (hfhub_cache_plan_is_empty(plan)) {
		g_task_return_pointer(task, g_variant_ref_sink(delete_result(run, plan, NULL)),
				      (GDestroyNotify)g_variant_unref);
		return;
	}
	jobs = conflicting_jobs(run);
	if (jobs->len > 0 && !run->wait) {
		hfhub_cache_jobs_set_conflict(&error, jobs);
		g_task_return_error(task, error);
		return;
	}
	if (jobs->len > 0) {
		g_autofree gchar *reason = waiting_reason(jobs);

		hfhub_engine_set_job_reason(run->engine, run->job, reason);
		run->waited = TRUE;
		run->wait_source =
			g_timeout_add(WAIT_INTERVAL_MS, recheck_cb, g_steal_pointer(&task));
		return;
	}
	exec = g_task_new(NULL, run->cancellable, exec_done, g_steal_pointer(&task));
	g_task_set_task_data(exec, run, NULL);
	g_task_run_in_thread(exec, exec_thread);
}

static void
plan_step(GTask *task)
{
	DeleteRun *run = g_task_get_task_data(task);
	g_autoptr(GTask) inner = g_task_new(NULL, run->cancellable, plan_done, g_object_ref(task));

	g_task_set_task_data(inner, run, NULL);
	g_task_run_in_thread(inner, plan_thread);
}

static void
delete_run_async(HfhubEngine *engine, HfhubJob *job, GCancellable *cancellable,
		 GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(job, cancellable, callback, user_data);
	DeleteRun *run = g_new0(DeleteRun, 1);
	const gchar *dir = NULL;

	run->engine = g_object_ref(engine);
	run->job = g_object_ref(job);
	run->cancellable = g_object_ref(cancellable);
	hfhub_job_lookup_option(job, "cache-dir", "&s", &dir);
	run->cache_dir = hfhub_cache_jobs_cache_dir(engine, dir);
	if (!hfhub_job_lookup_option(job, "targets", "^as", &run->targets))
		run->targets = g_new0(gchar *, 1);
	hfhub_job_lookup_option(job, "prune", "b", &run->prune);
	hfhub_job_lookup_option(job, "wait", "b", &run->wait);
	/* the store is the main thread's: what jobs will resume is read here */
	if (run->prune)
		run->keep = hfhub_cache_jobs_resumable_partials(engine);
	g_task_set_source_tag(task, delete_run_async);
	g_task_set_task_data(task, run, (GDestroyNotify)delete_run_free);
	plan_step(task);
}

static GVariant *
delete_run_finish(HfhubJob *job, GAsyncResult *res, GError **error)
{
	GVariant *result = g_task_propagate_pointer(G_TASK(res), error);
	guint64 freed = 0;

	if (result != NULL && g_variant_lookup(result, "freed-bytes", "t", &freed))
		hfhub_job_set_progress(job, freed, freed, 0, 0);
	return result;
}

static gboolean
delete_prepare(HfhubEngine *engine, HfhubJobRecord *rec, GError **error)
{
	g_autofree const gchar **targets = NULL;
	gboolean prune = FALSE;

	if (!check_cache_dir_option(rec, error))
		return FALSE;
	g_variant_lookup(rec->options, "prune", "b", &prune);
	g_variant_lookup(rec->options, "targets", "^a&s", &targets);
	if (prune && targets != NULL && targets[0] != NULL) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "a prune takes no targets");
		return FALSE;
	}
	if (!prune && (targets == NULL || targets[0] == NULL)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "give at least one repo or revision to delete");
		return FALSE;
	}
	return TRUE;
}

static const HfhubJobKind delete_kind = {
	.name = "cache-delete",
	.options = delete_options,
	.prepare = delete_prepare,
	.run_async = delete_run_async,
	.run_finish = delete_run_finish,
};

const HfhubJobKind *
hfhub_cache_delete_kind(void)
{
	return &delete_kind;
}

/* ---- cache-verify */

static const HfhubOptionSpec verify_options[] = {
	{ "targets", "as" }, { "cache-dir", "s" }, { "repair", "b" }, { "endpoint", "s" },
	{ "identity", "s" }, { "priority", "i" },  { NULL, NULL },
};

typedef struct {
	HfhubEngine *engine;
	HfhubJob *job;
	GCancellable *cancellable;
	gchar *cache_dir;
	gchar **targets;
	gboolean repair;
	HfhubCacheVerify *verify;
	GPtrArray *warnings; /* gchar* */
	/* progress, written by the hashing threads */
	gssize bytes_done;
	gint files_done;
	gsize bytes_total; /* pointer-sized, for the atomics */
	gint files_total;
	guint progress_source;
} VerifyRun;

static void
verify_run_free(VerifyRun *run)
{
	g_clear_handle_id(&run->progress_source, g_source_remove);
	g_object_unref(run->engine);
	g_object_unref(run->job);
	g_object_unref(run->cancellable);
	g_free(run->cache_dir);
	g_strfreev(run->targets);
	g_clear_pointer(&run->verify, hfhub_cache_verify_free);
	g_ptr_array_unref(run->warnings);
	g_free(run);
}

static void
verify_progress_cb(guint64 bytes, guint files, gpointer user_data)
{
	VerifyRun *run = user_data;

	g_atomic_pointer_add(&run->bytes_done, (gssize)bytes);
	if (files > 0)
		g_atomic_int_add(&run->files_done, (gint)files);
}

static void
publish_verify_progress(VerifyRun *run)
{
	hfhub_job_set_progress(run->job, (guint64)(gsize)g_atomic_pointer_get(&run->bytes_done),
			       (guint64)(gsize)g_atomic_pointer_get(&run->bytes_total),
			       (guint)g_atomic_int_get(&run->files_done),
			       (guint)g_atomic_int_get(&run->files_total));
}

static gboolean
verify_progress_tick(gpointer user_data)
{
	publish_verify_progress(user_data);
	return G_SOURCE_CONTINUE;
}

static void
verify_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	VerifyRun *run = task_data;
	g_autoptr(HfhubCacheScan) scan = NULL;
	GError *error = NULL;

	scan = hfhub_cache_scan(run->cache_dir, HFHUB_CACHE_SCAN_FILES, cancellable, &error);
	if (scan == NULL) {
		g_task_return_error(task, error);
		return;
	}
	run->verify = hfhub_cache_verify_new(scan, (const gchar *const *)run->targets);
	g_atomic_pointer_set(&run->bytes_total, (gsize)run->verify->total_bytes);
	g_atomic_int_set(&run->files_total, (gint)run->verify->total_files);
	if (!hfhub_cache_verify_run(run->verify, verify_progress_cb, run, cancellable, &error)) {
		g_task_return_error(task, error);
		return;
	}
	for (guint i = 0; run->repair && i < run->verify->items->len; i++) {
		HfhubCacheVerifyItem *item = g_ptr_array_index(run->verify->items, i);
		g_autoptr(GError) local_error = NULL;

		if (item->status != HFHUB_CACHE_VERIFY_CORRUPTED)
			continue;
		if (!hfhub_cache_verify_remove(run->verify, item, &local_error))
			g_ptr_array_add(run->warnings,
					g_strdup_printf("cannot repair %s: %s", item->blob->path,
							local_error->message));
	}
	g_task_return_boolean(task, TRUE);
}

/* One download job per repo and commit, for the blobs repair removed: the
 * download fetches what is missing and checks it. */
static GVariant *
start_repairs(VerifyRun *run)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(run->job);
	g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							     (GDestroyNotify)g_ptr_array_unref);
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	g_auto(GVariantBuilder) ids = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("at"));
	const gchar *endpoint = NULL;
	const gchar *identity = NULL;

	hfhub_job_lookup_option(run->job, "endpoint", "&s", &endpoint);
	hfhub_job_lookup_option(run->job, "identity", "&s", &identity);
	for (guint i = 0; i < run->verify->items->len; i++) {
		HfhubCacheVerifyItem *item = g_ptr_array_index(run->verify->items, i);
		HfhubCacheVerifyUse *first;
		g_autofree gchar *key = NULL;
		GPtrArray *group;

		if (!item->removed || item->uses->len == 0)
			continue;
		first = g_ptr_array_index(item->uses, 0);
		key = g_strdup_printf("%s\n%s", item->repo->cache_id, first->commit);
		group = g_hash_table_lookup(groups, key);
		if (group == NULL) {
			group = g_ptr_array_new();
			g_ptr_array_add(order, item);
			g_hash_table_insert(groups, g_steal_pointer(&key), group);
		}
		for (guint j = 0; j < item->uses->len; j++) {
			HfhubCacheVerifyUse *use = g_ptr_array_index(item->uses, j);
			if (g_str_equal(use->commit, first->commit))
				g_ptr_array_add(group, use->path);
		}
	}
	for (guint i = 0; i < order->len; i++) {
		HfhubCacheVerifyItem *item = g_ptr_array_index(order, i);
		HfhubCacheVerifyUse *first = g_ptr_array_index(item->uses, 0);
		g_autofree gchar *key =
			g_strdup_printf("%s\n%s", item->repo->cache_id, first->commit);
		GPtrArray *paths = g_hash_table_lookup(groups, key);
		g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
		g_autoptr(GError) error = NULL;
		g_auto(GVariantBuilder) files = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_STRING_ARRAY);
		HfhubJob *job;

		for (guint j = 0; j < paths->len; j++)
			g_variant_builder_add_value(&files,
						    hfhub_cache_str(g_ptr_array_index(paths, j)));
		g_variant_dict_insert_value(&options, "files", g_variant_builder_end(&files));
		g_variant_dict_insert_value(&options, "cache-dir", hfhub_cache_str(run->cache_dir));
		if (endpoint != NULL)
			g_variant_dict_insert_value(&options, "endpoint",
						    hfhub_cache_str(endpoint));
		if (identity != NULL)
			g_variant_dict_insert_value(&options, "identity",
						    hfhub_cache_str(identity));
		job = hfhub_engine_add_job(run->engine, "download", item->repo->repo_type,
					   item->repo->repo_id, first->commit,
					   g_variant_dict_end(&options), rec->owner, &error);
		if (job == NULL) {
			g_ptr_array_add(run->warnings,
					g_strdup_printf("cannot download %s again: %s",
							item->repo->cache_id, error->message));
			continue;
		}
		g_variant_builder_add(&ids, "t", hfhub_job_get_id(job));
	}
	return g_variant_builder_end(&ids);
}

static GVariant *
verify_result(VerifyRun *run, GVariant *repair_jobs)
{
	HfhubCacheVerify *verify = run->verify;
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	g_auto(GVariantBuilder) missing = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_STRING_ARRAY);
	g_auto(GVariantBuilder) warnings = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_STRING_ARRAY);
	guint removed = 0;

	for (guint i = 0; i < verify->missing->len; i++)
		g_variant_builder_add_value(
			&missing,
			hfhub_cache_str((const gchar *)g_ptr_array_index(verify->missing, i)));
	for (guint i = 0; i < run->warnings->len; i++)
		g_variant_builder_add_value(
			&warnings,
			hfhub_cache_str((const gchar *)g_ptr_array_index(run->warnings, i)));
	for (guint i = 0; i < verify->items->len; i++)
		removed += ((HfhubCacheVerifyItem *)g_ptr_array_index(verify->items, i))->removed;
	g_variant_dict_insert_value(&dict, "cache-dir", hfhub_cache_str(verify->scan->cache_dir));
	g_variant_dict_insert(&dict, "checked", "u", verify->total_files);
	g_variant_dict_insert(&dict, "checked-bytes", "t", verify->total_bytes);
	g_variant_dict_insert(&dict, "ok", "u",
			      hfhub_cache_verify_count(verify, HFHUB_CACHE_VERIFY_OK));
	g_variant_dict_insert(&dict, "corrupted", "u",
			      hfhub_cache_verify_count(verify, HFHUB_CACHE_VERIFY_CORRUPTED));
	g_variant_dict_insert(&dict, "unreadable", "u",
			      hfhub_cache_verify_count(verify, HFHUB_CACHE_VERIFY_UNREADABLE));
	g_variant_dict_insert(&dict, "unverifiable", "u",
			      hfhub_cache_verify_count(verify, HFHUB_CACHE_VERIFY_UNVERIFIABLE));
	g_variant_dict_insert_value(&dict, "problems",
				    hfhub_cache_verify_problems_to_variant(verify));
	g_variant_dict_insert_value(&dict, "missing", g_variant_builder_end(&missing));
	g_variant_dict_insert(&dict, "repair", "b", run->repair);
	g_variant_dict_insert(&dict, "removed", "u", removed);
	g_variant_dict_insert_value(&dict, "repair-jobs", repair_jobs);
	g_variant_dict_insert_value(&dict, "warnings", g_variant_builder_end(&warnings));
	return g_variant_dict_end(&dict);
}

static void
verify_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	VerifyRun *run = g_task_get_task_data(task);
	GError *error = NULL;
	GVariant *jobs;

	g_clear_handle_id(&run->progress_source, g_source_remove);
	publish_verify_progress(run);
	if (!g_task_propagate_boolean(G_TASK(res), &error)) {
		return_cancelled_or(task, error);
		return;
	}
	jobs = run->repair ? start_repairs(run) : g_variant_new("at", NULL);
	g_task_return_pointer(task, g_variant_ref_sink(verify_result(run, jobs)),
			      (GDestroyNotify)g_variant_unref);
}

static void
verify_run_async(HfhubEngine *engine, HfhubJob *job, GCancellable *cancellable,
		 GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(job, cancellable, callback, user_data);
	g_autoptr(GTask) inner = NULL;
	VerifyRun *run = g_new0(VerifyRun, 1);
	const gchar *dir = NULL;

	run->engine = g_object_ref(engine);
	run->job = g_object_ref(job);
	run->cancellable = g_object_ref(cancellable);
	run->warnings = g_ptr_array_new_with_free_func(g_free);
	hfhub_job_lookup_option(job, "cache-dir", "&s", &dir);
	run->cache_dir = hfhub_cache_jobs_cache_dir(engine, dir);
	if (!hfhub_job_lookup_option(job, "targets", "^as", &run->targets))
		run->targets = g_new0(gchar *, 1);
	hfhub_job_lookup_option(job, "repair", "b", &run->repair);
	g_task_set_source_tag(task, verify_run_async);
	g_task_set_task_data(task, run, (GDestroyNotify)verify_run_free);
	run->progress_source = g_timeout_add(PROGRESS_INTERVAL_MS, verify_progress_tick, run);
	inner = g_task_new(NULL, cancellable, verify_done, g_steal_pointer(&task));
	g_task_set_task_data(inner, run, NULL);
	g_task_run_in_thread(inner, verify_thread);
}

static GVariant *
verify_run_finish(HfhubJob *job, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

static gboolean
verify_prepare(HfhubEngine *engine, HfhubJobRecord *rec, GError **error)
{
	const gchar *endpoint = NULL;

	if (!check_cache_dir_option(rec, error))
		return FALSE;
	if (g_variant_lookup(rec->options, "endpoint", "&s", &endpoint) &&
	    !g_str_has_prefix(endpoint, "https://") && !g_str_has_prefix(endpoint, "http://")) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the endpoint must be an http(s) URL, not “%s”", endpoint);
		return FALSE;
	}
	return TRUE;
}

static const HfhubJobKind verify_kind = {
	.name = "cache-verify",
	.options = verify_options,
	.prepare = verify_prepare,
	.run_async = verify_run_async,
	.run_finish = verify_run_finish,
};

const HfhubJobKind *
hfhub_cache_verify_kind(void)
{
	return &verify_kind;
}
